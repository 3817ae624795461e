"""Raise a request: pick the type, fill the form the department declared, and
see straight away who owns it and what they promise. Open incidents covering
the user's store come first (a known issue: who owns it, the next update, one
tap to be part of it), then colleagues' open requests of the chosen type at
the site, to join ("me too") rather than raise the same problem again. An
agent taking a call picks the caller first: the page is then the caller's
(their store's incidents, their site's requests, raised for them). A store
manager with mystery requests to raise (:mod:`ownit.service.mystery`) says
whether this is one; nobody else sees the choice."""

import streamlit as st
from attachments import attach_inputs
from fields import field_input, label_of
from card import request_card
from common import (armed, current_user, desk, fail_inline, flash, join_banner, literal, me_too_line, service,
                    submission_key)

from ownit import OwnitError, ValidationError


def short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


st.title("Raise a request")
flash()

raised = st.session_state.pop("raised", None)
if raised:  # just raised: the owner and the promise first, then a fresh form on the next run
    view = service.show(desk(), raised, actor=current_user())
    whom = f" for {view['requester']['name']}" if view["raised_by"] else ""
    st.success(literal(f"{view['ref']} raised{whom}. {view['owner']['name']} owns it."))
    request_card(view)
    st.button("Raise another request")
    st.stop()

# the support teams (and admins) may raise it for a caller: chosen first, so the page is theirs from here on
teams = service.memberships(desk(), actor=current_user())
caller = st.selectbox("Raising for someone who phoned? (optional)", [
    p for p in service.people(desk()) if p["email"] != current_user()], index=None, key="raise-for",
    format_func=lambda p: f"{p['name']} ({p['email']}{', ' + p['site'] if p['site'] else ''})",
    placeholder="No: for me", help="It is theirs as if they had raised it: their site, owner, promise and "
                                 "notices; the timeline says you raised it for them.") if teams else None
for_whom = caller["email"] if caller else None

for incident in service.incidents_here(desk(), actor=current_user(), on_behalf_of=for_whom):  # before the form
    with st.container(border=True):
        join_banner(incident, on_behalf_of=caller)

# a store manager raising a mystery request their team's lead planned: which one (only they see this choice)
planned = {m["id"]: m for m in service.my_mysteries(desk(), actor=current_user())["to_raise"]} if not caller else {}
if st.session_state.get("raise-mystery") not in planned:  # chosen on the mystery page, and still to raise
    st.session_state.pop("raise-mystery", None)
mystery = planned.get(st.selectbox(
    "Raising a mystery request?", [None, *planned], key="raise-mystery",
    format_func=lambda i: "No: an ordinary request" if i is None else
    f"This is mystery request {i} ({planned[i]['team']}: {short(planned[i]['scenario'])})")) if planned else None

catalogue = service.departments(desk())["departments"]
typed = next(((n, k) for n, d in enumerate(catalogue) for k, t in enumerate(d["request_types"])
              if mystery and t["key"] == mystery["request_type"]), (0, 0))  # a mystery's own type, chosen for it
department = st.selectbox("Department", catalogue, index=typed[0], format_func=lambda d: d["name"])
rtype = st.selectbox("What do you need?", department["request_types"], format_func=lambda t: t["label"],
                     index=typed[1] if department["key"] == catalogue[typed[0]]["key"] else 0)
if mystery:
    st.caption(literal(f"Raise it in your own words by {mystery['raise_by']}, as you would any request, and tell "
                       "nobody in the team: it is worked like any other."))
st.caption(f"Why it matters: {literal(rtype['why'])}")
if caller and rtype["restricted"] and not any(t["department"] == department["key"] for t in teams):
    st.warning(literal(f"{rtype['label']} is private to the requester and the {department['name']} team: "
                       f"ask {caller['name']} to raise it, or pass the call to that team."))
    st.stop()
