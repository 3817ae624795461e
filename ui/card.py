"""One request's card: who owns it and what was promised, how far it has
come, what is needed from the requester, its answers, latest word and
timeline, and the forms the viewer may act with (:mod:`card_forms`). What
the pages share otherwise is in :mod:`common`."""

from __future__ import annotations

from typing import Any

import streamlit as st

from attachments import show_attachments
from card_forms import (answers_form, contractor_form, declare_form, note_form, owner_actions, requester_actions,
                        task_form)
from common import (act, armed, current_user, desk, fail_inline, incident_line, literal, mystery_box, on_phone,
                    reach_links, record_line, unfolded, when)
from ownit import OwnitError, service
from ownit.views import answer_line


STATE_BADGE = {"on track": ":green-badge[on track]", "due soon": ":orange-badge[due soon]",
               "overdue": ":red-badge[overdue]", "paused": ":blue-badge[waiting on the requester]",
               "met": ":green-badge[kept]", "missed": ":orange-badge[late]"}


# Streamlit's own icon font (served by the server), not characters some default fonts lack (✓ showed as √)
STEP_MARK = {"current": ":material/radio_button_checked:", "reached": ":material/check_circle:",
             "ahead": ":material/radio_button_unchecked:"}


def stepper(view: dict[str, Any]) -> None:
    """The request's progress as one line of steps, each marked reached,
    current (in bold) or ahead, with what is expected of a step ahead and the
    requester's part beside it. One element: a row of columns, a mark and a
    caption in each, took a browser as long to draw as a whole form."""
    steps = []
    for stage in view["promise"]["stages"]:
        mark = STEP_MARK["current" if stage["current"] else "reached" if stage["reached"] else "ahead"]
        label = f"**{literal(stage['label'])}**" if stage["current"] else literal(stage["label"])
        said = ([f"expected {when(stage['expected'], view['timezone'])}"] if not stage["reached"]
                and stage["expected"] else []) + ([f"your part: {literal(stage['requester_action'])}"]
                                                  if stage["requester_action"] else [])
        steps.append(f"{mark} {label}" + (f" :gray[({'; '.join(said)})]" if said else ""))
    st.markdown(" → ".join(steps))


def latest_word(view: dict[str, Any]) -> dict[str, Any] | None:
    """The newest thing someone said on the request but the requester's own
    words: a check-in, a stage moved on, a note, an update of the incident it
    is part of (the team's word whoever relayed it; the raise and OwnIt's own lines aside)."""
    requester = view["requester"]["email"]
    return next((e for e in reversed(view["timeline"]) if e["note"] and (
        e["kind"] == "incident_update" or e["actor"] and e["actor"] != requester and e["kind"] != "raised")), None)


def answers(view: dict[str, Any]) -> None:
    """The department's questions as the requester answered them, safety risks in red."""
    lines = [f":red[:material/warning: **{literal(answer_line(a['label'], a['value']))}**]" if a["safety"]
             else literal(answer_line(a["label"], a["value"])) for a in view.get("answers", [])]
    if lines:
        st.markdown("  \n".join(lines))
    for item in view.get("attachments") or []:  # a photo that answers a question, with it
        if item.get("field") and item["thumbnail"]:
            label = next((a["label"] for a in view["answers"] if a["key"] == item["field"]), item["field"])
            try:
                st.image(service.get_file(desk(), item["id"], actor=current_user(), thumbnail=True)[1],
                         caption=literal(label), width=240)
            except OwnitError as error:
                fail_inline(error)


