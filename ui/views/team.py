"""The team's queue for agents and leads: the team's open incidents first
(each opens like a row), the tasks other departments asked of it (each
marked done by its owner or the lead), filters, a search by reference or words of the
title, the queue a page at a time, and under it the most pressing request's
card (a click on a row opens that request instead): the same card the
requester sees (plus internal notes), with the owner's actions. One card, not
a card per row: drawing twenty took the page seconds (docs/benchmarks.md)."""

import pandas as pd
import streamlit as st
from card import linked_request, request_card
from common import current_user, desk, fail_inline, flash, literal, service, task_done_form, unfolded, when
from lists import open_request, request_rows

from ownit import OwnitError

PAGE = 20  # requests a page in the table
FORGET = ("team-search",)  # what led to a request opened from the queue: "Show all" comes back without it
FILTERS = {"All open": {}, "Overdue": {"overdue": True}, "Due today": {"due_today": True},
           "Waiting on requester": {"statuses": ["waiting"]}, "Resolved, to confirm": {"statuses": ["resolved"]}}
st.title("Team queue")
flash()
linked = linked_request()
teams = service.memberships(desk(), actor=current_user())
if not teams:
    st.info("You are not in a support team; ask a team lead to add you.")
    st.stop()
left, right = st.columns(2)
team = left.selectbox("Team", teams, format_func=lambda t: t["name"] + (" (you lead it)" if t["leads"] else ""))
owners = [None] + team["members"] + ([team["lead"]] if team["lead"]["email"] not in
                                      {m["email"] for m in team["members"]} else [])
owner = right.selectbox("Owner", owners, format_func=lambda m: "everyone" if m is None else m["name"])
incidents = service.team_incidents(desk(), actor=current_user(), team=team["key"])
if incidents:  # one problem at many stores comes before any single request
    st.subheader("Incidents")
    for incident in incidents:
        text, press = st.columns([5, 1], vertical_alignment="center")
        part = (f"{incident['requests']} request{'s' * (incident['requests'] != 1)} at {incident['stores']} "
                f"store{'s' * (incident['stores'] != 1)}")
        text.markdown(f":material/campaign: **{literal(incident['ref'])}** {literal(incident['title'])} — "
                      f"{literal(incident['owner']['name'])} owns it · {literal(incident['scope']['words'])} · "
                      f"{literal(part)} · {literal(incident['stage'])} · next update by "
                      f"{when(incident['next_update'], incident['zone'])}")
        if press.button("Open", key=f"incident-{incident['ref']}", disabled=incident["ref"] == linked):
            open_request(incident["ref"], forget=FORGET)
tasks = service.team_tasks(desk(), actor=current_user(), team=team["key"])
if tasks:  # parts of other departments' requests this team was asked to do, the most pressing first
    st.subheader("Tasks for other departments")
    for task in tasks:
        text, press = st.columns([5, 1], vertical_alignment="center")
        request = task["request"]
        late = " · :red[late]" if task["late"] else ""
        text.markdown(f":material/handshake: **{literal(request['ref'])}** {literal(request['title'])} "
                      f"({literal(request['site'])}; {literal(request['owner'])} owns it) — {literal(task['what'])} — "
                      f"{literal(task['owner']['name'])}, due {when(task['due'], task['timezone'])}{late}")
        if task["owner"]["email"] == current_user() or team["leads"]:
            with press:
                task_done_form(task)
summary = service.team_summary(desk(), actor=current_user(), team=team["key"])
glance = st.columns(5)
for column, (label, key) in zip(glance, [("Open", "open"), ("Overdue", "overdue"), ("Due later today", "due_today"),
                                         ("Waiting", "waiting"), ("To confirm", "resolved")],
                                strict=True):
    column.metric(label, summary[key], border=True)
if team["leads"] and summary["owners"] and (box := unfolded("Load per owner", f"open-load-{team['key']}")):
    with box:  # drawn once opened: a chart folded away cost the lead's page its drawing all the same
        load = pd.DataFrame([{"owner": o["name"], "overdue": o["overdue"], "open, on time": o["open"] - o["overdue"],
                              "waiting": o["waiting"]} for o in summary["owners"]]).set_index("owner")
        st.bar_chart(load, horizontal=True, stack=True, color=["#d62728", "#2ca02c", "#1f77b4"])
chosen = st.segmented_control("Show", list(FILTERS), default="All open", key="team-filter") or "All open"
search = st.text_input("Find a request", key="team-search",
                       placeholder="A reference like FAC-1001, or words of the title")

asked = (team["key"], owner["email"] if owner else None, chosen, search.strip().lower())
if st.session_state.get("team-asked") != asked:  # another question: its first page
    st.session_state["team-asked"], st.session_state["team-page"] = asked, 1
try:
    found = service.queue_page(desk(), actor=current_user(), team=team["key"],
                               owner=owner["email"] if owner else None, search=search,
                               page=st.session_state["team-page"], size=PAGE, **FILTERS[chosen])
except OwnitError as error:
    fail_inline(error)
    st.stop()
if found["found"] and found["found"] != linked:  # a reference, exactly: open it
    open_request(found["found"], forget=FORGET)
rows, total = found["requests"], found["total"]

overdue = sum(r["overdue"] for r in rows)
first = (found["page"] - 1) * found["size"] + 1
count = (f"{first}–{first + len(rows) - 1} of {total}" if found["pages"] > 1
         else f"{total} request{'' if total == 1 else 's'}")
st.caption(literal(f"{count}, most pressing first" + (f" matching “{search.strip()}”" if search.strip() else "")
                   + (f"; {overdue} overdue on this page" if overdue and found["pages"] > 1 else
                      f"; {overdue} overdue" if overdue else "")))
if rows:
    request_rows(rows, key="team-table", forget=FORGET)  # a click on a row: that request, first
else:
    st.info("Nothing matches." if search.strip() else "Nothing here.")

if found["pages"] > 1:
    back, where, ahead = st.columns([1, 2, 1], vertical_alignment="center")
    where.markdown(f"Page {found['page']} of {found['pages']}", text_alignment="center")
    for column, label, step, shown in ((back, "Previous", -1, found["page"] > 1),
                                       (ahead, "Next", 1, found["page"] < found["pages"])):
        if column.button(label, key=f"team-{label.lower()}", disabled=not shown, width="stretch"):
            st.session_state["team-page"] = found["page"] + step
            st.rerun()

if rows and not linked:  # the most pressing one, ready to work; a row's click opens another in its place
    st.caption("The most pressing request; click a row above to open another.")
    request_card(service.show(desk(), rows[0]["ref"], actor=current_user()))
