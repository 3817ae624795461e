"""The requester's window through Streamlit's AppTest (server-side runs)."""

from __future__ import annotations

import sys
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import AMIRA, HELEN, LEAK, NOAH, PRIYA, SAM, TOM, moved_on_leak, resolved_leak
from ownit import hookimpl, service

APP = str(Path(__file__).parent.parent / "ui" / "app.py")
# the stepper's marks: Streamlit's icon font, which every browser draws alike
CURRENT, REACHED, AHEAD = ":material/radio_button_checked:", ":material/check_circle:", ":material/radio_button_unchecked:"


@pytest.fixture
def app(ownit_demo_org, monkeypatch: pytest.MonkeyPatch):
    import sys

    monkeypatch.setenv("OWNIT_DATABASE_URL", ownit_demo_org.url)
    monkeypatch.setenv("OWNIT_UI_DEMO", "1")
    # AppTest runs the app as the __main__ module and leaves it there; put pytest's back afterwards,
    # or a later test's spawned processes would start by running the app
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])

    def make(user: str = AMIRA, tab: str | None = None) -> AppTest:
        """The app as ``user``, on My requests' ``tab`` if named (only the open tab is drawn)."""
        monkeypatch.setenv("OWNIT_NOW", ownit_demo_org.now().isoformat())  # the app sees the test's clock
        at = AppTest.from_file(APP, default_timeout=30)
        at.session_state["user"] = user
        if tab:
            at.session_state["my-requests-tab"] = tab
        return at

    return make


def test_my_requests_shows_the_owner_the_promise_and_the_steps(app, ownit_demo_org) -> None:
    view = service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak",
                                 title="Roof leaking over the stockroom", fields=LEAK)
    at = app().run()
    assert not at.exception
    text = shown(at)
    assert view["ref"] in text and "Roof leaking over the stockroom" in text
    assert view["owner"]["name"] in text and "is fighting your corner" in text
    assert any(view["owner"]["name"] in rendered_text(i.value) and "owns this" in i.value for i in at.info)
    assert f"{CURRENT} Reported" in text and f"{AHEAD} Assessed by facilities" in text


