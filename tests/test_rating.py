"""Rating without signing in: the link in a resolved or quietly closed request's
mail (``ownit.service.rating``), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from conftest import AMIRA, HELEN, look, resolved_leak
from ownit import service, tokens
from ownit.errors import Conflict, OwnitError, PermissionDenied, ValidationError
from ownit.models import Event, Feedback, Notification, Request


def rating_token(desk: Any, ref: str, notice: str = "Resolved") -> str:
    """The rating token the channels are handed with the requester's ``notice``
    about ``ref`` (``ownit.service.reactions.notification_snapshot``)."""
    def find(session: Any) -> Any:
        notes = session.exec(sa.select(Notification).join(Request, Request.id == Notification.request_id)
                             .where(Request.ref == ref).order_by(Notification.id)).scalars().all()
        return [n for n in notes if n.data.get("notice") == notice][-1]

    note = look(desk, find)
    return tokens.signer(desk).make("rate", (note.id,), note.created_at)


def ratings(desk: Any) -> list[Feedback]:
    return look(desk, lambda s: s.exec(sa.select(Feedback).order_by(Feedback.id)).scalars().all())


def timeline_kinds(desk: Any, ref: str) -> list[str]:
    return look(desk, lambda s: s.exec(sa.select(Event.kind).join(Request, Request.id == Event.request_id)
                                       .where(Request.ref == ref).order_by(Event.id)).scalars().all())


def test_a_link_rates_the_request_once_as_its_requester(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = resolved_leak(desk)
    token = rating_token(desk, ref)
    page = service.rating_link(desk, token)
    owner_name = service.show(desk, ref, actor=AMIRA)["owner"]["name"]
    assert page == {"ref": ref, "title": "Roof leak", "owner": owner_name, "team": "Facilities North", "done": None}

    done = service.rate_by_link(desk, token=token, nps=9, effort=2, comment="  Quick and tidy, thanks ")
    assert done["recorded"] is True and done["ref"] == ref
    [rating] = ratings(desk)
    assert (rating.nps, rating.effort, rating.comment) == (9, 2, "Quick and tidy, thanks")
    assert rating.notification_id is not None and rating.at == desk.now()
    view = service.show(desk, ref, actor=AMIRA)
    rated = view["timeline"][-1]
    assert (rated["kind"], rated["actor"], rated["note"]) == ("rated", AMIRA, "Quick and tidy, thanks")
    assert view["status"] == "resolved" and view["rated_on"] == desk.now().isoformat()  # rating is not confirming

    twice = service.rate_by_link(desk, token=token, nps=9, effort=2, comment="Quick and tidy, thanks")
    assert (twice["recorded"], twice["repeated"]) == (False, True)  # a double click: the same rating, once
    again = service.rate_by_link(desk, token=token, nps=0, effort=7, comment="changed my mind")
    assert (again["recorded"], again["repeated"]) == (False, False)
    assert again["done"] == "this link was already used on 23 Nov 2026; thank you"
    assert service.rating_link(desk, token)["done"] == again["done"]
    assert len(ratings(desk)) == 1 and timeline_kinds(desk, ref).count("rated") == 1


def test_service_health_counts_a_link_rating_against_the_owner(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = resolved_leak(desk)
    since, until = desk.now() - timedelta(days=1), desk.now() + timedelta(days=1)
    before = service.report(desk, actor=HELEN, team="facilities-north", since=since, until=until)["headline"]
    assert before["responses"] == 0 and before["nps"] is None  # counted once, before the rating
    service.rate_by_link(desk, token=rating_token(desk, ref), nps=10, effort=3)
    report = service.report(desk, actor=HELEN, team="facilities-north", since=since, until=until, by="owner")
    assert (report["headline"]["responses"], report["headline"]["nps"], report["headline"]["effort"]) == (1, 100, 3)
    owners = {row["key"]: row for row in report["owners"]}
    assert owners[owner]["responses"] == 1 and owners[owner]["nps"] == 100


def test_expired_forged_and_foreign_links_are_one_line_and_add_nothing(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = resolved_leak(desk)
    token = rating_token(desk, ref)
    changed = token[:-1] + ("a" if token[-1] != "a" else "b")
    reply = tokens.signer(desk).make("reply", (1, 1), desk.now())  # genuine, for another purpose
    refusals = {"": "this is not an OwnIt link or address",
                "nonsense": "this is not an OwnIt link or address",
                "made-up-token": "this link or address was not made by OwnIt, or was changed",
                changed: "this link or address was not made by OwnIt, or was changed",
                reply: "this link or address was not made by OwnIt, or was changed",
                tokens.signer(desk).make("rate", (10**6,), desk.now()):
                    "this rating link names nothing OwnIt knows; use the link in your latest mail"}
    contacted = rating_token(desk, ref, notice="Contacted")  # a genuine rate token for a notice that asks none
    refusals[contacted] = ("this link is not for rating a request; use the link in the mail that said it was "
                           "resolved or closed")
    for bad, message in refusals.items():
        for attempt in (lambda: service.rating_link(desk, bad),
                        lambda: service.rate_by_link(desk, token=bad, nps=9, effort=2)):
            with pytest.raises(OwnitError) as caught:
                attempt()
            assert str(caught.value) == message and "\n" not in message
    desk.clock.advance(tokens.LIFETIMES["rate"] + timedelta(minutes=1))
    with pytest.raises(tokens.BadToken, match=r"^this link or address expired on 23 Dec 2026$"):
        service.rate_by_link(desk, token=token, nps=9, effort=2)
    assert ratings(desk) == [] and "rated" not in timeline_kinds(desk, ref)


@pytest.mark.parametrize(("given", "message"), [
    ({"nps": 11, "effort": 2}, "--nps 11 is out of range; give 0 (not at all likely) to 10 (extremely likely)"),
    ({"nps": -1, "effort": 2}, "--nps -1 is out of range"),
    ({"nps": 9, "effort": 0}, "--effort 0 is out of range; give 1 (very easy) to 7 (very hard)"),
    ({"nps": 9, "effort": 8}, "--effort 8 is out of range"),
    ({"nps": 9, "effort": 2, "comment": "ok\x1b[31m"}, "the comment contains control characters; remove them"),
    ({"nps": 9, "effort": 2, "comment": "x" * 2001}, "the comment is 2001 characters long; keep it under 2000"),
    ({"nps": None, "effort": None, "comment": "  "}, "give a score or a comment; nothing was recorded"),
], ids=["nps-11", "nps-negative", "effort-0", "effort-8", "control", "long", "nothing"])
def test_bad_input_is_refused_like_confirming_and_leaves_the_link_usable(ownit_demo_org, given, message) -> None:
    desk = ownit_demo_org
    ref, _ = resolved_leak(desk)
    token = rating_token(desk, ref)
    with pytest.raises(ValidationError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        service.rate_by_link(desk, token=token, **given)
    if "nothing" not in message:  # the in-app confirmation applies the same rules
        with pytest.raises(ValidationError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
            service.confirm(desk, ref, actor=AMIRA, **given)
    assert ratings(desk) == []
    assert service.rate_by_link(desk, token=token, nps=7, effort=3)["recorded"] is True


def test_one_rating_per_resolution_across_the_link_and_the_app(ownit_demo_org) -> None:
    desk = ownit_demo_org
    confirmed, _ = resolved_leak(desk)  # rated in the app: its link says so
    service.confirm(desk, confirmed, actor=AMIRA, nps=8, effort=2)
    token = rating_token(desk, confirmed)
    assert service.rating_link(desk, token)["done"] == f"{confirmed} was already rated on 23 Nov 2026; thank you"
    assert service.rate_by_link(desk, token=token, nps=1, effort=7)["recorded"] is False

    linked, _ = resolved_leak(desk)  # rated through the link: confirming adds no second rating
    service.rate_by_link(desk, token=rating_token(desk, linked), nps=10, effort=1)
    with pytest.raises(Conflict, match=f"^{linked} was already rated on 23 Nov 2026; confirm it without a rating$"):
        service.confirm(desk, linked, actor=AMIRA, nps=3, effort=5)
    assert service.show(desk, linked, actor=AMIRA)["status"] == "resolved"  # the refusal changed nothing
    assert service.confirm(desk, linked, actor=AMIRA)["status"] == "closed"
    assert [r.nps for r in ratings(desk)] == [8, 10]


def test_a_quietly_closed_request_is_asked_too(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = resolved_leak(desk)
    desk.clock.advance(timedelta(days=10))
    assert [c["ref"] for c in service.sweep(desk)["closed"]] == [ref]
    closed = rating_token(desk, ref, notice="ClosedQuietly")
    assert service.rating_link(desk, closed)["done"] is None
    assert service.rate_by_link(desk, token=closed, nps=6, effort=4, comment="Slow")["recorded"] is True
    resolved = rating_token(desk, ref)  # the earlier mail's link: the same resolution, rated
    assert service.rate_by_link(desk, token=resolved, nps=10, effort=1)["done"] == (
        f"{ref} was already rated on 03 Dec 2026; thank you")
    assert [r.nps for r in ratings(desk)] == [6]


def test_a_link_for_a_resolution_that_did_not_hold_is_refused(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, owner = resolved_leak(desk)
    token = rating_token(desk, ref)
    service.reopen(desk, ref, actor=AMIRA, note="Dripping again")
    with pytest.raises(Conflict, match=f"^{ref} was reopened after this link was sent; you can rate it once it is "
                                       "resolved again$"):
        service.rate_by_link(desk, token=token, nps=9, effort=2)
    desk.clock.advance(timedelta(hours=2))
    service.resolve(desk, ref, actor=owner, note="Flashing replaced")
    with pytest.raises(Conflict, match=f"^{ref} was resolved again after this link was sent; use the link in the "
                                       "latest mail$"):
        service.rating_link(desk, token)
    assert service.rate_by_link(desk, token=rating_token(desk, ref), nps=9, effort=2)["recorded"] is True
    assert len(ratings(desk)) == 1


@pytest.mark.parametrize("links", ["same link", "both mails' links"])
def test_concurrent_submissions_record_exactly_one_rating(ownit_demo_org, links) -> None:
    desk = ownit_demo_org
    ref, _ = resolved_leak(desk)
    first = rating_token(desk, ref)
    if links == "same link":
        tokens_sent = [first, first]
    else:
        desk.clock.advance(timedelta(days=10))
        service.sweep(desk)
        tokens_sent = [first, rating_token(desk, ref, notice="ClosedQuietly")]
    start = threading.Barrier(2)
    results: list[Any] = []

    def submit(token: str) -> None:
        start.wait()
        try:
            results.append(service.rate_by_link(desk, token=token, nps=9, effort=2))
        except OwnitError as error:  # never expected: each says what happened
            results.append(error)

    threads = [threading.Thread(target=submit, args=(t,)) for t in tokens_sent]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted((r["recorded"], r["repeated"]) for r in results) == [(False, links == "same link"), (True, False)]
    assert len(ratings(desk)) == 1 and timeline_kinds(desk, ref).count("rated") == 1


def test_only_the_requester_of_the_request_is_sent_a_link_that_rates(ownit_demo_org) -> None:
    """A link names its notification; the rating is the notification's recipient's, who must have raised it."""
    desk = ownit_demo_org
    ref, owner = resolved_leak(desk)
    token = rating_token(desk, ref)
    note_id = tokens.signer(desk).read("rate", token, desk.now())[0]
    look(desk, lambda s: (s.exec(sa.update(Notification).where(Notification.id == note_id)
                                 .values(person_id=sa.select(Request.owner_id).where(Request.ref == ref)
                                         .scalar_subquery())), s.commit()))
    with pytest.raises(PermissionDenied, match="^this link is not for rating a request"):
        service.rate_by_link(desk, token=token, nps=9, effort=2)
    assert ratings(desk) == []
