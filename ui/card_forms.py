"""The forms on a request's card: the requester's (a note, an answer the
team waits for, confirming and rating, reopening, changing an answer) and
the team's (the owner's actions, one tab each; declaring an incident; asking
another team for a task; booking a contractor). Each is drawn only when its
fold or tab is open, and each acts through :func:`common.act`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import streamlit as st

from attachments import attach_inputs
from common import act, armed, desk, literal, rating_inputs, unfolded, when
from fields import as_given, field_input, label_of
from ownit import service


def answers_form(view: dict[str, Any], *, boxed: bool = True) -> None:
    """"Change an answer": the form's questions as answered so far, for the
    requester or the team to correct or bring up to date ("cordoned off:
    yes"); only what was changed is sent. The department's rule may change
    the priority, and the promise with it: the flash says so."""
    ref = view["ref"]
    if "request-types" not in st.session_state:  # the installed types, read once a session, not once a card
        st.session_state["request-types"] = {t["key"]: t for d in service.departments(desk())["departments"]
                                             for t in d["request_types"]}
    rtype = st.session_state["request-types"].get(view["request_type"])
    questions = [f for f in rtype["fields"] if f["kind"] not in ("photo", "file")] if rtype else []
    if not questions:  # a photo answer stands: another is sent with a note
        return
    box = unfolded("Change an answer", f"open-answers-{ref}", icon=":material/edit:") if boxed else st.container()
    if box is None:
        return
    with box, st.form(form := armed(f"answers-{ref}")):
        if not boxed:
            st.markdown("**Change an answer**")
        given = [(f, field_input(f, label=label_of(f, optional=False), key=f"{form}:{f['key']}",
                                 answer=view["fields"].get(f["key"]))) for f in questions]
        why = st.text_input("Why (optional)", key=f"{form}:note")
        if st.form_submit_button("Save the answers"):
            changed = {f["key"]: "" if v is None else v for f, v in given
                       if v != as_given(f, view["fields"].get(f["key"]))}

            def said(done: dict[str, Any]) -> str:
                moved = done["priority"] != view["priority"]
                return f"{ref}: answers changed" + (f"; now {done['priority']} priority, resolve by "
                                                    f"{when(done['promise']['resolve_by'], done['timezone'])}"
                                                    if moved else "")

            act(said, service.change_answers, form=form, ref=ref, answers=changed, note=why)


def note_form(view: dict[str, Any]) -> None:
    """Add a note: from the requester always visible, from the team optionally internal."""
    ref = view["ref"]
    if view["status"] == "closed":
        return
    with st.form(form := armed(f"note-{ref}")):
        text = st.text_input("Add a note" + (" for the owner" if view["viewer"]["requester"] else ""),
                             key=f"{form}:text")
        internal = (st.checkbox("Internal: the team only", key=f"{form}:internal")
                    if view["viewer"]["staff"] else False)
        files = attach_inputs(form)
        if st.form_submit_button("Add note"):
            act(f"{ref}: note added", service.add_note, form=form, ref=ref, note=text, internal=internal,
                files=files)


def requester_actions(view: dict[str, Any]) -> None:
    """What the requester can do on their own request: answer what the team is
    waiting for, confirm the fix and rate it, or reopen it (the card adds the note)."""
    ref, status, allowed = view["ref"], view["status"], view["allowed"]
    if status == "waiting" and "resume" in allowed:
        with st.form(form := armed(f"answer-{ref}")):
            answer = st.text_area("Your answer", key=f"{form}:text")
            files = attach_inputs(form)
            if st.form_submit_button("Send and hand it back"):
                act(f"{ref}: sent to {view['owner']['name']}", service.resume, form=form, ref=ref, note=answer,
                    files=files)
    if "confirm" in allowed:
        with st.form(form := armed(f"confirm-{ref}")):
            if view["rated_on"]:  # one rating per resolution: given through the mail's rating link
                st.markdown("**Is it fixed?** Thank you for rating it already.")
                rated: dict[str, Any] = {}
            else:
                st.markdown("**Is it fixed?** Tell us how we did.")
                rated = rating_inputs(form)
            if st.form_submit_button("Confirm it is fixed"):
                act(f"{ref}: closed, thank you", service.confirm, form=form, ref=ref, **rated)
    if "reopen" in allowed:
        until = f" (until {when(view['reopen_until'], view['timezone'])})" if view["reopen_until"] else ""
        with st.form(form := armed(f"reopen-{ref}")):
            why = st.text_input(f"Not fixed after all? Say what is still wrong{until}", key=f"{form}:text")
            if st.form_submit_button("Reopen it"):
                act(f"{ref}: reopened", service.reopen, form=form, ref=ref, note=why)


@dataclass(frozen=True)
class OwnerForm:
    """One action's form on the owner's card: its tab, the note's label, the
    button, the confirmation (``{ref}`` and the words ``inputs`` return), the
    service function, and any inputs drawn before the note (given the view
    and the :func:`armed` form their keys start with, returning the
    function's extra arguments and words for the confirmation)."""

    tab: str
    prompt: str
    button: str
    done: str
    call: Callable[..., Any]
    inputs: Callable[[dict[str, Any], str], tuple[dict[str, Any], dict[str, str]]] | None = None


def _photos(view: dict[str, Any], form: str) -> tuple[dict[str, Any], dict[str, str]]:
    return {"files": attach_inputs(form)}, {}


def _agreed_date(view: dict[str, Any], form: str) -> tuple[dict[str, Any], dict[str, str]]:
    agreed = None
    if view["promise"]["needs_agreement"]:
        st.caption(literal(f"Needed by {view['needed_by']}, sooner than the standard: agree a date."))
        agreed = st.date_input("Agreed date", value=None, key=f"{form}:agreed")
    return {"agreed_by": agreed}, {}


def _next_stage(view: dict[str, Any], form: str) -> tuple[dict[str, Any], dict[str, str]]:
    ahead = [s for s in view["progress"]["stages"] if not s["reached"]]
    stage = st.selectbox("Move to", ahead, format_func=lambda s: s["label"], key=f"{form}:to")
    return {"to": stage["key"]}, {"stage": stage["label"]}


def _colleague(view: dict[str, Any], form: str) -> tuple[dict[str, Any], dict[str, str]]:
    others = [m for m in view["team_members"] if m["email"] != view["owner"]["email"]]
    to = st.selectbox("Hand to", others, key=f"{form}:to",
                      format_func=lambda m: f"{m['name']} ({m['open']} open)" + (" — away" if m["away"] else ""))
    return {"to": to["email"]}, {"name": to["name"]}


# The owner's actions (ownit.domain.ACTIONS but the requester's confirm and reopen): one row each, in tab order.
OWNER_FORMS = {
    "contact": OwnerForm("First contact", "What you told the requester", "Record first contact",
                         "{ref}: first contact recorded", service.contact, _agreed_date),
    "checkin": OwnerForm("Check in", "Check-in note (the requester sees it)", "Check in", "{ref}: checked in",
                         service.check_in, _photos),
    "advance": OwnerForm("Next stage", "Note (the requester sees it)", "Move it on", "{ref}: now at {stage}",
                         service.advance, _next_stage),
    "wait": OwnerForm("Wait on requester", "What do you need from the requester?", "Wait on the requester",
                      "{ref}: waiting on the requester", service.wait_on_requester),
    "resume": OwnerForm("Resume", "Why it can go on", "Resume", "{ref}: back in progress", service.resume),
    "resolve": OwnerForm("Resolve", "What was done", "Resolve", "{ref}: resolved; the requester is asked to confirm",
                         service.resolve),
    "handoff": OwnerForm("Hand off", "Handoff note (what they need to know)", "Hand off", "{ref}: handed to {name}",
                         service.hand_off, _colleague),
}


def owner_actions(view: dict[str, Any]) -> bool:
    """What the owner (or the team's lead) can do from the browser (:data:`OWNER_FORMS`),
    each only when the lifecycle allows it, and a note in the last tab.
    Returns whether it offered the note (not when nothing is offered)."""
    ref, allowed = view["ref"], view["allowed"]
    others = [m for m in view.get("team_members", []) if m["email"] != view["owner"]["email"]]
    offered = [a for a in OWNER_FORMS if a in allowed and (a != "handoff" or others)]
    if not offered:
        return False
    # only the open tab's form is drawn (a click on another reruns the card with it): drawn all at once, the
    # forms were most of a card, and a card most of the Team queue's time to settle (docs/benchmarks.md)
    tabs = st.tabs([OWNER_FORMS[a].tab for a in offered] + ["Note"], key=f"owner-tabs-{ref}", on_change="rerun")
    for tab, action in zip(tabs, offered, strict=False):
        if not tab.open:
            continue
        form = OWNER_FORMS[action]
        with tab, st.form(armed_as := armed(f"{action}-{ref}")):
            extra, words = form.inputs(view, armed_as) if form.inputs else ({}, {})
            note = st.text_area(form.prompt, key=f"{armed_as}:note")
            if st.form_submit_button(form.button):
                act(form.done.format(ref=ref, **words), form.call, form=armed_as, ref=ref, note=note, **extra)
    if tabs[-1].open:
        with tabs[-1]:
            note_form(view)
    return True


SCOPES = ("this store's region", "all stores", "chosen stores")


def declare_form(view: dict[str, Any]) -> None:
    """Declare an incident from this request, for its owner or lead: one
    problem affecting many stores, this request part of it from the start."""
    ref, region = view["ref"], view["site"]["region"]
    box = unfolded("Declare an incident: the same problem at many stores", f"open-declare-{ref}")
    if box is None:  # folded: the sites are read only for an open form
        return
    names = {s["code"]: f"{s['name']} ({s['code']})" for s in service.sites(desk())}
    sites = list(names)
    with box, st.form(form := armed(f"declare-{ref}")):
        title = st.text_input("Incident title", value=view["title"], key=f"{form}:title")
        scope = st.radio("Stores affected", SCOPES, horizontal=True, key=f"{form}:scope",
                         format_func=lambda s: f"the {region} region" if s == SCOPES[0] else s)
        chosen = st.multiselect("The chosen stores", sites, default=[view["site"]["code"]], key=f"{form}:sites",
                                format_func=names.get,
                                help="Only when the stores affected are the chosen stores")
        if st.form_submit_button("Declare the incident"):
            where = {SCOPES[0]: f"region:{region}", SCOPES[1]: "all"}.get(scope, "sites:" + ",".join(chosen))
            if scope == SCOPES[2] and not chosen:
                st.error("Choose the stores it affects.")
            else:
                act(lambda done: f"{done['ref']} declared: {done['title']}; {ref} is part of it",
                    service.declare_incident, form=form, from_ref=ref, scope=where, title=title)


def task_form(view: dict[str, Any]) -> None:
    """Ask another department's team for a task on this request, for its owner
    or lead: what, and the date it is needed by; one of that team owns it, due
    by the team's charter."""
    ref = view["ref"]
    box = unfolded("Ask another team for a task", f"open-task-{ref}")
    if box is None:  # folded: the teams are read only for an open form
        return
    teams = [t for t in service.teams(desk()) if t["department"] != view["department"]]
    with box, st.form(form := armed(f"task-{ref}")):
        team = st.selectbox("Team", teams, index=None, key=f"{form}:team", placeholder="Another department's team",
                            format_func=lambda t: f"{t['name']} ({t['department']})")
        what = st.text_input("What they are asked to do", key=f"{form}:what",
                             placeholder="Isolate the tills before the roofer starts")
        needed_by = st.date_input("Needed by", value=None, key=f"{form}:by")
        if st.form_submit_button("Ask the team"):
            if team is None:
                st.error("Choose the team to ask.")
            else:
                act(lambda done: f"{ref}: asked earlier, nothing changed" if done["repeated"] else
                    f"{ref}: task {done['task']['id']}: {done['task']['line']}", service.ask_task,
                    form=form, ref=ref, team=team["key"], what=what, needed_by=needed_by)


def contractor_form(view: dict[str, Any]) -> None:
    """Book an outside contractor (the roofer, the locksmith) for the request,
    or say one is no longer on it: for its owner or lead, who still owns it."""
    ref = view["ref"]
    box = unfolded("Book a contractor", f"open-contractor-{ref}")
    if box is None:
        return
    with box, st.form(form := armed(f"contractor-{ref}")):
        company = st.text_input("Company", key=f"{form}:company", placeholder="AquaFix Ltd")
        name = st.text_input("Who is coming (optional)", key=f"{form}:name")
        phone = st.text_input("Their phone (optional)", key=f"{form}:phone")
        day, at = st.columns(2)
        booked_day = day.date_input("Booked for (optional)", value=None, key=f"{form}:day")
        booked_at = at.time_input("At", value=None, key=f"{form}:time")
        done = st.checkbox("No longer working on it", key=f"{form}:done")
        if st.form_submit_button("Save the contractor"):
            booked = datetime.combine(booked_day, booked_at) if booked_day and booked_at else None
            act(f"{ref}: {company.strip()} no longer on it" if done else f"{ref}: working with {company.strip()}",
                service.work_with, form=form, ref=ref, company=company, name=name, phone=phone, booked_for=booked,
                done=done)
