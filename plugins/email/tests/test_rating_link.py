"""The rating link in the resolved and the quietly closed mail, followed through the desk."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from smtp_harness import SmtpServer, mail_desk, mail_env, smtp_server  # noqa: F401 (fixtures)

from ownit import service

AMIRA = "amira.khan@example.com"
LEAK = {"location": "stockroom ceiling", "near_electrics": "no"}
LINK = re.compile(r"https://ownit\.example/rate\?t=[a-z0-9-]+")


def links(received) -> tuple[list[str], list[str]]:
    """The rating links in a mail's plain-text part and in its HTML part's hrefs."""
    message = received.message
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return LINK.findall(text), re.findall(r'href="(https://ownit\.example/rate\?t=[^"]+)"', html)


def token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["t"][0]


def test_the_resolved_and_closed_mails_carry_a_link_that_rates_once(mail_desk, mail_env: SmtpServer) -> None:
    desk = mail_desk
    view = service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Roof leak", fields=LEAK)
    ref, owner = view["ref"], view["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="On my way")
    service.resolve(desk, ref, actor=owner, note="Roof patched")
    desk.clock.advance(timedelta(days=10))
    service.sweep(desk)  # nobody confirmed: closed quietly, and asked again

    mails = {r.message["X-OwnIt-Kind"]: r for r in mail_env.received if r.rcpt_tos == [AMIRA]}
    assert set(mails) == {"raised", "contacted", "resolved", "closed"}
    for kind in ("raised", "contacted"):
        assert links(mails[kind]) == ([], [])
    resolved_text, resolved_html = links(mails["resolved"])
    closed_text, closed_html = links(mails["closed"])
    assert resolved_text == resolved_html and closed_text == closed_html and resolved_text != closed_text
    plain = mails["resolved"].message.get_body(("plain",)).get_content()
    assert f"How did we do? Rate it (no sign-in; the link works once): {resolved_text[0]}" in plain

    assert service.rate_by_link(desk, token=token(closed_text[0]), nps=9, effort=2)["recorded"] is True
    assert service.rate_by_link(desk, token=token(closed_text[0]), nps=9, effort=2)["done"] == (
        "this link was already used on 03 Dec 2026; thank you")
    assert service.rating_link(desk, token(resolved_text[0]))["done"] == (
        f"{ref} was already rated on 03 Dec 2026; thank you")
