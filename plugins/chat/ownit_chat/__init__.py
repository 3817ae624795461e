"""OwnIt's chat channel: notifications to people's and teams' chat (Microsoft
Teams, Slack, Google Chat and whatever else Apprise reaches) by Apprise URL.

Where: a ``[[person]]``'s ``chat`` in the org file (their own chat) and a
``[[team]]``'s ``chat`` (the team's channel), each one Apprise URL or a list.
What: :mod:`ownit_chat.card`. A channel like any other (``ownit_notify``):
it returns ``True`` when every target took its card, ``None`` when the
notification reaches no chat (nobody configured one: not for this channel,
never retried), and raises :class:`ChatNotSent` when a target refused it or
did not answer within the time limit, so OwnIt records the failure (the
action stands) and ``ownit sweep`` offers it again.

Cheap when unused: the entry point loads this module, which imports no more
than OwnIt; Apprise (about 0.4 s to import and load its services) is loaded
on the first card actually sent (:func:`loaded`).
"""

from __future__ import annotations

import re
import sys
import threading
import time
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from ownit import NotificationSnapshot, OwnitError, PluginError, Reach, delivery_limit, hookimpl, ui_address

__all__ = ["ChatNotSent", "ownit_notify", "ownit_reach", "send"]

_HTTP_CODE = re.compile(r"error=(\d{3})\b")  # how Apprise's warnings give the HTTP status


class ChatNotSent(OwnitError):
    """A chat target did not take its card; the sweep offers the notification again."""


@hookimpl
def ownit_reach() -> Reach:
    """Those with a chat of their own, and the team's channel for what it
    hears (:data:`ownit_chat.card.TEAM_HEARS`): OwnIt offers nothing else."""
    from .card import TEAM_HEARS

    return Reach(address="chat", team_notices=frozenset(TEAM_HEARS))


@hookimpl
def ownit_notify(notification: NotificationSnapshot) -> bool | None:
    """Post ``notification`` to its recipient's chat and, for what a team's
    channel hears, to the team's channel; ``True`` once every target took it."""
    from . import card as cards  # what OwnIt's notices say: loaded by the first notification, not as OwnIt starts

    person = notification.recipient_chat.split()
    team = notification.team_chat.split() if cards.hears(notification) else []
    if not person and not team:
        return None
    base = ui_address()
    posts = [(f"the {notification.team} channel", url, cards.for_team(notification, base)) for url in team]
    mine = cards.for_person(notification, base)
    name = notification.recipient_name or notification.recipient_email
    posts += [(f"{name}'s chat", url, mine) for url in person if url not in team]  # one post per place
    send(notification, posts)
    return True


def send(notification: NotificationSnapshot, posts: list[tuple[str, str, Any]], *,
         limit: float | None = None) -> None:
    """Post each ``(whose, url, card)`` within ``limit`` seconds in all
    (:func:`ownit.delivery_limit` by default), every target at once: one
    Apprise call per layout (the targets that read one format get one body).
    :class:`ChatNotSent` names each target that did not take its card, never
    its secret part."""
    limit = delivery_limit() if limit is None else limit
    deadline = time.monotonic() + limit
    apprise = loaded(deadline)
    if apprise is None:
        raise ChatNotSent(f"chat for notification {notification.id} ({notification.ref or 'no request'}) was not "
                          f"sent: Apprise is still loading after {limit:g} s (the first post of a process loads it)")
    failed: list[str] = []
    batches: dict[tuple[str, str, str], list[tuple[str, Any]]] = {}  # (format, title, body) -> targets
    for whose, url, card in posts:
        target = _target(url)
        where = f"{whose} ({_redacted(target, url)})"
        if target is None:
            failed.append(f"{where}: not a chat address Apprise knows")
            continue
        body_format = str(target.resolve_format(None).value)
        title, body = card.render(body_format)
        batches.setdefault((body_format, title, body), []).append((where, target))

    def post(batch: tuple[str, str, str], targets: list[tuple[str, Any]]) -> list[str]:
        left = deadline - time.monotonic()
        if left <= 0:
            return [f"{where}: no answer within {limit:g} s" for where, _ in targets]
        group = apprise.Apprise(asset=_asset())
        for _, target in targets:  # no socket wait may outlast the delivery
            target.socket_connect_timeout = min(target.socket_connect_timeout, left)
            target.socket_read_timeout = min(target.socket_read_timeout, left)
            group.add(target)
        body_format, title, body = batch
        try:
            result = group.notify(body=body, title=title, body_format=body_format, timeout=left)
        except Exception as exc:  # Apprise answers failures with a result; this is a fault in it, still a failure
            return [f"{where}: Apprise failed ({type(exc).__name__})" for where, _ in targets]
        outcomes = list(result)
        if len(outcomes) != len(targets):  # Apprise answered for the call, not per target
            outcomes = [result] * len(targets)
        late = time.monotonic() >= deadline
        return [f"{where}: {_reason(outcome, limit, late)}"
                for (where, _), outcome in zip(targets, outcomes, strict=True) if not outcome]

    if len(batches) == 1:
        failed += post(*next(iter(batches.items())))
    elif batches:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(batches)) as pool:  # each call ends by the deadline
            for said in pool.map(lambda item: post(*item), batches.items()):
                failed += said
    if failed:
        took = len(posts) - len(failed)
        raise ChatNotSent(f"chat for notification {notification.id} ({notification.ref or 'no request'}) was not "
                          f"delivered to {'; '.join(failed)}" + (f" (delivered to {took} other)" if took else ""))


