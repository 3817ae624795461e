"""Scoring a mystery request: what its timeline shows, and what its requester
says, against the team's promise. Pure: no database, no clock.

A mystery request (:mod:`ownit.service.mystery`) is raised by a store manager
who agreed to take part, worked like any other, and scored once it is closed.
The score is kept with the :data:`RUBRIC` version it was made under, so a
changed rubric never rewrites an old score.

Rubric 1, every part a number from 0 to 1:

- **measured**, from the timeline (:func:`measured`); a part that had nothing
  to measure (no check-in was owed, no hand-off happened) is left out:

  - ``first_contact``: the first contact was made by its promised time;
  - ``checkins``: check-ins made on time, over check-ins made plus one owed
    and missed when it was resolved;
  - ``owner_from_start``: the owner named when it was raised made the first
    contact themselves (the requester met the person they were told of);
  - ``stages``: stages reached by their expected dates (as the card's
    stepper shows them), over stages moved on to (the last, reached by the
    resolution, is the ``resolved`` part's);
  - ``handoffs``: hand-offs that came with a note, over hand-offs;
  - ``resolved``: the last resolution was within the promise.

- **asked** of the requester at the end (:data:`QUESTIONS`): six yes-or-no
  questions (yes 1, no 0), NPS 0–10 (÷ 10) and effort 1 very easy – 7 very
  hard ((7 − effort) ÷ 6).

The **measured score** is the mean of the measured parts × 100, the **asked
score** the mean of the eight asked parts × 100, and the **score** the mean
of the two, each rounded to one decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from datetime import datetime
from statistics import mean, pstdev
from typing import Any, Iterable, Mapping

from . import events

RUBRIC = 1

MEASURED = (
    ("first_contact", "first contact when promised"),
    ("checkins", "check-ins kept"),
    ("owner_from_start", "the owner named at the start made contact"),
    ("stages", "stage dates kept"),
    ("handoffs", "each hand-off with a note"),
    ("resolved", "resolved within the promise"),
)
# (key, question): answered yes or no
QUESTIONS = (
    ("told_owner", "Were you told who owns it?"),
    ("told_goal", "Were you told their goal (what they would do, by when)?"),
    ("told_how", "Were you told how they would work with you?"),
    ("told_part", "Were you told what your part was?"),
    ("heard_why", "Did you hear why it matters?"),
    ("fought_corner", "Did someone fight your corner?"),
)
ASKED = (*((key, question) for key, question in QUESTIONS), ("nps", "NPS 0-10"), ("effort", "effort 1-7"))
LABELS = dict(MEASURED + ASKED)


class BadAnswers(ValueError):
    """The form is incomplete or out of range: one line saying which answer."""


@dataclass(frozen=True)
class Score:
    parts: dict[str, float | None]  # every part of the rubric, None where nothing was measured
    measured: float | None  # 0-100
    asked: float
    total: float
    rubric: int = RUBRIC

    def as_dict(self) -> dict[str, Any]:
        return {"parts": self.parts, "measured": self.measured, "asked": self.asked, "score": self.total,
                "rubric": self.rubric}


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def measured(entries: Iterable[Any], stage_due: Mapping[str, str],
             emails: Mapping[int, str]) -> dict[str, float | None]:
    """The measured parts from a request's timeline (entries with ``at``,
    ``event``, ``actor_id`` and ``note``, in order), its stages' expected
    instants (``request.stage_due``) and the people's emails by id (the
    owner named at the start is the first ``Assigned`` event's email)."""
    first_contact = owner_from_start = resolved = None
    on_time = checkins = missed = 0
    handoffs = noted = 0
    reached = reached_on_time = 0
    named_at_start: str | None = None
    for entry in entries:
        event = entry.event
        if isinstance(event, events.Assigned) and named_at_start is None:
            named_at_start = event.owner
        elif isinstance(event, events.Contacted) and first_contact is None:
            first_contact = 1.0 if event.on_time else 0.0
            owner_from_start = 1.0 if emails.get(entry.actor_id) == named_at_start else 0.0
        elif isinstance(event, events.CheckedIn):
            checkins += 1
            on_time += bool(event.on_time)
        elif isinstance(event, (events.HandedOff, events.Reassigned)):
            handoffs += 1
            noted += bool((entry.note or "").strip())
        elif isinstance(event, events.MovedOn):
            due = stage_due.get(event.to_stage)
            if due is not None:
                reached += 1
                reached_on_time += entry.at <= datetime.fromisoformat(due)
        elif isinstance(event, events.Resolved):
            resolved = 1.0 if event.on_time else 0.0
            missed += bool(event.checkin_missed)
    return {"first_contact": first_contact, "checkins": _ratio(on_time, checkins + missed),
            "owner_from_start": owner_from_start, "stages": _ratio(reached_on_time, reached),
            "handoffs": _ratio(noted, handoffs), "resolved": resolved}


