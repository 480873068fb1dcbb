"""Repository of people."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.members import PeopleFilter
from services.members.domain import Person, TerritoryCodes, normalise_email
from services.members.domain.imports import fold
from services.members.store.filters import people_conditions
from services.members.store.schema import people, person_qpvs


def search_text(person: Person) -> str:
    """Folded "last first e-mail": what searches match, and the order lists follow."""
    return fold(f"{person.last_name} {person.first_name} {person.email}")[:500]


def _row(person: Person) -> dict[str, Any]:
    territory = person.territory
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "email_key": person.email_key,
        "registered_at": person.registered_at,
        "erased_at": person.erased_at,
        "phone": person.phone,
        "title": person.title,
        "kind": person.kind,
        "college": person.college,
        "region": territory.region,
        "department": territory.department,
        "commune": territory.commune,
        "epci": territory.epci,
        "source": person.source,
        "confirmed_at": person.confirmed_at,
        "archived_at": person.archived_at,
        "updated_at": person.updated_at,
        "search_text": search_text(person),
    }


def _person(row: Any, qpvs: Sequence[str] = ()) -> Person:
    return Person(
        id=uuid.UUID(row.id),
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        registered_at=row.registered_at,
        erased_at=row.erased_at,
        phone=row.phone,
        title=row.title,
        kind=row.kind,
        college=row.college,
        territory=TerritoryCodes(row.region, row.department, row.commune, row.epci, tuple(qpvs)),
        source=row.source,
        confirmed_at=row.confirmed_at,
        archived_at=row.archived_at,
        updated_at=row.updated_at,
    )


class PeopleRepository:
    def __init__(self, session: AsyncSession, outbox: Table) -> None:
        self._session = session
        self._outbox = outbox

    async def get(self, person_id: uuid.UUID, *, lock: bool = False) -> Person | None:
        """The person; ``lock`` holds their row for this transaction on PostgreSQL."""
        statement = select(people).where(people.c.id == str(person_id))
        if lock and self._session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        return _person(row, await self._qpvs(row.id)) if row else None

    async def get_by_email(self, email: str) -> Person | None:
        row = (
            await self._session.execute(
                select(people).where(people.c.email_key == normalise_email(email))
            )
        ).first()
        return _person(row, await self._qpvs(row.id)) if row else None

    async def _qpvs(self, person_id: str) -> list[str]:
        rows = await self._session.execute(
            select(person_qpvs.c.qpv_code)
            .where(person_qpvs.c.person_id == person_id)
            .order_by(person_qpvs.c.qpv_code)
        )
        return list(rows.scalars())

    async def add(self, person: Person) -> None:
        await self._session.execute(insert(people).values(id=str(person.id), **_row(person)))
        await self._save_qpvs(person, new=True)

    async def save(self, person: Person) -> None:
        await self._session.execute(
            update(people).where(people.c.id == str(person.id)).values(**_row(person))
        )
        await self._save_qpvs(person)

    async def _save_qpvs(self, person: Person, *, new: bool = False) -> None:
        if not new:
            await self._session.execute(
                delete(person_qpvs).where(person_qpvs.c.person_id == str(person.id))
            )
        if person.territory.qpvs:
            await self._session.execute(
                insert(person_qpvs),
                [{"person_id": str(person.id), "qpv_code": q} for q in person.territory.qpvs],
            )

    async def save_erasure(self, person: Person) -> None:
        """Store the anonymised person and forget them in members' outbox.

        Published rows naming them are copies: deleted. A pending event about them (its
        ``person_id``) is deleted too: it would spread their data after the erasure. A pending
        event about someone else that lists them among its recipients (an organisation's call
        for dues) keeps going, without them."""
        await self.save(person)
        outbox, key = self._outbox, str(person.id)
        await self._session.execute(
            delete(outbox).where(outbox.c.payload.contains(key), outbox.c.published_at.is_not(None))
        )
        pending = await self._session.execute(
            select(outbox.c.id, outbox.c.payload).where(
                outbox.c.payload.contains(key), outbox.c.published_at.is_(None)
            )
        )
        for row_id, text in pending.all():
            payload = json.loads(text)
            recipients = payload.get("recipients")
            if payload.get("person_id") != key and isinstance(recipients, list):
                payload["recipients"] = [r for r in recipients if r.get("person_id") != key]
                await self._session.execute(
                    update(outbox).where(outbox.c.id == row_id).values(payload=json.dumps(payload))
                )
            else:
                await self._session.execute(delete(outbox).where(outbox.c.id == row_id))

    async def known_email_keys(self, keys: list[str]) -> set[str]:
        """Which of ``keys`` (normalised e-mails) already belong to someone."""
        found: set[str] = set()
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            rows = await self._session.execute(
                select(people.c.email_key).where(people.c.email_key.in_(chunk))
            )
            found.update(rows.scalars())
        return found

    async def add_many(self, persons: list[Person]) -> None:
        if persons:
            await self._session.execute(
                insert(people), [{"id": str(p.id), **_row(p)} for p in persons]
            )
            links = [
                {"person_id": str(p.id), "qpv_code": q} for p in persons for q in p.territory.qpvs
            ]
            if links:
                await self._session.execute(insert(person_qpvs), links)

    async def search(
        self, wanted: PeopleFilter, *, today: date, limit: int, offset: int
    ) -> tuple[int, list[Person]]:
        """How many people match, and the page asked for, by last then first name."""
        conditions = people_conditions(wanted, today)
        total = (
            await self._session.execute(select(func.count()).select_from(people).where(*conditions))
        ).scalar_one()
        rows = (
            await self._session.execute(
                select(people)
                .where(*conditions)
                .order_by(people.c.search_text, people.c.id)
                .limit(limit)
                .offset(offset)
            )
        ).all()
        qpvs = await self._qpvs_of([row.id for row in rows])
        return total, [_person(row, qpvs.get(row.id, ())) for row in rows]

    async def _qpvs_of(self, ids: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        if ids:
            rows = await self._session.execute(
                select(person_qpvs.c.person_id, person_qpvs.c.qpv_code)
                .where(person_qpvs.c.person_id.in_(ids))
                .order_by(person_qpvs.c.qpv_code)
            )
            for person_id, code in rows:
                found.setdefault(person_id, []).append(code)
        return found

    async def unconfirmed_before(self, moment: datetime) -> list[uuid.UUID]:
        """People who signed up before ``moment`` and never confirmed their address."""
        rows = await self._session.execute(
            select(people.c.id).where(
                people.c.confirmed_at.is_(None),
                people.c.erased_at.is_(None),
                people.c.registered_at < moment,
            )
        )
        return [uuid.UUID(row) for row in rows.scalars()]
