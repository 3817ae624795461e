"""What every page shares: the desk, who is looking, and how a request looks.

Pages call ``ownit.service`` and render; no business rule lives here. Every
action goes through the service, which checks who may do it; the UI only
decides which buttons to offer, from what the service says the viewer may do.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable
from urllib.parse import quote
from zoneinfo import ZoneInfo

import streamlit as st

from attachments import attach_inputs, show_attachments
from fields import as_given, field_input, label_of
from ownit import OwnitError, service
from ownit.desk import Desk
from ownit.mystery import MEASURED, QUESTIONS as MYSTERY_QUESTIONS
from ownit.signin import DEMO, SignIn, configured, identity
from ownit.views import answer_line

# Every ASCII punctuation character may be backslash-escaped in Markdown; with
# all of them escaped, user text can neither format (** _ #), link ([]()),
# colour (:red[]), typeset ($) nor smuggle HTML (<script>): it shows as typed.
_MARKDOWN = re.compile(r"([!-/:-@\[-`{-~])")


def literal(text: Any) -> str:
    """``text`` exactly as typed, safe to put inside Markdown."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def sign_in() -> SignIn:
    """How this server knows who is looking (:mod:`ownit.signin`): demo mode or
    the sign-in proxy's header; both, or neither, is a ConfigError."""
    return configured(os.environ)


@st.cache_resource
def _desk_for(url: str) -> Desk:
    return Desk.open(url)


def desk() -> Desk:
    """One desk per database URL for the server process, on the real clock or,
    for simulations and tests, the instant in ``OWNIT_NOW`` (``ownit --now ISO ui``)."""
    from dataclasses import replace

    from ownit.clock import FixedClock, parse_instant
    from ownit.db import default_database_url

    shared = _desk_for(os.environ.get("OWNIT_DATABASE_URL") or default_database_url())
    now = os.environ.get("OWNIT_NOW")
    return replace(shared, clock=FixedClock(parse_instant(now)), warnings=[]) if now else shared


def header_values(name: str) -> list[str]:
    """Every value this request sent under the header ``name`` (the one place
    the UI reads headers; tests substitute it, AppTest sends none)."""
    return st.context.headers.get_all(name)


def current_user() -> str | None:
    """Who is using the page: the demo picker's choice in demo mode, else the
    sign-in proxy's header (:func:`ownit.signin.identity`, which refuses a
    request that did not come through the proxy or an ambiguous header)."""
    mode = sign_in()
    if mode.mode == DEMO:
        return st.session_state.get("user")
    return identity(mode, header_values)


def on_phone() -> bool:
    """Whether the page is open on a phone (its browser says "Mobi" in its
    User-Agent, as every phone browser does): the requester's pages then
    draw compact cards; a desktop keeps the richer layout."""
    return any("Mobi" in agent for agent in header_values("User-Agent"))


def when(iso: str | None, zone: str) -> str:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M") if iso else "—"


def flash() -> None:
    """The confirmation of the action just taken, once."""
    if "flash" in st.session_state:
        st.success(literal(st.session_state.pop("flash")))


QUESTION_KEYS = {key for key, _ in MYSTERY_QUESTIONS}  # a mystery request's score: asked yes or no
MEASURED_KEYS = {key for key, _ in MEASURED}  # measured on its timeline
RECORD_FRESH = 300  # seconds a team's record is shown before it is read again
STATE_BADGE = {"on track": ":green-badge[on track]", "due soon": ":orange-badge[due soon]",
               "overdue": ":red-badge[overdue]", "paused": ":blue-badge[waiting on the requester]",
               "met": ":green-badge[kept]", "missed": ":orange-badge[late]"}


# Streamlit's own icon font (served by the server), not characters some default fonts lack (✓ showed as √)
STEP_MARK = {"current": ":material/radio_button_checked:", "reached": ":material/check_circle:",
             "ahead": ":material/radio_button_unchecked:"}


