"""Rating the service through the link in a mail (``/rate?t=TOKEN``), without
signing in: the request's ref, title and owner, the rating's questions, sent
once, then thanks. A used, expired or forged link is one line instead."""

import streamlit as st
from common import desk, literal, rating_given, rating_inputs, service

from ownit import OwnitError

token = st.query_params.get("t", "")
thanked, refused = f"rated-{token}", f"refused-{token}"


def send() -> None:
    """Sent from the form, before the page is drawn again. A second click may
    send it again: the service records it once and knows the repeat."""
    if thanked in st.session_state:
        return
    try:
        result = service.rate_by_link(desk(), token=token, **rating_given("rate"))
    except OwnitError as error:  # the link or the input: nothing was recorded
        st.session_state[refused] = str(error)
        return
    st.session_state[thanked] = (f"Thank you: your rating of {result['ref']} is with {result['owner']} and the "
                                 "team." if result["recorded"] or result["repeated"] else result["done"])


st.title("How did we do?")
if thanked in st.session_state:
    st.success(literal(st.session_state[thanked]))
    st.stop()
try:
    page = service.rating_link(desk(), token)
except OwnitError as error:
    st.error(literal(error))
    st.stop()
st.markdown(f"**{literal(page['ref'])}** · {literal(page['title'])}")
st.caption(literal(f"Owned by {page['owner']}, {page['team']}"))
if page["done"]:
    st.info(literal(page["done"]))
    st.stop()
with st.form("rate", enter_to_submit=False):
    rating_inputs("rate")
    st.form_submit_button("Send my rating", type="primary", width="stretch", on_click=send)
if refused in st.session_state:
    st.error(literal(st.session_state.pop(refused)))
