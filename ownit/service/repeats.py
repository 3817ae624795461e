"""A repeated submission changes nothing.

Every action the edges offer takes an idempotency ``key``: the UI sends its
form's token, the command line ``--key``. The first submission of a key
claims it in the action's own unit of work (:mod:`ownit.store.submissions`);
a repeat within a day — a double click, a retried command, a form sent again
after a dropped connection — changes nothing and is answered with the
request as it stands, marked ``repeated``. The same key sent with another
action or for another request is refused: a key stands for one submission.
A failed action claims nothing, so the same form can be fixed and sent again.
"""

from __future__ import annotations

from .. import domain
from ..errors import Conflict, ValidationError, typed
from ..store import requests, submissions
from ..store.directory import PersonEntry
from ..store.unit import Unit

WORDS = {**domain.SAID, "raise": "raise a request", "note": "add a note to", "attach": "attach a file to",
         "declare": "declare an incident", "link": "link requests to", "unlink": "unlink a request from",
         "join": "join", "task": "ask another team for a task on", "task_done": "mark done a task on",
         "mystery_plan": "plan a mystery request", "mystery_answer": "answer the mystery form for",
         "mystery_note": "add a note to the mystery request"}


def key_of(key: str | None) -> str | None:
    """``key`` as sent, checked before any unit of work: ``None`` for none."""
    if key is None:
        return None
    found = key.strip()
    if not found or len(found) > submissions.KEY_MAX or not typed(found) or not found.isprintable():
        raise ValidationError(f"the key {key!r} is not usable; send 1 to {submissions.KEY_MAX} printable "
                              "characters, a new one with each submission")
    return found


def repeated(u: Unit, person: PersonEntry | None, key: str | None, action: str,
             request_id: int | None = None) -> submissions.Earlier | None:
    """``None`` when the action goes ahead: no key (or OwnIt acting), or a key
    new within the day, now claimed for ``action`` on ``request_id`` (``None``
    for a raise: :func:`ownit.store.submissions.settle` names its request).
    Otherwise the first submission of this very action and request, to be
    answered without a change; the key used for something else is refused."""
    if key is None or person is None:
        return None
    earlier = submissions.claim(u, person.id, key, action, request_id)
    if earlier is None:
        return None
    if earlier.action != action or (request_id is not None and earlier.request_id != request_id):
        before = requests.get(u, earlier.request_id).ref if earlier.request_id is not None else ""
        raise Conflict(f"the key {key!r} was used to {WORDS.get(earlier.action, earlier.action)} {before}".rstrip()
                       + " within the last day; send a new key with each new submission")
    return earlier