def stepper(view: dict[str, Any]) -> None:
    """The request's progress as one line of steps, each marked reached,
    current (in bold) or ahead, with what is expected of a step ahead and the
    requester's part beside it. One element: a row of columns, a mark and a
    caption in each, took a browser as long to draw as a whole form."""
    steps = []
    for stage in view["promise"]["stages"]:
        mark = STEP_MARK["current" if stage["current"] else "reached" if stage["reached"] else "ahead"]
        label = f"**{literal(stage['label'])}**" if stage["current"] else literal(stage["label"])
        said = ([f"expected {when(stage['expected'], view['timezone'])}"] if not stage["reached"]
                and stage["expected"] else []) + ([f"your part: {literal(stage['requester_action'])}"]
                                                  if stage["requester_action"] else [])
        steps.append(f"{mark} {label}" + (f" :gray[({'; '.join(said)})]" if said else ""))
    st.markdown(" → ".join(steps))


def contact(person: dict[str, Any]) -> str:
    """How to reach someone: their email and, when known, phone, each a link
    a tap dials or writes with."""
    links = reach_links(person)
    return f":material/mail: {links['mail']}" + (f"  \n:material/call: {links['call']}" if "call" in links else "")


def reach_links(person: dict[str, Any]) -> dict[str, str]:
    """Markdown links to write to (``mail``) and, when the phone is known, call (``call``) ``person``."""
    links = {"mail": f"[{literal(person['email'])}](mailto:{quote(person['email'], safe='@')})"}
    if person.get("phone"):
        links["call"] = f"[{literal(person['phone'])}](tel:{re.sub(r'[^0-9+]', '', person['phone'])})"
    return links


def latest_word(view: dict[str, Any]) -> dict[str, Any] | None:
    """The newest thing someone said on the request but the requester's own
    words: a check-in, a stage moved on, a note, an update of the incident it
    is part of (the team's word whoever relayed it; the raise and OwnIt's own lines aside)."""
    requester = view["requester"]["email"]
    return next((e for e in reversed(view["timeline"]) if e["note"] and (
        e["kind"] == "incident_update" or e["actor"] and e["actor"] != requester and e["kind"] != "raised")), None)


def answers(view: dict[str, Any]) -> None:
    """The department's questions as the requester answered them, safety risks in red."""
    lines = [f":red[:material/warning: **{literal(answer_line(a['label'], a['value']))}**]" if a["safety"]
             else literal(answer_line(a["label"], a["value"])) for a in view.get("answers", [])]
    if lines:
        st.markdown("  \n".join(lines))
    for item in view.get("attachments") or []:  # a photo that answers a question, with it
        if item.get("field") and item["thumbnail"]:
            label = next((a["label"] for a in view["answers"] if a["key"] == item["field"]), item["field"])
            try:
                st.image(service.get_file(desk(), item["id"], actor=current_user(), thumbnail=True)[1],
                         caption=literal(label), width=240)
            except OwnitError as error:
                fail_inline(error)


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


def unfolded(label: str, key: str, *, icon: str | None = None) -> Any:
    """An expander, folded, whose content is drawn once it is opened (a click
    reruns the page with it open): returns it when open, else ``None``. What
    a card keeps folded (its timeline and its forms) was most of its weight
    in the browser, drawn for every card whether opened or not."""
    box = st.expander(label, key=key, icon=icon, on_change="rerun")
    return box if box.open else None


