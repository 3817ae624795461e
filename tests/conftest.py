"""Shared test helpers. The fixtures themselves come from ``ownit.testing``
(the same ones plugin authors get)."""

from __future__ import annotations

# People of the demo organisation (ownit/demo/org.toml) the tests act as.
AMIRA = "amira.khan@example.com"  # store manager, S001 Leeds (north)
NOAH = "noah.clarke@example.com"  # assistant store manager, S001 Leeds (Amira's colleague)
TOM = "tom.hughes@example.com"  # store manager, S002 York (north)
GRACE = "grace.okafor@example.com"  # store manager, S101 Bristol (south)
HELEN = "helen.price@example.com"  # facilities lead, north
SAM = "sam.doyle@example.com"  # facilities north: building, plumbing, hvac
PRIYA = "priya.shah@example.com"  # facilities north: building, security
OWEN = "owen.ellis@example.com"  # facilities lead, south
LUCY = "lucy.ward@example.com"  # facilities south
RAJ = "raj.patel@example.com"  # IT lead (not in facilities)
CHLOE = "chloe.martin@example.com"  # IT support analyst (tills)
JAMES = "james.wright@example.com"  # HR partner, north
NADIA = "nadia.rossi@example.com"  # HR lead

LEAK = {"location": "stockroom ceiling", "near_electrics": "no"}


def resolved_leak(desk, actor: str = AMIRA) -> tuple[str, str]:
    """A roof leak raised by ``actor``, contacted and resolved by its owner: (ref, owner email)."""
    from ownit import service

    view = service.raise_request(desk, actor=actor, request_type="facilities.leak", title="Roof leak", fields=LEAK)
    ref, owner = view["ref"], view["owner"]["email"]
    service.contact(desk, ref, actor=owner, note="On my way")
    service.resolve(desk, ref, actor=owner, note="Roof patched")
    return ref, owner
