"""Repository of registrations."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.events.domain.registrations import HELD, Registration, Seats, email_key
from services.events.store.schema import registrations


def _row(registration: Registration) -> dict[str, Any]:
    return {
        "id": str(registration.id),
        "event_id": str(registration.event_id),
        "email": registration.email,
        "email_key": email_key(registration.email),
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "person_id": str(registration.person_id) if registration.person_id else None,
        "organisation_id": (
            str(registration.organisation_id) if registration.organisation_id else None
        ),
        "mode": registration.mode,
        "status": registration.status,
        "reason": registration.reason,
        "queue_no": registration.queue_no,
        "registered_at": registration.registered_at,
        "confirmed_at": registration.confirmed_at,
        "cancelled_at": registration.cancelled_at,
        "cancelled_by": registration.cancelled_by,
        "offer_expires_at": registration.offer_expires_at,
        "attended_at": registration.attended_at,
        "erased_at": registration.erased_at,
    }


def registration_of(row: Any) -> Registration:
    return Registration(
        id=uuid.UUID(row.id),
        event_id=uuid.UUID(row.event_id),
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        mode=row.mode,
        status=row.status,
        registered_at=row.registered_at,
        person_id=uuid.UUID(row.person_id) if row.person_id else None,
        organisation_id=uuid.UUID(row.organisation_id) if row.organisation_id else None,
        reason=row.reason,
        queue_no=row.queue_no,
        confirmed_at=row.confirmed_at,
        cancelled_at=row.cancelled_at,
        cancelled_by=row.cancelled_by,
        offer_expires_at=row.offer_expires_at,
        attended_at=row.attended_at,
        erased_at=row.erased_at,
    )


class RegistrationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, registration: Registration) -> None:
        await self._session.execute(insert(registrations).values(_row(registration)))

    async def save(self, registration: Registration) -> None:
        values = _row(registration)
        del values["id"]
        await self._session.execute(
            update(registrations).where(registrations.c.id == str(registration.id)).values(values)
        )

    async def get(self, registration_id: uuid.UUID) -> Registration | None:
        statement = select(registrations).where(registrations.c.id == str(registration_id))
        row = (await self._session.execute(statement)).first()
        return registration_of(row) if row is not None else None

    async def by_email(self, event_id: uuid.UUID, email: str) -> Registration | None:
        statement = select(registrations).where(
            registrations.c.event_id == str(event_id),
            registrations.c.email_key == email_key(email),
        )
        row = (await self._session.execute(statement)).first()
        return registration_of(row) if row is not None else None

    async def seats(self, event_id: uuid.UUID) -> Seats:
        """Seats held (confirmed or offered), per mode and per organisation."""
        held = (registrations.c.event_id == str(event_id), registrations.c.status.in_(HELD))
        by_mode = {
            row[0]: row[1]
            for row in await self._session.execute(
                select(registrations.c.mode, func.count())
                .where(*held)
                .group_by(registrations.c.mode)
            )
        }
        by_organisation = {
            uuid.UUID(row[0]): row[1]
            for row in await self._session.execute(
                select(registrations.c.organisation_id, func.count())
                .where(*held, registrations.c.organisation_id.is_not(None))
                .group_by(registrations.c.organisation_id)
            )
        }
        return Seats(by_mode, by_organisation)

    async def waiting(self, event_id: uuid.UUID) -> list[Registration]:
        """The waiting list, first in line first."""
        statement = (
            select(registrations)
            .where(
                registrations.c.event_id == str(event_id),
                registrations.c.status == "waitlisted",
            )
            .order_by(registrations.c.queue_no, registrations.c.id)
        )
        return [registration_of(row) for row in await self._session.execute(statement)]

    async def position(self, registration: Registration) -> int:
        """Place in the waiting list (1 = next in line)."""
        statement = select(func.count()).where(
            registrations.c.event_id == str(registration.event_id),
            registrations.c.status == "waitlisted",
            registrations.c.queue_no < registration.queue_no,
        )
        ahead = (await self._session.execute(statement)).scalar_one()
        return int(ahead) + 1

    async def of_event(
        self, event_id: uuid.UUID, *, statuses: Iterable[str] | None = None
    ) -> list[Registration]:
        """An event's registrations: confirmed first, then offered, then the waiting list in
        its order, then the cancelled."""
        statement = select(registrations).where(registrations.c.event_id == str(event_id))
        if statuses is not None:
            statement = statement.where(registrations.c.status.in_(tuple(statuses)))
        found = [registration_of(row) for row in await self._session.execute(statement)]
        rank = {"confirmed": 0, "offered": 1, "waitlisted": 2, "cancelled": 3}
        found.sort(key=lambda r: (rank[r.status], r.queue_no, r.registered_at, str(r.id)))
        return found

    async def expired_offers(self, now: datetime, limit: int = 100) -> list[Registration]:
        statement = (
            select(registrations)
            .where(registrations.c.status == "offered", registrations.c.offer_expires_at <= now)
            .order_by(registrations.c.offer_expires_at)
            .limit(limit)
        )
        return [registration_of(row) for row in await self._session.execute(statement)]

    async def of_person(self, person_id: uuid.UUID) -> list[Registration]:
        statement = select(registrations).where(registrations.c.person_id == str(person_id))
        return [registration_of(row) for row in await self._session.execute(statement)]

    async def by_email_everywhere(self, email: str) -> list[Registration]:
        statement = select(registrations).where(registrations.c.email_key == email_key(email))
        return [registration_of(row) for row in await self._session.execute(statement)]