def request_card(view: dict[str, Any]) -> None:
    """Owner, promise, progress, the department's answers, the latest word and
    the timeline of one request, with the actions the viewer may take on it:
    the requester's, or the owner's and lead's, and one note form. On a phone
    the card is compact: one progress line that opens into the steps."""
    promise, owner, zone, viewer = view["promise"], view["owner"], view["timezone"], view["viewer"]
    phone = on_phone()
    with st.container(border=True):
        st.markdown(f"{'#####' if phone else '####'} {literal(view['ref'])} · {literal(view['title'])}")
        raised = (f"{view['raised_by']['name']} for " if view["raised_by"] else "") + view["requester"]["name"]
        st.caption(literal(f"{view['priority']} · {view['status']} · {view['site']['code']}" if phone else
                           f"{view['request_type_label']} · {view['priority']} · {view['status']} · "
                           f"{view['site']['code']} {view['site']['name']} · raised by {raised}"
                           + (" for the site" if view["for_site"] else "")))
        if not viewer["requester"] and not viewer["staff"] and viewer["watching"]:
            st.caption(literal(f"You follow this request of {view['requester']['name']}'s: you hear what they hear."))
        if view["affects"] > 1:
            st.caption(f"Affects {view['affects']} people")
        corner = "is fighting your corner" if viewer["requester"] else "owns it"
        who = "" if phone else f" ({literal(owner['title'])}, {literal(view['team']['name'])})"  # the promise says it
        st.markdown(f"**{literal(owner['name'])}**{who} {corner} — " + " · ".join(reach_links(owner).values()))
        if view.get("part_of"):  # every linked requester hears who owns the whole problem and when the next word is due
            st.info(literal(incident_line(view["part_of"])), icon=":material/campaign:")
        if view.get("mystery"):  # closed and scored: revealed to its owner, the lead, an admin and its requester
            mystery_box(view["mystery"])
        promised = "" if viewer["requester"] else f"**Promised to {literal(view['requester']['name'])}:** "
        st.info(promised + literal(promise["summary"]))
        charter = view.get("charter")
        if charter and not phone:  # what it was promised under, how the team keeps it, what it needs from the store
            needs = f" {charter['team_name']} needs from the store: {'; '.join(charter['needs'])}." \
                if charter["needs"] else ""
            st.caption(literal(f"Promised under {charter['line']}.{record_line(charter['team'])}{needs}"))
        tasks_line(view)
        for party in view.get("working_with", []):  # an outside contractor doing the work; the owner still owns it
            st.markdown(f":material/engineering: {literal(party['line'])}")
        if promise["waiting"]:
            who = "you" if viewer["requester"] else view["requester"]["name"]
            st.warning(literal(f"Waiting on {who}: {promise['waiting']['for']}"))
        latest = latest_word(view)
        if latest:  # in plain sight: a manager should not open every card to hear from their owner
            st.markdown(f":material/chat: **Latest:** {literal(latest['label'])} by {literal(latest['actor_name'])}, "
                        f"{when(latest['at'], zone)} — {literal(latest['note'])}")
        if not phone:
            badges = [f"first contact {STATE_BADGE.get(promise['states']['first_contact'], '')}",
                      f"resolve {STATE_BADGE.get(promise['states']['resolve'], '')}"]
            if promise["states"]["checkin"]:
                badges.insert(1, f"check-in {STATE_BADGE.get(promise['states']['checkin'], '')}")
            st.markdown(" · ".join(badges))
            st.caption(f"These times count {literal(promise['clock'])}.")
        answers(view)
        if phone:
            progress = view["progress"]
            if progress["total"]:
                st.progress(progress["done"] / progress["total"],
                            text=literal(f"Step {progress['done']} of {progress['total']}: {view['stage_label']}"))
            with st.expander("All steps"):
                stepper(view)
        else:
            stepper(view)
        answering = (viewer["requester"] or viewer["works_it"]) and view["status"] != "closed"
        if answering and not (phone and viewer["requester"] and not viewer["works_it"]):
            answers_form(view)  # a requester's phone has it with the note, one tap away
        if view["detail"]:
            st.markdown(f"> {literal(view['detail'])}")
        show_attachments(view)
        timeline = unfolded(f"Timeline ({len(view['timeline'])})", f"open-timeline-{view['ref']}")
        if timeline:
            with timeline:
                timeline_entries(view)
        watchers(view)
        if view.get("incident"):
            incident_panel(view)
        elif (viewer["works_it"] and view["status"] in ("open", "waiting") and not view.get("part_of")
              and not view["private"]):
            declare_form(view)
        if viewer["works_it"] and view["status"] in ("open", "waiting"):
            task_form(view)
            contractor_form(view)
        if viewer["requester"]:
            requester_actions(view)
        noted = owner_actions(view) if viewer["works_it"] else False
        if not noted and (viewer["requester"] or viewer["staff"]) and view["status"] != "closed":
            # once per card, whoever the viewer is: the requester, the team, or both; on a phone one tap away,
            # with "Change an answer" for its requester (a card on a phone fits one screen)
            tucked = phone and viewer["requester"] and not viewer["works_it"] and answering
            with st.popover("Add a note or change an answer" if tucked else "Add a note",
                            icon=":material/edit_note:") if phone else st.container():
                note_form(view)
                if tucked:
                    answers_form(view, boxed=False)


