"""Raising a request on someone's behalf: the phone call at the desk.

An agent or lead raises it for a named requester; it is theirs as if they had
raised it — their site, owner, promise, notices, My requests and service
health — and the timeline says who raised it for them."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from conftest import AMIRA, GRACE, HELEN, JAMES, LEAK, NOAH, RAJ, SAM, TOM, look
from ownit import service
from ownit.errors import NotFound, PermissionDenied
from ownit.models import Request
from test_cli import LEAK_ARGS, Cli, one_error_line
from test_ui import app, button, rendered_text, shown  # noqa: F401 (app: the pages through AppTest, a fixture)


def for_amira(desk: Any, actor: str = SAM, **kwargs: Any) -> dict[str, Any]:
    return service.raise_request(desk, actor=actor, request_type="facilities.leak", title="Leak by the tills",
                                 fields=LEAK, on_behalf_of=AMIRA, **kwargs)


def count_requests(desk: Any) -> int:
    return look(desk, lambda s: s.exec(sa.select(sa.func.count()).select_from(Request)).one()[0])


def test_an_agent_raises_for_a_store_manager_who_hears_it_as_her_own(ownit_demo_org: Any) -> None:
    desk = ownit_demo_org
    view = for_amira(desk)
    assert view["requester"]["email"] == AMIRA and view["raised_by"]["email"] == SAM
    assert view["site"]["code"] == "S001"  # Amira's site, not the agent's head office

    mine = service.my_requests(desk, actor=AMIRA)
    assert [r["ref"] for r in mine] == [view["ref"]]
    card = service.show(desk, view["ref"], actor=AMIRA)
    assert card["owner"]["email"] == view["owner"]["email"] and card["promise"]["first_contact_due"]
    assert card["viewer"]["requester"] and card["raised_by"]["name"] == "Sam Doyle"
    raised = card["timeline"][0]
    assert raised["kind"] == "raised" and raised["actor"] == SAM and raised["label"] == "raised for Amira Khan"

    received = [n for n in service.inbox(desk, actor=AMIRA) if n["kind"] == "raised"]
    assert len(received) == 1
    assert received[0]["message"].startswith(f"Sam Doyle raised {view['ref']} for you: 'Leak by the tills';")
    assert view["owner"]["name"] in received[0]["message"]
    assert service.inbox(desk, actor=SAM) == []  # the agent did it; nothing to tell them
    [assigned] = [n for n in service.inbox(desk, actor=view["owner"]["email"]) if n["kind"] == "assigned"]
    assert "for Amira Khan (raised by Sam Doyle); first contact due" in assigned["message"]


def test_service_health_counts_it_for_the_requesters_site(ownit_demo_org: Any) -> None:
    desk = ownit_demo_org
    view = for_amira(desk)
    service.contact(desk, view["ref"], actor=view["owner"]["email"], note="On my way")
    desk.clock.advance(hours=1)
    at_leeds = service.report(desk, actor=HELEN, site="S001")["headline"]
    at_head_office = service.report(desk, actor=HELEN, site="HQ")["headline"]
    assert at_leeds["first_contacts"] == 1 and at_leeds["first_contact_kept"] == 1.0
    assert at_head_office["first_contacts"] == 0


def test_raising_for_yourself_is_just_a_raise(ownit_demo_org: Any) -> None:
    view = service.raise_request(ownit_demo_org, actor=AMIRA, request_type="facilities.leak", title="Leak",
                                 fields=LEAK, on_behalf_of=AMIRA.upper())
    assert view["raised_by"] is None and view["timeline"][0]["label"] == "raised"


def test_a_store_manager_may_not_raise_for_a_colleague_and_nothing_is_written(ownit_demo_org: Any) -> None:
    desk = ownit_demo_org
    with pytest.raises(PermissionDenied, match="only the support teams and admins can raise a request for "
                                               "someone else; Amira Khan can do it themself"):
        for_amira(desk, actor=NOAH)
    with pytest.raises(NotFound, match="nobody@example.com is not registered"):
        service.raise_request(desk, actor=SAM, request_type="facilities.leak", title="Leak", fields=LEAK,
                              on_behalf_of="nobody@example.com")
    assert count_requests(desk) == 0
    assert service.inbox(desk, actor=AMIRA) == []


def test_a_private_type_is_raised_for_someone_by_its_own_department_only(ownit_demo_org: Any) -> None:
    desk = ownit_demo_org
    rtype = next(t for d in service.departments(desk)["departments"] for t in d["request_types"] if t["restricted"])
    fields = {f["key"]: (f["choices"][0] if f["kind"] == "choice" else "no" if f["kind"] == "yesno" else "x")
              for f in rtype["fields"] if f["required"]}
    with pytest.raises(PermissionDenied, match=f"{rtype['label']} is private to the requester and the hr team"):
        service.raise_request(desk, actor=SAM, request_type=rtype["key"], title="A concern", fields=fields,
                              on_behalf_of=AMIRA)
    assert count_requests(desk) == 0
    view = service.raise_request(desk, actor=JAMES, request_type=rtype["key"], title="A concern", fields=fields,
                                 on_behalf_of=AMIRA)
    assert view["requester"]["email"] == AMIRA and view["raised_by"]["email"] == JAMES


def test_the_key_is_the_raisers_a_second_send_raises_nothing_more(ownit_demo_org: Any) -> None:
    desk = ownit_demo_org
    first = for_amira(desk, key="phone-1")
    again = for_amira(desk, key="phone-1")
    assert again["repeated"] and again["ref"] == first["ref"]
    assert count_requests(desk) == 1
    # the same key is Amira's own to use: it is not the agent's
    hers = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Another", fields=LEAK,
                                 key="phone-1")
    assert not hers["repeated"] and hers["ref"] != first["ref"]


def test_the_command_line_raises_for_a_caller(ownit_demo_org: Any, ownit_database_url: str) -> None:
    cli = Cli(ownit_database_url)
    said = cli.ok("raise", "--as", SAM, "--for", AMIRA, *LEAK_ARGS).stdout
    assert said.startswith("FAC-1001 raised for Amira Khan: Priya Shah (Facilities North) owns it "
                           "and will contact them by ")
    shown = cli.ok("show", "FAC-1001", "--as", AMIRA).stdout
    assert "Raised by Sam Doyle for Amira Khan at High Street, Leeds" in shown
    view = cli.json("raise", "--as", SAM, "--for", AMIRA, *LEAK_ARGS)
    assert view["requester"]["email"] == AMIRA and view["raised_by"]["email"] == SAM
    refused = one_error_line(cli("raise", "--as", NOAH, "--for", AMIRA, *LEAK_ARGS), 1)
    assert refused.startswith("only the support teams and admins can raise a request for someone else")
    assert "is not registered" in one_error_line(cli("raise", "--as", SAM, "--for", "x@example.com", *LEAK_ARGS), 1)


def test_the_raise_page_offers_team_members_a_caller_and_the_card_says_who_raised_it(app, ownit_demo_org) -> None:
    def raise_page(user: str) -> Any:
        at = app(user).run()
        at.switch_page("views/raise_request.py").run()
        assert not at.exception
        return at

    label = "Raising for someone who phoned? (optional)"
    assert label not in {s.label for s in raise_page(AMIRA).selectbox}  # a store manager raises for herself only
    at = raise_page(SAM)
    caller = next(s for s in at.selectbox if s.label == label)
    caller.select_index(next(i for i, shown in enumerate(caller.options) if AMIRA in shown))
    at.text_input[0].input("Water through the stockroom ceiling")
    {t.label: t for t in at.text_input}["Where is the water coming in?"].input("stockroom")
    [r for r in at.radio if r.label.startswith("Is water near")][0].set_value("no")
    next(b for b in at.button if b.label == "Raise it").click().run()
    assert not at.exception
    assert at.success and "raised for Amira Khan" in rendered_text(at.success[0].value)

    mine = service.my_requests(ownit_demo_org, actor=AMIRA)
    assert len(mine) == 1 and mine[0]["title"] == "Water through the stockroom ceiling"
    assert mine[0]["owner"]["email"] and mine[0]["promise"]["first_contact_due"]
    at = app(AMIRA).run()
    assert not at.exception
    assert any("raised by Sam Doyle for Amira Khan" in c.value for c in at.caption)


def test_the_caller_is_the_one_affected_by_the_hint_me_too_and_the_incident_banner(ownit_demo_org: Any) -> None:
    """Taking a call, an agent sees the caller's site: colleagues' requests of
    the type (less the caller's own) to join for them, and the incidents at
    the caller's store to add them to; the caller hears it as their own."""
    desk = ownit_demo_org
    noahs = service.raise_request(desk, actor=NOAH, request_type="facilities.leak", title="Leak by the tills",
                                  fields=LEAK)
    hint = service.similar_open(desk, actor=RAJ, request_type="facilities.leak", on_behalf_of=AMIRA)
    assert [r["ref"] for r in hint] == [noahs["ref"]]  # Leeds, though the IT lead is at head office
    assert service.similar_open(desk, actor=RAJ, request_type="facilities.leak", on_behalf_of=NOAH) == []
    assert service.similar_open(desk, actor=RAJ, request_type="facilities.leak") == []

    joined = service.me_too(desk, noahs["ref"], actor=RAJ, on_behalf_of=AMIRA)
    assert joined["changed"] and joined["affects"] == 2 and joined["viewer"]["email"] == AMIRA
    assert not service.me_too(desk, noahs["ref"], actor=RAJ, on_behalf_of=AMIRA)["changed"]
    [told] = [n for n in service.inbox(desk, actor=AMIRA) if n["kind"] == "watching"]
    assert told["message"].startswith(f"Raj Patel added you as a watcher of {noahs['ref']}")
    [owner_told] = [n for n in service.inbox(desk, actor=noahs["owner"]["email"]) if n["kind"] == "me_too"]
    assert owner_told["message"].startswith("Amira Khan is affected too")
    entry = service.show(desk, noahs["ref"], actor=NOAH)["timeline"][-1]
    assert (entry["kind"], entry["actor"], entry["note"]) == (
        "me_too", RAJ, "Amira Khan is affected too (Raj Patel said so for them)")
    with pytest.raises(PermissionDenied, match="only the support teams and admins can join a request for someone "
                                               "else; Tom Hughes can do it themself"):
        service.me_too(desk, noahs["ref"], actor=AMIRA, on_behalf_of=TOM)
    with pytest.raises(NotFound, match="no request"):  # as the caller sees it: York sees nothing of Leeds's leak
        service.me_too(desk, noahs["ref"], actor=RAJ, on_behalf_of=TOM)

    inc = service.declare_incident(desk, actor=RAJ, department="it", scope="region:north",
                                   title="Tills down in the north region")["ref"]
    assert service.incidents_here(desk, actor=RAJ, on_behalf_of=GRACE) == []  # Bristol is in the south
    [here] = service.incidents_here(desk, actor=RAJ, on_behalf_of=TOM)
    assert (here["ref"], here["yours"]) == (inc, [])
    toms = service.join_incident(desk, inc, actor=RAJ, on_behalf_of=TOM, key="call-1")
    assert toms["changed"] and toms["requester"]["email"] == TOM and toms["raised_by"]["email"] == RAJ
    assert toms["site"]["code"] == "S002" and toms["part_of"]["ref"] == inc
    again = service.join_incident(desk, inc, actor=RAJ, on_behalf_of=TOM, key="call-1")
    assert (again["ref"], again["changed"]) == (toms["ref"], False)
    assert service.incidents_here(desk, actor=RAJ, on_behalf_of=TOM)[0]["yours"] == [toms["ref"]]
    assert [r["ref"] for r in service.my_requests(desk, actor=TOM)] == [toms["ref"]]
    with pytest.raises(NotFound, match="no request"):  # as for Grace herself: Bristol sees nothing of it
        service.join_incident(desk, inc, actor=RAJ, on_behalf_of=GRACE)


def test_the_command_line_says_me_too_and_joins_an_incident_for_a_caller(ownit_demo_org: Any,
                                                                         ownit_database_url: str) -> None:
    desk = ownit_demo_org
    noahs = service.raise_request(desk, actor=NOAH, request_type="facilities.leak", title="Leak by the tills",
                                  fields=LEAK)
    inc = service.declare_incident(desk, actor=RAJ, department="it", scope="sites:S002",
                                   title="Tills down in York")["ref"]
    cli = Cli(ownit_database_url)
    assert cli.ok("metoo", noahs["ref"], "--for", AMIRA, "--as", SAM).stdout == (
        f"{noahs['ref']}: they are on it too; it affects 2 people\n")
    assert cli.ok("incident", "list", "--for", TOM, "--as", RAJ).stdout.startswith(f"{inc} Tills down in York")
    assert cli.ok("incident", "list", "--for", AMIRA, "--as", RAJ).stdout == "no open incident affects their store\n"
    joined = cli.ok("incident", "join", inc, "--for", TOM, "--as", RAJ).stdout
    assert f"joined; part of incident {inc}" in joined
    assert one_error_line(cli("metoo", noahs["ref"], "--for", TOM, "--as", AMIRA), 1).startswith(
        "only the support teams and admins can join a request for someone else")


def test_picking_the_caller_first_makes_the_raise_page_theirs(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    noahs = service.raise_request(desk, actor=NOAH, request_type="facilities.leak", title="Leak by the tills",
                                  fields=LEAK)
    inc = service.declare_incident(desk, actor=RAJ, department="it", scope="sites:S001",
                                   title="Tills down in Leeds")["ref"]
    at = app(SAM).run()
    at.switch_page("views/raise_request.py").run()
    assert "Tills down in Leeds" not in shown(at) and noahs["ref"] not in shown(at)  # head office's page
    caller = next(s for s in at.selectbox if s.label == "Raising for someone who phoned? (optional)")
    caller.select_index(next(i for i, option in enumerate(caller.options) if AMIRA in option)).run()
    assert not at.exception
    page = shown(at)
    assert "Known issue: Tills down in Leeds" in page and "Already raised at Amira Khan's site" in page
    assert noahs["ref"] in page
    button(at, "This is their problem too").click().run()
    assert not at.exception
    assert service.show(desk, noahs["ref"], actor=AMIRA)["affects"] == 2
    button(at, "This affects Amira Khan's store too — add them").click().run()
    assert not at.exception
    [hers] = [r for r in service.my_requests(desk, actor=AMIRA) if r["ref"] != noahs["ref"]]
    assert service.show(desk, hers["ref"], actor=AMIRA)["part_of"]["ref"] == inc
    assert "Amira Khan is part of it: Amira Khan's request " + hers["ref"] in " ".join(
        rendered_text(c.value) for c in at.caption)