similar = service.similar_open(desk(), actor=current_user(), request_type=rtype["key"], on_behalf_of=for_whom)
if similar:  # the type is chosen outside the form, so the hint is there before anything is typed
    with st.container(border=True):
        site = f"{caller['name']}'s site" if caller else "your site"
        region = " or in the region (it often strikes more than one store)" if rtype["site_wide"] else ""
        st.markdown(f"**Already raised at {literal(site)}{region}** — the same problem? Join it instead of raising "
                    "it again.")
        for row in similar:
            me_too_line(row, f"This is {'their' if caller else 'my'} problem too", on_behalf_of=caller,
                        where=rtype["site_wide"])
problems = st.session_state.get("raise-problems", {})  # the last try's, by field key, each under its field


def marked(label: str, key: str) -> str:
    """The field's label, in red when the last try found a problem with it."""
    return f":red[{literal(label)}]" if key in problems else label


def problem(key: str) -> None:
    if key in problems:
        st.error(literal(problems[key]), icon=":material/error:")


def question(field: dict) -> None:
    """One of the department's questions, into ``values``: a follow-up only once asked, so none says "if"."""
    if field["follows"] and field["key"] not in service.asked_questions(desk(), rtype["key"], values):
        return
    values[field["key"]] = field_input(field, label=marked(label_of(field, live=True), field["key"]),
                                       key=f"raise-field-{rtype['key']}-{field['key']}")
    problem(field["key"])


# a question another follows up is drawn before the form, where answering it redraws the page: its follow-up
# appears as its answer is picked (inside a form nothing redraws until it is sent)
asks_more = {f["follows"] for f in rtype["fields"] if f["follows"]}
values: dict = {}
for field in rtype["fields"]:
    if field["key"] in asks_more:
        question(field)
with st.form(form := armed(f"raise-{rtype['key']}")):
    title = st.text_input(marked("In one line", "title"), max_chars=200, key="raise-title")
    problem("title")
    for field in rtype["fields"]:
        if field["key"] not in asks_more:
            question(field)
    detail = st.text_area(marked("Anything else the owner should know? (optional)", "detail"), key="raise-detail")
    problem("detail")
    needed_by = st.date_input(marked("When do you need it by? (optional)", "needed_by"), value=None,
                              key="raise-needed-by")
    problem("needed_by")
    for_site = False if rtype["restricted"] else st.checkbox(
        "For the site, not only me: the site's deputies hear what I hear", key="raise-for-site")
    files = attach_inputs("raise-new")
    submitted = st.form_submit_button("Raise it")

if submitted:
    try:
        view = service.raise_request(desk(), actor=current_user(), request_type=rtype["key"], title=title,
                                     detail=detail, fields={k: v for k, v in values.items() if v not in (None, "")},
                                     needed_by=needed_by, for_site=for_site, files=files,
                                     key=submission_key(form), on_behalf_of=for_whom,
                                     mystery=mystery["id"] if mystery else None)
    except ValidationError as error:  # every problem at once, each under its field; the rest above the button
        drawn = {"title", "detail", "needed_by", *(f["key"] for f in rtype["fields"])}
        st.session_state["raise-problems"] = {k: v for k, v in error.problems.items() if k in drawn}
        count = len(error.problems)
        st.session_state["raise-error"] = (f"Not raised yet: {count} thing{'s' * (count != 1)} to fix, marked above."
                                           if error.problems and set(error.problems) <= drawn else str(error))
        st.rerun()  # everything typed stays in the form, now marked
    except OwnitError as error:
        st.session_state.pop("raise-problems", None)
        st.session_state.pop("raise-error", None)
        fail_inline(error)
    else:
        for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(("raise-", "armed-raise-"))]:
            del st.session_state[key]  # a fresh form, armed afresh
        st.session_state["raised"] = view["ref"]
        st.rerun()
elif "raise-error" in st.session_state:
    st.error(literal(st.session_state["raise-error"]))
