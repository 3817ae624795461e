"""Raising a request on someone's behalf: the phone call at the desk.

An agent or lead raises it for a named requester; it is theirs as if they had
raised it — their site, owner, promise, notices, My requests and service
health — and the timeline says who raised it for them."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from conftest import AMIRA, HELEN, JAMES, LEAK, NOAH, SAM, look
from ownit import service
from ownit.errors import NotFound, PermissionDenied
from ownit.models import Request
from test_cli import LEAK_ARGS, Cli, one_error_line
from test_ui import app, rendered_text  # noqa: F401 (app: the pages through AppTest, a fixture)


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
    assert f"for Amira Khan (raised by Sam Doyle); first contact due" in assigned["message"]


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
                                               "someone else; ask Amira Khan to raise it"):
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
