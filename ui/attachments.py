"""Photos and files on the request card: the inputs that send them with a
form (a file picker, and the phone's camera), and the thumbnails and
downloads of those the viewer may see. The service checks and keeps them
(``ownit.service.attachments``); nothing here decides who sees what."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ownit import OwnitError, service
from ownit.uploads import shown

PICKED = ["jpg", "jpeg", "png", "gif", "webp", "pdf"]  # a first sieve; the service reads each file's content


def attach_inputs(key: str) -> list[service.Upload]:
    """Inside a form: photos or PDFs to send with it, picked or taken with
    the camera (behind an expander, so the camera starts only for those who
    open it). ``key`` is the form's (``common.armed``): a form armed afresh starts empty."""
    picked = st.file_uploader("Photos or PDFs (optional)", type=PICKED, accept_multiple_files=True,
                              key=f"{key}:files") or []
    with st.expander("Take a photo"):
        taken = st.camera_input("Take a photo", key=f"{key}:camera", label_visibility="collapsed")
    sent = [service.Upload(f.name, f.getvalue()) for f in picked]
    return sent + ([service.Upload("photo.jpg", taken.getvalue())] if taken is not None else [])


def show_attachments(view: dict[str, Any]) -> None:
    """The request's photos (as thumbnails) and files the viewer may see, each with a download."""
    from common import current_user, desk, literal  # common draws the card this is part of

    found = view.get("attachments") or []
    if not found:
        return
    user = current_user()
    with st.expander(f"Photos and files ({len(found)})", expanded=True):
        columns = st.columns(min(len(found), 3))
        for n, item in enumerate(found):
            with columns[n % len(columns)]:
                if item["thumbnail"]:
                    try:
                        st.image(service.get_file(desk(), item["id"], actor=user, thumbnail=True)[1])
                    except OwnitError as error:
                        st.error(literal(error))
                st.download_button(literal(f"{item['name']} ({shown(item['size'])})"), _contents(user, item["id"]),
                                   file_name=item["name"], mime=item["content_type"], icon=":material/download:",
                                   key=f"download-{item['id']}-{view['ref']}-file", on_click="ignore")
                st.caption(literal(item["by_name"]) + (" · internal" if item["internal"] else ""))


def _contents(user: str | None, attachment: int) -> Any:
    """The file's bytes, read only when it is downloaded."""
    from common import desk

    return lambda: service.get_file(desk(), attachment, actor=user)[1]
