"""OwnIt for requesters: raise a request, see who owns it, what was promised
and how far it has come. ``ownit ui`` starts it."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).parent))  # the pages import ui/common.py

from common import current_user, demo_mode, desk, service  # noqa: E402

st.set_page_config(page_title="OwnIt", page_icon=":material/support_agent:", layout="wide")

if demo_mode():
    people = service.people(desk())
    requesters = [p["email"] for p in people if "requester" in p["roles"]] or [p["email"] for p in people]
    st.sidebar.selectbox("Demo mode: acting as", requesters, key="user",
                         help="In production the user comes from the company's sign-in, not from this list.")

user = current_user()
known = {p["email"] for p in service.people(desk())} if user else set()
if user is None or user not in known:
    st.title("OwnIt")
    st.error(f"{user or 'You'} are not registered in OwnIt yet: ask your lead to add you.")
    st.stop()

here = Path(__file__).parent / "views"
page = st.navigation([
    st.Page(str(here / "raise_request.py"), title="Raise a request", icon=":material/add_circle:"),
    st.Page(str(here / "my_requests.py"), title="My requests", icon=":material/list_alt:", default=True),
    st.Page(str(here / "inbox.py"), title="Inbox", icon=":material/inbox:"),
])
page.run()
