"""Every request the user raised: the first few still being worked as whole
cards (owner, promise, progress, timeline; those waiting on the user first),
the rest as rows of a table a click opens, the closed ones folded; what
colleagues at the same site have raised that is still being worked (with
"Me too" to join one that affects the user as well); and the requests the
user follows for someone else (a watcher, or a deputy of a site whose request
is marked for it). Only the open tab is drawn."""

import streamlit as st
from card import linked_request
from common import current_user, desk, flash, me_too_line, service
from lists import cards_then_rows

RECENT = 50


def raised_by_me(linked: str | None) -> None:
    everything = service.my_requests(desk(), actor=current_user(), limit=RECENT)
    if not everything:
        st.info("You have no requests yet. Raise one from the menu.")
    elif len(everything) == RECENT:
        st.caption(f"Your {RECENT} most recent requests, newest first.")
    requests = [v for v in everything if v["ref"] != linked]
    live = [v for v in requests if v["status"] != "closed"]
    # what needs the user comes first (an answer the owner waits for, a fix to confirm); stable: newest first
    live.sort(key=lambda v: not (v["promise"]["waiting"] or v["status"] == "resolved"))
    cards_then_rows(live, key="mine-open", more="more still being worked")
    closed = [v for v in requests if v["status"] == "closed"]
    # folded: a manager's closed requests would fill screens; drawn only when unfolded
    if closed and st.toggle(f"Closed ({len(closed)})", key="mine-closed"):
        cards_then_rows(closed, key="mine-closed-rows", more="more closed")


def at_my_site(linked: str | None) -> None:
    rows = service.site_requests(desk(), actor=current_user())
    if not rows:
        st.info("Nothing else is open at your site.")
        return
    st.caption("Raised by colleagues at your site and still being worked: check here before reporting it "
               "again. Yours too? Press Me too: you hear what they hear, and the owner knows it affects you.")
    for row in rows:
        me_too_line(row, "Me too")


def following(linked: str | None) -> None:
    views = [v for v in service.following(desk(), actor=current_user(), limit=RECENT) if v["ref"] != linked]
    if not views:
        st.info("You follow no one else's request. A colleague can add you as a watcher of theirs.")
    cards_then_rows(views, key="following-rows", more="more you follow")


st.title("My requests")
flash()
linked = linked_request()
# a click on another tab reruns the page with that tab's requests: each tab holds up to fifty
tabs = st.tabs(["Raised by me", "At my site", "Following"], key="my-requests-tab", on_change="rerun")
for tab, draw in zip(tabs, (raised_by_me, at_my_site, following), strict=True):
    if tab.open:
        with tab:
            draw(linked)
