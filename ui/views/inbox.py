"""What OwnIt told the user: check-ins, stage changes, escalations on their behalf."""

import streamlit as st
from common import current_user, desk, literal, service, when

st.title("Inbox")
rows = service.inbox(desk(), actor=current_user())
if not rows:
    st.info("Nothing yet.")
for row in rows:
    st.markdown(f"`{when(row['created_at'], row['timezone'])}` **{literal(row['kind'])}** {literal(row['message'])}")
    sections = row["data"].get("sections") if row["kind"] == "digest" else None
    if sections:  # a morning digest: what needs you today, a section at a time
        with st.expander("The digest"):
            for section in sections:
                st.markdown(f"**{literal(section['title'])}**")
                st.markdown("\n".join(f"- {literal(line)}" for line in section["lines"]))
