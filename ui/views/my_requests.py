"""Every request the user raised, as cards: owner, promise, progress, timeline."""

import streamlit as st
from common import current_user, desk, request_card, service

st.title("My requests")
if "flash" in st.session_state:
    st.success(st.session_state.pop("flash"))
mine = service.my_requests(desk(), actor=current_user())
if not mine:
    st.info("You have no requests yet. Raise one from the menu.")
for view in mine:
    request_card(view)
