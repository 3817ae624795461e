"""Who acts: a person named by their email, a person known by their login, or OwnIt itself.

Every user action in :mod:`ownit.service` names the person taking it; no
actor (``None``, an empty ``OWNIT_USER``) is "who are you?", never the system.
System work that needs to act on a request — a plugin reacting to an event,
say — passes :data:`SYSTEM`, an object only code running inside OwnIt can
hold: nothing typed at an edge (an email, a header, an argument) can become it.

An edge says who acts in one of two ways:

- an **email** (``str``): the person the edge vouches for — the web UI's
  sign-in proxy, or the command line's ``--as``/``OWNIT_USER``, which it
  trusts the way git trusts ``user.email`` (docs/operating.md);
- a :class:`Login`: the operating-system account the command line runs as
  (``OWNIT_CLI_IDENTITY=os``), matched to the ``login`` of a person in the
  directory. With ``acting_as`` it asks to act as someone else, which only an
  admin may; the timeline records both ("Helen Price acting as Sam Doyle").

:func:`resolve` is the one place either becomes a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from .errors import PermissionDenied

if TYPE_CHECKING:
    from .store.directory import Directory, PersonEntry


class SystemActor:
    """OwnIt itself, as the actor of system work (there is one: :data:`SYSTEM`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ownit.SYSTEM"


SYSTEM = SystemActor()


@dataclass(frozen=True)
class Login:
    """The operating-system account running the command line, and whom it asks to act as."""

    login: str
    acting_as: str | None = None


Actor = Union[str, Login, None]


def resolve(directory: "Directory", actor: Actor) -> tuple["PersonEntry", "PersonEntry | None"]:
    """The person ``actor`` acts as, and the admin acting for them (``None``
    when people act as themselves); "who are you?" when there is no one."""
    if not isinstance(actor, Login):
        return directory.person(actor), None
    me = directory.by_login(actor.login)
    if not actor.acting_as or not actor.acting_as.strip() or actor.acting_as.strip().lower() == me.email:
        return me, None
    if not me.admin:
        raise PermissionDenied(f"you are signed in as {me.email} (login {actor.login!r}); only an admin may act "
                               "--as someone else: leave out --as (and OWNIT_USER)")
    return directory.person(actor.acting_as), me