def timeline_entries(view: dict[str, Any]) -> None:
    """The request's timeline, the latest first; internal notes marked (only staff are shown them)."""
    for entry in reversed(view["timeline"]):
        tag = " :gray-badge[internal]" if entry["internal"] else ""
        st.markdown(f"`{when(entry['at'], view['timezone'])}` **{literal(entry['label'])}** "
                    f"{literal(entry['actor_name'])}" + (f" — {literal(entry['note'])}" if entry["note"] else "") + tag)


def linked_request() -> str | None:
    """The request a link named (``?ref=FAC-1001``, as every mail and chat
    message links it), first on the page with a way back to the rest; one
    inline line when it cannot be shown to this viewer. Returns the ref shown,
    which the page leaves out of its list."""
    ref = st.query_params.get("ref")
    if not ref:
        return None
    shown = None
    try:
        view = service.show(desk(), ref, actor=current_user())
    except OwnitError as error:
        fail_inline(error)
    else:
        st.caption("Opened from your link")
        request_card(view)
        shown = view["ref"]
    if st.button("Show all", key="linked-done"):
        del st.query_params["ref"]
        st.rerun()
    st.divider()
    return shown


def watchers(view: dict[str, Any]) -> None:
    """Who follows the request; adding a colleague or taking one off for
    those who may (the requester, the owner, the lead), stopping for a watcher."""
    ref, viewer, listed = view["ref"], view["viewer"], view["watchers"]
    if listed:
        st.markdown("**Watching:** " + ", ".join(literal(w["name"]) for w in listed))
    if viewer["watching"] and not viewer["manages_watchers"]:
        if st.button("Stop watching", key=f"unwatch-{ref}"):
            act(f"{ref}: you no longer watch it", service.watch, ref=ref, remove=viewer["email"])
    if not viewer["manages_watchers"]:
        return
    box = unfolded(f"Watchers ({len(listed)})", f"open-watchers-{ref}")
    if box is None:
        return
    with box:
        st.caption("A watcher hears what the requester hears and sees the request as they do, never internal notes.")
        for w in listed:
            if st.button(f"Remove {w['name']}", key=f"unwatch-{w['email']}-{ref}"):
                act(f"{ref}: {w['name']} no longer watches it", service.watch, ref=ref, remove=w["email"])
        if view["status"] == "closed":
            return
        taken = {view["requester"]["email"], *(w["email"] for w in listed)}
        people = [p for p in service.people(desk()) if p["email"] not in taken]
        with st.form(f"watch-{ref}"):
            chosen = st.selectbox("Add a colleague as a watcher", people, index=None, key=f"watch-who-{ref}",
                                  format_func=lambda p: f"{p['name']} ({p['email']})",
                                  placeholder="Choose a colleague")
            if st.form_submit_button("Add watcher"):
                if chosen is None:
                    st.error("Choose a colleague to add.")
                else:
                    act(f"{ref}: {chosen['name']} watches it now", service.watch, ref=ref, add=chosen["email"])


def fail_inline(error: OwnitError) -> None:
    st.error(literal(error))


