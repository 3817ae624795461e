"""A few months of demo history, played through the real service on a
simulated clock, so that the service-health report and its charts show
something true on first run.

Every request is raised, contacted, checked in, resolved, rated and sometimes
reopened by the same ``ownit.service`` calls people make, in time order across
all requests. The teams behave differently on purpose:

- Facilities North is steady: prompt first contact, daily check-ins, happy stores;
- Facilities South gets faster week by week — first contact within the hour,
  resolved in a day — but stops checking in and patches rather than fixes, so
  its stores rate it worse and find it harder: fast but unloved;
- IT is quick and liked — on the tills, which Chloe Martin looks after. Dan
  Lee, its network analyst, has habits of his own (:data:`HABITS_OF`, which
  win over a team's on whatever a person owns): he calls late, rarely checks
  in and fixes late.

Facilities South's charter changes halfway: the one agreed in the spring
(``south-spring.toml``) is loaded as the history starts, and the autumn's
faster targets (``south-autumn.toml``) at its midpoint, so its requests keep
the version they were raised under and service health sees the change.

Over the last quarter (its last 13 weeks, or all of a shorter history) two
teams run mystery requests (:mod:`ownit.demo.mysteries`), about two a month
each, on the same queue of events: Facilities North, whose owners score
alike and high, and IT Service Desk, whose scores depend on who you get —
Chloe's high, Dan's low, though service health, which leaves mystery requests
out, does not see him. Nothing writes a score: the owners' habits make the
timeline the rubric measures, and the store managers answer the form from
what they met. The last of them are still to raise, being worked, and closed
with the form not yet answered. They have their own dice, so the rest of the
history draws the same numbers with them or without.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from .. import service
from ..calendar import BusinessCalendar
from ..clock import FixedClock
from ..desk import Desk
from ..errors import OwnitError

OFFICE_HOURS = BusinessCalendar(timezone="Europe/London", days="MO-FR", hours="09:00-17:00")

NORTH = ("amira.khan@example.com", "noah.clarke@example.com", "tom.hughes@example.com", "isla.fraser@example.com")
SOUTH = ("grace.okafor@example.com", "ben.carter@example.com")

FACILITIES = (
    ("facilities.leak", "Water coming through the ceiling", {"location": "stockroom", "near_electrics": "no"}),
    ("facilities.fixture", "Shelf bay loose", {"item": "shelf bay 4", "hazard": "no"}),
    ("facilities.heating", "Shop floor too warm", {"problem": "too hot"}),
)
KIT = ("it.broken_kit", "Handheld scanner will not charge",
       {"device": "handheld scanner", "asset_tag": "AT-200311", "can_trade": "yes", "symptom": "no charge light"})


@dataclass(frozen=True)
class Habits:
    """How a team works a request, given how far through the history we are
    (``p`` from 0 to 1): business hours to first contact, check-ins made,
    business days to resolve, the rating it earns, and the chance the fix fails."""

    contact_hours: Callable[[random.Random, float], float]
    checks_in: Callable[[random.Random, float], bool]
    resolve_days: Callable[[random.Random, float], float]
    nps: Callable[[random.Random, float], int]
    effort: Callable[[random.Random, float], int]
    reopens: Callable[[random.Random, float], bool]


STEADY = Habits(
    contact_hours=lambda r, p: r.uniform(0.5, 3.0),
    checks_in=lambda r, p: r.random() < 0.9,
    resolve_days=lambda r, p: r.uniform(1.5, 3.0),
    nps=lambda r, p: r.choice((8, 9, 9, 10, 10)),
    effort=lambda r, p: r.choice((1, 2, 2, 3)),
    reopens=lambda r, p: r.random() < 0.04,
)
FAST_BUT_UNLOVED = Habits(
    contact_hours=lambda r, p: r.uniform(0.2, 1.0) + (1 - p) * 3.5,
    checks_in=lambda r, p: r.random() < 0.8 - 0.7 * p,
    resolve_days=lambda r, p: r.uniform(0.6, 1.2) + (1 - p) * 3.0,
    nps=lambda r, p: max(0, min(10, round(r.gauss(9 - 6 * p, 1.2)))),
    effort=lambda r, p: max(1, min(7, round(r.gauss(2 + 3.5 * p, 0.8)))),
    reopens=lambda r, p: r.random() < 0.05 + 0.25 * p,
)
QUICK = Habits(
    contact_hours=lambda r, p: r.uniform(0.3, 2.0),
    checks_in=lambda r, p: r.random() < 0.8,
    resolve_days=lambda r, p: r.uniform(0.3, 1.5),
    nps=lambda r, p: r.choice((7, 8, 9, 9, 10)),
    effort=lambda r, p: r.choice((2, 2, 3, 3, 4)),
    reopens=lambda r, p: r.random() < 0.06,
)
SLOW = Habits(  # calls late, rarely checks in, fixes late: Dan Lee's way with the network
    contact_hours=lambda r, p: r.uniform(2.5, 6.0),
    checks_in=lambda r, p: r.random() < 0.1,
    resolve_days=lambda r, p: r.uniform(2.0, 4.5),
    nps=lambda r, p: r.choice((3, 5, 6, 6, 7)),
    effort=lambda r, p: r.choice((4, 4, 5, 6)),
    reopens=lambda r, p: r.random() < 0.1,
)
HABITS_OF = {"dan.lee@example.com": SLOW}  # a person's own habits win over their team's, on whatever they own


def _stories(rng: random.Random, start: datetime, weeks: int) -> list[tuple[datetime, str, str, str, dict, Habits]]:
    """Who raises what, when: a dozen or so requests a week in office hours."""
    stories = []
    for week in range(weeks):
        for _ in range(rng.randint(9, 13)):
            moment = OFFICE_HOURS.next_business_moment(
                start + timedelta(weeks=week, days=rng.uniform(0, 5), hours=rng.uniform(0, 8)))
            kind = rng.random()
            if kind < 0.4:
                rtype, title, fields = rng.choice(FACILITIES)
                stories.append((moment, rng.choice(NORTH), rtype, title, fields, STEADY))
            elif kind < 0.8:
                rtype, title, fields = rng.choice(FACILITIES)
                stories.append((moment, rng.choice(SOUTH), rtype, title, fields, FAST_BUT_UNLOVED))
            else:
                stories.append((moment, rng.choice(NORTH + SOUTH), *KIT, QUICK))
    return sorted(stories, key=lambda s: s[0])


def play(desk: Desk, *, weeks: int, seed: int = 2026, progress: Callable[[int, int], None] | None = None) -> int:
    """Play ``weeks`` of history up to the desk's now; returns the number of
    requests raised. Only what has happened by now is played: the latest
    requests are still open, as they would be."""
    rng = random.Random(seed)
    end = desk.now()
    start = OFFICE_HOURS.next_business_moment(end - timedelta(weeks=weeks))
    stories = [s for s in _stories(rng, start, weeks) if s[0] < end]
    clock = FixedClock(start)
    sim = replace(desk, clock=clock, warnings=[])
    # one queue of everything that happens, in time order across all requests
    queue: list[tuple[datetime, int, Callable[[], list[tuple[datetime, Callable]]]]] = []
    order = 0

    def schedule(at: datetime, step: Callable[[], list[tuple[datetime, Callable]]]) -> None:
        nonlocal order
        if at < end:
            order += 1
            heapq.heappush(queue, (at, order, step))

    def charter(name: str) -> Callable[[], list[tuple[datetime, Callable]]]:
        def load_charter() -> list[tuple[datetime, Callable]]:
            if "facilities" in sim.plugins.departments:
                from ..org import load_org

                load_org(sim, Path(__file__).with_name(name))
            return []
        return load_charter

    schedule(start, charter("south-spring.toml"))  # before the first request: each is raised under a version
    schedule(start + (end - start) / 2, charter("south-autumn.toml"))
    for moment, requester, rtype, title, fields, habits in stories:
        schedule(moment, _story(sim, rng, moment, requester, rtype, title, fields, habits,
                                (moment - start) / (end - start)))
    from .mysteries import schedule as mysteries  # its own dice: the stories above draw the same numbers

    mysteries(sim, random.Random(f"{seed}-mysteries"), start, end, schedule)
    raised = 0
    done = 0
    while queue:
        at, _, step = heapq.heappop(queue)
        clock.set(at)
        try:
            follow_ups = step()
        except OwnitError:
            follow_ups = []  # a step the story no longer allows (say, handed on meanwhile): the story ends there
        for when, nxt in follow_ups:
            schedule(when, nxt)
        if step.__name__ in ("raise_it", "raise_mystery"):
            raised += 1
        if step.__name__ == "raise_it":
            done += 1
            if progress:
                progress(done, len(stories))
    desk.warnings.extend(sim.take_warnings())
    return raised


def _story(sim: Desk, rng: random.Random, moment: datetime, requester: str, rtype: str, title: str,
           fields: dict[str, Any], habits: Habits, p: float) -> Callable[[], list]:
    """The steps of one request as a chain: each step does one service call
    and says what comes next, and when."""
    later = lambda hours: OFFICE_HOURS.add(sim.now(), timedelta(hours=hours))  # noqa: E731
    state: dict[str, Any] = {}

    def raise_it() -> list:
        nonlocal habits
        view = service.raise_request(sim, actor=requester, request_type=rtype, title=title, fields=fields)
        state.update(ref=view["ref"], owner=view["owner"]["email"])
        habits = HABITS_OF.get(state["owner"], habits)
        return [(later(habits.contact_hours(rng, p)), contact)]

    def contact() -> list:
        service.contact(sim, state["ref"], actor=state["owner"], note="Called you; here is the plan.")
        total = habits.resolve_days(rng, p) * 8
        steps = [(later(total), resolve)]
        if habits.checks_in(rng, p) and total > 3:  # within the tightest cadence (IT's four hours)
            steps.append((later(min(3.0, total / 2)), check_in))
        return steps

    def check_in() -> list:
        service.check_in(sim, state["ref"], actor=state["owner"], note="Contractor confirmed; on track.")
        return []

    def resolve() -> list:
        service.resolve(sim, state["ref"], actor=state["owner"], note="Fixed and tested.")
        return [(later(rng.uniform(1, 6)), confirm)]

    def confirm() -> list:
        service.confirm(sim, state["ref"], actor=requester, nps=habits.nps(rng, p), effort=habits.effort(rng, p))
        if habits.reopens(rng, p) and not state.get("reopened"):
            state["reopened"] = True
            return [(later(rng.uniform(4, 16)), reopen)]
        return []

    def reopen() -> list:
        service.reopen(sim, state["ref"], actor=requester, note="It has come back.")
        return [(later(habits.resolve_days(rng, p) * 8), resolve)]

    return raise_it
