"""Repository of the reminders sent, and of the registrations a reminder may be due for."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.events.domain.agenda import Event, Status
from services.events.domain.registrations import Registration
from services.events.store.events import event_of
from services.events.store.registrations import registration_of
from services.events.store.schema import events, registrations, reminders_sent


class ReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upcoming(
        self, now: datetime, until: datetime
    ) -> list[tuple[Event, list[Registration]]]:
        """Published events starting after ``now`` and by ``until``, with their confirmed
        registrations of people not erased."""
        statement = (
            select(events)
            .where(
                events.c.status == Status.PUBLISHED.value,
                events.c.starts_at > now,
                events.c.starts_at <= until,
            )
            .order_by(events.c.starts_at, events.c.id)
        )
        found = [event_of(row) for row in await self._session.execute(statement)]
        if not found:
            return []
        seated: dict[uuid.UUID, list[Registration]] = defaultdict(list)
        rows = await self._session.execute(
            select(registrations).where(
                registrations.c.event_id.in_([str(event.id) for event in found]),
                registrations.c.status == "confirmed",
                registrations.c.erased_at.is_(None),
            )
        )
        for row in rows:
            registration = registration_of(row)
            seated[registration.event_id].append(registration)
        return [(event, seated[event.id]) for event in found if seated[event.id]]

    async def sent(self, registration_ids: list[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
        """The rules already recorded, per registration."""
        recorded: dict[uuid.UUID, set[str]] = defaultdict(set)
        for start in range(0, len(registration_ids), 500):
            chunk = [str(key) for key in registration_ids[start : start + 500]]
            rows = await self._session.execute(
                select(reminders_sent.c.registration_id, reminders_sent.c.rule).where(
                    reminders_sent.c.registration_id.in_(chunk)
                )
            )
            for registration_id, rule in rows:
                recorded[uuid.UUID(registration_id)].add(rule)
        return recorded

    async def record(
        self, registration_id: uuid.UUID, rule: str, event_id: uuid.UUID, now: datetime
    ) -> None:
        """Record the reminder; raises IntegrityError if it was already (the unique pair)."""
        await self._session.execute(
            insert(reminders_sent).values(
                registration_id=str(registration_id),
                rule=rule,
                event_id=str(event_id),
                sent_at=now,
            )
        )
