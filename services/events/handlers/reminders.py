"""The reminder scheduler's use case: emit each reminder due, exactly once per registration and
rule, whatever the restarts and the number of replicas.

Each reminder is its own transaction: the registration is read again (still confirmed, not
erased), the pair (registration, rule) is inserted in ``reminders_sent`` (unique) and
``reminder.due`` goes to the outbox with a ``event_id`` derived from the same pair. A replica that
loses the race hits the unique constraint (PostgreSQL) or sees the row once it gets the write
lock (SQLite), and rolls back quietly; JetStream would drop a duplicate message anyway.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from services.events.domain import reminders
from services.events.domain.agenda import Status
from services.events.domain.reminders import ReminderRule
from services.events.handlers.common import Agenda
from services.events.store import UowFactory
from services.runtime.logging import get_logger

log = get_logger("reso.events")


def horizon(rules: Sequence[ReminderRule]) -> timedelta:
    """How far ahead events may have a reminder due now (a day more for the time of day)."""
    days = [rule.amount + 1 for rule in rules if rule.kind == "days"]
    hours = [rule.amount for rule in rules if rule.kind == "hours"]
    return max([timedelta(days=d) for d in days] + [timedelta(hours=h) for h in hours])


async def send_due_reminders(
    uow: UowFactory, context: Agenda, rules: Sequence[ReminderRule]
) -> int:
    """Emit the reminders due at ``context.now()``; returns how many this call emitted."""
    if not rules:
        return 0
    now = context.now()
    async with uow() as work:
        upcoming = await work.reminders.upcoming(now, now + horizon(rules))
        ids = [registration.id for _, seated in upcoming for registration in seated]
        sent = await work.reminders.sent(ids) if ids else {}
    emitted = 0
    for event, seated in upcoming:
        for registration in seated:
            due = reminders.due_reminder(
                rules,
                starts_at=event.draft.starts_at,
                registered_at=registration.confirmed_at or registration.registered_at,
                now=now,
                sent=sent.get(registration.id, ()),
            )
            if due is not None and await _emit(uow, context, rules, registration.id, event.id):
                emitted += 1
    return emitted


async def _emit(
    uow: UowFactory,
    context: Agenda,
    rules: Sequence[ReminderRule],
    registration_id: uuid.UUID,
    event_id: uuid.UUID,
) -> bool:
    """One reminder, decided again inside its own transaction. False: nothing to send (any
    more), or another replica sent it first."""
    now = context.now()
    try:
        async with uow() as work:
            registration = await work.registrations.get(registration_id)
            event = await work.events.get(event_id)
            if (
                registration is None
                or event is None
                or registration.status != "confirmed"
                or registration.erased_at is not None
                or event.status is not Status.PUBLISHED
            ):
                return False
            recorded = await work.reminders.sent([registration.id])
            due = reminders.due_reminder(
                rules,
                starts_at=event.draft.starts_at,
                registered_at=registration.confirmed_at or registration.registered_at,
                now=now,
                sent=recorded.get(registration.id, ()),
            )
            if due is None:
                return False
            await work.reminders.record(registration.id, due.rule.text, event.id, now)
            work.record(
                reminders.ReminderDue(
                    registration=registration,
                    event=event,
                    reminder=due,
                    video_link=reminders.video_link_for(due, registration, event),
                    occurred_at=now,
                )
            )
            await work.commit()
            return True
    except IntegrityError:
        # Another replica recorded this reminder between our read and our insert.
        log.info("reminder already sent by another replica", registration_id=str(registration_id))
        return False