def test_without_a_known_identity_there_is_only_a_clear_page(app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OWNIT_UI_DEMO", "0")  # production: identity from the auth proxy's header, none here
    monkeypatch.setenv("OWNIT_AUTH_HEADER", "X-Forwarded-Email")
    at = app().run()
    assert not at.exception
    assert "not registered in OwnIt" in rendered_text(at.error[0].value)
    assert len(at.markdown) == 0


def test_both_sign_in_modes_at_once_is_one_line_and_nothing_else(app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OWNIT_AUTH_HEADER", "X-Forwarded-Email")  # and OWNIT_UI_DEMO=1, from the fixture
    at = app().run()
    assert not at.exception
    assert [rendered_text(e.value) for e in at.error] == [
        "OWNIT_UI_DEMO=1 and OWNIT_AUTH_HEADER are both set; unset OWNIT_UI_DEMO for the company's sign-in "
        "(the demo's person picker lets anyone act as anyone)"]
    assert len(at.selectbox) == 0 and len(at.markdown) == 0  # no picker, no request


def _signed_in_by_header(monkeypatch: pytest.MonkeyPatch, sent: dict[str, list[str]], secret: str | None = None):
    """Header mode, with the headers a request would carry (AppTest sends none)."""
    monkeypatch.syspath_prepend(APP.rsplit("/", 1)[0])
    import common  # the UI's own module, as the app imports it

    monkeypatch.setenv("OWNIT_UI_DEMO", "0")
    monkeypatch.setenv("OWNIT_AUTH_HEADER", "X-Forwarded-Email")
    if secret:
        monkeypatch.setenv("OWNIT_PROXY_SECRET", secret)
    monkeypatch.setattr(common, "header_values", lambda name: sent.get(name.lower(), []))


def test_header_mode_shows_the_signed_in_person_and_says_how(app, monkeypatch: pytest.MonkeyPatch) -> None:
    _signed_in_by_header(monkeypatch, {"x-forwarded-email": [AMIRA.upper()], "x-ownit-proxy-secret": ["s3"]},
                         secret="s3")
    at = app().run()
    assert not at.exception and not at.error
    assert any("signed in by your company's proxy" in rendered_text(c.value) for c in at.sidebar.caption)
    assert len(at.sidebar.selectbox) == 0  # no picker


@pytest.mark.parametrize(("sent", "says"), [
    ({"x-forwarded-email": [AMIRA], "x-ownit-proxy-secret": []}, "not opened through the company's sign-in"),
    ({"x-forwarded-email": [HELEN, AMIRA], "x-ownit-proxy-secret": ["s3"]}, "came 2 times"),
])
def test_a_request_around_the_proxy_or_with_an_ambiguous_header_sees_one_line(
        app, monkeypatch: pytest.MonkeyPatch, sent: dict[str, list[str]], says: str) -> None:
    _signed_in_by_header(monkeypatch, sent, secret="s3")
    at = app().run()
    assert not at.exception
    assert len(at.error) == 1 and says in rendered_text(at.error[0].value)
    assert len(at.markdown) == 0


def test_raising_through_the_form_shows_the_owner_at_once(app, ownit_demo_org) -> None:
    at = app()
    at.run()
    at.switch_page("views/raise_request.py").run()
    assert not at.exception
    pick = {s.label: s for s in at.selectbox}
    assert pick["Department"].value["name"] == "Facilities"
    assert pick["What do you need?"].value["label"] == "Water leak or roof"  # the first type
    assert any("Water damages stock" in c.value for c in at.caption)  # why it matters
    at.text_input[0].input("Water through the stockroom ceiling")
    fields = {t.label: t for t in at.text_input}
    fields["Where is the water coming in?"].input("stockroom")
    [r for r in at.radio if r.label.startswith("Is water near")][0].set_value("no")
    at.button[0].click().run()
    assert not at.exception
    assert at.success and "owns it" in rendered_text(at.success[0].value)
    mine = service.my_requests(ownit_demo_org, actor=AMIRA)
    assert len(mine) == 1 and mine[0]["title"] == "Water through the stockroom ceiling"


def test_every_mistake_in_the_form_is_shown_under_its_field_and_nothing_is_raised(app, ownit_demo_org) -> None:
    at = app()
    at.run()
    at.switch_page("views/raise_request.py").run()
    electrics = next(r for r in at.radio if r.label.startswith("Is water near"))
    assert electrics.options == ["yes", "no"] and electrics.value is None  # no third option, nothing picked
    at.button[0].click().run()  # nothing filled in
    assert not at.exception
    # each problem under its field, in the form's words, the field's label in red; a summary below the button
    said = [rendered_text(e.value) for e in at.error]
    assert said == ["It is empty; write a few words.", "It is required.", "It is required.",
                    "Not raised yet: 3 things to fix, marked above."]
    marked = [rendered_text(w.label) for w in [*at.text_input, *at.radio] if w.label.startswith(":red[")]
    assert marked == [":red[In one line]", ":red[Where is the water coming in?]",
                      ":red[Is water near lights, tills or sockets?]"]
    assert not any("(location)" in s or "title" in s for s in said)
    assert service.my_requests(ownit_demo_org, actor=AMIRA) == []
    next(t for t in at.text_input if "In one line" in t.label).input("Water by the till")
    at.button[0].click().run()  # one fixed: two left, still marked
    assert [rendered_text(e.value) for e in at.error][-1] == "Not raised yet: 2 things to fix, marked above."


@pytest.mark.slow
def test_ownit_ui_serves_the_app(ownit_demo_org) -> None:
    """`ownit ui --demo` starts a real Streamlit server on 127.0.0.1."""
    import urllib.request

    from ui_server import start_ui

    for address in start_ui(ownit_demo_org.url, "--demo"):
        with urllib.request.urlopen(address, timeout=5) as page:
            assert page.status == 200 and b'id="root"' in page.read()


def test_the_requester_answers_confirms_and_rates_from_the_card(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=LEAK)
    ref, owner = view["ref"], view["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="hello")
    service.wait_on_requester(desk, ref, actor=owner, note="Send a photo of the ceiling")
    at = app().run()
    assert any("Waiting on you: Send a photo of the ceiling" in rendered_text(w.value) for w in at.warning)
    [t for t in at.text_area if t.label == "Your answer"][0].input("Photo sent by email")
    [b for b in at.button if b.label == "Send and hand it back"][0].click().run()
    assert not at.exception
    assert rendered_text(at.success[0].value) == f"{ref}: sent to {view['owner']['name']}"
    assert service.show(desk, ref, actor=AMIRA)["status"] == "open"
    service.resolve(desk, ref, actor=owner, note="fixed")
    at.run()
    [s for s in at.slider if s.label.startswith("How likely")][0].set_value(9)
    [b for b in at.button if b.label == "Confirm it is fixed"][0].click().run()
    assert not at.exception
    shown = service.show(desk, ref, actor=AMIRA)
    assert shown["status"] == "closed"
    assert shown["timeline"][-1]["kind"] == "confirmed" and shown["timeline"][-1]["data"]["nps"] == 9


def test_an_empty_note_is_refused_inline(app, ownit_demo_org) -> None:
    service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak", title="Leak", fields=LEAK)
    at = app().run()
    [b for b in at.button if b.label == "Add note"][0].click().run()
    assert not at.exception
    assert "the note is empty" in rendered_text(at.error[0].value)


def rendered_text(markdown_text: str) -> str:
    """The text a browser shows for ``markdown_text`` (CommonMark): only
    OwnIt's own markup may appear in its HTML, never a tag from user text."""
    import html
    import re

    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").render(markdown_text).strip()
    body = re.sub(r'<a href="(mailto|tel):[^"<>]*">([^<]*)</a>', r"\2", rendered)  # OwnIt's own links to reach people
    body = re.sub(r"</?(p|h4|h5|strong|code|blockquote)>|<br />", "", body).strip()
    assert "<" not in body, f"user text became markup: {rendered}"
    return html.unescape(body)


def shown(at: AppTest) -> str:
    return "\n".join(rendered_text(m.value) for m in at.markdown)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_your_support_people_names_the_owner_and_lead_and_raises_nothing(app, ownit_demo_org) -> None:
    at = app().run()
    at.switch_page("views/support_people.py").run()
    assert not at.exception
    expected = service.who(ownit_demo_org, actor=AMIRA)
    text = shown(at)
    for line in expected["departments"]:
        assert line["owner"]["name"] in text and f"Their lead: {line['lead']['name']}" in text
    assert [s.value for s in at.selectbox][0] == "S001"  # the requester's own site
    at.selectbox[0].set_value("S101").run()
    assert "Their lead: Owen Ellis" in shown(at)  # facilities south's lead
    assert service.my_requests(ownit_demo_org, actor=AMIRA) == []


def test_requesters_get_no_team_queue_and_agents_do(app, ownit_demo_org) -> None:
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in a requester's menu
        app(AMIRA).run().switch_page("views/team.py").run()
    at = app(SAM).run()
    at.switch_page("views/team.py").run()
    assert not at.exception and at.title[0].value == "Team queue"


def unfold(at: AppTest, what: str, ref: str) -> AppTest:
    """A click on the card's folded ``what`` (``timeline``, ``answers``, ``watchers``, ``declare``, ``task``,
    ``contractor``): what it holds is drawn once it is open."""
    at.session_state[f"open-{what}-{ref}"] = True
    return at.run()


def owner_tab(at: AppTest, ref: str, label: str) -> AppTest:
    """A click on the card's owner tab ``label``: only the open tab's form is drawn."""
    at.session_state[f"owner-tabs-{ref}"] = label
    return at.run()


def open_team_queue(app, user: str) -> AppTest:
    at = app(user).run()
    at.switch_page("views/team.py").run()
    assert not at.exception
    return at


def test_the_owner_works_the_request_from_the_team_queue(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Roof leak", fields=LEAK)
    ref, owner = view["ref"], view["owner"]["email"]
    at = open_team_queue(app, owner)
    assert [t.label for t in at.tabs if t.label != "Timeline"][:2] == ["First contact", "Hand off"]
    next(t for t in at.text_area if t.label == "What you told the requester").input("Coming at two")
    button(at, "Record first contact").click().run()
    assert not at.exception and rendered_text(at.success[0].value) == f"{ref}: first contact recorded"
    next(t for t in at.text_area if t.label.startswith("Check-in note")).input("Roofer booked for Wednesday")
    button(at, "Check in").click().run()
    assert not [t for t in at.text_area if t.label.startswith("Note (the requester")]  # its tab not open yet
    owner_tab(at, ref, "Next stage")
    next(t for t in at.text_area if t.label.startswith("Note (the requester")).input("Assessed: flashing torn")
    button(at, "Move it on").click().run()
    assert not at.exception
    seen = service.show(desk, ref, actor=AMIRA)
    assert [e["kind"] for e in seen["timeline"]][-3:] == ["contacted", "checkin", "stage"]
    assert seen["timeline"][-2]["note"] == "Roofer booked for Wednesday" and seen["stage"] == "assessed"

    mine = app(AMIRA).run()  # back as the store manager: the check-in and the moved stepper
    assert "Roofer booked for Wednesday" not in shown(mine)  # the timeline is folded, and drawn once opened
    assert "Roofer booked for Wednesday" in shown(unfold(mine, "timeline", ref))
    assert f"{REACHED} Reported" in shown(mine) and f"{CURRENT} Assessed by facilities" in shown(mine)


def test_a_handoff_with_a_note_from_the_browser(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Roof leak", fields=LEAK)
    ref, owner = view["ref"], view["owner"]["email"]
    other = SAM if owner == PRIYA else PRIYA
    at = owner_tab(open_team_queue(app, HELEN), ref, "Hand off")  # the lead reassigns
    handoff = next(s for s in at.selectbox if s.label == "Hand to")
    members = {m["email"]: m["name"] for m in service.show(desk, ref, actor=HELEN)["team_members"]}
    assert [o.split(" (")[0] for o in handoff.options] == [members[other], "Helen Price"]  # a member, or the lead
    handoff.select_index(0)
    next(t for t in at.text_area if t.label.startswith("Handoff note")).input("Sam knows this roof")
    button(at, "Hand off").click().run()
    assert not at.exception
    after = service.show(desk, ref, actor=HELEN)
    assert after["owner"]["email"] == other and after["timeline"][-1]["kind"] == "reassigned"


def test_team_queue_filters(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    urgent = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Water on the till",
                                   fields={"location": "till", "near_electrics": "yes"})
    calm = service.raise_request(desk, actor=TOM, request_type="facilities.fixture", title="Shelf loose",
                                 fields={"item": "shelf bay 12"})
    desk.clock.advance(hours=3)  # the urgent first contact (2h) is overdue; the other is due tomorrow
    at = open_team_queue(app, HELEN)
    assert {m.label: m.value for m in at.metric} == {"Open": "2", "Overdue": "1", "Due later today": "0",
                                                     "Waiting": "0", "To confirm": "0"}
    assert {r for r in at.dataframe[0].value["ref"]} == {urgent["ref"], calm["ref"]}
    at.button_group[0].set_value("Overdue").run()
    assert list(at.dataframe[0].value["ref"]) == [urgent["ref"]]
    assert "1 overdue" in rendered_text(at.caption[0].value)
    at.button_group[0].set_value("Waiting on requester").run()
    assert not at.dataframe and at.info[0].value == "Nothing here."


def test_user_text_is_shown_exactly_as_typed(app, ownit_demo_org) -> None:
    title = "<script>alert(1)</script> **bold** :red[x] $x$ [link](http://evil)"
    view = service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak", title=title,
                                 fields=LEAK)
    service.add_note(ownit_demo_org, view["ref"], actor=AMIRA, note="_under_ `code` <b>b</b>")
    at = unfold(app().run(), "timeline", view["ref"])
    texts = [rendered_text(m.value) for m in at.markdown]
    assert f"{view['ref']} · {title}" in texts
    assert any(t.endswith("— _under_ `code` <b>b</b>") for t in texts)


def test_colleagues_see_the_site_list_but_not_each_others_cards(app, ownit_demo_org) -> None:
    view = service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak", title="Roof leak",
                                 fields=LEAK)
    assert f"{view['ref']} · Roof leak" not in shown(app(NOAH).run())  # not among his cards
    noah = app(NOAH, tab="At my site").run()
    assert [b.key for b in noah.button if b.label == "Me too"] == [f"metoo-{view['ref']}"]  # but listed at his site
    tom = app(TOM, tab="At my site").run()
    assert view["ref"] not in shown(tom) and not [b for b in tom.button if b.label == "Me too"]  # nor another store


def test_a_closed_request_can_be_reopened_from_the_card(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, _ = resolved_leak(desk)
    service.confirm(desk, ref, actor=AMIRA, nps=9)
    at = app().run()
    assert not any(t.label.startswith("Not fixed after all?") for t in at.text_input)  # folded
    next(t for t in at.toggle if t.label == "Closed (1)").set_value(True).run()
    box = next(t for t in at.text_input if t.label.startswith("Not fixed after all?"))
    assert "(until Mon 30 Nov 10:00)" in box.label
    box.input("Dripping again")
    button(at, "Reopen it").click().run()
    assert not at.exception and service.show(desk, ref, actor=AMIRA)["status"] == "open"


def test_service_health_for_a_lead_shows_figures_flags_and_a_csv(app, ownit_demo_org) -> None:
    from ownit.demo.history import play

    play(ownit_demo_org, weeks=6)  # six weeks through the real service, Facilities South growing unloved
    at = app(HELEN).run()
    at.switch_page("views/health.py").run()
    assert not at.exception
    today = ownit_demo_org.now().date()  # the page's default period: the last 28 days, whole days in UTC
    expected = service.report(ownit_demo_org, actor=HELEN, by="owner",
                              since=datetime.combine(today - timedelta(days=27), time.min, timezone.utc),
                              until=datetime.combine(today + timedelta(days=1), time.min, timezone.utc))
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) == {"first contact", "check-ins", "resolve", "promises", "reopened", "NPS", "effort"}
    assert metrics["NPS"] == f"{expected['headline']['nps']:.0f}"
    assert any("Facilities South got faster" in rendered_text(w.value) for w in at.warning)
    owners = at.dataframe[0].value
    assert set(owners["owner"]) == {o["name"] for o in expected["owners"]}
    assert [b.label for b in at.get("download_button")] == ["Download per-owner figures (CSV)"]


def test_service_health_is_not_offered_to_requesters(app) -> None:
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app(AMIRA).run().switch_page("views/health.py").run()


class DownChannel:
    """A chat channel whose server is down: every notification fails."""

    @hookimpl
    def ownit_notify(self, notification):
        raise ConnectionError("chat server down")


def test_the_outbox_page_shows_admins_what_failed_and_why(app, ownit_demo_org, tmp_path) -> None:
    from ownit.desk import Desk
    from ownit.org import load_org
    from ownit.plugins import build_plugins

    admin = tmp_path / "admin.toml"
    admin.write_text(f'[[person]]\nemail = "{HELEN}"\nname = "Helen Price"\nsite = "HQ"\nroles = ["lead", "admin"]\n',
                     encoding="utf-8")
    load_org(ownit_demo_org, admin)
    with_chat = Desk(url=ownit_demo_org.url, clock=ownit_demo_org.clock,
                     plugins=build_plugins(extra=[("pager", DownChannel())]))
    service.raise_request(with_chat, actor=AMIRA, request_type="facilities.leak", title="Roof leak", fields=LEAK)
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in a requester's menu
        app(AMIRA).run().switch_page("views/outbox.py").run()
    at = app(HELEN).run()
    at.switch_page("views/outbox.py").run()
    assert not at.exception and at.title[0].value == "Outbox"
    table = at.dataframe[0].value
    assert set(table["kind"]) == {"assigned", "raised"} and set(table["state"]) == {"retrying"}
    assert all("chat server down" in error for error in table["last error"])
    button(at, "Retry now").click().run()  # this server's chat channel has no address for them: said inline
    assert not at.exception and "No channel reaches the recipient" in rendered_text(at.info[0].value)


def test_a_link_with_the_ref_opens_that_request_first(app, ownit_demo_org) -> None:
    view = service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak", title="Roof leak",
                                 fields=LEAK)
    other = service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak", title="Door jammed",
                                  fields=LEAK)
    at = app(AMIRA)
    at.query_params["ref"] = view["ref"]
    at.run()
    assert not at.exception and at.caption[0].value == "Opened from your link"
    assert rendered_text(at.markdown[0].value) == f"{view['ref']} · Roof leak"  # first, before the others
    assert other["ref"] in shown(at)
    at = app(TOM)  # another store's manager: the service says no, in one line
    at.query_params["ref"] = view["ref"]
    at.run()
    assert not at.exception and len(at.error) == 1 and view["ref"] in rendered_text(at.error[0].value)
    owner = view["owner"]["email"]
    at = app(owner).run()
    at.query_params["ref"] = view["ref"]
    at.switch_page("views/team.py").run()
    assert not at.exception and "Opened from your link" in [c.value for c in at.caption]


def test_a_check_in_sent_again_from_the_same_form_is_recorded_once(app, ownit_demo_org) -> None:
    """A double click: the first run committed the check-in but was cut short
    by the second click before the form was cleared, so the second run sends
    the same form, with the same token, again."""
    desk = ownit_demo_org
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Roof leak", fields=LEAK)
    ref, owner = view["ref"], view["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="Coming at two")
    at = open_team_queue(app, owner)
    token = at.session_state[f"armed-checkin-{ref}"]
    service.check_in(desk, ref, actor=owner, note="Roofer booked", key=token)  # the first click's run
    next(t for t in at.text_area if t.label.startswith("Check-in note")).input("Roofer booked")
    button(at, "Check in").click().run()  # the second click
    assert not at.exception and rendered_text(at.success[0].value) == f"{ref}: checked in"
    assert [e["kind"] for e in service.show(desk, ref, actor=owner)["timeline"]].count("checkin") == 1
    assert at.session_state[f"armed-checkin-{ref}"] != token  # armed afresh: the next check-in is a new one
    next(t for t in at.text_area if t.label.startswith("Check-in note")).input("Roofer on site")
    button(at, "Check in").click().run()
    assert [e["kind"] for e in service.show(desk, ref, actor=owner)["timeline"]].count("checkin") == 2


def test_the_team_queue_finds_a_request_by_its_reference_or_by_words(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    views = [service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title=title, fields=LEAK)
             for title in ("Roof leak over the stockroom", "Drip by the freezers", "Roof leak by the doors")]
    at = open_team_queue(app, HELEN)
    next(t for t in at.text_input if t.label == "Find a request").input("roof LEAK").run()
    assert not at.exception
    assert sorted(at.dataframe[0].value["ref"]) == sorted([views[0]["ref"], views[2]["ref"]])
    assert "2 requests, most pressing first matching “roof LEAK”" in rendered_text(at.caption[0].value)
    next(t for t in at.text_input if t.label == "Find a request").input("boiler").run()
    assert not at.dataframe and at.info[0].value == "Nothing matches."
    ref = views[1]["ref"]
    next(t for t in at.text_input if t.label == "Find a request").input(ref.lower()).run()
    assert not at.exception and at.query_params["ref"] == ref  # straight to it, as a link to it would
    assert at.caption[0].value == "Opened from your link"
    assert rendered_text(at.markdown[0].value) == f"{ref} · Drip by the freezers"
    assert next(t for t in at.text_input if t.label == "Find a request").value == ""  # "Show all" is the queue again
    button(at, "Show all").click().run()
    assert not at.exception and "ref" not in at.query_params and len(at.dataframe[0].value) == 3


def test_the_lead_opens_the_load_per_owner_chart_and_an_agent_has_none(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    for n in range(4):
        service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title=f"Leak {n}", fields=LEAK)
    at = open_team_queue(app, HELEN)
    assert "Load per owner" in [e.label for e in at.expander]
    assert not at.get("vega_lite_chart")  # folded: the chart is not drawn
    at.session_state["open-load-facilities-north"] = True  # a click on the fold
    at.run()
    assert not at.exception and len(at.get("vega_lite_chart")) == 1
    agent = open_team_queue(app, SAM)
    assert "Load per owner" not in [e.label for e in agent.expander] and not agent.get("vega_lite_chart")


def test_the_team_queue_pages_reach_its_last_request_and_a_row_opens_its_card(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    views = [service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title=f"Leak {n}", fields=LEAK)
             for n in range(45)]
    whole = [r["ref"] for r in service.queue(desk, actor=HELEN, team="facilities-north", limit=100)]
    assert sorted(whole) == sorted(v["ref"] for v in views)
    at = open_team_queue(app, HELEN)
    seen = []
    for number in (1, 2, 3):
        assert f"Page {number} of 3" in shown(at)
        page = list(at.dataframe[0].value["ref"])
        seen += page
        cards = [rendered_text(m.value).split(" · ")[0] for m in at.markdown if " · Leak " in m.value]
        assert cards == page[:1]  # the page's most pressing request's card under its table
        if number < 3:
            button(at, "Next").click().run()
            assert not at.exception
    assert seen == whole and len(page) == 5  # every request, each once, the least pressing last
    assert button(at, "Next").disabled and rendered_text(at.caption[0].value).startswith("41–45 of 45")
    button(at, "Previous").click().run()
    assert list(at.dataframe[0].value["ref"]) == whole[20:40]
    at.session_state["team-table"] = {"selection": {"rows": [3], "columns": [], "cells": []}}  # a click on row 4
    at.run()
    assert not at.exception and at.query_params["ref"] == whole[23]
    assert at.caption[0].value == "Opened from your link"
    title = next(v["title"] for v in views if v["ref"] == whole[23])
    assert rendered_text(at.markdown[0].value) == f"{whole[23]} · {title}"


def test_the_inbox_heads_each_line_in_peoples_words(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, _ = moved_on_leak(desk)
    at = app(AMIRA).run()
    at.switch_page("views/inbox.py").run()
    assert not at.exception
    lines = [m.value for m in at.markdown if m.value.startswith("`")]  # `when` **heading** the sentence
    assert [line.split("**")[1] for line in lines] == ["moved on", "checked in", "first contact", "raised"]
    said = [rendered_text(line) for line in lines]
    assert not any(word in line for line in said for word in ("checkin", "stage", ".."))
    assert f"{ref} moved on to 'Assessed by facilities'." in said[0]


def test_my_requests_draws_three_cards_the_one_waiting_on_you_first_and_lists_the_rest(app, ownit_demo_org) -> None:
    """Seven open requests: three whole cards (the one waiting on the requester first, then the newest) and
    the other four as rows of one table, newest first; a click on a row opens that request at the top."""
    desk = ownit_demo_org
    views = [service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title=f"Leak {n}", fields=LEAK)
             for n in range(7)]
    waiting = views[1]  # the second oldest: without the wait it would be a row
    service.contact(desk, waiting["ref"], actor=waiting["owner"]["email"], note="Looking into it")
    service.wait_on_requester(desk, waiting["ref"], actor=waiting["owner"]["email"], note="Which aisle?")
    at = app().run()
    assert not at.exception
    cards = [rendered_text(m.value).split(" · ")[0] for m in at.markdown if " · Leak " in m.value]
    newest = [v["ref"] for v in reversed(views) if v is not waiting]
    assert cards == [waiting["ref"], *newest[:2]]
    assert list(at.dataframe[0].value["ref"]) == newest[2:]
    assert "4 more still being worked: click one to open it here." in [c.value for c in at.caption]
    at.session_state["mine-open"] = {"selection": {"rows": [1], "columns": [], "cells": []}}  # a click on row 2
    at.run()
    assert not at.exception and at.query_params["ref"] == newest[3]
    assert rendered_text(at.markdown[0].value) == f"{newest[3]} · Leak 3"
    assert at.caption[0].value == "Opened from your link"
    rows = list(at.dataframe[0].value["ref"])
    assert newest[3] not in rows and len(rows) == 3  # shown at the top, not also in the list


def test_a_requester_who_works_on_the_team_sees_every_card_once(app, ownit_demo_org) -> None:
    """The lead and an agent raise facilities requests of their own (their team owns them): every card
    draws, each with one note form, on My requests; the Team queue lists them all and draws the most
    pressing one's card, with one note form."""
    desk = ownit_demo_org
    refs = [service.raise_request(desk, actor=who, request_type="facilities.leak", title=f"Leak seen by {who}",
                                  fields=LEAK, site="S001")["ref"] for who in (HELEN, SAM, SAM)]
    service.hand_off(desk, refs[2], actor=SAM, to=PRIYA, note="Priya has the ladder")
    seen = [service.show(desk, ref, actor=who)["viewer"] for who, ref in zip((HELEN, SAM, SAM), refs, strict=True)]
    assert [(v["requester"], v["staff"], v["works_it"]) for v in seen] == [(True, True, True), (True, True, True),
                                                                            (True, True, False)]
    for who, page, mine in ((HELEN, None, [refs[0]]), (SAM, None, refs[1:]),
                            (HELEN, "views/team.py", refs), (SAM, "views/team.py", refs)):
        at = app(who).run()
        if page:
            at.switch_page(page).run()
        assert not at.exception, (who, page, at.exception)
        headings = [rendered_text(m.value) for m in at.markdown if m.value.startswith("####")]
        if page:  # the queue's table lists them all, most pressing first; that one's card is under it
            listed = list(at.dataframe[0].value["ref"])
            assert sorted(listed) == sorted(mine)
            mine = listed[:1]
        assert sorted(h.split(" · ")[0] for h in headings) == sorted(mine)
        # one note per card: its form, or the owner's "Note" tab (drawn when opened)
        assert len([b for b in at.button if b.label == "Add note"] + [t for t in at.tabs if t.label == "Note"]) \
            == len(mine)


PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.5 Mobile/15E148 Safari/604.1")


@pytest.fixture
def phone(monkeypatch: pytest.MonkeyPatch):
    """The pages as a phone's browser asks for them (AppTest sends no headers)."""
    monkeypatch.syspath_prepend(APP.rsplit("/", 1)[0])
    import common

    monkeypatch.setattr(common, "header_values", lambda name: [PHONE] if name.lower() == "user-agent" else [])


def test_on_a_phone_the_card_is_compact_and_the_closed_ones_folded(app, phone, ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = resolved_leak(desk)
    service.confirm(desk, ref, actor=AMIRA, nps=9)
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Water by till 2",
                                 fields={"location": "till 2", "near_electrics": "yes"})
    service.contact(desk, view["ref"], actor=view["owner"]["email"], note="On my way")
    service.check_in(desk, view["ref"], actor=view["owner"]["email"], note="Electrician booked for two")
    at = app().run()
    assert not at.exception
    # the picker labelled atop the page; the card's note one tap away
    assert [p.proto.popover.label for p in at.get("popover")] == ["Acting as Amira Khan — change",
                                                                 "Add a note or change an answer"]
    assert not at.sidebar.selectbox
    text = shown(at)
    assert f"{view['ref']} · Water by till 2" in text and ref not in text  # the closed one folded
    assert [t.label for t in at.toggle] == ["Closed (1)"]
    assert [rendered_text(p.proto.text) for p in at.get("progress")] == ["Step 1 of 5: Reported"]
    assert [e.label for e in at.expander][:1] == ["All steps"]  # the stepper, one tap away
    latest = next(m for m in at.markdown if "**Latest:**" in m.value)
    assert "Electrician booked for two" in rendered_text(latest.value)  # in plain sight, not in the timeline
    assert f"(tel:{view['owner']['phone'].replace(' ', '')})" in latest_owner_line(at, view)
    assert ":red[:material/warning: **Is water near lights\\, tills or sockets\\? yes**]" in text_values(at)
    at.toggle[0].set_value(True).run()
    assert not at.exception and ref in shown(at)


def latest_owner_line(at: AppTest, view: dict) -> str:
    return next(m.value for m in at.markdown if m.value.startswith(f"**{view['owner']['name']}**"))


def text_values(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_owner_sees_the_answers_with_the_safety_risk_marked(app, ownit_demo_org) -> None:
    view = service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak", title="Till leak",
                                 fields={"location": "ceiling above till 2", "near_electrics": "yes"})
    assert view["answers"] == [
        {"key": "location", "label": "Where is the water coming in?", "value": "ceiling above till 2", "safety": False},
        {"key": "near_electrics", "label": "Is water near lights, tills or sockets?", "value": "yes", "safety": True}]
    for who in (view["owner"]["email"], AMIRA):
        at = open_team_queue(app, who) if who != AMIRA else app(who).run()
        answers = next(m.value for m in at.markdown if "Where is the water coming in" in m.value)
        assert rendered_text(answers).split("\n") == [
            "Where is the water coming in? ceiling above till 2",
            ":red[:material/warning: Is water near lights, tills or sockets? yes]"]
        assert f"(mailto:{view['owner']['email']})" in latest_owner_line(at, view)


def test_a_raise_sent_again_from_the_same_form_raises_one_request(app, ownit_demo_org) -> None:
    """A double tap on "Raise it": the first run raised it but was cut short
    before the page moved on; the second sends the same form again."""
    at = app()
    at.run()
    at.switch_page("views/raise_request.py").run()
    token = at.session_state["armed-raise-facilities.leak"]
    first = service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak",
                                  title="Water through the stockroom ceiling", fields=LEAK, key=token)
    at.text_input[0].input("Water through the stockroom ceiling")
    {t.label: t for t in at.text_input}["Where is the water coming in?"].input("stockroom ceiling")
    [r for r in at.radio if r.label.startswith("Is water near")][0].set_value("no")
    at.button[0].click().run()
    assert not at.exception and rendered_text(at.success[0].value).startswith(f"{first['ref']} raised.")
    assert [v["ref"] for v in service.my_requests(ownit_demo_org, actor=AMIRA)] == [first["ref"]]
