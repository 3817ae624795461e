"""What a department plugin declares: typed, immutable, checked on creation.

A plugin builds a :class:`Department` with its :class:`RequestType` s, each with
intake :class:`Field` s, workflow :class:`Stage` s and a :class:`Promise` per
priority, and hands it to the ``register`` callback of
``ownit_register_departments``.
"""

from __future__ import annotations

import re
from dataclasses import field
from datetime import date
from functools import lru_cache
from typing import Any

from .frozen import frozen

from .errors import ValidationError, utf8

FIELD_KINDS = ("text", "choice", "multichoice", "number", "date", "yesno", "photo", "file")
FILE_KINDS = ("photo", "file")  # answered with a file sent with the raise, kept with the request's files
# What each kind's answer is once parsed — in a request's ``fields`` wherever hooks see them — and what
# a requester may type for it (the plugin guide's table, kept equal to this by a test).
KIND_VALUES = {
    "text": ("str", "the text as typed, surrounding spaces trimmed; at most `max_length` characters"),
    "choice": ("str", "one of `choices`, spelt as declared (typed in any case)"),
    "multichoice": ("list[str]", "one or more of `choices`, each once, in the order declared; typed at the "
                                 "command line separated by commas (`--field areas=aisle,tills`)"),
    "number": ("int or float", "an `int` when whole (`12`), else a `float` (`12.5`); finite"),
    "date": ("str", "an ISO date, `YYYY-MM-DD`, as stored (JSON has no dates): `date.fromisoformat(value)` "
                    "makes it a `date` to compare. Typed as `2026-12-01`, between 1900 and 2200"),
    "yesno": ("bool", "`True` or `False`; typed as yes/no, y/n, true/false, 1/0, on/off"),
    "photo": ("str", "the photo's file name as kept (`spill.jpg`); the photo itself is one of the request's files, "
                     "shown with its question on the card. Sent with the raise: the form's picker (a phone offers "
                     "its camera), `--field photo=@spill.jpg` at the command line; a JPEG, PNG, GIF or WebP"),
    "file": ("str", "as `photo`, for a picture or a PDF (a quote, a floor plan)"),
}
PRIORITIES = ("urgent", "high", "normal", "low")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$")
_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")
# a request type's calendar: "24x7" or the key of an org file [[calendar]]
_CALENDAR = re.compile(r"^(24x7|[a-z][a-z0-9_-]{0,63})$")
_YES = {"yes", "y", "true", "1", "on"}
_NO = {"no", "n", "false", "0", "off"}


class DeclarationError(ValueError):
    """A plugin declared something malformed (raised at start-up, naming it)."""


def _several(answers: Any) -> tuple[Any, ...]:
    """An answer, or a tuple (list, set) of answers, as a tuple (``risk_when``, ``shown_when``)."""
    return tuple(answers) if isinstance(answers, (tuple, list, set, frozenset)) else (answers,)


def matches(value: Any, answers: tuple[Any, ...]) -> bool:
    """Whether a stored answer is one of ``answers`` (for several choices: any of them is)."""
    if value is None:
        return False
    return any(item in answers for item in value) if isinstance(value, list) else value in answers


@frozen
class Duration:
    """A span of business time: a number (a fraction too) and its unit, ``m``
    business minutes, ``h`` business hours or ``d`` business days (each the
    length of one day's working hours of the team's calendar): ``"30m"``,
    ``"0.5h"``, ``"4h"``, ``"1.5d"``. Minutes are kept as the hours they are."""

    amount: float
    unit: str  # "h" or "d"

    @classmethod
    @lru_cache(maxsize=512)  # promises read their durations on every raise
    def parse(cls, text: str) -> "Duration":
        match = _DURATION.match(text)
        if not match:
            raise DeclarationError(f"duration {text!r} must be a number and m, h or d, like '30m', '4h' or '2d'")
        amount, unit = float(match.group(1)), match.group(2)
        return cls(amount / 60, "h") if unit == "m" else cls(amount, unit)

    @classmethod
    def valid(cls, text: str) -> bool:
        """Whether ``text`` is a duration (:meth:`parse` says why not)."""
        try:
            cls.parse(text)
        except DeclarationError:
            return False
        return True

    def __str__(self) -> str:
        amount, word = self.amount, {"h": "business hour", "d": "business day"}[self.unit]
        if self.unit == "h" and amount < 1 and (amount * 60).is_integer():
            amount, word = amount * 60, "business minute"
        amount = int(amount) if amount == int(amount) else amount
        return f"{amount} {word}{'' if amount == 1 else 's'}"


