"""Mystery requests (:mod:`ownit.service.mystery`): a team's lead tests the
service the stores meet with realistic requests raised by store managers who
agreed to, worked like any other, scored once closed. One page, whose parts
depend on who is looking:

- a store manager named in a programme: the invitation to take part, the
  scenarios to raise (each one click from the raise page, chosen there), the
  ones raised, and the short form for a closed one, then its score;
- an owner: the mystery requests revealed to them once scored, for coaching;
- a team's lead (an admin picks the team): the programme, planning one, the
  mysteries and how far each has come (an open one named by nothing the
  service does not give: no ref, no owner), the note to a scored one's owner,
  and the results beside the team's ordinary service health.

Anyone else sees one line saying what the page is for."""

from datetime import datetime, timedelta

import altair as alt
import pandas as pd
import streamlit as st
from common import act, armed, current_user, desk, fail_inline, flash, literal, mystery_box, service

from ownit import OwnitError
from ownit.mystery import WIDE

# the service-health figures beside the mystery requests' own: these two are numbers, the rest shares
NUMBERS = {"NPS", "effort (1-7)"}


def figure(row: dict, value: float | None) -> str:
    if value is None:
        return "—"
    if row["figure"] == "NPS":
        return f"{value:.0f}"
    return f"{value:.1f}" if row["figure"] in NUMBERS else f"{value:.0%}"


def type_labels(department: str | None = None) -> dict[str, str]:
    """The request types (of ``department``, or every one), by key: their labels."""
    return {t["key"]: t["label"] for d in service.departments(desk())["departments"]
            if department in (None, d["key"]) for t in d["request_types"]}


def to_raise(line: dict, labels: dict[str, str]) -> None:
    """A scenario to raise, with the way to the raise page with it chosen."""
    text, press = st.columns([5, 1], vertical_alignment="center")
    kind = labels.get(line["request_type"], line["request_type"])
    text.markdown(f"**Mystery request {line['id']}** for {literal(line['team'])} · {literal(kind)} · "
                  f"raise by {literal(line['raise_by'])}  \n{literal(line['scenario'])}")
    if press.button("Raise it", key=f"mystery-raise-{line['id']}"):
        st.session_state["raise-mystery"] = line["id"]  # the raise page reads it: this mystery, chosen
        st.switch_page("views/raise_request.py")


def answer_form(line: dict, questions: list[dict]) -> None:
    """The short form for a closed mystery request: six yes-or-no questions,
    NPS, effort and a comment, sent once (its armed key)."""
    with st.form(form := armed(f"mystery-answer-{line['id']}")):
        st.markdown(f"**{literal(line['ref'])} is closed: how did it go?** Your answers score it with what its "
                    "timeline shows; its owner and the team's lead see the score, for coaching.")
        said = {q["key"]: st.radio(q["question"], ["yes", "no"], index=None, horizontal=True,
                                   key=f"{form}:{q['key']}") for q in questions}
        said["nps"] = st.slider("How likely are you to recommend this team to a colleague? (0–10)", 0, 10, 8,
                                key=f"{form}:nps")
        said["effort"] = st.slider("How much effort did it take you? (1 very easy – 7 very hard)", 1, 7, 2,
                                   key=f"{form}:effort")
        said["comment"] = st.text_area("Anything else the lead should know? (optional)", key=f"{form}:comment")
        if st.form_submit_button("Send my answers"):
            act(lambda done: f"{done['ref']}: thank you. It scored {done['score']:g} out of 100",
                service.answer_mystery, form=form, mystery_id=line["id"], answers=said)


def raising(page: dict) -> None:
    """The store manager's part: invitations, scenarios, raised ones, forms."""
    st.subheader("Raising them")
    for invitation in page["invitations"]:
        text, press = st.columns([5, 1], vertical_alignment="center")
        asks = (f"{invitation['lead']} asks you to raise mystery requests for {invitation['name']} (up to "
                f"{invitation['per_month']} a month): realistic requests, worked like any other, to test the "
                "service your store gets.")
        if invitation["agreed"]:
            text.markdown(literal(f"You raise {invitation['name']}'s mystery requests, since "
                                  f"{invitation['agreed'][:10]}. {invitation['lead']} plans them."))
            if press.button("Withdraw", key=f"mystery-withdraw-{invitation['team']}"):
                act(f"You no longer raise {invitation['name']}'s mystery requests", service.take_part_in_mysteries,
                    team=invitation["team"], agree=False)
        else:
            text.markdown(literal(asks))
            if press.button("I'll take part", key=f"mystery-agree-{invitation['team']}", type="primary"):
                act(f"Thank you: you raise {invitation['name']}'s mystery requests; each scenario comes to your "
                    "inbox and this page", service.take_part_in_mysteries, team=invitation["team"])
    if page["to_raise"]:
        st.markdown("**To raise**, each in your own words, from your store, telling nobody in the team:")
        labels = type_labels()
        for line in page["to_raise"]:
            to_raise(line, labels)
    for line in page["raised"]:
        with st.container(border=True):
            where = (f"scored {line['score']:g} out of 100" if line["score"] is not None else
                     "closed: the form below" if line["to_answer"] else line["status"])
            st.markdown(f"**{literal(line['ref'])}** · {literal(line['title'])} — mystery request {line['id']} for "
                        f"{literal(line['team'])} · {literal(where)}")
            if line["to_answer"]:
                answer_form(line, page["questions"])


