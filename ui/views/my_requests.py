"""Every request the user raised, as cards (the closed ones folded): owner, promise, progress, timeline;
what colleagues at the same site have raised that is still being worked (with
"Me too" to join one that affects the user as well); and
the requests the user follows for someone else (a watcher, or a deputy of a
site whose request is marked for it)."""

import streamlit as st
from common import current_user, desk, flash, linked_request, me_too_line, request_card, service

RECENT = 50

st.title("My requests")
flash()
linked = linked_request()
mine, site, followed = st.tabs(["Raised by me", "At my site", "Following"])
with mine:
    requests = service.my_requests(desk(), actor=current_user(), limit=RECENT)
    if not requests:
        st.info("You have no requests yet. Raise one from the menu.")
    elif len(requests) == RECENT:
        st.caption(f"Your {RECENT} most recent requests, newest first.")
    closed = [v for v in requests if v["status"] == "closed" and v["ref"] != linked]
    for view in requests:
        if view["ref"] != linked and view["status"] != "closed":
            request_card(view)
    # folded: a manager's closed requests would fill screens; drawn only when unfolded
    if closed and st.toggle(f"Closed ({len(closed)})", key="mine-closed"):
        for view in closed:
            request_card(view)
with site:
    rows = service.site_requests(desk(), actor=current_user())
    if not rows:
        st.info("Nothing else is open at your site.")
    else:
        st.caption("Raised by colleagues at your site and still being worked: check here before reporting it "
                   "again. Yours too? Press Me too: you hear what they hear, and the owner knows it affects you.")
        for row in rows:
            me_too_line(row, "Me too")
with followed:
    views = service.following(desk(), actor=current_user(), limit=RECENT)
    if not views:
        st.info("You follow no one else's request. A colleague can add you as a watcher of theirs.")
    for view in views:
        request_card(view)