def record_line(team: str) -> str:
    """The team's record, like " Kept 94% of first contacts in the last 28 days."
    (``service.team_record``: the team's, never one owner's), read once every
    few minutes in a session; empty with nothing to count."""
    cached = st.session_state.get(f"record-{team}")
    if cached is None or time.monotonic() - cached[0] > RECORD_FRESH:
        cached = st.session_state[f"record-{team}"] = (time.monotonic(), service.team_record(desk(), team))
    record = cached[1]
    if record["first_contact_kept"] is None:
        return ""
    return f" Kept {record['first_contact_kept']:.0%} of first contacts in the last {record['days']} days."


def me_too_line(row: dict[str, Any], button: str, on_behalf_of: dict[str, Any] | None = None,
                where: bool = False) -> None:
    """A colleague's open request at the site (a line of ``service.site_requests``
    or ``service.similar_open``, saying which site when ``where``) with
    ``button`` to say it affects the user too (or ``on_behalf_of``, the
    caller an agent is raising for)."""
    affects = f" · affects {row['affects']} people" if row["affects"] > 1 else ""
    site = f" at {literal(row['site']['name'])}" if where else ""
    text, press = st.columns([5, 1], vertical_alignment="center")
    text.markdown(f"**{literal(row['ref'])}** {literal(row['title'])}{site} — {literal(row['owner']['name'])} "
                  f"owns it · {literal(row['stage_label'])} ({row['progress']['done']}/{row['progress']['total']}) · "
                  f"next due {when(row['next_due'], row['timezone'])}{affects}")
    if press.button(button, key=f"metoo-{row['ref']}"):
        if on_behalf_of:
            act(f"{row['ref']}: {on_behalf_of['name']} is on it too and will hear what its requester hears",
                service.me_too, ref=row["ref"], on_behalf_of=on_behalf_of["email"])
        else:
            act(f"{row['ref']}: you are on it too; you will hear what its requester hears", service.me_too,
                ref=row["ref"])


def armed(name: str) -> str:
    """The key of the form ``name`` as it stands: ``name`` and a token of its
    own, which is also the idempotency key its action sends (a second click,
    a rerun, a form sent again after a dropped connection act once, see
    ``ownit.service.repeats``). Its inputs' keys start with it. After the
    action succeeds, :func:`act` arms the form afresh: a new form with new,
    empty inputs, so what was sent cannot be sent again by another click."""
    return f"{name}~{st.session_state.setdefault(f'armed-{name}', secrets.token_hex(8))}"


def submission_key(form: str) -> str:
    """The idempotency key of an :func:`armed` form."""
    return form.rpartition("~")[2]


def act(label: str | Callable[[Any], str], action: Callable[..., Any], *, form: str | None = None,
        **kwargs: Any) -> None:
    """Do ``action`` as the current user, from the :func:`armed` ``form``
    (its token is the action's idempotency key); show the error inline, or
    rerun with ``label`` as the confirmation (or what ``label`` makes of the
    action's answer, when only the answer can say it) and the form armed afresh."""
    try:
        done = action(desk(), actor=current_user(), **kwargs, **({"key": submission_key(form)} if form else {}))
    except OwnitError as error:
        fail_inline(error)  # what was typed stays in the form, to fix and send again
    else:
        st.session_state["flash"] = label(done) if callable(label) else label
        if form:  # armed afresh: the old form's inputs go with it
            st.session_state.pop(f"armed-{form.rpartition('~')[0]}", None)
            for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(f"{form}:")]:
                del st.session_state[key]
        for key in [k for k in st.session_state if isinstance(k, str) and k.endswith(f"-{kwargs.get('ref')}")]:
            del st.session_state[key]  # done: the request's forms start empty again
        st.rerun()


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


def rating_inputs(key: str) -> dict[str, Any]:
    """The rating's questions (inside a form), as the service's arguments:
    ``nps``, ``effort`` and ``comment``; the same in the app and on the rating page."""
    nps = st.slider("How likely are you to recommend this team to a colleague? (0–10)", 0, 10, 8, key=f"nps-{key}")
    effort = st.slider("How easy was it for you? (1 very easy – 7 very hard)", 1, 7, 2, key=f"effort-{key}")
    comment = st.text_input("Anything to tell the team? (optional)", key=f"comment-{key}")
    return {"nps": nps, "effort": effort, "comment": comment}


