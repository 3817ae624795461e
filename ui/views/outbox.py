"""The outbox, for admins: what OwnIt sent or is to send by mail and chat,
what is held (quiet hours, digests), what is being retried, and the dead
letters every attempt failed for, each with its last error and a retry."""

import pandas as pd
import streamlit as st
from common import current_user, desk, fail_inline, literal, service, when

from ownit import OwnitError

st.title("Outbox")
failed_only = st.toggle("Failed only", help="Dead letters: every attempt to send them failed.")
rows = service.outbox(desk(), actor=current_user(), failed=failed_only, limit=500)
zone = rows[0]["timezone"] if rows else "UTC"
counts = pd.Series([row["state"] for row in rows]).value_counts() if rows else pd.Series(dtype=int)
left, middle, right = st.columns(3)
left.metric("Delivered", int(counts.get("delivered", 0)))
middle.metric("Held or retrying", int(counts.get("held", 0) + counts.get("pending", 0) + counts.get("retrying", 0)))
right.metric("Failed", int(counts.get("failed", 0)))
if not rows:
    st.info("No failed notifications." if failed_only else "Nothing in the outbox yet.")
    st.stop()
st.dataframe(pd.DataFrame([{
    "id": row["id"], "when": when(row["created_at"], zone), "to": row["to"], "request": row["ref"] or "",
    "kind": row["kind"], "state": row["state"], "tries": row["attempts"],
    "next try": when(row["next_attempt_at"], zone) if row["next_attempt_at"] else "",
    "last error": row["error"]} for row in rows]), hide_index=True, width="stretch")

dead = [row for row in rows if row["state"] in ("failed", "retrying")]
if dead:
    with st.form("retry"):
        st.subheader("Send again now")
        chosen = st.selectbox("Notification", [row["id"] for row in dead],
                              format_func=lambda i: next(f"{i}: {r['kind']} to {r['to']} ({r['state']})"
                                                         for r in dead if r["id"] == i))
        if st.form_submit_button("Retry now", type="primary"):
            try:
                report = service.retry_notification(desk(), chosen, actor=current_user())
            except OwnitError as error:
                fail_inline(error)
            else:
                if report["redelivered"]:
                    st.success(f"Notification {chosen} was delivered.")
                elif not (report["retrying"] or report["undeliverable"]):
                    st.info(f"No channel reaches the recipient of notification {chosen} (their settings, or no "
                            "address for them); it is in their inbox.")
                for line in report["retrying"] + report["undeliverable"]:
                    st.error(literal(f"Notification {chosen} failed again: {line['error']}"))
