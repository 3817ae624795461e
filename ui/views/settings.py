"""The signed-in person's own settings: how OwnIt reaches them beyond the
inbox — which channels, each notification at once or a morning digest, quiet
hours and their time zone. Saved through the service, which checks them."""

from zoneinfo import available_timezones

import streamlit as st
from common import current_user, desk, fail_inline, flash, literal, service

from ownit import OwnitError

st.title("Settings")
flash()
mine = service.my_preferences(desk(), actor=current_user())
st.caption(literal(f"How OwnIt reaches {mine['email']}. Your Inbox always has everything; these say what "
                   "else may reach you, and when."))

ZONES = ["", *sorted(available_timezones())]
with st.form("settings"):
    st.markdown("**Channels**")
    st.checkbox("Inbox (always on)", value=True, disabled=True, key="settings-inbox")
    picked = {name: st.checkbox(name.capitalize(), key=f"settings-channel-{name}",
                                value=mine["channels"] is None or name in mine["channels"])
              for name in mine["available"]}
    if not mine["available"]:
        st.caption("No channel (email, chat) is switched on here yet: everything is in your Inbox.")
    digest = st.radio("When", ["Each at once", "A morning digest"], index=1 if mine["digest"] else 0,
                      horizontal=True, key="settings-digest",
                      help="A digest holds what is not urgent for one message at 08:00 your time.")
    quiet = st.text_input("Quiet hours (from-until, your own time)", value=mine["quiet"], key="settings-quiet",
                          placeholder="19:00-07:00", help="Nothing is sent in them; it waits until they end. "
                                                          "Leave empty for none.")
    zone = st.selectbox("Your time zone", ZONES, index=ZONES.index(mine["timezone"] or ""), key="settings-zone",
                        format_func=lambda z: z or "Your site's time zone",
                        help=f"Quiet hours and the digest follow it; now {mine['zone']}.")
    saved = st.form_submit_button("Save")

if saved:
    notify = {"digest": digest == "A morning digest", "quiet": quiet, "timezone": zone}
    chosen = [name for name, on in picked.items() if on]
    kept = [name for name in mine["channels"] or () if name not in picked]  # chosen before, switched off here now
    if picked and len(chosen) == len(picked):  # every channel ticked: every one, those added later too
        channels = None if mine["channels"] is None or not kept else chosen + kept
    else:
        channels = chosen + kept if picked else mine["channels"]
    if channels is not None:
        notify["channels"] = channels
    try:
        service.set_preferences(desk(), actor=current_user(), notify=notify)
    except OwnitError as error:
        fail_inline(error)  # what was typed stays in the form, to fix and save again
    else:
        st.session_state["flash"] = "Settings saved"
        st.rerun()
