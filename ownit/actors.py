"""Who acts: a person named by their email, or OwnIt itself.

Every user action in :mod:`ownit.service` names the person taking it; no
actor (``None``, an empty ``OWNIT_USER``) is "who are you?", never the system.
System work that needs to act on a request — a plugin reacting to an event,
say — passes :data:`SYSTEM`, an object only code running inside OwnIt can
hold: nothing typed at an edge (an email, a header, an argument) can become it.
"""

from __future__ import annotations


class SystemActor:
    """OwnIt itself, as the actor of system work (there is one: :data:`SYSTEM`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ownit.SYSTEM"


SYSTEM = SystemActor()
