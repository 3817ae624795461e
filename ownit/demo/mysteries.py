"""Mystery requests in the demo's history (:mod:`ownit.demo.history`): over
its last quarter two teams test the service their stores meet
(:mod:`ownit.service.mystery`), so `ownit mystery results` has something to show.

- Facilities North is consistent: Sam Doyle and Priya Shah both call when
  promised, say who they are, what they will do by when, how they will keep
  in touch and what the store's part is, keep the check-ins their card shows
  and move the work through its stages — they score alike, and high.
- IT Service Desk has a wide spread: Chloe Martin (the tills) works that way
  too; Dan Lee (the network) calls late, says little, never checks in and
  fixes late. Service health does not see him (the history's other IT
  requests are the tills', and it leaves mystery requests out); the mystery
  requests do: the service depends on who you get.

Nothing here writes a score. Each team's lead sets its programme, its store
managers agree, the lead plans each scenario a week or so ahead, the manager
raises it and routing picks the owner (a network fault can only go to Dan, a
till only to Chloe); the owner works it in their own manner (:class:`Manner`,
with their team's or their own :class:`~ownit.demo.history.Habits` for the
timing), the manager confirms it fixed, rating what they met, and answers the
form a week later from the same experience — the card's promises kept or
missed, and what the first call told them. The rubric scores that.

The requests are told in the detail the rubric measures, more than the
history's other requests (an outline: contact, perhaps a check-in, the fix):
the owner follows their team's hours, as their card's promises do. The last
of them are left at every stage: one still to raise, one being worked, one
closed with its form not yet answered.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from .. import mystery as rubric, service
from ..calendar import BusinessCalendar
from ..desk import Desk
from .history import HABITS_OF, OFFICE_HOURS, QUICK, STEADY, Habits

Step = Callable[[], list]

DAY = timedelta(hours=8)  # one business day of a store manager's (OFFICE_HOURS)
QUARTER = timedelta(weeks=13)
FORM_AFTER = 5 * DAY  # the manager answers the form the week after confirming it fixed


@dataclass(frozen=True)
class Manner:
    """What an owner does that a mystery request measures beyond the timing
    of their habits: the chance their first call tells the store each thing
    of :data:`TELLS`, whether they keep the check-ins their card shows and
    whether they move the request through its stages as the work goes."""

    tells: float
    keeps_checkins: bool
    moves_stages: bool


THOROUGH = Manner(tells=0.92, keeps_checkins=True, moves_stages=True)
SILENT = Manner(tells=0.3, keeps_checkins=False, moves_stages=False)
MANNER_OF = {"dan.lee@example.com": SILENT}  # everyone else works THOROUGHly

# what a first call may tell the store, each what one of the form's questions asks
TELLS = ("goal", "how", "part", "why")


@dataclass(frozen=True)
class Slot:
    """One mystery request: its scenario and what its manager raises, in
    their own words. ``raise_days``: business days before the history's end
    it is raised (``None``: after the end, still to raise); ``by_days``:
    calendar days from the end to its ``raise_by`` (each team's a fortnight
    and more apart, so no month has more than the two its programme allows);
    ``noted``: its lead adds a note once it is scored."""

    request_type: str
    shopper: str
    scenario: str
    title: str
    fields: dict[str, Any]
    raise_days: float | None
    by_days: int
    noted: bool = False


@dataclass(frozen=True)
class Programme:
    team: str
    department: str
    habits: Habits  # the team's timing; a person's own (HABITS_OF) wins
    slots: tuple[Slot, ...]
    per_month: int = 2

    @property
    def shoppers(self) -> list[str]:
        return list(dict.fromkeys(s.shopper for s in self.slots))

    @property
    def request_types(self) -> list[str]:
        return list(dict.fromkeys(s.request_type for s in self.slots))


TOM, ISLA = "tom.hughes@example.com", "isla.fraser@example.com"
GRACE, AMIRA = "grace.okafor@example.com", "amira.khan@example.com"

PROGRAMMES = (
    Programme("facilities-north", "facilities", STEADY, (
        Slot("facilities.leak", TOM, "Water drips from the stockroom ceiling after heavy rain, away from the "
             "electrics.", "Stockroom ceiling dripping after the rain",
             {"location": "stockroom ceiling by the back door", "near_electrics": "no"}, 58, -78, noted=True),
        Slot("facilities.heating", ISLA, "The shop floor is cold first thing; it warms up by lunchtime.",
             "Shop floor cold in the mornings", {"problem": "too cold", "temperature": 15}, 46, -62),
        Slot("facilities.security", TOM, "The back shutter sticks halfway up; it still locks.",
             "Back shutter sticking halfway", {"what": "shutter", "can_secure": "yes"}, 34, -46),
        Slot("facilities.leak", ISLA, "A damp patch is spreading on the ceiling above the fitting rooms.",
             "Damp patch above the fitting rooms", {"location": "ceiling above the fitting rooms",
                                                    "near_electrics": "no"}, 22, -30),
        Slot("facilities.security", ISLA, "The front door lock is stiff; staff struggle to open up.",
             "Front door lock stiff", {"what": "front door lock", "can_secure": "yes"}, 10, -12),
        Slot("facilities.heating", TOM, "The stockroom radiators are stone cold.",
             "Stockroom radiators cold", {"problem": "not working at all"}, 1, 4),
    )),
    Programme("it-service", "it", QUICK, (
        Slot("it.broken_kit", GRACE, "A handheld scanner will not charge in its cradle.",
             "Scanner will not charge", {"device": "handheld scanner", "asset_tag": "AT-200417", "can_trade": "yes",
                                         "symptom": "no charge light in the cradle"}, 55, -74),
        Slot("it.network", AMIRA, "The back-office Wi-Fi drops every afternoon; the tills are fine.",
             "Back-office Wi-Fi keeps dropping", {"what_down": "Wi-Fi", "tills_affected": "no",
                                                  "tried": "restarted the access point"}, 43, -58, noted=True),
        Slot("it.broken_kit", AMIRA, "The receipt printer on till 1 jams on every other receipt.",
             "Receipt printer jamming", {"device": "receipt printer", "asset_tag": "AT-310552", "can_trade": "yes",
                                         "symptom": "paper jams every other receipt"}, 31, -42),
        Slot("it.network", GRACE, "The back office cannot reach the stock system since this morning.",
             "Back office offline", {"what_down": "back office", "tills_affected": "no"}, 19, -25),
        Slot("it.broken_kit", GRACE, "Till 2 freezes when a card is tapped; the other tills work.",
             "Till 2 freezes on contactless", {"device": "POS till", "asset_tag": "AT-104871", "can_trade": "yes",
                                               "symptom": "freezes on a contactless tap"}, 4, -2),
        Slot("it.network", AMIRA, "The Wi-Fi on the shop floor is too slow for the stock app.",
             "Shop-floor Wi-Fi slow", {"what_down": "Wi-Fi", "tills_affected": "no"}, None, 14),
    )),
)


def schedule(sim: Desk, rng: random.Random, start: datetime, end: datetime,
             at: Callable[[datetime, Step], None]) -> None:
    """Put each programme's first steps on the history's queue (``at``); each
    step says what follows, like every story of the history."""
    teams = {t["key"]: t for t in service.teams(sim)}
    begin = OFFICE_HOURS.next_business_moment(max(start, end - QUARTER))
    for programme in PROGRAMMES:
        team = teams.get(programme.team)
        if team is None or programme.department not in sim.plugins.departments:
            continue
        _Programme(sim, rng, programme, team, begin, end, at).start()


class _Programme:
    """One team's programme through the quarter: set, agreed, then each slot
    planned, raised, worked, confirmed, answered and perhaps noted."""

    def __init__(self, sim: Desk, rng: random.Random, programme: Programme, team: dict[str, Any],
                 begin: datetime, end: datetime, at: Callable[[datetime, Step], None]) -> None:
        self.sim, self.rng, self.programme, self.at = sim, rng, programme, at
        self.lead = team["lead"]["email"]
        self.hours = BusinessCalendar.of(team["calendar"])  # the owners work their team's hours
        self.begin, self.end = begin, end

    def start(self) -> None:
        programme, begin = self.programme, self.begin

        def set_programme() -> list:
            service.set_mystery_programme(self.sim, actor=self.lead, team=programme.team,
                                          per_month=programme.per_month, request_types=programme.request_types,
                                          shoppers=programme.shoppers)
            return [(OFFICE_HOURS.add(begin, timedelta(hours=1 + i)), self._agree(shopper))
                    for i, shopper in enumerate(programme.shoppers)]

        self.at(begin, set_programme)
        agreed = OFFICE_HOURS.add(begin, timedelta(hours=len(programme.shoppers) + 1))
        for slot in programme.slots:
            if slot.raise_days is None:  # still to raise at the end: planned in its last days
                raised, planned = None, OFFICE_HOURS.before(self.end, 2 * DAY)
            else:  # planned a week or so ahead
                raised = OFFICE_HOURS.before(self.end, DAY * slot.raise_days)
                planned = OFFICE_HOURS.before(raised, 7 * DAY)
            planned = max(planned, agreed)
            if raised is not None and planned >= raised:
                continue  # a shorter history: it would have been raised before the programme began
            self.at(planned, self._plan(slot, raised))

    def _agree(self, shopper: str) -> Step:
        def agree() -> list:
            service.take_part_in_mysteries(self.sim, actor=shopper, team=self.programme.team)
            return []
        return agree

    def _plan(self, slot: Slot, raised: datetime | None) -> Step:
        def plan() -> list:
            by = (self.end + timedelta(days=slot.by_days)).date()
            if raised is not None:
                by = max(by, OFFICE_HOURS.local(raised).date())
            mystery = service.plan_mystery(self.sim, actor=self.lead, team=self.programme.team,
                                           scenario=slot.scenario, request_type=slot.request_type,
                                           shopper=slot.shopper, raise_by=by)["planned"]
            return [] if raised is None else [(raised, _Request(self, slot, mystery).raise_mystery)]
        return plan


class _Request:
    """One mystery request from its raise: the steps of its owner (in their
    manner) and of its store manager (who judges what they met)."""

    def __init__(self, programme: _Programme, slot: Slot, mystery: int) -> None:
        self.p, self.slot, self.mystery = programme, slot, mystery
        self.sim, self.rng = programme.sim, programme.rng
        self.round = 0  # each resolution's work; a reopening starts another

    def later(self, hours: float) -> datetime:
        """``hours`` of the owner's working time from now: their team's hours."""
        return self.p.hours.add(self.sim.now(), timedelta(hours=hours))

    def raise_mystery(self) -> list:
        view = service.raise_request(self.sim, actor=self.slot.shopper, request_type=self.slot.request_type,
                                     title=self.slot.title, fields=self.slot.fields, mystery=self.mystery)
        self.ref, self.owner = view["ref"], view["owner"]["email"]
        self.habits = HABITS_OF.get(self.owner, self.p.programme.habits)
        self.manner = MANNER_OF.get(self.owner, THOROUGH)
        return [(self.later(self.habits.contact_hours(self.rng, 1.0)), self.contact)]

    # --- the owner ----------------------------------------------------------------------------------

    def contact(self) -> list:
        self.said = {thing for thing in TELLS if self.rng.random() < self.manner.tells}
        view = service.contact(self.sim, self.ref, actor=self.owner, note=self._call(service.show(
            self.sim, self.ref, actor=self.owner)))
        return self._work(view)

    def _call(self, card: dict[str, Any]) -> str:
        """The first call, as the owner notes it: what they told the store."""
        promise = card["promise"]
        by = self.p.hours.local(datetime.fromisoformat(promise["resolve_by"]))
        asked = [a["action"].lower() for a in promise["requester_actions"]]
        told = {"goal": f"I will have it fixed by {by:%a %d %b %H:%M}.",
                "how": f"I will update you here at least every {promise['checkin_every']}.",
                "part": f"Your part: {asked[0] if asked else 'tell me if anything changes'}.",
                "why": "I know the store cannot trade properly while this lasts."}
        return " ".join([f"Called {card['requester']['name'].split()[0]}: I'm {card['owner']['name']} and I own "
                         "this.", *(told[thing] for thing in TELLS if thing in self.said)])

    def _work(self, card: dict[str, Any]) -> list:
        """The work from now to its resolution: the fix at the owner's pace
        and, in a thorough manner, by the dates their card shows, the stages
        moved on as it goes and the check-ins the card asks for."""
        self.round += 1
        this, now = self.round, self.sim.now()
        self.fixed_at = self.later(self.habits.resolve_days(self.rng, 1.0) * 8)
        steps: list[tuple[datetime, Step]] = []
        stages = card["promise"]["stages"]
        current = next(i for i, s in enumerate(stages) if s["current"])
        working = stages[current:-1]  # the last stage is the store's check
        if self.manner.moves_stages and this == 1 and working:
            self.fixed_at = max(now + timedelta(minutes=30), min(self.fixed_at, self._by(working[-1])))
            span, previous = self.p.hours.between(now, self.fixed_at), now
            for n, leaving in enumerate(working[:-1], start=1):
                previous = max(previous + timedelta(minutes=1),
                               min(self.p.hours.add(now, span * n / len(working)), self._by(leaving)))
                steps.append((previous, self._advance(this)))
        return [(self.fixed_at, self.resolve), *steps, *self._next_checkin(card, this)]

    def _by(self, stage: dict[str, Any]) -> datetime:
        """Half an hour of the owner's time before ``stage`` is expected to be left."""
        return self.p.hours.before(datetime.fromisoformat(stage["expected"]), timedelta(minutes=30))

    def _next_checkin(self, card: dict[str, Any], this: int) -> list:
        due = card["promise"]["next_checkin_due"]
        if not (self.manner.keeps_checkins and due):
            return []
        when = max(self.sim.now() + timedelta(minutes=1),
                   self.p.hours.before(datetime.fromisoformat(due), timedelta(hours=1)))
        return [(when, self._check_in(this))] if when < self.fixed_at else []

    def _check_in(self, this: int) -> Step:
        def check_in() -> list:
            if this != self.round:
                return []
            view = service.check_in(self.sim, self.ref, actor=self.owner, note="On track; the fix is booked.")
            return self._next_checkin(view, this)
        return check_in

    def _advance(self, this: int) -> Step:
        def advance() -> list:
            if this != self.round:
                return []
            service.advance(self.sim, self.ref, actor=self.owner, note="Done; on to the next step.")
            return []
        return advance

    def resolve(self) -> list:
        service.resolve(self.sim, self.ref, actor=self.owner, note="Fixed and tested.")
        return [(OFFICE_HOURS.add(self.sim.now(), timedelta(hours=self.rng.uniform(1, 6))), self.confirm)]

    def reopened(self) -> list:
        view = service.reopen(self.sim, self.ref, actor=self.slot.shopper, note="It has come back.")
        return self._work(view)

    # --- the store manager ------------------------------------------------------------------------

    def confirm(self) -> list:
        if self.habits.reopens(self.rng, 1.0) and self.round == 1:
            return [(self.sim.now() + timedelta(minutes=1), self.reopened)]
        self.judged = judge(self.rng, service.show(self.sim, self.ref, actor=self.slot.shopper), self.said)
        service.confirm(self.sim, self.ref, actor=self.slot.shopper, nps=self.judged["nps"],
                        effort=self.judged["effort"], comment=self.judged["comment"])
        return [(OFFICE_HOURS.add(self.sim.now(), FORM_AFTER), self.answer)]

    def answer(self) -> list:
        scored = service.answer_mystery(self.sim, self.mystery, actor=self.slot.shopper, answers=self.judged)
        return [(OFFICE_HOURS.add(self.sim.now(), DAY), self._note(scored))] if self.slot.noted else []

    def _note(self, scored: dict[str, Any]) -> Step:
        def note() -> list:
            service.note_mystery(self.sim, self.mystery, actor=self.p.lead, note=coaching(scored))
            return []
        return note