def rating_given(key: str) -> dict[str, Any]:
    """What :func:`rating_inputs` holds, from a form's ``on_click`` callback."""
    return {name: st.session_state.get(f"{name}-{key}") for name in ("nps", "effort", "comment")}


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


def incident_line(summary: dict[str, Any]) -> str:
    """An incident's summary (``part_of``) as one sentence: "Part of incident
    INC-1001: Tills down (the north region); Raj Patel owns it; next update by …"."""
    return summary["line"][:1].upper() + summary["line"][1:]


def incident_panel(view: dict[str, Any]) -> None:
    """An incident's own part of its card: the stores it affects and, for the
    team, the requests linked to it; for its owner and lead, linking more and
    unlinking one (saying why)."""
    ref, incident, viewer = view["ref"], view["incident"], view["viewer"]
    count = f"{incident['requests']} request{'s' * (incident['requests'] != 1)} at " \
            f"{incident['stores']} store{'s' * (incident['stores'] != 1)}"
    scope = (incident["scope"] or {}).get("words", "some stores")
    st.markdown(f":material/campaign: **Incident affecting {literal(scope)}** · "
                f"{literal(count)} part of it")
    working = viewer["works_it"] and view["status"] in ("open", "waiting")
    for line in incident.get("linked", []):
        text, press = st.columns([5, 1], vertical_alignment="center")
        text.markdown(f"**{literal(line['ref'])}** {literal(line['title'])} — {literal(line['site'])}, "
                      f"{literal(line['requester'])} · {literal(line['status'])} · {literal(line['owner'])} owns it")
        if not working:
            continue
        with press.popover("Unlink", key=f"unlink-open-{ref}-{line['ref']}"), \
                st.form(form := armed(f"unlink-{ref}-{line['ref']}")):
            why = st.text_input(f"Why is {line['ref']} not part of it?", key=f"{form}:note")
            if st.form_submit_button("Unlink"):
                act(f"{line['ref']}: no longer part of {ref}; its own promise runs again", service.unlink_incident,
                    form=form, incident_ref=ref, ref=line["ref"], note=why)
    if not working:
        return
    try:
        candidates = service.linkable_requests(desk(), ref, actor=current_user())
    except OwnitError as error:
        fail_inline(error)
        return
    with st.form(form := armed(f"link-{ref}")):
        chosen = st.multiselect("Link requests to this incident", candidates, key=f"{form}:refs",
                                format_func=lambda r: f"{r['ref']} · {r['title']} — {r['site']}, {r['requester']}",
                                placeholder="Requests in its scope, still being worked" if candidates
                                else "None in its scope to link")
        note = st.text_input("Note (optional; their owners see it)", key=f"{form}:note")
        if st.form_submit_button("Link requests"):
            act(lambda done: f"{ref}: linked {', '.join(done['linked_now']) or 'nothing new'}",
                service.link_incident, form=form, incident_ref=ref, refs=[r["ref"] for r in chosen], note=note)


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


def tasks_line(view: dict[str, Any]) -> None:
    """The parts of the request other departments' teams were asked to do:
    to the requester "IT Service Desk is doing part of it: isolate the tills,
    by Thu 26 Nov 10:00", to the team who owns each task too."""
    staff = view["viewer"]["staff"]
    for task in view.get("tasks", []):
        said = literal(task["line"] if staff else task["for_requester"])
        st.markdown(f":material/handshake: {f':red[{said}]' if task['late'] else said}")


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


def task_done_form(task: dict[str, Any]) -> None:
    """Mark a task of the team's done, with a note: for its owner and the team's lead."""
    with st.popover("Done", key=f"task-done-open-{task['id']}"), st.form(form := armed(f"task-done-{task['id']}")):
        note = st.text_input("What was done (the request's owner reads it)", key=f"{form}:note")
        if st.form_submit_button("Mark it done"):
            act(f"task {task['id']} done; {task['request']['owner']} is told", service.task_done, form=form,
                task_id=task["id"], note=note)


