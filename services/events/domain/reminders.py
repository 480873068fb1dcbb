"""Reminder rules: when each registrant of an event is reminded of it, and which reminder is due.

A centre configures its rules as a comma-separated list (``RESO_EVENTS_REMINDER_RULES``, e.g.
``"7d@09:00, 1d@09:00"``). Two forms:

- ``<N>d@<HH:MM>``: N days before the event's date, at HH:MM, both in Europe/Paris wall-clock
  time (``7d@09:00`` for an event on Tuesday 31 March is Tuesday 24 March at 09:00, Paris time,
  whatever the offset is on each date). ``0d@08:00`` is the morning of the event itself.
- ``<N>h``: N hours of elapsed time before the start (``2h`` before a 10:00 start is 08:00,
  and before a start on the night the clocks change it is still two real hours).

A local time that does not exist (02:30 on the last Sunday of March) moves forward by the gap
(03:30 summer time); one that happens twice (02:30 on the last Sunday of October) is the first
of the two (summer time). A rule whose instant is at or after the start never fires for that
event (``0d@09:00`` for an 08:00 start).

**Exactly once**: a reminder is identified by its registration and its rule's canonical text
(:attr:`ReminderRule.text`, e.g. ``7d@09:00`` for ``7D@9:00``): record that pair (unique in the
database) in the transaction that emits ``reminder.due``, and pass the recorded rules as ``sent``
to :func:`due_reminder`; :func:`reminder_event_id` derives the message's ``event_id`` from the
same pair, so JetStream also drops a duplicate that two replicas would publish.

**Which reminder a registration gets** (:func:`due_reminder`), given ``now``:

1. only rules whose instant has come (``due_at <= now``) and before the event starts;
2. not those whose instant was at or before the registration was confirmed (``registered_at``:
   the moment the person got their seat, i.e. promotion time for someone promoted from the
   waiting list): the confirmation they just received told them all a reminder would. A person
   registering 2 days before the event gets the 1-day reminder, not the 7-day one;
3. when several rules' instants have passed at once (the service was down, or one rule is a
   later variant of another), only the latest is sent: an earlier reminder is superseded
   once a later one is due, so a person never gets two reminders in a row. This depends only
   on ``now``, so the superseded rule needs no record and never fires later either;
4. rules already in ``sent`` are not due again — also after the event moves: the instants
   follow the new start, but a rule sent for the old date is not sent a second time.

The **last** reminder (:func:`last_rule`) is the rule with the latest instant before the start:
the one that carries the online link. A registration confirmed after it gets no reminder at
all, so what the last reminder carries (the online link) must reach that person another way
(the confirmation, the event page shown to confirmed registrants).
Ties between rules with the same instant are broken by the canonical text, so "last" and
"superseded" are the same choice on every replica.

A scheduler can sleep until :func:`next_due_at` of the events ahead. Wiring in settings::

    reminder_rules: str = DEFAULT_RULES

    @field_validator("reminder_rules")
    @classmethod
    def _check_reminder_rules(cls, value: str) -> str:
        return format_rules(parse_rules(value))  # InvalidReminderRules -> ValidationError
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from services.events.domain.agenda import Event
from services.events.domain.registrations import Registration

PARIS = ZoneInfo("Europe/Paris")

DEFAULT_RULES = "7d@09:00, 1d@09:00"
"""The rules a centre gets unless it configures others."""

MAX_DAYS = 366
MAX_HOURS = 24 * 31

_REMINDER_NAMESPACE = uuid.UUID("6f1c1c55-3c0a-4d59-9a39-3b1b8e0c7d2a")
_DAYS_RULE = re.compile(r"(?P<days>\d{1,3})d@(?P<hour>\d{1,2}):(?P<minute>\d{2})")
_HOURS_RULE = re.compile(r"(?P<hours>\d{1,3})h")
_SYNTAX = "expected '<days>d@<HH:MM>' (e.g. '7d@09:00') or '<hours>h' (e.g. '2h')"


class InvalidReminderRules(ValueError):
    """A reminder rule in the configuration does not parse; the message says which and why.

    A ``ValueError``, so a pydantic settings validator turns it into a validation error.
    """


@dataclass(frozen=True)
class ReminderRule:
    """One reminder rule: ``days`` before the event's Paris date at ``at``, or ``hours``
    before the start. Build it with :meth:`parse`; compare and store it by :attr:`text`."""

    kind: Literal["days", "hours"]
    amount: int
    at: time | None = None
    """The Paris wall-clock time of a ``days`` rule; None for an ``hours`` rule."""

    def __post_init__(self) -> None:
        if self.kind == "days":
            at = self.at
            if at is None or at.tzinfo is not None or at.second or at.microsecond:
                raise InvalidReminderRules("a days rule needs a local time of day, HH:MM")
            if not 0 <= self.amount <= MAX_DAYS:
                raise InvalidReminderRules(f"days must be between 0 and {MAX_DAYS}")
        else:
            if self.at is not None:
                raise InvalidReminderRules("an hours rule has no time of day")
            if not 1 <= self.amount <= MAX_HOURS:
                raise InvalidReminderRules(f"hours must be between 1 and {MAX_HOURS}")

    @classmethod
    def parse(cls, text: str) -> ReminderRule:
        """``"7d@09:00"``, ``"1D@9:00"``, ``"2h"`` (spaces and case do not matter)."""
        compact = "".join(text.split()).lower()
        if match := _DAYS_RULE.fullmatch(compact):
            hour, minute = int(match["hour"]), int(match["minute"])
            if hour > 23 or minute > 59:
                raise InvalidReminderRules(f"{text.strip()!r}: {hour}:{minute:02d} is not a time")
            days = int(match["days"])
            if days > MAX_DAYS:
                raise InvalidReminderRules(f"{text.strip()!r}: at most {MAX_DAYS} days before")
            return cls("days", days, time(hour, minute))
        if match := _HOURS_RULE.fullmatch(compact):
            hours = int(match["hours"])
            if not 1 <= hours <= MAX_HOURS:
                raise InvalidReminderRules(
                    f"{text.strip()!r}: between 1 and {MAX_HOURS} hours before"
                )
            return cls("hours", hours)
        raise InvalidReminderRules(f"{text.strip()!r}: {_SYNTAX}")

    @property
    def text(self) -> str:
        """The canonical form, ``7d@09:00`` or ``2h``: the rule's identity (idempotency key
        with the registration id, the ``rule`` field of ``reminder.due``)."""
        if self.kind == "hours":
            return f"{self.amount}h"
        assert self.at is not None
        return f"{self.amount}d@{self.at.hour:02d}:{self.at.minute:02d}"

    def __str__(self) -> str:
        return self.text

    def due_at(self, starts_at: datetime) -> datetime:
        """The instant (aware, UTC) this rule fires for an event starting at ``starts_at``."""
        _require_aware(starts_at, "starts_at")
        if self.kind == "hours":
            # In UTC: arithmetic on a Paris datetime would count wall-clock hours.
            return starts_at.astimezone(UTC) - timedelta(hours=self.amount)
        assert self.at is not None
        day = starts_at.astimezone(PARIS).date() - timedelta(days=self.amount)
        # fold=0: a time in the spring gap reads with the winter offset, i.e. it lands after
        # the gap; a time that happens twice in autumn is the first (summer) occurrence.
        local = datetime.combine(day, self.at, tzinfo=PARIS)
        return local.astimezone(UTC)


@dataclass(frozen=True)
class DueReminder:
    """A reminder to emit now for one registration."""

    rule: ReminderRule
    due_at: datetime
    last: bool
    """The last reminder before the event: the one that carries the online link."""


def parse_rules(text: str) -> tuple[ReminderRule, ...]:
    """The rules of a comma-separated list, in the order given (``""``: no reminders).

    Raises:
        InvalidReminderRules: naming the first item that does not parse (by position), or a
            rule given twice (``7d@9:00`` and ``7d@09:00`` are the same rule).
    """
    rules: list[ReminderRule] = []
    items = text.split(",")
    if len(items) == 1 and not items[0].strip():
        return ()
    for position, item in enumerate(items, start=1):
        if not item.strip():
            raise InvalidReminderRules(
                f"reminder rules {text!r}: item {position} is empty ({_SYNTAX})"
            )
        try:
            rule = ReminderRule.parse(item)
        except InvalidReminderRules as error:
            raise InvalidReminderRules(
                f"reminder rules {text!r}: item {position}, {error}"
            ) from None
        if rule in rules:
            raise InvalidReminderRules(
                f"reminder rules {text!r}: item {position}, {rule.text!r} is given twice"
            )
        rules.append(rule)
    return tuple(rules)


def format_rules(rules: Iterable[ReminderRule]) -> str:
    """The canonical list, ``"7d@09:00,1d@09:00"``: what :func:`parse_rules` reads back."""
    return ",".join(rule.text for rule in rules)


def schedule(
    rules: Iterable[ReminderRule], starts_at: datetime
) -> list[tuple[ReminderRule, datetime]]:
    """Each rule that fires before the event with its instant (UTC), earliest first; rules
    that would fire at or after the start are left out."""
    timed = [(rule, rule.due_at(starts_at)) for rule in rules]
    return sorted(
        ((rule, due) for rule, due in timed if due < starts_at),
        key=lambda pair: (pair[1], pair[0].text),
    )


def next_due_at(
    rules: Iterable[ReminderRule], *, starts_at: datetime, after: datetime
) -> datetime | None:
    """The first instant after ``after`` at which a rule fires for this event, if any: when a
    scheduler has something to do for it next."""
    _require_aware(after, "after")
    return next((due for _, due in schedule(rules, starts_at) if due > after), None)


def last_rule(rules: Iterable[ReminderRule], starts_at: datetime) -> ReminderRule | None:
    """The rule of the last reminder before the event (None when no rule fires before it)."""
    timed = schedule(rules, starts_at)
    return timed[-1][0] if timed else None


def due_reminder(
    rules: Sequence[ReminderRule],
    *,
    starts_at: datetime,
    registered_at: datetime,
    now: datetime,
    sent: Collection[ReminderRule | str] = (),
) -> DueReminder | None:
    """The reminder to emit now for one confirmed registration, if any (see the module
    docstring for the rules).

    Args:
        rules: The centre's rules.
        starts_at: The event's start (aware).
        registered_at: When the registration got its seat (confirmation or promotion).
        now: The current instant (aware).
        sent: The rules already recorded for this registration, as rules or canonical texts.
    """
    _require_aware(registered_at, "registered_at")
    _require_aware(now, "now")
    if now >= starts_at:
        return None
    timed = schedule(rules, starts_at)
    passed = [(rule, due) for rule, due in timed if due <= now]
    if not passed:
        return None
    # Only the latest reminder whose time has come can be due; earlier ones are superseded.
    rule, due = passed[-1]
    done = {
        item.text if isinstance(item, ReminderRule) else ReminderRule.parse(item).text
        for item in sent
    }
    if rule.text in done or due <= registered_at:
        return None
    return DueReminder(rule=rule, due_at=due, last=rule == timed[-1][0])


def reminder_key(registration_id: uuid.UUID, rule: ReminderRule) -> str:
    """``<registration id>:<rule>``: what makes a reminder unique."""
    return f"{registration_id}:{rule.text}"


def reminder_event_id(registration_id: uuid.UUID, rule: ReminderRule) -> uuid.UUID:
    """A stable ``event_id`` for the ``reminder.due`` of this registration and rule (UUIDv5),
    so a duplicate published by another replica is dropped by JetStream too."""
    return uuid.uuid5(_REMINDER_NAMESPACE, reminder_key(registration_id, rule))


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


@dataclass(frozen=True)
class ReminderDue:
    """Domain event: a reminder recorded for a registration, to emit as ``reminder.due``."""

    registration: Registration
    event: Event
    reminder: DueReminder
    video_link: str | None
    occurred_at: datetime

    @property
    def event_id(self) -> uuid.UUID:
        return reminder_event_id(self.registration.id, self.reminder.rule)


def video_link_for(reminder: DueReminder, registration: Registration, event: Event) -> str | None:
    """The online link goes with the last reminder only, to people attending online (an online
    event's registrants, a hybrid event's online ones)."""
    if not reminder.last or registration.mode != "online":
        return None
    return event.draft.video_link