def judge(rng: random.Random, card: dict[str, Any], said: set[str]) -> dict[str, Any]:
    """The store manager's form, from what they met: the first contact, the
    check-ins and the fix as their card records them against the promise,
    and what the first call told them (``said``). Their rating at the
    confirmation is the same NPS and effort."""
    entries = card["timeline"]
    assigned = next(e["data"]["owner"] for e in entries if e["kind"] == "assigned")
    contacted = next(e for e in entries if e["kind"] == "contacted")
    fixed = [e for e in entries if e["kind"] == "resolved"][-1]
    late_call = not contacted["data"]["on_time"]
    unposted = fixed["data"]["checkin_missed"] or any(
        not e["data"]["on_time"] for e in entries if e["kind"] == "checkin")
    late_fix = not fixed["data"]["on_time"]
    came_back = any(e["kind"] == "reopened" for e in entries)
    untold = len(TELLS) - len(said)
    nps = 10 - 2 * late_call - 2 * unposted - 2 * late_fix - came_back - untold // 2 + rng.choice((-1, 0, 0, 1))
    effort = 1 + late_call + unposted + late_fix + came_back + (untold >= 2) + rng.choice((0, 0, 1))
    comment = "; ".join(filter(None, (
        "had to wait for a call" if late_call else "called when promised",
        "heard nothing while it was being fixed" if unposted else "kept me posted",
        "fixed late" if late_fix else "fixed in time",
        "it came back once" if came_back else "")))
    return {"told_owner": contacted["actor"] == assigned, "told_goal": "goal" in said, "told_how": "how" in said,
            "told_part": "part" in said, "heard_why": "why" in said,
            "fought_corner": not (late_call or unposted or late_fix),
            "nps": max(0, min(10, nps)), "effort": max(1, min(7, effort)), "comment": comment.capitalize() + "."}


def coaching(scored: dict[str, Any]) -> str:
    """The lead's note on a scored mystery request: what went well, and what
    to work on (the measured parts under a half, the questions answered no)."""
    parts = {p["key"]: p for p in scored["parts"]}
    short = [parts[key]["label"] for key, _ in rubric.MEASURED
             if parts.get(key) and parts[key]["value"] is not None and parts[key]["value"] < 0.5]
    unheard = [parts[key]["label"] for key, _ in rubric.QUESTIONS if parts.get(key) and parts[key]["value"] == 0]
    said = [f"{scored['score']:.0f} out of 100."]
    if not short:
        said.append("The store felt looked after: on time, kept posted, fixed when promised. Well done.")
    else:
        said.append(f"Let's go through it this week: {', '.join(short)}.")
    if unheard:
        said.append(f"The store answered no to: {' '.join(unheard)}")
    return " ".join(said)