def checked_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The form's answers, each checked: every question yes or no, NPS a whole
    number 0–10, effort 1–7, and an optional comment. :class:`BadAnswers`
    names the first that is not."""
    checked: dict[str, Any] = {}
    for key, question in QUESTIONS:
        value = answers.get(key)
        if isinstance(value, str) and value.strip().lower() in ("yes", "no", "y", "n"):
            value = value.strip().lower().startswith("y")
        if not isinstance(value, bool):
            raise BadAnswers(f"answer yes or no to '{question}'")
        checked[key] = value
    for key, name, low, high, what in (("nps", "NPS", 0, 10, "how likely you are to recommend the team"),
                                       ("effort", "effort", 1, 7, "how much effort it took you, 1 very easy to 7 "
                                                                  "very hard")):
        value = answers.get(key)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise BadAnswers(f"give {name} as a whole number from {low} to {high}: {what}")
        checked[key] = value
    comment = answers.get("comment") or ""
    if not isinstance(comment, str) or len(comment) > 2000:
        raise BadAnswers("the comment must be text of at most 2000 characters")
    checked["comment"] = comment.strip()
    return checked


def asked(answers: Mapping[str, Any]) -> dict[str, float]:
    """The asked parts from checked answers (:func:`checked_answers`)."""
    parts = {key: 1.0 if answers[key] else 0.0 for key, _ in QUESTIONS}
    parts["nps"] = answers["nps"] / 10
    parts["effort"] = (7 - answers["effort"]) / 6
    return parts


def tenth(value: float) -> float:
    """``value`` to one decimal, a half rounded up as people do by hand (63.75 is
    63.8, though in binary 100 × 0.6375 is a hair under 63.75)."""
    return float(Decimal(repr(round(value, 9))).quantize(Decimal("0.1"), ROUND_HALF_UP))


def score(measured_parts: Mapping[str, float | None], answers: Mapping[str, Any]) -> Score:
    """The score of rubric :data:`RUBRIC` from the measured parts and the checked answers."""
    asked_parts = asked(answers)
    counted = [v for v in measured_parts.values() if v is not None]
    asked_mean = 100 * mean(asked_parts.values())
    measured_mean = 100 * mean(counted) if counted else None
    total = asked_mean if measured_mean is None else (measured_mean + asked_mean) / 2
    return Score({**measured_parts, **asked_parts}, None if measured_mean is None else tenth(measured_mean),
                 tenth(asked_mean), tenth(total))


def spread(scores: Iterable[float]) -> dict[str, float | None]:
    """How alike a set of scores (each owner's mean) is: lowest, highest, the
    gap between them and the standard deviation; ``None`` for none."""
    values = list(scores)
    if not values:
        return {"lowest": None, "highest": None, "gap": None, "stdev": None}
    return {"lowest": min(values), "highest": max(values), "gap": tenth(max(values) - min(values)),
            "stdev": tenth(pstdev(values))}


WIDE = 20.0  # a gap between owners' means wider than this: the service depends on who you get