def _target(url: str) -> Any:
    """Apprise's service for ``url``, or ``None``. A new one for every
    delivery: a kept one would hold back its next post by the service's
    request spacing (5.5 s for Teams), past the time limit; a target that
    limits its rate answers 429, which the sweep retries."""
    return sys.modules["apprise"].Apprise.instantiate(url, asset=_asset())


_loading = threading.Lock()
_ready = threading.Event()
_loader: threading.Thread | None = None


def loaded(deadline: float) -> Any:
    """The ``apprise`` module with its services loaded, or ``None`` if that
    is not done by ``deadline`` (``time.monotonic()``). The first call of a
    process starts loading it on a thread of its own (about 0.4 s: the
    import and Apprise's 190 services) and waits for it until the deadline
    only, so that a slow start on a busy machine is a failure the sweep
    retries, never a hook OwnIt abandons (and, twice, pauses); the load goes
    on, and the next post finds it done. An action that reaches no chat never
    gets here: Apprise is not imported."""
    global _loader
    with _loading:
        if _loader is None:
            _loader = threading.Thread(target=_load, name="ownit-chat: loading Apprise", daemon=True)
            _loader.start()
    if not _ready.wait(max(0.0, deadline - time.monotonic())):
        return None
    if _broken:
        raise PluginError(f"the chat channel cannot load Apprise: {_broken[0]} (pip install 'apprise>=2.3')")
    return sys.modules["apprise"]


_broken: list[str] = []  # why Apprise could not be loaded, if it could not


def _load() -> None:
    try:
        import apprise

        apprise.Apprise.instantiate("json://localhost", asset=_asset())  # loads every service's plugin once
    except Exception as exc:  # not installed, or broken: said by every delivery, one line
        _broken.append(f"{type(exc).__name__}: {exc}")
    finally:
        _ready.set()


@lru_cache(maxsize=1)
def _asset() -> Any:
    import apprise

    return apprise.AppriseAsset(app_id="OwnIt", app_desc="OwnIt support desk", storage_mode="memory")


def _redacted(target: Any, url: str) -> str:
    """The target as errors and logs may show it: its service and where it
    is, never its path, query or password (webhook tokens live there); for
    services whose host is a token (Slack), Apprise's own masked form."""
    if target is None:
        return f"{urlsplit(url).scheme or '?'}://…"
    parts = urlsplit(target.url(privacy=True))
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}/…"


def _reason(outcome: Any, limit: float, late: bool) -> str:
    """Why a target did not take its card, in words that hold no secret:
    Apprise's status and the HTTP status it reported, not its log lines
    (which may quote a URL)."""
    status = getattr(outcome, "status", None)
    if late or (status is not None and status.name == "TIMEOUT"):
        return f"no answer within {limit:g} s"
    for entry in reversed(list(outcome.logs()) if hasattr(outcome, "logs") else []):
        code = _HTTP_CODE.search(str(entry.message))
        if code:
            return f"refused it (HTTP {code.group(1)})"
        if "connection error" in str(entry.message).lower():
            return "could not be reached"
    return "did not take it"


channel = sys.modules[__name__]  # what the ``ownit`` entry point ``chat`` loads
