"""The team's queue for agents and leads: filters, the same cards the
requester sees (plus internal notes), and the owner's actions on each."""

import pandas as pd
import streamlit as st
from common import current_user, desk, fail_inline, flash, linked_request, literal, request_card, service, when

from ownit import OwnitError

PAGE = 20
LIMIT = 500  # the overview table's length; the cards show the most pressing PAGE at a time
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
summary = service.team_summary(desk(), actor=current_user(), team=team["key"])
glance = st.columns(5)
for column, (label, key) in zip(glance, [("Open", "open"), ("Overdue", "overdue"), ("Due later today", "due_today"),
                                         ("Waiting", "waiting"), ("To confirm", "resolved")],
                                strict=True):
    column.metric(label, summary[key], border=True)
if team["leads"] and summary["owners"]:
    with st.expander("Load per owner"):
        load = pd.DataFrame([{"owner": o["name"], "overdue": o["overdue"], "open, on time": o["open"] - o["overdue"],
                              "waiting": o["waiting"]} for o in summary["owners"]]).set_index("owner")
        st.bar_chart(load, horizontal=True, stack=True, color=["#d62728", "#2ca02c", "#1f77b4"])
chosen = st.segmented_control("Show", list(FILTERS), default="All open", key="team-filter") or "All open"

try:
    rows = service.queue(desk(), actor=current_user(), team=team["key"], owner=owner["email"] if owner else None,
                         limit=LIMIT, **FILTERS[chosen])
except OwnitError as error:
    fail_inline(error)
    st.stop()

overdue = sum(r["overdue"] for r in rows)
count = f"the {LIMIT} most pressing" if len(rows) == LIMIT else f"{len(rows)} request{'' if len(rows) == 1 else 's'}"
st.caption(literal(f"{count}, most pressing first"
                   + (f"; {overdue} overdue" if overdue else "")))
if rows:
    st.dataframe([{"ref": r["ref"], "title": r["title"], "owner": r["owner"]["name"], "priority": r["priority"],
                   "status": r["status"], "stage": f"{r['stage_label']} ({r['progress']['done']}/{r['progress']['total']})",
                   "next due": when(r["next_due"], r["timezone"]), "overdue": r["overdue"]} for r in rows],
                 hide_index=True, width="stretch")
else:
    st.info("Nothing here.")

shown = st.session_state.setdefault("team-shown", PAGE)
for row in rows[:shown]:
    if row["ref"] != linked:
        request_card(service.show(desk(), row["ref"], actor=current_user()))
if len(rows) > shown and st.button(f"Show {min(PAGE, len(rows) - shown)} more"):
    st.session_state["team-shown"] = shown + PAGE
    st.rerun()