def request_card(view: dict[str, Any]) -> None:
    """Owner, promise, progress, the department's answers, the latest word and
    the timeline of one request, with the actions the viewer may take on it:
    the requester's, or the owner's and lead's, and one note form. On a phone
    the card is compact: one progress line that opens into the steps."""
    promise, owner, zone, viewer = view["promise"], view["owner"], view["timezone"], view["viewer"]
    phone = on_phone()
    with st.container(border=True):
        st.markdown(f"{'#####' if phone else '####'} {literal(view['ref'])} · {literal(view['title'])}")
        raised = (f"{view['raised_by']['name']} for " if view["raised_by"] else "") + view["requester"]["name"]
        st.caption(literal(f"{view['priority']} · {view['status']} · {view['site']['code']}" if phone else
                           f"{view['request_type_label']} · {view['priority']} · {view['status']} · "
                           f"{view['site']['code']} {view['site']['name']} · raised by {raised}"
                           + (" for the site" if view["for_site"] else "")))
        if not viewer["requester"] and not viewer["staff"] and viewer["watching"]:
            st.caption(literal(f"You follow this request of {view['requester']['name']}'s: you hear what they hear."))
        if view["affects"] > 1:
            st.caption(f"Affects {view['affects']} people")
        corner = "is fighting your corner" if viewer["requester"] else "owns it"
        who = "" if phone else f" ({literal(owner['title'])}, {literal(view['team']['name'])})"  # the promise says it
        st.markdown(f"**{literal(owner['name'])}**{who} {corner} — " + " · ".join(reach_links(owner).values()))
        if view.get("part_of"):  # every linked requester hears who owns the whole problem and when the next word is due
            st.info(literal(incident_line(view["part_of"])), icon=":material/campaign:")
        if view.get("mystery"):  # closed and scored: revealed to its owner, the lead, an admin and its requester
            mystery_box(view["mystery"])
        promised = "" if viewer["requester"] else f"**Promised to {literal(view['requester']['name'])}:** "
        st.info(promised + literal(promise["summary"]))
        charter = view.get("charter")
        if charter and not phone:  # what it was promised under, how the team keeps it, what it needs from the store
            needs = f" {charter['team_name']} needs from the store: {'; '.join(charter['needs'])}." \
                if charter["needs"] else ""
            st.caption(literal(f"Promised under {charter['line']}.{record_line(charter['team'])}{needs}"))
        tasks_line(view)
        for party in view.get("working_with", []):  # an outside contractor doing the work; the owner still owns it
            st.markdown(f":material/engineering: {literal(party['line'])}")
        if promise["waiting"]:
            who = "you" if viewer["requester"] else view["requester"]["name"]
            st.warning(literal(f"Waiting on {who}: {promise['waiting']['for']}"))
        latest = latest_word(view)
        if latest:  # in plain sight: a manager should not open every card to hear from their owner
            st.markdown(f":material/chat: **Latest:** {literal(latest['label'])} by {literal(latest['actor_name'])}, "
                        f"{when(latest['at'], zone)} — {literal(latest['note'])}")
        if not phone:
            badges = [f"first contact {STATE_BADGE.get(promise['states']['first_contact'], '')}",
                      f"resolve {STATE_BADGE.get(promise['states']['resolve'], '')}"]
            if promise["states"]["checkin"]:
                badges.insert(1, f"check-in {STATE_BADGE.get(promise['states']['checkin'], '')}")
            st.markdown(" · ".join(badges))
            st.caption(f"These times count {literal(promise['clock'])}.")
        answers(view)
        if phone:
            progress = view["progress"]
            if progress["total"]:
                st.progress(progress["done"] / progress["total"],
                            text=literal(f"Step {progress['done']} of {progress['total']}: {view['stage_label']}"))
            with st.expander("All steps"):
                stepper(view)
        else:
            stepper(view)
        answering = (viewer["requester"] or viewer["works_it"]) and view["status"] != "closed"
        if answering and not (phone and viewer["requester"] and not viewer["works_it"]):
            answers_form(view)  # a requester's phone has it with the note, one tap away
        if view["detail"]:
            st.markdown(f"> {literal(view['detail'])}")
        show_attachments(view)
        timeline = unfolded(f"Timeline ({len(view['timeline'])})", f"open-timeline-{view['ref']}")
        if timeline:
            with timeline:
                timeline_entries(view)
        watchers(view)
        if view.get("incident"):
            incident_panel(view)
        elif (viewer["works_it"] and view["status"] in ("open", "waiting") and not view.get("part_of")
              and not view["private"]):
            declare_form(view)
        if viewer["works_it"] and view["status"] in ("open", "waiting"):
            task_form(view)
            contractor_form(view)
        if viewer["requester"]:
            requester_actions(view)
        noted = owner_actions(view) if viewer["works_it"] else False
        if not noted and (viewer["requester"] or viewer["staff"]) and view["status"] != "closed":
            # once per card, whoever the viewer is: the requester, the team, or both; on a phone one tap away,
            # with "Change an answer" for its requester (a card on a phone fits one screen)
            tucked = phone and viewer["requester"] and not viewer["works_it"] and answering
            with st.popover("Add a note or change an answer" if tucked else "Add a note",
                            icon=":material/edit_note:") if phone else st.container():
                note_form(view)
                if tucked:
                    answers_form(view, boxed=False)


def timeline_entries(view: dict[str, Any]) -> None:
    """The request's timeline, the latest first; internal notes marked (only staff are shown them)."""
    for entry in reversed(view["timeline"]):
        tag = " :gray-badge[internal]" if entry["internal"] else ""
        st.markdown(f"`{when(entry['at'], view['timezone'])}` **{literal(entry['label'])}** "
                    f"{literal(entry['actor_name'])}" + (f" — {literal(entry['note'])}" if entry["note"] else "") + tag)


def linked_request() -> str | None:
    """The request a link named (``?ref=FAC-1001``, as every mail and chat
    message links it), first on the page with a way back to the rest; one
    inline line when it cannot be shown to this viewer. Returns the ref shown,
    which the page leaves out of its list."""
    ref = st.query_params.get("ref")
    if not ref:
        return None
    shown = None
    try:
        view = service.show(desk(), ref, actor=current_user())
    except OwnitError as error:
        fail_inline(error)
    else:
        st.caption("Opened from your link")
        request_card(view)
        shown = view["ref"]
    if st.button("Show all", key="linked-done"):
        del st.query_params["ref"]
        st.rerun()
    st.divider()
    return shown


