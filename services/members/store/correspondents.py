"""Repository of local correspondents: appointments of network members for a territory."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.domain.networks import Correspondent
from services.members.store.schema import network_correspondents, network_memberships, people

_table = network_correspondents


def _correspondent(row: Any) -> Correspondent:
    return Correspondent(
        network_slug=row.network_slug,
        person_id=uuid.UUID(row.person_id),
        territory_kind=row.territory_kind,
        territory_code=row.territory_code,
        since=row.since,
        until=row.until,
        id=uuid.UUID(row.id),
    )


class CorrespondentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_member(self, network_slug: str, person_id: uuid.UUID) -> None:
        """Lock the person's place in the network for this transaction on PostgreSQL (SQLite
        serialises units of work anyway), so an appointment and leaving never interleave."""
        if self._session.get_bind().dialect.name != "postgresql":
            return
        await self._session.execute(
            select(network_memberships.c.status)
            .where(
                network_memberships.c.network_slug == network_slug,
                network_memberships.c.person_id == str(person_id),
            )
            .with_for_update()
        )

    async def add(self, appointment: Correspondent, *, by: str, at: datetime) -> None:
        await self._session.execute(
            insert(_table).values(
                id=str(appointment.id),
                network_slug=appointment.network_slug,
                person_id=str(appointment.person_id),
                territory_kind=appointment.territory_kind,
                territory_code=appointment.territory_code,
                since=appointment.since,
                until=appointment.until,
                appointed_at=at,
                appointed_by=by,
            )
        )

    async def get(self, network_slug: str, appointment_id: uuid.UUID) -> Correspondent | None:
        row = (
            await self._session.execute(
                select(_table).where(
                    _table.c.id == str(appointment_id), _table.c.network_slug == network_slug
                )
            )
        ).first()
        return _correspondent(row) if row else None

    async def of_person(
        self, person_id: uuid.UUID, network_slug: str | None = None
    ) -> list[Correspondent]:
        """Every appointment of the person, in one network or in all."""
        statement = select(_table).where(_table.c.person_id == str(person_id))
        if network_slug is not None:
            statement = statement.where(_table.c.network_slug == network_slug)
        rows = (await self._session.execute(statement.order_by(_table.c.since))).all()
        return [_correspondent(row) for row in rows]

    async def running_after(
        self, person_id: uuid.UUID, on: date, network_slug: str | None = None
    ) -> list[Correspondent]:
        """The person's appointments that have not ended by ``on``, in one network or in all."""
        statement = select(_table).where(
            _table.c.person_id == str(person_id),
            or_(_table.c.until.is_(None), _table.c.until > on),
        )
        if network_slug is not None:
            statement = statement.where(_table.c.network_slug == network_slug)
        rows = (await self._session.execute(statement)).all()
        return [_correspondent(row) for row in rows]

    async def save_end(self, appointment: Correspondent, *, by: str | None) -> None:
        await self._session.execute(
            update(_table)
            .where(_table.c.id == str(appointment.id))
            .values(until=appointment.until, ended_by=by)
        )

    async def withdraw(self, appointment: Correspondent) -> None:
        """Delete an appointment that never started."""
        await self._session.execute(delete(_table).where(_table.c.id == str(appointment.id)))

    async def named(
        self, network_slug: str, on: date | None = None
    ) -> list[tuple[Correspondent, str, str]]:
        """The network's appointments with the people's names, those holding on ``on`` (every
        one when None); erased people are left out."""
        statement = (
            select(_table, people.c.first_name, people.c.last_name)
            .join(people, people.c.id == _table.c.person_id)
            .where(_table.c.network_slug == network_slug, people.c.erased_at.is_(None))
        )
        if on is not None:
            statement = statement.where(
                _table.c.since <= on, or_(_table.c.until.is_(None), _table.c.until >= on)
            )
        rows = (await self._session.execute(statement)).all()
        return [(_correspondent(row), row.first_name, row.last_name) for row in rows]
