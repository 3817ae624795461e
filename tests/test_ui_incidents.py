"""Incidents in the browser (Streamlit's AppTest): the raise page's known-issue
banner and its one tap to join, the incident line on every linked card, the
team's incidents above its queue, and declaring, linking and unlinking from
the cards.

The demo organisation's north region has Amira Khan and Noah Clarke (S001
Leeds), Tom Hughes (S002 York) and Isla Fraser (S003 Edinburgh); Grace
Okafor is at S101 Bristol, in the south. Raj Patel leads the IT Service Desk."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from conftest import AMIRA, GRACE, NOAH, RAJ, TOM
from ownit import service
from test_incidents import ISLA, raise_tills
from test_ui import app, button, open_team_queue, phone, rendered_text, shown, unfold  # noqa: F401  (fixtures)

JOIN = "This affects my store too — add me"


def declared(desk: Any, *, link: tuple[str, ...] = ()) -> tuple[str, str, list[str]]:
    """Amira's broken tills, declared an incident for the north region by the
    IT lead; the requests of ``link`` (raised now) linked to it. Returns the
    incident's ref, Amira's and the linked ones'."""
    first = raise_tills(desk, AMIRA)["ref"]
    inc = service.declare_incident(desk, actor=RAJ, from_ref=first, scope="region:north",
                                   title="Tills down in the north region")["ref"]
    others = [raise_tills(desk, who, f"AT-20000{n}")["ref"] for n, who in enumerate(link)]
    if others:
        service.link_incident(desk, inc, others, actor=RAJ, note="same fault: the payment gateway")
    return inc, first, others


def raise_page(app, user: str) -> AppTest:
    at = app(user).run()
    at.switch_page("views/raise_request.py").run()
    assert not at.exception
    return at


def banners(at: AppTest) -> list[str]:
    return [rendered_text(m.value) for m in at.markdown if "Known issue:" in m.value]


def linked_refs(desk: Any, inc: str) -> list[str]:
    return [line["ref"] for line in service.show(desk, inc, actor=RAJ)["incident"]["linked"]]