def watchers(view: dict[str, Any]) -> None:
    """Who follows the request; adding a colleague or taking one off for
    those who may (the requester, the owner, the lead), stopping for a watcher."""
    ref, viewer, listed = view["ref"], view["viewer"], view["watchers"]
    if listed:
        st.markdown("**Watching:** " + ", ".join(literal(w["name"]) for w in listed))
    if viewer["watching"] and not viewer["manages_watchers"]:
        if st.button("Stop watching", key=f"unwatch-{ref}"):
            act(f"{ref}: you no longer watch it", service.watch, ref=ref, remove=viewer["email"])
    if not viewer["manages_watchers"]:
        return
    box = unfolded(f"Watchers ({len(listed)})", f"open-watchers-{ref}")
    if box is None:
        return
    with box:
        st.caption("A watcher hears what the requester hears and sees the request as they do, never internal notes.")
        for w in listed:
            if st.button(f"Remove {w['name']}", key=f"unwatch-{w['email']}-{ref}"):
                act(f"{ref}: {w['name']} no longer watches it", service.watch, ref=ref, remove=w["email"])
        if view["status"] == "closed":
            return
        taken = {view["requester"]["email"], *(w["email"] for w in listed)}
        people = [p for p in service.people(desk()) if p["email"] not in taken]
        with st.form(f"watch-{ref}"):
            chosen = st.selectbox("Add a colleague as a watcher", people, index=None, key=f"watch-who-{ref}",
                                  format_func=lambda p: f"{p['name']} ({p['email']})",
                                  placeholder="Choose a colleague")
            if st.form_submit_button("Add watcher"):
                if chosen is None:
                    st.error("Choose a colleague to add.")
                else:
                    act(f"{ref}: {chosen['name']} watches it now", service.watch, ref=ref, add=chosen["email"])


def incident_panel(view: dict[str, Any]) -> None:
    """An incident's own part of its card: the stores it affects and, for the
    team, the requests linked to it; for its owner and lead, linking more and
    unlinking one (saying why)."""
    ref, incident, viewer = view["ref"], view["incident"], view["viewer"]
    count = f"{incident['requests']} request{'s' * (incident['requests'] != 1)} at " \
            f"{incident['stores']} store{'s' * (incident['stores'] != 1)}"
    scope = (incident["scope"] or {}).get("words", "some stores")
    st.markdown(f":material/campaign: **Incident affecting {literal(scope)}** · "
                f"{literal(count)} part of it")
    working = viewer["works_it"] and view["status"] in ("open", "waiting")
    for line in incident.get("linked", []):
        text, press = st.columns([5, 1], vertical_alignment="center")
        text.markdown(f"**{literal(line['ref'])}** {literal(line['title'])} — {literal(line['site'])}, "
                      f"{literal(line['requester'])} · {literal(line['status'])} · {literal(line['owner'])} owns it")
        if not working:
            continue
        with press.popover("Unlink", key=f"unlink-open-{ref}-{line['ref']}"), \
                st.form(form := armed(f"unlink-{ref}-{line['ref']}")):
            why = st.text_input(f"Why is {line['ref']} not part of it?", key=f"{form}:note")
            if st.form_submit_button("Unlink"):
                act(f"{line['ref']}: no longer part of {ref}; its own promise runs again", service.unlink_incident,
                    form=form, incident_ref=ref, ref=line["ref"], note=why)
    if not working:
        return
    try:
        candidates = service.linkable_requests(desk(), ref, actor=current_user())
    except OwnitError as error:
        fail_inline(error)
        return
    with st.form(form := armed(f"link-{ref}")):
        chosen = st.multiselect("Link requests to this incident", candidates, key=f"{form}:refs",
                                format_func=lambda r: f"{r['ref']} · {r['title']} — {r['site']}, {r['requester']}",
                                placeholder="Requests in its scope, still being worked" if candidates
                                else "None in its scope to link")
        note = st.text_input("Note (optional; their owners see it)", key=f"{form}:note")
        if st.form_submit_button("Link requests"):
            act(lambda done: f"{ref}: linked {', '.join(done['linked_now']) or 'nothing new'}",
                service.link_incident, form=form, incident_ref=ref, refs=[r["ref"] for r in chosen], note=note)


def tasks_line(view: dict[str, Any]) -> None:
    """The parts of the request other departments' teams were asked to do:
    to the requester "IT Service Desk is doing part of it: isolate the tills,
    by Thu 26 Nov 10:00", to the team who owns each task too."""
    staff = view["viewer"]["staff"]
    for task in view.get("tasks", []):
        said = literal(task["line"] if staff else task["for_requester"])
        st.markdown(f":material/handshake: {f':red[{said}]' if task['late'] else said}")
