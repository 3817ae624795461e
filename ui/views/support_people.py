"""Your support people: for your site, who in each department would own a new
request right now, and who leads them — so you always know whom to call — and
what each team agreed with the stores (its charter) and needs from them."""

import streamlit as st
from common import contact, current_user, desk, fail_inline, literal, record_line, service

from ownit import OwnitError

st.title("Your support people")
me = next(p for p in service.people(desk()) if p["email"] == current_user())
sites = sorted({p["site"] for p in service.people(desk()) if p["site"]})
catalogue = service.departments(desk())["departments"]
left, right = st.columns(2)
site = left.selectbox("Site", sites, index=sites.index(me["site"]) if me["site"] in sites else 0)
types = [None] + [t for d in catalogue for t in d["request_types"]]
rtype = right.selectbox("For", types, format_func=lambda t: "any everyday request" if t is None else t["label"])

try:
    answer = service.who(desk(), actor=current_user(), site=site, request_type=rtype["key"] if rtype else None)
except OwnitError as error:
    fail_inline(error)
    st.stop()

st.caption(literal(f"{answer['site']['code']} {answer['site']['name']}: who would own a new request right now. "
                   "Nothing is raised by looking."))
columns = st.columns(max(1, len(answer["departments"])))
for column, line in zip(columns, answer["departments"], strict=True):
    with column.container(border=True):
        st.subheader(literal(line["department"]["name"]))
        st.caption(literal(f"for {line['request_type']['label'].lower()}"))
        if line["owner"] is None:
            st.warning(literal(line["reason"]))
            continue
        owner, lead = line["owner"], line["lead"]
        st.markdown(f"**{literal(owner['name'])}**  \n{literal(owner['title'])} · {literal(line['team']['name'])}")
        st.markdown(contact(owner))
        st.caption(literal(f"First contact within {line['first_contact_within']}"))
        if line["charter"]:  # what the team agreed with the stores, and what it needs from them
            charter = line["charter"]
            st.caption(literal(f"Agreed with {charter['with']} on {charter['agreed']}"
                               + (" (due for review)" if charter["overdue"] else "") + "."
                               + record_line(line["team"]["key"])))
            if charter["needs"]:
                st.caption(literal("They need from the store: " + "; ".join(charter["needs"])))
        st.markdown(f"Their lead: **{literal(lead['name'])}**  \n{contact(lead)}")
