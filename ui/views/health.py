"""Service health for leads: promises kept and speed beside satisfaction, the
spread across owners, the trend week by week, and where speed and happiness
pull apart."""

import csv
import io
from datetime import datetime, time, timedelta, timezone

import altair as alt
import pandas as pd
import streamlit as st
from common import current_user, desk, fail_inline, literal, service

from ownit import OwnitError
from ownit.metrics import FIGURES, UNITS, shown

HEADINGS = {key: heading for key, heading, _, _ in FIGURES}
LOWER_IS_BETTER = {key for key, _, _, better in FIGURES if better == "lower"}
HEADLINE = ("first_contact_kept", "checkins_kept", "resolve_median_d", "promises_kept", "reopen_rate", "nps", "effort")
SHORT = {"first_contact_kept": "first contact", "checkins_kept": "check-ins", "resolve_median_d": "resolve",
         "promises_kept": "promises", "reopen_rate": "reopened", "nps": "NPS", "effort": "effort"}


def change(key: str, now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    delta = (now - before) * (100 if UNITS[key] == "%" else 1)
    if round(delta, 1) == 0:
        return "no change"
    return f"{delta:+.0f} pts" if UNITS[key] == "%" else f"{delta:+.1f}"


st.title("Service health")
teams = service.memberships(desk(), actor=current_user())
today = desk().now().date()
left, right = st.columns([1, 1])
team = left.selectbox("Team", [None] + teams, format_func=lambda t: "all teams" if t is None else t["name"])
period = right.date_input("Period", value=(today - timedelta(days=27), today), max_value=today)
if not isinstance(period, tuple) or len(period) != 2:
    st.info("Pick the first and the last day of the period.")
    st.stop()
since = datetime.combine(period[0], time.min, timezone.utc)
until = datetime.combine(period[1] + timedelta(days=1), time.min, timezone.utc)

try:
    with st.spinner("Counting the timeline…"):
        report = service.report(desk(), actor=current_user(), team=team["key"] if team else None,
                                since=since, until=until, by="owner")
except OwnitError as error:
    fail_inline(error)
    st.stop()

now, before = report["headline"], report["previous_headline"]
st.caption(literal(f"{now['resolved']} resolutions and {now['responses']} ratings in the period; "
                   f"changes are against the {(until - since).days} days before."))
if report["charter"]:  # the team is measured against what it agreed with the stores
    charter = report["charter"]
    st.caption(literal(f"Measured against {charter['line']} (version {charter['version']})"
                       + (f"; overdue for review since {charter['review']}" if charter["overdue"] else "")))
for column, key in zip(st.columns(len(HEADLINE)), HEADLINE, strict=True):
    column.metric(SHORT[key], shown(key, now[key]), change(key, now[key], before[key]), help=HEADINGS[key],
                  delta_color="inverse" if key in LOWER_IS_BETTER else "normal", border=True)

for line in report["alignment"]:
    if line["flag"] and (team is None or line["team"] == team["key"]):
        st.warning(literal(line["flag"]), icon=":material/warning:")

settle = service.check_charters(desk(), actor=current_user(), alignment=[])  # speed: just above
mine = [line for kind in ("conflicts", "reviews") for line in settle[kind]
        if team is None or team["key"] in (line["team"], line.get("other"))]
if mine:  # what the teams agreed with the stores, where it cannot hold (ownit charter check)
    st.subheader("Where goals conflict")
    for line in mine:
        st.warning(literal(line["line"]), icon=":material/handshake:")

st.subheader("Speed beside satisfaction, week by week")
weekly = pd.DataFrame([{"team": line["name"], "week": pd.Timestamp(week["week"]), **week}
                       for line in report["alignment"] if team is None or line["team"] == team["key"]
                       for week in line["weeks"]])
if weekly.empty:
    st.info("No resolutions or ratings yet in these weeks.")
else:
    charts = st.columns(3)
    for column, (key, title) in zip(charts, [("resolve_median_d", "Median business days to resolve"),
                                             ("nps", "NPS"), ("effort", "Customer effort (1 easy – 7 hard)")],
                                    strict=True):
        chart = alt.Chart(weekly.dropna(subset=[key])).mark_line(point=True).encode(
            x=alt.X("week:T", title=None), y=alt.Y(f"{key}:Q", title=None), color=alt.Color("team:N", title=None, legend=alt.Legend(orient="bottom", columns=1)),
            tooltip=["team", alt.Tooltip("week:T"), alt.Tooltip(f"{key}:Q", format=".1f")])
        column.markdown(f"**{title}**")
        column.altair_chart(chart, width="stretch")

if report["incidents"]:  # each counted once in the figures above, as the request it is
    st.subheader("Incidents")
    st.caption("One problem affecting many stores: counted once above (its owner, its promise); the requests "
               "linked to it are not counted again.")
    columns = st.columns(len(report["incidents"]))
    for column, group in zip(columns, report["incidents"]):
        column.metric(f"{group['department']}: stores affected", group["stores"],
                      help=f"{group['count']} incidents, {group['store_hours']} store-hours")
    st.dataframe(pd.DataFrame([{"department": g["department"], "incident": i["ref"], "title": i["title"],
                                "owner": i["owner"], "status": i["status"], "requests": i["requests"],
                                "stores": i["stores"], "hours": i["hours"], "store-hours": i["store_hours"]}
                               for g in report["incidents"] for i in g["incidents"]]),
                 hide_index=True, width="stretch")

st.subheader("Per owner")
owners = report["owners"]
if not owners:
    st.info("Nobody owned a request in this period.")
else:
    st.dataframe(pd.DataFrame([{"owner": o["name"], **{HEADINGS[k]: shown(k, o[k]) for k in HEADLINE},
                                "resolved": o["resolved"], "ratings": o["responses"]} for o in owners]),
                 hide_index=True, width="stretch")
    lines = []
    for key in HEADLINE:
        spread = report["spread"][key]
        if spread["best"] is None:
            continue
        standards = report["standards"]  # the team's charter's, or every team's default
        below = (f"; {spread['below_standard']} below the standard of {shown(key, standards[key])}"
                 if key in standards else "")
        lines.append(f"- **{HEADINGS[key]}**: best {literal(spread['best']['name'])} "
                     f"{shown(key, spread['best']['value'])}, worst {literal(spread['worst']['name'])} "
                     f"{shown(key, spread['worst']['value'])}{below}")
    st.markdown("The spread across owners — great service must be the team's, not one person's:\n" + "\n".join(lines))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["owner", "email", *(k for k, *_ in FIGURES), "resolved", "ratings"])
    for o in owners:
        writer.writerow([o["name"], o["key"], *(o[k] for k, *_ in FIGURES), o["resolved"], o["responses"]])
    st.download_button("Download per-owner figures (CSV)", out.getvalue(), file_name="ownit-service-health.csv",
                       mime="text/csv", icon=":material/download:")