def revealed(page: dict) -> None:
    """The owner's part: each mystery request of theirs, scored, for coaching."""
    st.subheader("Your requests that were mystery requests")
    for scored in page["revealed"]:
        st.markdown(f"**{literal(scored['ref'])}** · {literal(scored['title'])} — {literal(scored['team'])}")
        mystery_box(scored)


def programme_form(team: dict, found: dict, labels: dict[str, str]) -> None:
    """The programme, whole: how many a month, which types, which managers."""
    regions = set(next(t["regions"] for t in service.teams(desk()) if t["key"] == team["key"]))
    sites = {s["code"]: s for s in service.sites(desk())}
    named = {s["email"] for s in found["shoppers"]}
    people = {p["email"]: p for p in service.people(desk())}
    managers = [e for e, p in people.items() if e in named or (
        "requester" in p["roles"] and p["site"] and (not regions or sites[p["site"]]["region"] in regions))]
    heading = "The programme" if found["per_month"] else "Set up the programme"
    with st.expander(heading, expanded=not found["per_month"]), st.form(f"mystery-programme-{team['key']}"):
        per_month = st.number_input("Mystery requests a month, at most", 1, 20, found["per_month"] or 2,
                                    key=f"mystery-per-month-{team['key']}")
        chosen_types = st.multiselect("Request types to test", list(labels), default=found["request_types"],
                                      format_func=lambda k: f"{labels.get(k, k)} ({k})",
                                      key=f"mystery-types-{team['key']}")
        shoppers = st.multiselect("Store managers to ask", managers, default=sorted(named),
                                  format_func=lambda e: f"{people[e]['name']} ({people[e]['site'] or 'no store'})",
                                  key=f"mystery-shoppers-{team['key']}",
                                  help="Each one newly named is asked to take part; nothing is planned for them "
                                       "until they agree.")
        if st.form_submit_button("Save the programme"):
            act(lambda done: f"{done['team']['name']}: up to {done['per_month']} mystery requests a month",
                service.set_mystery_programme, team=team["key"], per_month=int(per_month),
                request_types=chosen_types, shoppers=shoppers)


def plan_form(team: dict, found: dict, labels: dict[str, str]) -> None:
    """Plan one: the scenario, its type, who raises it and by when."""
    agreed = [s for s in found["shoppers"] if s["agreed"]]
    if not agreed:
        st.info("No store manager has agreed yet: once one does, plan their first mystery request here.")
        return
    today = desk().now().date()
    with st.form(form := armed(f"mystery-plan-{team['key']}")):
        st.markdown("**Plan a mystery request**")
        scenario = st.text_area("The scenario the store manager raises", key=f"{form}:scenario",
                                placeholder="The stockroom ceiling drips when it rains; the shutter sticks.")
        left, middle, right = st.columns(3)
        request_type = left.selectbox("Request type", found["request_types"], key=f"{form}:type",
                                      format_func=lambda k: labels.get(k, k))
        shopper = middle.selectbox("Who raises it", [None, *agreed], key=f"{form}:shopper",
                                   format_func=lambda s: "whoever has fewest to raise" if s is None else
                                   f"{s['name']} ({s['site']})")
        raise_by = right.date_input("To raise by", value=None, min_value=today, key=f"{form}:by",
                                    help="Left empty: within a fortnight.")
        if st.form_submit_button("Plan it"):
            def planned(done: dict) -> str:
                if done["repeated"]:
                    return "Planned already; nothing changed"
                line = next(m for m in done["mysteries"] if m["id"] == done["planned"])
                return f"Mystery request {line['id']} planned: {line['shopper']} raises it by {line['raise_by']}"

            act(planned, service.plan_mystery, form=form, team=team["key"], scenario=scenario,
                request_type=request_type, shopper=shopper["email"] if shopper else None, raise_by=raise_by)


def note_form(team: dict, scored: list[dict]) -> None:
    """The lead's note to a scored one's owner: coaching, in a line or two."""
    with st.form(form := armed(f"mystery-note-{team['key']}")):
        line = st.selectbox("Note to the owner of", scored, key=f"{form}:which",
                            format_func=lambda m: f"{m['ref']} · {m['title']} — {m['owner']}, {m['score']:g}")
        note = st.text_area("Your note (the owner reads it with the score)", key=f"{form}:note")
        if st.form_submit_button("Send the note"):
            act(lambda done: f"{done['ref']}: your note is with {done['owner']}", service.note_mystery, form=form,
                mystery_id=line["id"], note=note)