def join_banner(incident: dict[str, Any], on_behalf_of: dict[str, Any] | None = None) -> None:
    """A known issue at the user's store (a line of ``service.incidents_here``):
    who owns it and when they next say something, and one tap to be part of
    it (a request of one's own, linked); or, when one is, which request it is.
    ``on_behalf_of``: the caller an agent is raising for, whose store it is."""
    next_update = f"; next update by {when(incident['next_update'], incident['zone'])}" \
        if incident["next_update"] else ""
    st.markdown(f":material/campaign: **Known issue: {literal(incident['title'])}** "
                f"({literal(incident['scope']['words'])}) — {literal(incident['owner']['name'])} owns it"
                f"{literal(next_update)} · {literal(incident['stage'])} · {literal(incident['ref'])}")
    name = on_behalf_of["name"] if on_behalf_of else ""
    part, whose, button, was = (f"{name} is", f"{name}'s", f"{name}'s store too — add them", f"{name} was") \
        if on_behalf_of else ("You are", "your", "my store too — add me", "you were")
    if incident["yours"]:
        st.caption(literal(f"{part} part of it: {whose} request {', '.join(incident['yours'])} hears every update."))
        return
    key = armed(f"join-{incident['ref']}")
    if st.button(f"This affects {button}", key=key):
        act(lambda done: (f"{done['ref']}: {whose} store is part of {incident['ref']}; "
                          f"{done['owner']['name']} owns it" if done["changed"] else
                          f"{done['ref']}: {was} part of {incident['ref']} already"),
            service.join_incident, form=key, incident_ref=incident["ref"],
            on_behalf_of=on_behalf_of["email"] if on_behalf_of else None)


def part_shown(key: str, value: float | None) -> str:
    """One part of a mystery request's score in people's words: a question's
    yes or no, the NPS and effort as given, a measured part met or not (or
    its share), and what had nothing to measure."""
    if value is None:
        return ":gray[nothing to measure]"
    if key in QUESTION_KEYS:
        return ":green[yes]" if value else ":orange[no]"
    if key == "nps":
        return f"{round(10 * value)}"
    if key == "effort":
        return f"{round(7 - 6 * value)}"
    return ":green[met]" if value == 1 else ":orange[missed]" if value == 0 else f"{value:.0%}"


def mystery_box(scored: dict[str, Any]) -> None:
    """A scored mystery request (``service`` scored view): that it was one, its
    score, each part, and the lead's note. Said for coaching: what the store met,
    part by part, not a verdict on one person."""
    with st.container(border=True):
        st.markdown(f":material/theater_comedy: **This was a mystery request** — it scored "
                    f"**{scored['score']:g}** out of 100")
        st.caption("A store manager raised it to test the service, and it was worked like any other. "
                   "It is for coaching: what went well, and the one thing to do differently next time.")
        halves = [st.container()] if on_phone() else st.columns(2)  # side by side on a desktop
        for n, (heading, measured) in enumerate((("What its timeline shows", True),
                                                 ("What the store manager said", False))):
            lines = [f"{literal(p['label'])}{'' if p['label'].endswith('?') else ':'} "
                     f"{part_shown(p['key'], p['value'])}" for p in scored["parts"]
                     if (p["key"] in MEASURED_KEYS) == measured]
            if lines:
                halves[n % len(halves)].markdown(f"**{heading}:**  \n" + "  \n".join(lines))
        if scored["note"]:
            st.info(f"**{literal(scored['noted_by'] or 'The lead')}'s note:** {literal(scored['note'])}",
                    icon=":material/sports:")


__all__ = ["desk", "current_user", "on_phone", "request_card", "fail_inline", "service", "literal", "flash",
           "contact", "when", "sign_in", "watchers", "rating_inputs", "rating_given", "incident_line", "join_banner",
           "task_done_form", "mystery_box"]
