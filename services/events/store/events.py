"""Repositories of events and cycles."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.events.domain.agenda import Audience, Cycle, Event, EventDraft, Place, Status
from services.events.store.schema import cycles, events


def _row(event: Event, department: str | None) -> dict[str, Any]:
    draft = event.draft
    return {
        "id": str(event.id),
        "cycle_id": str(draft.cycle_id) if draft.cycle_id else None,
        "title": draft.title,
        "summary": draft.summary,
        "type": draft.type,
        "format": draft.format,
        "themes": list(draft.themes),
        "audience": {
            "everyone": draft.audience.everyone,
            "networks": list(draft.audience.networks),
            "colleges": list(draft.audience.colleges),
        },
        "partners": list(draft.partners),
        "starts_at": draft.starts_at,
        "ends_at": draft.ends_at,
        "venue": asdict(draft.venue) if draft.venue else None,
        "department": department,
        "video_link": draft.video_link,
        "registration_opens_at": draft.registration_opens_at,
        "registration_closes_at": draft.registration_closes_at,
        "capacity_onsite": draft.capacity_onsite,
        "capacity_online": draft.capacity_online,
        "member_only": draft.member_only,
        "organisation_cap": draft.organisation_cap,
        "hold_minutes": draft.hold_minutes,
        "status": event.status.value,
        "sequence": event.sequence,
        "queue_counter": event.queue_counter,
        "created_at": event.created_at,
        "updated_at": event.updated_at,
        "published_at": event.published_at,
        "cancelled_at": event.cancelled_at,
        "cancel_reason": event.cancel_reason,
    }


def event_of(row: Any) -> Event:
    audience = row.audience or {}
    draft = EventDraft(
        title=row.title,
        type=row.type,
        format=row.format,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        summary=row.summary,
        themes=tuple(row.themes or ()),
        audience=Audience(
            everyone=bool(audience.get("everyone", True)),
            networks=tuple(audience.get("networks", ())),
            colleges=tuple(audience.get("colleges", ())),
        ),
        partners=tuple(row.partners or ()),
        venue=Place(**row.venue) if row.venue else None,
        video_link=row.video_link,
        registration_opens_at=row.registration_opens_at,
        registration_closes_at=row.registration_closes_at,
        capacity_onsite=row.capacity_onsite,
        capacity_online=row.capacity_online,
        member_only=row.member_only,
        organisation_cap=row.organisation_cap,
        hold_minutes=row.hold_minutes,
        cycle_id=uuid.UUID(row.cycle_id) if row.cycle_id else None,
    )
    return Event(
        id=uuid.UUID(row.id),
        draft=draft,
        status=Status(row.status),
        sequence=row.sequence,
        created_at=row.created_at,
        updated_at=row.updated_at,
        published_at=row.published_at,
        cancelled_at=row.cancelled_at,
        cancel_reason=row.cancel_reason,
        queue_counter=row.queue_counter,
    )


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, event: Event, department: str | None) -> None:
        await self._session.execute(insert(events).values(_row(event, department)))

    async def save(self, event: Event, department: str | None) -> None:
        values = _row(event, department)
        del values["id"]
        await self._session.execute(
            update(events).where(events.c.id == str(event.id)).values(values)
        )

    async def save_counter(self, event: Event) -> None:
        await self._session.execute(
            update(events)
            .where(events.c.id == str(event.id))
            .values(queue_counter=event.queue_counter)
        )

    async def get(self, event_id: uuid.UUID, *, lock: bool = False) -> Event | None:
        """The event; ``lock`` takes its row lock (PostgreSQL) for the rest of the transaction:
        every change to its seats goes through that lock. (SQLite: the unit of work's BEGIN
        IMMEDIATE already serialises writers.)"""
        statement = select(events).where(events.c.id == str(event_id))
        if lock and self._session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        return event_of(row) if row is not None else None

    async def of_cycle(self, cycle_id: uuid.UUID) -> list[Event]:
        statement = (
            select(events)
            .where(events.c.cycle_id == str(cycle_id))
            .order_by(events.c.starts_at, events.c.id)
        )
        return [event_of(row) for row in await self._session.execute(statement)]

    async def search(
        self,
        *,
        statuses: tuple[str, ...],
        theme: str | None = None,
        type: str | None = None,
        department: str | None = None,
        format: str | None = None,
        starts_after: datetime | None = None,
        starts_before: datetime | None = None,
        limit: int = 200,
    ) -> list[Event]:
        statement: Select[Any] = select(events).where(events.c.status.in_(statuses))
        if type is not None:
            statement = statement.where(events.c.type == type)
        if department is not None:
            statement = statement.where(events.c.department == department)
        if format is not None:
            statement = statement.where(events.c.format == format)
        if starts_after is not None:
            statement = statement.where(events.c.ends_at >= starts_after)
        if starts_before is not None:
            statement = statement.where(events.c.starts_at < starts_before)
        statement = statement.order_by(events.c.starts_at, events.c.id)
        found = [event_of(row) for row in await self._session.execute(statement)]
        if theme is not None:  # JSON lists: filtered here, the same way on both dialects
            found = [event for event in found if theme in event.draft.themes]
        return found[:limit]

    async def count_by_status(self) -> dict[str, int]:
        statement = select(events.c.status, func.count()).group_by(events.c.status)
        return {row[0]: row[1] for row in await self._session.execute(statement)}


class CycleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, cycle: Cycle) -> None:
        await self._session.execute(
            insert(cycles).values(
                id=str(cycle.id),
                title=cycle.title,
                summary=cycle.summary,
                created_at=cycle.created_at,
            )
        )

    async def save(self, cycle: Cycle) -> None:
        await self._session.execute(
            update(cycles)
            .where(cycles.c.id == str(cycle.id))
            .values(title=cycle.title, summary=cycle.summary)
        )

    async def get(self, cycle_id: uuid.UUID) -> Cycle | None:
        row = (
            await self._session.execute(select(cycles).where(cycles.c.id == str(cycle_id)))
        ).first()
        if row is None:
            return None
        return Cycle(uuid.UUID(row.id), row.title, row.summary, row.created_at)
