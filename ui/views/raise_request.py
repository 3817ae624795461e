"""Raise a request: pick the type, fill the form the department declared, and
see straight away who owns it and what they promise."""

import streamlit as st
from attachments import attach_inputs
from common import armed, current_user, desk, fail_inline, literal, request_card, service, submission_key

from ownit import OwnitError

st.title("Raise a request")

raised = st.session_state.pop("raised", None)
if raised:  # just raised: the owner and the promise first, then a fresh form on the next run
    view = service.show(desk(), raised, actor=current_user())
    st.success(literal(f"{view['ref']} raised. {view['owner']['name']} owns it."))
    request_card(view)
    st.button("Raise another request")
    st.stop()

catalogue = service.departments(desk())["departments"]
department = st.selectbox("Department", catalogue, format_func=lambda d: d["name"])
rtype = st.selectbox("What do you need?", department["request_types"], format_func=lambda t: t["label"])
st.caption(f"Why it matters: {literal(rtype['why'])}")

with st.form(form := armed(f"raise-{rtype['key']}")):
    title = st.text_input("In one line", max_chars=200, key="raise-title")
    values = {}
    for field in rtype["fields"]:
        label = field["label"] + ("" if field["required"] else " (optional)")
        key = f"raise-field-{rtype['key']}-{field['key']}"
        if field["kind"] == "choice":
            values[field["key"]] = st.selectbox(label, [""] + field["choices"], help=field["help"] or None, key=key)
        elif field["kind"] == "yesno":
            values[field["key"]] = st.radio(label, ["", "yes", "no"], horizontal=True, key=key)
        elif field["kind"] == "date":
            picked = st.date_input(label, value=None, help=field["help"] or None, key=key)
            values[field["key"]] = picked.isoformat() if picked else ""
        else:
            values[field["key"]] = st.text_input(label, help=field["help"] or None, key=key)
    detail = st.text_area("Anything else the owner should know? (optional)", key="raise-detail")
    needed_by = st.date_input("When do you need it by? (optional)", value=None, key="raise-needed-by")
    for_site = False if rtype["restricted"] else st.checkbox(
        "For the site, not only me: the site's deputies hear what I hear", key="raise-for-site")
    files = attach_inputs("raise-new")
    submitted = st.form_submit_button("Raise it")

if submitted:
    try:
        view = service.raise_request(desk(), actor=current_user(), request_type=rtype["key"], title=title,
                                     detail=detail, fields={k: v for k, v in values.items() if v != ""},
                                     needed_by=needed_by, for_site=for_site, files=files,
                                     key=submission_key(form))
    except OwnitError as error:
        fail_inline(error)  # everything typed stays in the form
    else:
        for key in [k for k in st.session_state if isinstance(k, str)
                    and k.startswith(("raise-", "armed-raise-", "files-raise-", "camera-raise-"))]:
            del st.session_state[key]  # a fresh form, armed afresh
        st.session_state["raised"] = view["ref"]
        st.rerun()
