""""Me too" and the duplicate hint on raise: a colleague at the site joins an
open request as an affected watcher, and the raise page shows what is already
open of the chosen type (the service, the command line and the UI), on SQLite
and PostgreSQL.

The demo organisation has Amira Khan and Noah Clarke at S001 (Leeds) and Tom
Hughes at S002 (York); a third Leeds colleague is added where one is needed."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import AMIRA, NOAH, TOM, look
from ownit import service
from ownit.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ownit.models import Watcher
from ownit.testing import load_org_text
from test_cli import Cli, one_error_line
from test_ui import app, rendered_text  # noqa: F401  (app: the AppTest fixture)
from test_watchers import HR_CASE, S001, heard, kinds, raise_leak

ELLA = "ella.shaw@example.com"
WITH_ELLA = S001 + (f'deputies = ["{NOAH}"]\n[[person]]\nemail = "{ELLA}"\nname = "Ella Shaw"\n'
                    'title = "Store supervisor"\nsite = "S001"\nroles = ["requester"]\n')


def affected(desk: Any, ref: str) -> list[tuple[str, bool]]:
    """The request's watchers as stored: (email, affected), in the order they came."""
    def read(session: Any) -> list[tuple[str, bool]]:
        from ownit.models import Person, Request

        rows = session.exec(Watcher.__table__.select().join(Request.__table__).where(Request.ref == ref)
                            .order_by(Watcher.id)).all()
        emails = {p.id: p.email for p in session.exec(Person.__table__.select()).all()}
        return [(emails[r.person_id], r.affected) for r in rows]

    return look(desk, read)


