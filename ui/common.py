"""What every page shares: the desk, who is looking, and how a request looks.

Pages call ``ownit.service`` and render; no business rule lives here.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from ownit import OwnitError, service
from ownit.desk import Desk



def demo_mode() -> bool:
    """``ownit demo`` / ``ownit ui --demo``: a person picker, clearly labelled."""
    return os.environ.get("OWNIT_UI_DEMO") == "1"


@st.cache_resource
def _desk_for(url: str) -> Desk:
    return Desk.open(url)


def desk() -> Desk:
    """One desk per database URL for the server process."""
    from ownit.db import default_database_url

    return _desk_for(os.environ.get("OWNIT_DATABASE_URL") or default_database_url())


def identity_from_headers() -> str | None:
    """The email the company's auth proxy put in ``OWNIT_AUTH_HEADER`` (trusted
    only behind a proxy that overwrites it, with Streamlit bound to 127.0.0.1)."""
    header = os.environ.get("OWNIT_AUTH_HEADER")
    if not header:
        return None
    value = st.context.headers.get(header)
    return value.strip().lower() if value else None


def current_user() -> str | None:
    """Who is using the page: the demo picker's choice in demo mode, else the header."""
    if demo_mode():
        return st.session_state.get("user")
    return identity_from_headers()


def when(iso: str | None, zone: str) -> str:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M") if iso else "—"


STATE_BADGE = {"on track": ":green-badge[on track]", "due soon": ":orange-badge[due soon]",
               "overdue": ":red-badge[overdue]", "paused": ":blue-badge[waiting on you]",
               "met": ":green-badge[kept]", "missed": ":orange-badge[late]"}


def stepper(view: dict[str, Any]) -> None:
    """The request's progress as a row of steps, the current one marked."""
    stages = view["promise"]["stages"]
    columns = st.columns(len(stages))
    for column, stage in zip(columns, stages, strict=True):
        mark = "●" if stage["current"] else ("✓" if stage["reached"] else "○")
        label = f"**{stage['label']}**" if stage["current"] else stage["label"]
        column.markdown(f"{mark} {label}")
        if not stage["reached"] and stage["expected"]:
            column.caption(f"expected {when(stage['expected'], view['timezone'])}")
        if stage["requester_action"]:
            column.caption(f"your part: {stage['requester_action']}")


def request_card(view: dict[str, Any]) -> None:
    """Owner, promise, progress and the requester-visible timeline of one request."""
    promise, owner, zone = view["promise"], view["owner"], view["timezone"]
    with st.container(border=True):
        st.markdown(f"#### {view['ref']} · {view['title']}")
        st.caption(f"{view['request_type_label']} · {view['priority']} · {view['status']}")
        st.markdown(f"**{owner['name']}** ({owner['title']}, {view['team']['name']}) is fighting your corner — "
                    f"{owner['email']}" + (f", {owner['phone']}" if owner["phone"] else ""))
        st.info(promise["summary"])
        if promise["waiting"]:
            st.warning(f"Waiting on you: {promise['waiting']['for']}")
        badges = [f"first contact {STATE_BADGE.get(promise['states']['first_contact'], '')}",
                  f"resolve {STATE_BADGE.get(promise['states']['resolve'], '')}"]
        if promise["states"]["checkin"]:
            badges.insert(1, f"check-in {STATE_BADGE.get(promise['states']['checkin'], '')}")
        st.markdown(" · ".join(badges))
        stepper(view)
        with st.expander("Timeline"):
            for entry in reversed(view["timeline"]):
                st.markdown(f"`{when(entry['at'], zone)}` **{entry['kind']}** {entry['actor_name']}"
                            + (f" — {entry['note']}" if entry["note"] else ""))
        requester_actions(view)


def fail_inline(error: OwnitError) -> None:
    st.error(str(error))


def _act(label: str, action: Any, **kwargs: Any) -> None:
    try:
        action(desk(), actor=current_user(), **kwargs)
    except OwnitError as error:
        fail_inline(error)
    else:
        st.session_state["flash"] = label
        st.rerun()


def requester_actions(view: dict[str, Any]) -> None:
    """What the requester can do on their own request: answer what the team is
    waiting for, add a note, confirm the fix and rate it, or reopen it."""
    ref, status = view["ref"], view["status"]
    if status == "closed" or view["requester"]["email"] != current_user():
        return
    if status == "waiting":
        with st.form(f"answer-{ref}"):
            answer = st.text_area("Your answer", key=f"answer-text-{ref}")
            if st.form_submit_button("Send and hand it back"):
                _act(f"{ref}: sent to {view['owner']['name']}", service.resume, ref=ref, note=answer)
    if status == "resolved":
        with st.form(f"confirm-{ref}"):
            st.markdown("**Is it fixed?** Tell us how we did.")
            nps = st.slider("How likely are you to recommend this team to a colleague? (0–10)", 0, 10, 8,
                            key=f"nps-{ref}")
            effort = st.slider("How easy was it for you? (1 very easy – 7 very hard)", 1, 7, 2, key=f"effort-{ref}")
            comment = st.text_input("Anything to tell the team? (optional)", key=f"comment-{ref}")
            if st.form_submit_button("Confirm it is fixed"):
                _act(f"{ref}: closed, thank you", service.confirm, ref=ref, nps=nps, effort=effort, comment=comment)
        with st.form(f"reopen-{ref}"):
            why = st.text_input("Not fixed? Say what is still wrong", key=f"reopen-text-{ref}")
            if st.form_submit_button("Reopen it"):
                _act(f"{ref}: reopened", service.reopen, ref=ref, note=why)
    if status in ("open", "waiting", "resolved"):
        with st.form(f"note-{ref}"):
            text = st.text_input("Add a note for the owner", key=f"note-text-{ref}")
            if st.form_submit_button("Add note"):
                _act(f"{ref}: note added", service.add_note, ref=ref, note=text)


__all__ = ["desk", "current_user", "request_card", "fail_inline", "service", "demo_mode"]
