"""What OwnIt told the user: check-ins, stage changes, escalations on their
behalf, the morning digest; and, under "Sent to you", each message as their
mail (or another channel) shows it."""

import streamlit as st
from common import current_user, desk, literal, service, when

SENT_SHOWN = 20

st.title("Inbox")
told, sent = st.tabs(["Notifications", "Sent to you"])
with told:
    rows = service.inbox(desk(), actor=current_user())
    if not rows:
        st.info("Nothing yet.")
    for row in rows:
        st.markdown(f"`{when(row['created_at'], row['timezone'])}` **{literal(row['heading'])}** "
                    f"{literal(row['message'])}")
        sections = row["data"].get("sections") if row["kind"] == "digest" else None
        if sections:  # a morning digest: what needs you today, a section at a time
            with st.expander("The digest"):
                for section in sections:
                    st.markdown(f"**{literal(section['title'])}**")
                    st.markdown("\n".join(f"- {literal(line)}" for line in section["lines"]))
with sent:
    messages = service.sent_to_you(desk(), actor=current_user(), limit=SENT_SHOWN)
    if not messages:
        st.info("No channel sends your notifications beyond this inbox (or none has yet): see Settings.")
    else:
        st.caption(f"Your {len(messages)} latest messages as they look where they reach you, newest first.")
    for message in messages:
        for preview in message["previews"]:
            with st.expander(f"{when(message['created_at'], message['timezone'])} · {preview['channel']} · "
                             f"{literal(preview['subject'])}"):
                st.html(preview["html"])  # the channel's own layout, every piece of user text escaped in it