def test_a_colleague_joins_once_and_hears_the_next_check_in(ownit_demo_org, tmp_path) -> None:
    desk = ownit_demo_org
    load_org_text(desk, WITH_ELLA, tmp_path)
    view = raise_leak(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    assert view["affects"] == 1
    joined = service.me_too(desk, ref, actor=NOAH)
    assert joined["changed"] and joined["affects"] == 2 and joined["viewer"]["watching"]
    assert (joined["timeline"][-1]["kind"], joined["timeline"][-1]["data"]) == ("me_too", {"person": NOAH, "affects": 2})
    again = service.me_too(desk, ref, actor=NOAH)
    assert not again["changed"] and again["affects"] == 2 and again["timeline"] == joined["timeline"]
    assert service.me_too(desk, ref, actor=ELLA)["affects"] == 3
    assert affected(desk, ref) == [(NOAH, True), (ELLA, True)]
    told = heard(desk, owner, ref)
    assert [n["message"] for n in told if n["kind"] == "me_too"] == [
        f"Noah Clarke is affected too by {ref} 'Roof leak': it affects 2 people now",
        f"Ella Shaw is affected too by {ref} 'Roof leak': it affects 3 people now"]
    assert {n["heading"] for n in told if n["kind"] == "me_too"} == {"affects more people"}
    service.contact(desk, ref, actor=owner, note="On my way")
    service.check_in(desk, ref, actor=owner, note="Roofer booked")
    assert kinds(heard(desk, NOAH, ref)) == kinds(heard(desk, AMIRA, ref))[1:] == ["contacted", "checkin"]
    assert heard(desk, NOAH, ref)[-1]["data"]["following"] == "Amira Khan"
    assert service.show(desk, ref, actor=AMIRA)["affects"] == 3
    assert [r["affects"] for r in service.site_requests(desk, actor=NOAH)] == [3]


def test_a_watcher_who_says_me_too_becomes_affected_and_a_watch_add_keeps_it(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref = raise_leak(desk)["ref"]
    service.watch(desk, ref, actor=AMIRA, add=NOAH)
    assert affected(desk, ref) == [(NOAH, False)] and service.show(desk, ref, actor=AMIRA)["affects"] == 1
    assert service.me_too(desk, ref, actor=NOAH)["changed"]
    assert not service.watch(desk, ref, actor=AMIRA, add=NOAH)["changed"]
    assert affected(desk, ref) == [(NOAH, True)]


def test_who_may_not_say_me_too_and_a_refusal_changes_nothing(ownit_demo_org) -> None:
    desk = ownit_demo_org
    view = raise_leak(desk)
    ref, owner = view["ref"], view["owner"]
    before = service.show(desk, ref, actor=AMIRA)
    with pytest.raises(ValidationError, match=f"^you raised {ref}; it counts you already$"):
        service.me_too(desk, ref, actor=AMIRA)
    with pytest.raises(NotFound):  # another store does not even see it
        service.me_too(desk, ref, actor=TOM)
    with pytest.raises(PermissionDenied, match=f"^only colleagues at High Street, Leeds can join {ref}; "):
        service.me_too(desk, ref, actor=owner["email"])  # the owner sees it, but it is not their site's problem
    assert service.show(desk, ref, actor=AMIRA) == before
    case = service.raise_request(desk, actor=NOAH, request_type="hr.relations", title="A concern", fields=HR_CASE)
    with pytest.raises(NotFound):
        service.me_too(desk, case["ref"], actor=AMIRA)
    service.watch(desk, case["ref"], actor=NOAH, add=AMIRA)  # shared with her, still his alone to be affected by
    with pytest.raises(PermissionDenied, match=f"^{case['ref']} is a private case of its requester's; "):
        service.me_too(desk, case["ref"], actor=AMIRA)
    service.contact(desk, ref, actor=owner["email"], note="hi")
    service.resolve(desk, ref, actor=owner["email"], note="done")
    service.confirm(desk, ref, actor=AMIRA)
    with pytest.raises(Conflict, match=f"^{ref} is closed; raise a new request if the problem is back$"):
        service.me_too(desk, ref, actor=NOAH)


def test_similar_open_finds_the_same_type_still_open_at_the_site(ownit_demo_org) -> None:
    desk = ownit_demo_org
    leak = raise_leak(desk)
    fixed = raise_leak(desk)
    owner = fixed["owner"]["email"]
    service.contact(desk, fixed["ref"], actor=owner, note="hi")
    service.resolve(desk, fixed["ref"], actor=owner, note="done")
    service.confirm(desk, fixed["ref"], actor=AMIRA)
    raise_leak(desk, actor=TOM)  # York
    service.raise_request(desk, actor=AMIRA, request_type="facilities.fixture", title="Shelf down",
                          fields={"item": "shelf bay 12", "hazard": "no"})
    service.raise_request(desk, actor=AMIRA, request_type="hr.relations", title="A concern", fields=HR_CASE)
    found = service.similar_open(desk, actor=NOAH, request_type="facilities.leak")
    assert [(r["ref"], r["owner"]["email"], r["affects"]) for r in found] == [(leak["ref"], leak["owner"]["email"], 1)]
    assert service.similar_open(desk, actor=NOAH, request_type="hr.relations") == []
    assert service.similar_open(desk, actor=AMIRA, request_type="facilities.leak") == []  # her own is no duplicate
    assert [r["title"] for r in service.similar_open(desk, actor=NOAH, request_type="facilities.fixture")] == [
        "Shelf down"]
    assert service.similar_open(desk, actor=NOAH, request_type="no.such") == []
    with pytest.raises(PermissionDenied, match="^only the support teams can look at another site's requests"):
        service.similar_open(desk, actor=NOAH, request_type="facilities.leak", site="S002")
    assert len(service.similar_open(desk, actor=owner, request_type="facilities.leak", site="S002")) == 1


def test_me_too_on_the_command_line(ownit_demo_org, ownit_database_url: str) -> None:
    cli = Cli(ownit_database_url)
    ref = raise_leak(ownit_demo_org)["ref"]
    assert cli.ok("metoo", ref, "--as", NOAH).stdout == f"{ref}: you are on it too; it affects 2 people\n"
    assert cli.ok("metoo", ref, "--as", NOAH).stdout == f"{ref}: you were on it already; it affects 2 people\n"
    assert cli.json("metoo", ref, "--as", NOAH)["affects"] == 2
    assert one_error_line(cli("metoo", ref, "--as", AMIRA), 1) == f"you raised {ref}; it counts you already"


def test_me_too_from_at_my_site_and_the_card_says_how_many(app, ownit_demo_org) -> None:
    ref = raise_leak(ownit_demo_org)["ref"]
    at = app(NOAH, tab="At my site").run()
    next(b for b in at.button if b.key == f"metoo-{ref}").click().run()
    assert not at.exception and not at.error
    assert rendered_text(at.success[0].value).startswith(f"{ref}: you are on it too")
    assert service.show(ownit_demo_org, ref, actor=NOAH)["viewer"]["watching"]
    amira = app(AMIRA).run()
    assert "Affects 2 people" in [c.value for c in amira.caption]
    site = app(NOAH, tab="At my site").run().markdown  # the site list
    assert any("affects 2 people" in rendered_text(m.value) for m in site)


def test_the_raise_page_hints_at_what_is_open_and_joins_without_raising(app, ownit_demo_org) -> None:
    ref = raise_leak(ownit_demo_org)["ref"]
    at = app(NOAH).run()
    at.switch_page("views/raise_request.py").run()
    assert not at.exception
    texts = [rendered_text(m.value) for m in at.markdown]
    assert any(t.startswith("Already raised at your site") for t in texts)
    assert any(t.startswith(f"{ref} Roof leak") for t in texts)
    press = [b for b in at.button if b.label == "This is my problem too"]
    assert [b.key for b in press] == [f"metoo-{ref}"]
    press[0].click().run()
    assert not at.exception and rendered_text(at.success[0].value).startswith(f"{ref}: you are on it too")
    assert service.my_requests(ownit_demo_org, actor=NOAH) == []  # nothing raised
    assert service.show(ownit_demo_org, ref, actor=AMIRA)["affects"] == 2
    {s.label: s for s in at.selectbox}["What do you need?"].select_index(1).run()  # another type: no hint
    assert not [b for b in at.button if b.label == "This is my problem too"]


NETWORK = {"what_down": "whole store", "tills_affected": "yes"}


def network_down(desk: Any, actor: str, title: str) -> dict[str, Any]:
    return service.raise_request(desk, actor=actor, request_type="it.network", title=title, fields=NETWORK)


def test_a_site_wide_fault_is_hinted_across_the_region_after_the_sites_own(ownit_demo_org) -> None:
    """The network down at York is likely Leeds's too (the same region):
    Leeds sees it after its own, can open and join it; Bristol (the south)
    sees nothing of it. A type that is not site-wide stays the site's."""
    from conftest import GRACE

    desk = ownit_demo_org
    york = network_down(desk, TOM, "Network down at York")
    leeds = network_down(desk, NOAH, "No internet in the back office")
    desk.clock.advance(hours=1)
    york_again = network_down(desk, TOM, "Still no network at York")
    hint = service.similar_open(desk, actor=AMIRA, request_type="it.network")
    assert [(r["ref"], r["site"]["code"]) for r in hint] == [
        (leeds["ref"], "S001"), (york_again["ref"], "S002"), (york["ref"], "S002")]  # her site's first
    assert [r["ref"] for r in service.similar_open(desk, actor=AMIRA, request_type="it.network", limit=2)] == [
        leeds["ref"], york_again["ref"]]
    assert service.similar_open(desk, actor=GRACE, request_type="it.network") == []
    assert service.show(desk, york["ref"], actor=AMIRA)["owner"]["email"] == york["owner"]["email"]
    with pytest.raises(NotFound):
        service.show(desk, york["ref"], actor=GRACE)

    joined = service.me_too(desk, york["ref"], actor=AMIRA)
    assert joined["changed"] and joined["affects"] == 2
    assert affected(desk, york["ref"]) == [(AMIRA, True)]

    kit = service.raise_request(desk, actor=TOM, request_type="it.broken_kit", title="Till 2 dead",
                                fields={"device": "POS till", "asset_tag": "AT-100002", "can_trade": "yes"})
    assert kit["ref"] not in [r["ref"] for r in service.similar_open(desk, actor=AMIRA, request_type="it.broken_kit")]
    with pytest.raises(NotFound):
        service.me_too(desk, kit["ref"], actor=AMIRA)


def test_a_private_type_cannot_be_site_wide() -> None:
    from ownit.departments import DeclarationError, RequestType, Stage

    with pytest.raises(DeclarationError, match="a private type cannot be site-wide"):
        RequestType(key="hr.case", label="A case", why="", stages=(Stage("a", "A"), Stage("b", "B")),
                    restricted=True, site_wide=True)


def test_the_raise_page_shows_a_site_wide_fault_of_the_region_with_its_store(app, ownit_demo_org) -> None:
    york = network_down(ownit_demo_org, TOM, "Network down at York")
    at = app(AMIRA).run()
    at.switch_page("views/raise_request.py").run()
    {s.label: s for s in at.selectbox}["Department"].set_value(
        next(d for d in service.departments(ownit_demo_org)["departments"] if d["key"] == "it")).run()
    rtype = {s.label: s for s in at.selectbox}["What do you need?"]
    rtype.select_index(next(i for i, t in enumerate(rtype.options) if t.startswith("Network"))).run()
    assert not at.exception
    texts = [rendered_text(m.value) for m in at.markdown]
    assert any(t.startswith("Already raised at your site or in the region") for t in texts)
    assert any(t.startswith(f"{york['ref']} Network down at York at Market Square, York — ") for t in texts)
    next(b for b in at.button if b.label == "This is my problem too").click().run()
    assert not at.exception and service.show(ownit_demo_org, york["ref"], actor=TOM)["affects"] == 2
