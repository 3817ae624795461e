"""OwnIt in the browser: requesters raise requests and see who owns them, what
was promised and how far they have come; agents and leads work their team's
queue. ``ownit ui`` starts it (``ownit demo`` with a demo person picker).

Every page needs the sign-in (:mod:`ownit.signin`) but one: opened with a
mail's rating link (``?t=``), the app is the rating page alone."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).parent))  # the pages import ui/common.py

from common import current_user, desk, literal, on_phone, service, sign_in  # noqa: E402

from ownit import OwnitError  # noqa: E402

here = Path(__file__).parent / "views"
ICON = str(Path(__file__).parent / "static" / "ownit.png")  # served by this server: nothing fetched from outside
# On a phone: every control a thumb can hit (44 px, Apple's and Google's minimum) and 16 px text in inputs
# (smaller makes iOS zoom in on a tap). A desktop keeps Streamlit's own sizes.
PHONE_CSS = """<style>
button, [role=tab], summary, [data-baseweb=select] > div, [data-testid=stTextInputRootElement],
[data-testid=stDateInputField], input, [data-testid=stRadio] label, [data-testid=stCheckbox] label,
[data-baseweb=checkbox] { min-height: 44px !important; }
[data-testid=stRadio] label, [data-testid=stCheckbox] label { align-items: center; }
input, textarea, [data-baseweb=select] * { font-size: 16px !important; }
</style>"""
if "t" in st.query_params:  # a mail's rating link (/rate?t=TOKEN): that page alone, no sign-in, nothing else
    st.set_page_config(page_title="OwnIt: rate your request", page_icon=ICON, layout="centered")
    rate = st.Page(str(here / "rate.py"), title="Rate your request", url_path="rate")
    # the app's own address with a rating token (/?t=...) goes to the rating page too
    st.navigation([st.Page(lambda: st.switch_page(rate, query_params=st.query_params.to_dict()), title="OwnIt",
                           url_path="home", default=True), rate], position="hidden").run()
    st.stop()
st.set_page_config(page_title="OwnIt", page_icon=ICON, layout="wide")
if on_phone():
    st.html(PHONE_CSS)

try:
    mode = sign_in()
except OwnitError as error:  # both modes, or none: say so, show nothing else
    st.title("OwnIt")
    st.error(literal(error))
    st.stop()
st.sidebar.caption(literal(mode.describe()))  # every page says how it knows who you are

people = {p["email"]: p for p in service.people(desk())}
if mode.mode == "demo":
    # store staff first (the customers), then the support teams
    order = sorted(people.values(), key=lambda p: ("requester" not in p["roles"], p["site"] or "", p["name"]))
    # on a phone the sidebar hides behind an unlabelled », so the picker is a labelled control atop the page
    acting = people.get(st.session_state.get("user") or order[0]["email"], order[0])
    picker = (st.popover(f"Acting as {literal(acting['name'])} — change", icon=":material/person:")
              if on_phone() else st.sidebar)
    picker.selectbox("Demo mode: acting as", [p["email"] for p in order], key="user",
                     format_func=lambda e: f"{people[e]['name']} — {people[e]['title']}"
                                           + (f", {people[e]['site']}" if people[e]["site"] else ""),
                     help="In production the user comes from the company's sign-in, not from this list.")

try:
    user = current_user()
except OwnitError as error:  # a request that did not come through the proxy, an ambiguous header
    st.title("OwnIt")
    st.error(literal(error))
    st.stop()
if user is None or user not in people:
    st.title("OwnIt")
    st.error(f"{literal(user) if user else 'You'} {'is' if user else 'are'} not registered in OwnIt yet: "
             "ask your lead to add you.")
    st.stop()

pages = [
    st.Page(str(here / "my_requests.py"), title="My requests", icon=":material/list_alt:", default=True),
    st.Page(str(here / "raise_request.py"), title="Raise a request", icon=":material/add_circle:"),
    st.Page(str(here / "support_people.py"), title="Your support people", icon=":material/contact_phone:"),
    st.Page(str(here / "inbox.py"), title="Inbox", icon=":material/inbox:"),
    # for everyone: a store manager's scenarios and forms, an owner's reveals, a lead's programme (the page says which)
    st.Page(str(here / "mystery.py"), title="Mystery requests", icon=":material/theater_comedy:",
            url_path="mystery"),
    st.Page(str(here / "settings.py"), title="Settings", icon=":material/settings:", url_path="settings"),
]
if service.memberships(desk(), actor=user):  # agents and leads work their team's queue and see its health
    pages.append(st.Page(str(here / "team.py"), title="Team queue", icon=":material/groups:"))
    pages.append(st.Page(str(here / "health.py"), title="Service health", icon=":material/monitoring:"))
if "admin" in people[user]["roles"]:  # what went out by mail and chat, and what failed
    pages.append(st.Page(str(here / "outbox.py"), title="Outbox", icon=":material/outbox:"))
st.navigation(pages).run()
