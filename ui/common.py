"""What every page shares: the desk, who is looking, how text and times are
shown, and how an action is sent (:func:`act`). A request's card is in
:mod:`card`, its forms in :mod:`card_forms`.

Pages call ``ownit.service`` and render; no business rule lives here. Every
action goes through the service, which checks who may do it; the UI only
decides which buttons to offer, from what the service says the viewer may do.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from datetime import datetime
from typing import Any, Callable
from urllib.parse import quote
from zoneinfo import ZoneInfo

import streamlit as st

from ownit import OwnitError, service
from ownit.desk import Desk
from ownit.mystery import MEASURED, QUESTIONS as MYSTERY_QUESTIONS
from ownit.signin import DEMO, SignIn, configured, identity

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
    return Desk.open(url, brief=True)


def desk() -> Desk:
    """One desk per database URL for the server process, on the real clock or,
    for simulations and tests, the instant in ``OWNIT_NOW`` (``ownit --now ISO ui``).
    Brief: an action answers with the request's line, as the page is drawn afresh after it."""
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


def unfolded(label: str, key: str, *, icon: str | None = None) -> Any:
    """An expander, folded, whose content is drawn once it is opened (a click
    reruns the page with it open): returns it when open, else ``None``. What
    a card keeps folded (its timeline and its forms) was most of its weight
    in the browser, drawn for every card whether opened or not."""
    box = st.expander(label, key=key, icon=icon, on_change="rerun")
    return box if box.open else None


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


def incident_line(summary: dict[str, Any]) -> str:
    """An incident's summary (``part_of``) as one sentence: "Part of incident
    INC-1001: Tills down (the north region); Raj Patel owns it; next update by …"."""
    return summary["line"][:1].upper() + summary["line"][1:]


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


__all__ = ["desk", "current_user", "on_phone", "fail_inline", "service", "literal", "flash",
           "contact", "when", "sign_in", "rating_inputs", "rating_given", "incident_line", "join_banner",
           "task_done_form", "mystery_box"]
