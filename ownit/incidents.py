"""What an incident is: one problem affecting many stores, with one named owner.

An incident is a request of its department's *incident type*
(:func:`incident_type`, ``it.incident``): so it has one named owner under the
same invariant as every request, its own promise (first update, an update
rhythm, resolve) and its own timeline, and the usual actions work it. Its
refs are ``INC-…``. What only an incident has is its :class:`Scope` — the
stores it affects — and the requests linked to it (``request.incident_id``):
those keep their owners, their requesters hear the incident's updates on
their own card, and the incident's promise stands in for theirs while they
are linked (``ownit.service.incidents``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

from .departments import Promise, RequestType, Stage
from .errors import ValidationError

PREFIX = "INC"
SUFFIX = ".incident"  # an incident type's key: the department's key and this, reserved for OwnIt
SCOPES = ("all", "region", "sites")

# first update / an update every / resolved within, in business time on the owning team's calendar
PROMISE = {
    "urgent": Promise(first_contact="1h", checkin="2h", resolve="1d"),
    "high": Promise(first_contact="2h", checkin="4h", resolve="2d"),
    "normal": Promise(first_contact="4h", checkin="1d", resolve="3d"),
}
STAGES = (
    Stage("declared", "Declared"),
    Stage("investigating", "Investigating", days=0.25),
    Stage("fixing", "Fix under way", days=0.5),
    Stage("monitoring", "Fixed, watching it holds", days=0.25,
          requester_action="Check it works at your store; reopen your own request if it does not"),
)


@lru_cache(maxsize=64)
def incident_type(department: str) -> RequestType:
    """The incident type of ``department`` (``it.incident``): never raised from
    a form, only declared (``ownit incident declare``)."""
    return RequestType(key=f"{department}{SUFFIX}", label="Incident",
                       why="One problem affecting many stores, owned once and told to every store it affects.",
                       stages=STAGES, promise=PROMISE, default_priority="high")


def is_incident(rtype: RequestType | None) -> bool:
    return rtype is not None and rtype.key.endswith(SUFFIX)


@dataclass(frozen=True)
class Scope:
    """The stores an incident affects: ``all`` of them, those of some
    regions, or some sites (by code)."""

    kind: str
    targets: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str | None, *, sites: Iterable[str], regions: Iterable[str]) -> "Scope":
        """``all``, ``region:north[,south]`` or ``sites:LEEDS,YORK``, checked
        against the organisation's ``sites`` codes and ``regions``."""
        raw = (text or "").strip()
        kind, _, rest = raw.partition(":")
        kind = kind.strip().lower()
        targets = tuple(dict.fromkeys(t.strip() for t in rest.split(",") if t.strip()))
        how = "give the scope as all, region:NAME[,NAME] or sites:CODE[,CODE]"
        if kind == "all" and not rest.strip():
            return cls("all")
        if kind == "region" and targets:
            known = {r.lower(): r for r in regions}
            unknown = [t for t in targets if t.lower() not in known]
            if unknown:
                raise ValidationError(f"no region {unknown[0]!r}; regions: {', '.join(sorted(known.values()))}")
            return cls("region", tuple(known[t.lower()] for t in targets))
        if kind == "sites" and targets:
            known_sites = set(sites)
            codes = tuple(dict.fromkeys(t.upper() for t in targets))
            unknown = [c for c in codes if c not in known_sites]
            if unknown:
                raise ValidationError(f"no site {unknown[0]!r}; check the code with 'ownit sites'")
            return cls("sites", codes)
        raise ValidationError(f"scope {raw!r} is not one OwnIt knows; {how}" if raw else f"no scope given; {how}")

    @classmethod
    def stored(cls, kind: str, targets: Iterable[str] | None) -> "Scope":
        return cls(kind, tuple(targets or ()))

    def covers(self, site: Any) -> bool:
        """Whether the store ``site`` (a ``SiteEntry``) is in scope."""
        if self.kind == "all":
            return True
        if self.kind == "region":
            return site.region in self.targets
        return site.code in self.targets

    def words(self, site_names: dict[str, str] | None = None) -> str:
        """The scope as people say it: "all stores", "the north region", "Leeds and York"."""
        if self.kind == "all":
            return "all stores"
        if self.kind == "region":
            return f"the {_listed(self.targets)} region{'s' if len(self.targets) > 1 else ''}"
        names = [site_names.get(code, code) if site_names else code for code in self.targets]
        return _listed(names)

    def as_dict(self, site_names: dict[str, str] | None = None) -> dict[str, Any]:
        return {"kind": self.kind, "targets": list(self.targets), "words": self.words(site_names)}


def _listed(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