def test_a_north_manager_joins_from_the_banner_and_a_second_click_changes_nothing(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    inc, first, _ = declared(desk)
    at = raise_page(app, TOM)
    assert len(banners(at)) == 1
    line = banners(at)[0]
    assert line.startswith(":material/campaign: Known issue: Tills down in the north region (the north region)")
    assert "Raj Patel owns it; next update by " in line and inc in line
    button(at, JOIN).click().run()
    assert not at.exception and not at.error
    mine = service.my_requests(desk, actor=TOM)
    assert len(mine) == 1 and mine[0]["part_of"]["ref"] == inc and mine[0]["owner"]["email"] == RAJ
    assert rendered_text(at.success[0].value) == f"{mine[0]['ref']}: your store is part of {inc}; Raj Patel owns it"
    assert not [b for b in at.button if b.label == JOIN]  # part of it now: its request named instead
    assert f"You are part of it: your request {mine[0]['ref']} hears every update." in [
        rendered_text(c.value) for c in at.caption]
    assert linked_refs(desk, inc) == [first, mine[0]["ref"]]

    # a double click: the first run joined but was cut short before the page drew again
    at = raise_page(app, NOAH)
    token = at.session_state[f"armed-join-{inc}"]
    joined = service.join_incident(desk, inc, actor=NOAH, key=token)
    button(at, JOIN).click().run()  # the second click: the page says whose request it is, and does nothing
    assert not at.exception and not at.error and not at.success
    assert not [b for b in at.button if b.label == JOIN]
    assert f"You are part of it: your request {joined['ref']} hears every update." in [
        rendered_text(c.value) for c in at.caption]
    assert [r["ref"] for r in service.my_requests(desk, actor=NOAH)] == [joined["ref"]]
    assert linked_refs(desk, inc) == [first, mine[0]["ref"], joined["ref"]]


def test_a_click_on_a_page_drawn_before_the_join_landed_joins_once(app, ownit_demo_org) -> None:
    """Two tabs: the page drawn before a join in the other still shows the
    button; its click finds the join done and makes no second request."""
    desk = ownit_demo_org
    inc, _, _ = declared(desk)
    at = raise_page(app, NOAH)
    first = service.join_incident(desk, inc, actor=NOAH)  # the other tab
    button(at, JOIN).click().run()
    assert not at.exception and not at.error
    assert [r["ref"] for r in service.my_requests(desk, actor=NOAH)] == [first["ref"]]
    assert f"your request {first['ref']} hears every update" in rendered_text(" ".join(c.value for c in at.caption))


def test_a_south_manager_sees_no_banner(app, ownit_demo_org) -> None:
    declared(ownit_demo_org)
    at = raise_page(app, GRACE)
    assert banners(at) == [] and not [b for b in at.button if b.label == JOIN]
    assert [b for b in raise_page(app, ISLA).button if b.label == JOIN]  # a north store does


def test_a_linked_requesters_card_names_the_incident_its_owner_and_the_next_update(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    inc, _, (tom,) = declared(desk, link=(TOM,))
    service.contact(desk, inc, actor=RAJ, note="The payment gateway is down; the supplier is on it")
    at = app(TOM).run()
    assert not at.exception
    said = [rendered_text(i.value) for i in at.info if "incident" in i.value]
    assert len(said) == 1
    assert said[0].startswith(f"Part of incident {inc}: Tills down in the north region (the north region); "
                              "Raj Patel owns it; next update by ")
    latest = next(m for m in at.markdown if "**Latest:**" in m.value)  # the incident's update is the team's word
    assert "The payment gateway is down; the supplier is on it" in rendered_text(latest.value)
    assert "Raj Patel" in rendered_text(latest.value)


def test_on_a_phone_the_compact_card_names_the_incident_too(app, phone, ownit_demo_org) -> None:  # noqa: F811
    inc, _, _ = declared(ownit_demo_org, link=(TOM,))
    at = app(TOM).run()
    assert not at.exception
    assert any(rendered_text(i.value).startswith(f"Part of incident {inc}: ") for i in at.info)


def test_the_team_page_lists_the_incident_first_and_opens_it(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    inc, first, others = declared(desk, link=(TOM, ISLA))
    at = open_team_queue(app, RAJ)
    assert [h.value for h in at.subheader][:1] == ["Incidents"]
    texts = [rendered_text(m.value) for m in at.markdown]
    line = next(n for n, t in enumerate(texts) if t.startswith(f":material/campaign: {inc} "))
    assert "Raj Patel owns it · the north region · 3 requests at 3 stores · Declared · next update by" in texts[line]
    cards = [n for n, m in enumerate(at.markdown) if m.value.startswith("####")]
    assert cards and line < min(cards)  # above every request of the queue
    next(b for b in at.button if b.key == f"incident-{inc}").click().run()
    assert not at.exception and at.query_params["ref"] == inc
    assert at.caption[0].value == "Opened from your link"
    assert rendered_text(at.markdown[0].value) == f"{inc} · Tills down in the north region"
    text = shown(at)
    assert "Incident affecting the north region · 3 requests at 3 stores part of it" in text
    assert all(ref in text for ref in [first, *others])


def test_the_owner_declares_an_incident_from_the_card(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    view = raise_tills(desk, AMIRA)
    ref, owner = view["ref"], view["owner"]["email"]
    at = unfold(open_team_queue(app, owner), "declare", ref)
    title = next(t for t in at.text_input if t.key.startswith(f"declare-{ref}~"))
    assert title.value == "Tills not working"  # the request's own, to change
    title.input("Tills down across the north")
    next(r for r in at.radio if r.key.startswith(f"declare-{ref}~")).set_value("chosen stores")
    next(m for m in at.multiselect if m.key.startswith(f"declare-{ref}~")).set_value([])
    button(at, "Declare the incident").click().run()
    assert not at.exception and [rendered_text(e.value) for e in at.error] == ["Choose the stores it affects."]
    assert service.show(desk, ref, actor=AMIRA)["part_of"] is None  # nothing declared
    next(r for r in at.radio if r.key.startswith(f"declare-{ref}~")).set_value("this store's region")
    button(at, "Declare the incident").click().run()
    assert not at.exception and not at.error
    part_of = service.show(desk, ref, actor=AMIRA)["part_of"]
    assert part_of["title"] == "Tills down across the north" and part_of["scope"]["words"] == "the north region"
    assert rendered_text(at.success[0].value) == (f"{part_of['ref']} declared: Tills down across the north; "
                                                  f"{ref} is part of it")
    assert not [b for b in at.button if b.label == "Declare the incident"]  # part of one: nothing more to declare


def test_linking_and_unlinking_from_the_incidents_card(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    inc, first, _ = declared(desk)
    tom = raise_tills(desk, TOM, "AT-300001")["ref"]
    isla = raise_tills(desk, ISLA, "AT-300002")["ref"]
    at = app(RAJ)
    at.query_params["ref"] = inc
    at.run()
    at.switch_page("views/team.py").run()
    assert not at.exception
    pick = next(m for m in at.multiselect if m.label == "Link requests to this incident")
    candidates = service.linkable_requests(desk, inc, actor=RAJ)
    assert sorted(c["ref"] for c in candidates) == sorted([tom, isla])
    pick.set_value([c for c in candidates if c["ref"] == tom])
    next(t for t in at.text_input if t.label.startswith("Note (optional")).input("same gateway fault")
    button(at, "Link requests").click().run()
    assert not at.exception and not at.error
    assert rendered_text(at.success[0].value) == f"{inc}: linked {tom}"
    assert linked_refs(desk, inc) == [first, tom]
    assert service.show(desk, tom, actor=TOM)["part_of"]["ref"] == inc
    assert [c["ref"] for c in service.linkable_requests(desk, inc, actor=RAJ)] == [isla]

    form = f"unlink-{inc}-{tom}~"  # the Unlink of Tom's line
    assert len([b for b in at.button if b.label == "Unlink"]) == 2  # one per linked line
    next(b for b in at.button if b.label == "Unlink" and b.form_id.startswith(form)).click().run()
    assert not at.exception and len(at.error) == 1 and "note" in rendered_text(at.error[0].value)
    assert linked_refs(desk, inc) == [first, tom]  # no reason given: refused in one line
    next(t for t in at.text_input if t.key.startswith(form)).input("a card reader fault, not the gateway")
    next(b for b in at.button if b.label == "Unlink" and b.form_id.startswith(form)).click().run()
    assert not at.exception and not at.error
    assert rendered_text(at.success[0].value) == f"{tom}: no longer part of {inc}; its own promise runs again"
    assert linked_refs(desk, inc) == [first]
    card = service.show(desk, tom, actor=TOM)
    assert card["part_of"] is None and card["timeline"][-1]["note"] == "a card reader fault, not the gateway"


def test_service_health_shows_the_incidents_of_the_period_counted_once(app, ownit_demo_org) -> None:
    from test_incidents import north_outage

    desk = ownit_demo_org
    inc, _ = north_outage(desk)
    service.contact(desk, inc, actor=RAJ, note="On it")
    desk.clock.advance(hours=2)
    service.resolve(desk, inc, actor=RAJ, note="Gateway back")
    desk.clock.advance(hours=1)
    at = app(RAJ).run()
    at.switch_page("views/health.py").run()
    assert not at.exception
    assert "Incidents" in [h.value for h in at.subheader]
    assert {m.label: m.value for m in at.metric}["it: stores affected"] == "3"
    table = next(d.value for d in at.dataframe if "incident" in d.value.columns)
    assert list(table["incident"]) == [inc] and list(table["store-hours"]) == [6.0]
