"""Raise a request: pick the type, fill the form the department declared, and
see straight away who owns it and what they promise."""

import streamlit as st
from common import current_user, desk, fail_inline, literal, request_card, service

from ownit import OwnitError

st.title("Raise a request")
catalogue = service.departments(desk())["departments"]
department = st.selectbox("Department", catalogue, format_func=lambda d: d["name"])
rtype = st.selectbox("What do you need?", department["request_types"], format_func=lambda t: t["label"])
st.caption(f"Why it matters: {literal(rtype['why'])}")

with st.form(f"raise-{rtype['key']}"):
    title = st.text_input("In one line", max_chars=200)
    values = {}
    for field in rtype["fields"]:
        label = field["label"] + ("" if field["required"] else " (optional)")
        key = f"field-{rtype['key']}-{field['key']}"
        if field["kind"] == "choice":
            values[field["key"]] = st.selectbox(label, [""] + field["choices"], help=field["help"] or None, key=key)
        elif field["kind"] == "yesno":
            values[field["key"]] = st.radio(label, ["", "yes", "no"], horizontal=True, key=key)
        elif field["kind"] == "date":
            picked = st.date_input(label, value=None, help=field["help"] or None, key=key)
            values[field["key"]] = picked.isoformat() if picked else ""
        else:
            values[field["key"]] = st.text_input(label, help=field["help"] or None, key=key)
    detail = st.text_area("Anything else the owner should know? (optional)")
    needed_by = st.date_input("When do you need it by? (optional)", value=None)
    submitted = st.form_submit_button("Raise it")

if submitted:
    try:
        view = service.raise_request(desk(), actor=current_user(), request_type=rtype["key"], title=title,
                                     detail=detail, fields={k: v for k, v in values.items() if v != ""},
                                     needed_by=needed_by)
    except OwnitError as error:
        fail_inline(error)
    else:
        st.success(literal(f"{view['ref']} raised. {view['owner']['name']} owns it."))
        request_card(view)
