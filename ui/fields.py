"""A department's questions as inputs, the same on the raise page and in the
card's "Change an answer" form: each kind its widget, a stored answer shown
as the widget gives it back. The service parses and checks what is sent
(``RequestType.parse_fields``); nothing here decides what is valid."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from ownit import service

PHOTOS, FILES = ["jpg", "jpeg", "png", "gif", "webp"], ["jpg", "jpeg", "png", "gif", "webp", "pdf"]


def as_given(field: dict[str, Any], answer: Any) -> Any:
    """A stored answer (``None``: none) as :func:`field_input` gives it back:
    "yes"/"no", an ISO date, a list of choices, text."""
    if answer is None:
        return None
    if field["kind"] == "yesno":
        return "yes" if answer else "no"
    if field["kind"] == "multichoice":
        return list(answer)
    return answer if field["kind"] in ("choice", "date") else str(answer)


def field_input(field: dict[str, Any], *, label: str, key: str, answer: Any = None) -> Any:
    """Inside a form: the input for ``field`` (a question of
    ``service.departments``), showing ``answer`` (a stored one) to start
    with; what it holds, ``None`` when empty. Nothing is picked until the
    person picks it."""
    current, hint = as_given(field, answer), field["help"] or None
    kind, choices = field["kind"], field["choices"]
    if kind == "choice":
        value = st.selectbox(label, choices, index=choices.index(current) if current in choices else None, help=hint,
                             key=key, placeholder="Choose one")
    elif kind == "multichoice":
        value = st.multiselect(label, choices, default=current or [], help=hint, key=key,
                               placeholder="Choose one or more") or None
    elif kind == "yesno":
        value = st.radio(label, ["yes", "no"], index=None if current is None else ["yes", "no"].index(current),
                         horizontal=True, help=hint, key=key)
    elif kind in ("photo", "file"):  # sent with the raise (a phone offers its camera), kept with its files
        picked = st.file_uploader(label, type=PHOTOS if kind == "photo" else FILES, help=hint, key=key)
        value = service.Upload(picked.name, picked.getvalue()) if picked is not None else None
    elif kind == "date":
        picked = st.date_input(label, value=date.fromisoformat(current) if current else None, help=hint, key=key)
        value = picked.isoformat() if picked else None
    else:
        value = st.text_input(label, value=current or "", help=hint, key=key)
    return value if value not in ("", []) else None


def label_of(field: dict[str, Any], *, optional: bool = True, live: bool = False) -> str:
    """The question as the form asks it: a follow-up says when it is asked
    (a form does not redraw as it is filled in) unless the form is ``live``
    (it appears only once asked), an optional one says so."""
    when = f" ({field['asked_when']})" if field["asked_when"] and not live else ""
    return field["label"] + ("" if field["required"] or when or not optional else " (optional)") + when