@frozen
class Field:
    """One intake question on a request form. ``risk_when`` is the answer (or
    a tuple of answers) that means a safety risk — ``True`` for a yes on a
    yes/no question, ``False`` for a no, a choice — and is highlighted wherever
    the answers are shown. ``shown_when`` makes it a follow-up question, asked
    only when an earlier field has one of some answers: ``("what", "other")``,
    ``("hazard", True)``, ``("areas", ("tills", "entrance"))``."""

    key: str
    label: str
    kind: str = "text"
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()
    max_length: int = 2000
    risk_when: Any = None
    shown_when: tuple[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.kind not in FIELD_KINDS:
            raise DeclarationError(
                f"field {self.key!r} has unknown kind {self.kind!r}; use one of {', '.join(FIELD_KINDS)}"
            )
        if self.kind in ("choice", "multichoice") and not self.choices:
            raise DeclarationError(f"{self.kind} field {self.key!r} needs choices")
        object.__setattr__(self, "choices", tuple(self.choices))
        if self.kind == "multichoice" and any("," in choice for choice in self.choices):
            raise DeclarationError(f"multichoice field {self.key!r}: a choice cannot hold a comma (the command "
                                   "line separates answers with commas)")
        if self.shown_when is not None and (not isinstance(self.shown_when, (tuple, list))
                                            or len(self.shown_when) != 2 or not isinstance(self.shown_when[0], str)):
            raise DeclarationError(f"field {self.key!r}: shown_when must be (an earlier field's key, its answer "
                                   "or a tuple of answers), like ('what', 'other')")
        if self.risk_when is not None:
            try:
                object.__setattr__(self, "risk_when", self.answers(self.risk_when))
            except ValidationError as exc:
                raise DeclarationError(f"field {self.key!r}: risk_when is not an answer to it: {exc}") from None

    def answers(self, declared: Any) -> tuple[Any, ...]:
        """An answer or a tuple of answers a declaration names (``risk_when``,
        another field's ``shown_when``), parsed: for several choices, each is one choice."""
        parse = self._parse_choice if self.kind == "multichoice" else self.parse
        return tuple(parse(answer) for answer in _several(declared))

    def is_risk(self, value: Any) -> bool:
        """Whether the stored answer ``value`` is one that means a safety risk."""
        return matches(value, self.risk_when or ())

    @staticmethod
    def shown(value: Any) -> str:
        """A stored answer as people read it: yes or no, a date, a number, the text, the choices."""
        if isinstance(value, list):
            return ", ".join(map(str, value))
        return ("yes" if value else "no") if isinstance(value, bool) else str(value)

    def parse(self, raw: Any) -> Any:
        """The stored value for ``raw`` (a string from the CLI or a typed value
        from the UI), or :class:`ValidationError` naming the field."""
        if isinstance(raw, str):
            raw = raw.strip()
        if raw is None or raw == "":
            if self.required:
                raise ValidationError.about(self.key, f"{self.label} ({self.key}) is required", "is required")
            return None
        parse = getattr(self, f"_parse_{self.kind}")
        return parse(raw)

    def _error(self, problem: str) -> ValidationError:
        return ValidationError.about(self.key, f"{self.label} ({self.key}): {problem}", problem)

    def _parse_text(self, raw: Any) -> str:
        text = str(raw)
        if not utf8(text):
            raise self._error("is not valid UTF-8 text; retype it")
        if len(text) > self.max_length:
            raise self._error(f"is {len(text)} characters long; keep it under {self.max_length}")
        return text

    def _parse_choice(self, raw: Any) -> str:
        for choice in self.choices:
            if str(raw).casefold() == choice.casefold():
                return choice
        raise self._error(f"{raw!r} is not one of: {', '.join(self.choices)}")

    def _parse_multichoice(self, raw: Any) -> list[str] | None:
        items = [part for part in (raw.split(",") if isinstance(raw, str) else raw) if str(part).strip()] \
            if isinstance(raw, (str, list, tuple, set, frozenset)) else [raw]
        picked = {self._parse_choice(str(item).strip()) for item in items}
        if not picked:
            return self.parse(None)  # none picked: as if left empty (refused when required)
        return [choice for choice in self.choices if choice in picked]

    def _parse_number(self, raw: Any) -> float | int:
        if isinstance(raw, bool):
            raise self._error("must be a number")
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise self._error(f"{raw!r} is not a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise self._error("must be a finite number")
        return int(number) if number.is_integer() else number

    def _parse_date(self, raw: Any) -> str:
        from .clock import parse_date

        try:
            return parse_date(raw if isinstance(raw, date) else str(raw)).isoformat()
        except ValidationError as exc:
            raise self._error(str(exc)) from None

    def _parse_photo(self, raw: Any) -> str:
        """A file sent (an ``Upload``: its name) or the name a stored answer
        holds. Raising, a name alone is refused before this (``intake``)."""
        name = getattr(raw, "name", raw)
        if not isinstance(name, str) or not name.strip() or isinstance(raw, bool):
            raise self._error("send the file itself")
        return self._parse_text(name.strip())

    _parse_file = _parse_photo

    def _parse_yesno(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        word = str(raw).casefold()
        if word in _YES:
            return True
        if word in _NO:
            return False
        raise self._error(f"{raw!r} is not yes or no")


@frozen
class Stage:
    """A step of the workflow, named as the requester would say it.

    ``days`` is the typical business days spent reaching this stage from the
    previous one; ``requester_action`` is what the requester must do at it.
    """

    key: str
    label: str
    days: float = 0
    requester_action: str = ""


@frozen
class Promise:
    """What the owner commits to for one priority: first contact within, a
    check-in every (``None`` for no cadence), resolved within."""

    first_contact: str = "1d"
    checkin: str | None = "1d"
    resolve: str = "5d"

    def __post_init__(self) -> None:
        for value in (self.first_contact, self.resolve, self.checkin):
            if value is not None:
                Duration.parse(value)

    @property
    def first_contact_within(self) -> Duration:
        return Duration.parse(self.first_contact)

    @property
    def checkin_every(self) -> Duration | None:
        return Duration.parse(self.checkin) if self.checkin else None

    @property
    def resolve_within(self) -> Duration:
        return Duration.parse(self.resolve)


@frozen
class RequestType:
    """One kind of request a department handles (``facilities.leak``)."""

    key: str
    label: str
    why: str
    fields: tuple[Field, ...] = ()
    stages: tuple[Stage, ...] = ()
    promise: dict[str, Promise] = field(default_factory=lambda: {"normal": Promise()})
    skills: tuple[str, ...] = ()
    default_priority: str = "normal"
    restricted: bool = False  # details visible to the requester and the team only
    site_wide: bool = False  # a fault of a whole site that often strikes its region too (the network): see similar_open
    needed_by_field: str | None = None  # a date field whose value is the requester's needed-by date
    # the priorities a request of this type can have (see ``reachable``); empty: its default and those it has
    # a promise for. Each needs a promise; ``ownit_priority`` giving another is refused.
    priorities: tuple[str, ...] = ()
    # the clock its promises count on: None, its team's working hours; "24x7", every hour of every day; or the
    # key of a [[calendar]] in the org file (office hours for a job done by day, whoever works the queue)
    calendar: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(self.fields))
        object.__setattr__(self, "stages", tuple(self.stages))
        object.__setattr__(self, "skills", tuple(self.skills))
        object.__setattr__(self, "priorities", tuple(self.priorities))
        if not _KEY.match(self.key) or "." not in self.key:
            raise DeclarationError(
                f"request type key {self.key!r} must look like 'department.name' in lower case"
            )
        if len(self.stages) < 2:
            raise DeclarationError(f"request type {self.key!r} needs at least two stages")
        for group, items in (("field", self.fields), ("stage", self.stages)):
            keys = [item.key for item in items]
            doubles = sorted({k for k in keys if keys.count(k) > 1})
            if doubles:
                raise DeclarationError(f"request type {self.key!r} repeats {group} {doubles[0]!r}")
        self._check_follow_ups()
        unknown = set(self.promise) - set(PRIORITIES)
        if unknown:
            raise DeclarationError(
                f"request type {self.key!r} has a promise for unknown priority {sorted(unknown)[0]!r}"
            )
        if self.site_wide and self.restricted:
            raise DeclarationError(f"request type {self.key!r}: a private type cannot be site-wide; "
                                   "its colleagues may not see it")
        if self.default_priority not in PRIORITIES:
            raise DeclarationError(f"request type {self.key!r}: unknown default priority "
                                   f"{self.default_priority!r}; use one of {', '.join(PRIORITIES)}")
        unknown = [p for p in self.priorities if p not in PRIORITIES]
        if unknown:
            raise DeclarationError(f"request type {self.key!r}: priorities names unknown priority {unknown[0]!r}; "
                                   f"use {', '.join(PRIORITIES)}")
        for priority in self.reachable:
            if priority not in self.promise:
                why = "its default_priority" if priority == self.default_priority else "listed in its priorities"
                raise DeclarationError(f"request type {self.key!r} can be {priority!r} ({why}) but has no promise "
                                       f"for it; add promise={{{priority!r}: Promise(...)}}")
        if self.calendar is not None and not (isinstance(self.calendar, str) and _CALENDAR.match(self.calendar)):
            raise DeclarationError(f"request type {self.key!r}: calendar {self.calendar!r} must be \"24x7\" or the "
                                   "key of a [[calendar]] in the org file, like \"office-hours\"")
        if self.needed_by_field is not None and not any(
                f.key == self.needed_by_field and f.kind == "date" for f in self.fields):
            raise DeclarationError(
                f"request type {self.key!r}: needed_by_field {self.needed_by_field!r} must name one of its date fields")

    def _check_follow_ups(self) -> None:
        """Each ``shown_when`` names an earlier field and answers to it (kept parsed)."""
        earlier: dict[str, Field] = {}
        for f in self.fields:
            if f.shown_when is not None:
                key, answers = f.shown_when
                if key not in earlier:
                    raise DeclarationError(f"request type {self.key!r}: field {f.key!r} is shown when {key!r} is "
                                           "answered, which must be a field before it")
                try:
                    parsed = earlier[key].answers(answers)
                except ValidationError as exc:
                    raise DeclarationError(f"request type {self.key!r}: field {f.key!r} is shown when {key!r} "
                                           f"is answered, but not with an answer to it: {exc}") from None
                object.__setattr__(f, "shown_when", (key, parsed))
            earlier[f.key] = f

    @staticmethod
    def asked(f: Field, answers: dict[str, Any]) -> bool:
        """Whether ``f`` is asked given the (parsed) ``answers``: always, or when it follows up one of them."""
        return f.shown_when is None or matches(answers.get(f.shown_when[0]), f.shown_when[1])

    def asked_after(self, f: Field) -> tuple[Field, str]:
        """What a follow-up question ``f`` is asked after: the earlier field, and
        the answers that ask it as people read them ("other", "yes or no")."""
        key, answers = f.shown_when
        on = next(g for g in self.fields if g.key == key)
        return on, " or ".join(on.shown(answer) for answer in answers)

    @property
    def department(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def reachable(self) -> tuple[str, ...]:
        """The priorities a request of this type can have, most pressing first:
        ``priorities`` when declared (with the default), else the default and
        every priority the type has a promise for."""
        found = {self.default_priority, *(self.priorities or self.promise)}
        return tuple(p for p in PRIORITIES if p in found)

    def promise_for(self, priority: str) -> Promise:
        """The promise for ``priority``; for a priority it has none for (a
        request raised before the type changed, an incident declared by hand),
        its promise for ``normal``, else its default priority's."""
        return self.promise.get(priority) or self.promise.get("normal") or self.promise[self.default_priority]

    def position(self, stage_key: str) -> int:
        """Where ``stage_key`` is in the workflow (0 for a stage no longer declared)."""
        return next((i for i, stage in enumerate(self.stages) if stage.key == stage_key), 0)

    def stage_index(self, key: str) -> int:
        for index, stage in enumerate(self.stages):
            if stage.key == key:
                return index
        names = ", ".join(stage.key for stage in self.stages)
        raise ValidationError(f"{self.label} has no stage {key!r}; its stages are: {names}")

    def parse_fields(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Every declared field parsed; unknown keys are refused by name. Every
        problem is found before any is raised, in one :class:`ValidationError`
        (its ``problems`` by field key)."""
        known = {f.key: f for f in self.fields}
        problems = [ValidationError.about(key, f"{self.label} has no field {key!r}; its fields are: "
                                          + (", ".join(known) or "none"), "is not a question of this form")
                    for key in sorted(set(raw) - set(known))]
        parsed: dict[str, Any] = {}
        for f in self.fields:
            given = raw.get(f.key)
            if not self.asked(f, parsed):  # a follow-up to an answer not given: not asked, so not answered
                if given is not None and given != "" and given != []:
                    on, answers = self.asked_after(f)
                    when = f"is asked only when {on.label} is {answers}"
                    problems.append(ValidationError.about(f.key, f"{f.label} ({f.key}) {when}; leave it empty", when))
                continue
            try:
                value = f.parse(given)
            except ValidationError as problem:
                problems.append(problem)
                continue
            if value is not None:
                parsed[f.key] = value
        if problems:
            raise ValidationError.together(problems)
        return parsed

    def asked_now(self, answers: dict[str, Any]) -> list[str]:
        """The keys of the questions asked, in order, given ``answers`` as
        typed so far (a form being filled in): an answer that does not parse
        yet counts as not given, so its follow-ups are not asked."""
        asked, parsed = [], {}
        for f in self.fields:
            if not self.asked(f, parsed):
                continue
            asked.append(f.key)
            try:
                value = f.parse(answers.get(f.key))
            except ValidationError:
                continue
            if value is not None:
                parsed[f.key] = value
        return asked

    def with_answers(self, before: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
        """The form's answers once ``given`` (typed or raw; ``""`` clears one)
        change some of ``before`` (as stored): a follow-up whose question is
        no longer asked goes with it, unless given again, and the whole form is
        checked as at the raise (:meth:`parse_fields`)."""
        merged = {**before, **given}
        asked = set(self.asked_now(merged))
        return self.parse_fields({k: v for k, v in merged.items() if k in given or k in asked})


@frozen
class Department:
    """A department plugin's contribution: its request types and the prefix of
    its refs (``FAC`` gives ``FAC-1042``)."""

    key: str
    name: str
    request_types: tuple[RequestType, ...]
    prefix: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "request_types", tuple(self.request_types))
        if not _KEY.match(self.key) or "." in self.key:
            raise DeclarationError(f"department key {self.key!r} must be one lower-case word")
        if not self.prefix:
            object.__setattr__(self, "prefix", self.key[:3].upper())
        if not re.match(r"^[A-Z]{2,6}$", self.prefix):
            raise DeclarationError(f"department {self.key!r}: prefix must be 2-6 capital letters")
        for rtype in self.request_types:
            if rtype.key == f"{self.key}.incident":
                raise DeclarationError(f"request type {rtype.key!r}: '.incident' is OwnIt's own, for incidents; "
                                       "name it otherwise")
            if rtype.department != self.key:
                raise DeclarationError(
                    f"request type {rtype.key!r} must start with '{self.key}.' to belong to {self.key!r}"
                )


def kinds_reference() -> str:
    """The plugin guide's table of field kinds and the Python type each answer arrives as."""
    rows = [f"| `{kind}` | `{KIND_VALUES[kind][0]}` | {KIND_VALUES[kind][1]} |" for kind in FIELD_KINDS]
    return "\n".join(["| kind | arrives as | what it is |", "|---|---|---|", *rows, ""])