def results(team: dict) -> None:
    """The team's results over the last quarter: the monthly mean, per owner
    with the spread, and beside the ordinary service health."""
    found = service.mystery_results(desk(), actor=current_user(), team=team["key"])
    st.subheader("Results")
    since = datetime.fromisoformat(found["since"])
    until = datetime.fromisoformat(found["until"]) - timedelta(seconds=1)
    if not found["count"]:
        st.info(literal(f"Nothing scored between {since:%d %b %Y} and {until:%d %b %Y} yet."))
        return
    count = f"{found['count']} mystery request{'s' * (found['count'] != 1)}"
    st.caption(literal(f"{count} scored between {since:%d %b %Y} and {until:%d %b %Y}; mean score "
                       f"{found['mean']:g} out of 100."))
    # each owner's mean month by month, side by side: over time, and how far apart they are
    by_owner = pd.DataFrame(found["owner_months"])
    st.altair_chart(alt.Chart(by_owner).mark_bar().encode(
        x=alt.X("month:N", title=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("owner:N"),
        y=alt.Y("mean:Q", title="mean score", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("owner:N", title="owner", legend=alt.Legend(orient="top")),
        tooltip=["month", "owner", "mean", "count"]).properties(height=240), width="stretch")
    st.markdown("**Per owner**")
    st.dataframe(pd.DataFrame([{"owner": o["name"], "mean": o["mean"], "scored": o["count"], "lowest": o["lowest"],
                                "highest": o["highest"]} for o in found["owners"]]), hide_index=True, width="stretch")
    spread = found["spread"]
    if spread["wide"]:
        st.warning(literal(f"Wide spread: {spread['gap']:g} points between the owners' means (from "
                           f"{spread['lowest']:g} to {spread['highest']:g}; over {WIDE:g} is wide): the service a "
                           "store meets depends on who owns it. Coach to the best."), icon=":material/warning:")
    elif len(found["owners"]) > 1:
        st.caption(literal(f"The owners' means are within {spread['gap']:g} points of each other."))
    st.markdown("**Beside service health** (ordinary requests; mystery requests are left out of it)")
    st.dataframe(pd.DataFrame([{"figure": row["figure"], "service health": figure(row, row["health"]),
                                "mystery requests": figure(row, row["mystery"])} for row in found["beside"]]),
                 hide_index=True, width="stretch")


def leading(teams: list[dict]) -> None:
    """The lead's part for one team: programme, plan, the mysteries, notes, results."""
    st.subheader("Your team's mystery requests")
    team = st.selectbox("Team", teams, key="mystery-team", format_func=lambda t: t["name"]) \
        if len(teams) > 1 else teams[0]
    try:
        found = service.mystery_programme(desk(), actor=current_user(), team=team["key"])
    except OwnitError as error:
        fail_inline(error)
        return
    labels = type_labels(team["department"])
    if found["per_month"]:
        st.caption(literal(f"Up to {found['per_month']} a month "
                           f"({', '.join(labels.get(k, k) for k in found['request_types'])}), "
                           "raised by " + ", ".join(f"{s['name']} ({'agreed' if s['agreed'] else 'asked'})"
                                                    for s in found["shoppers"])))
    programme_form(team, found, labels)
    if not found["per_month"]:
        return
    plan_form(team, found, labels)
    if found["mysteries"]:
        st.markdown("**Planned and raised**")
        st.caption("One being worked is named by nothing here: you may be working it yourself. Its request shows "
                   "once it is closed.")
        st.dataframe(pd.DataFrame([{"#": m["id"], "stage": m["stage"],
                                    "type": labels.get(m["request_type"], m["request_type"]), "scenario": m["scenario"],
                                    "who raises it": m["shopper"], "to raise by": m["raise_by"],
                                    "request": m["ref"] or "", "owner": m["owner"] or "",
                                    "score": m["score"], "note": m["note"] or ""} for m in found["mysteries"]]),
                     hide_index=True, width="stretch")
    scored = [m for m in found["mysteries"] if m["stage"] == "scored"]
    if scored:
        note_form(team, scored)
    try:
        results(team)
    except OwnitError as error:
        fail_inline(error)


st.title("Mystery requests")
flash()
try:
    page = service.my_mysteries(desk(), actor=current_user())
    me = next(p for p in service.people(desk()) if p["email"] == current_user())
    teams = [t for t in service.memberships(desk(), actor=current_user()) if t["leads"] or "admin" in me["roles"]]
except OwnitError as error:
    fail_inline(error)
    st.stop()
if page["invitations"] or page["raised"] or page["to_raise"]:
    raising(page)
if page["revealed"]:
    revealed(page)
if teams:
    leading(teams)
if not (page["invitations"] or page["raised"] or page["to_raise"] or page["revealed"] or teams):
    st.info("A team's lead may ask store managers to raise mystery requests, to test the service the stores get. "
            "Nothing here is yours yet.")
