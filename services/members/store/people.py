"""Repository of people."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.domain import Person, normalise_email
from services.members.store.schema import people


def _person(row: Any) -> Person:
    return Person(
        id=uuid.UUID(row.id),
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        registered_at=row.registered_at,
        erased_at=row.erased_at,
    )


class PeopleRepository:
    def __init__(self, session: AsyncSession, outbox: Table) -> None:
        self._session = session
        self._outbox = outbox

    async def get(self, person_id: uuid.UUID) -> Person | None:
        row = (
            await self._session.execute(select(people).where(people.c.id == str(person_id)))
        ).first()
        return _person(row) if row else None

    async def get_by_email(self, email: str) -> Person | None:
        row = (
            await self._session.execute(
                select(people).where(people.c.email_key == normalise_email(email))
            )
        ).first()
        return _person(row) if row else None

    async def add(self, person: Person) -> None:
        await self._session.execute(
            insert(people).values(
                id=str(person.id),
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
                email_key=person.email_key,
                registered_at=person.registered_at,
            )
        )

    async def save_erasure(self, person: Person) -> None:
        """Store the anonymised person and delete members' outbox copies of their events."""
        await self._session.execute(
            update(people)
            .where(people.c.id == str(person.id))
            .values(
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
                email_key=person.email_key,
                erased_at=person.erased_at,
            )
        )
        await self._session.execute(
            delete(self._outbox).where(self._outbox.c.payload.contains(str(person.id)))
        )

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
                insert(people),
                [
                    {
                        "id": str(p.id),
                        "first_name": p.first_name,
                        "last_name": p.last_name,
                        "email": p.email,
                        "email_key": p.email_key,
                        "registered_at": p.registered_at,
                    }
                    for p in persons
                ],
            )
