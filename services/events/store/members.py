"""Projections of the members service's facts: who is a member (member-only events), and
what the activity report needs of people and organisations (kind, college, territory)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.events.store.schema import (
    member_affiliations,
    member_memberships,
    member_organisations,
    member_people,
)


@dataclass(frozen=True)
class KnownPerson:
    person_id: uuid.UUID
    email: str | None
    first_name: str
    last_name: str


class MemberRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _upsert(self, table: Any, key: str, values: dict[str, Any]) -> None:
        found = await self._session.execute(select(table.c[key]).where(table.c[key] == values[key]))
        if found.first() is None:
            await self._session.execute(insert(table).values(values))
        else:
            rest = {name: value for name, value in values.items() if name != key}
            await self._session.execute(
                update(table).where(table.c[key] == values[key]).values(rest)
            )

    async def upsert_person(self, values: dict[str, Any]) -> None:
        await self._upsert(member_people, "person_id", values)

    async def upsert_organisation(self, values: dict[str, Any]) -> None:
        await self._upsert(member_organisations, "organisation_id", values)

    async def upsert_affiliation(self, values: dict[str, Any]) -> None:
        await self._upsert(member_affiliations, "affiliation_id", values)

    async def set_membership(self, values: dict[str, Any]) -> None:
        await self._upsert(member_memberships, "membership_id", values)

    async def membership_known(self, membership_id: uuid.UUID) -> bool:
        statement = select(member_memberships.c.membership_id).where(
            member_memberships.c.membership_id == str(membership_id)
        )
        return (await self._session.execute(statement)).first() is not None

    async def person(self, person_id: uuid.UUID) -> KnownPerson | None:
        row = (
            await self._session.execute(
                select(member_people).where(member_people.c.person_id == str(person_id))
            )
        ).first()
        if row is None:
            return None
        return KnownPerson(person_id, row.email, row.first_name, row.last_name)

    async def person_by_email(self, key: str) -> uuid.UUID | None:
        row = (
            await self._session.execute(
                select(member_people.c.person_id).where(
                    member_people.c.email_key == key, member_people.c.archived.is_(False)
                )
            )
        ).first()
        return uuid.UUID(row[0]) if row is not None else None

    async def is_member(self, person_id: uuid.UUID, on: date) -> bool:
        """An active membership of the person, or of an organisation they currently work for."""
        organisations = select(member_affiliations.c.organisation_id).where(
            member_affiliations.c.person_id == str(person_id),
            member_affiliations.c.removed.is_(False),
            member_affiliations.c.start <= on,
            or_(member_affiliations.c.end.is_(None), member_affiliations.c.end >= on),
        )
        statement = select(member_memberships.c.membership_id).where(
            member_memberships.c.active.is_(True),
            or_(
                and_(
                    member_memberships.c.member_type == "person",
                    member_memberships.c.member_id == str(person_id),
                ),
                and_(
                    member_memberships.c.member_type == "organisation",
                    member_memberships.c.member_id.in_(organisations),
                ),
            ),
        )
        return (await self._session.execute(statement.limit(1))).first() is not None

    async def organisations_of(self, person_id: uuid.UUID) -> list[uuid.UUID]:
        statement = select(member_affiliations.c.organisation_id).where(
            member_affiliations.c.person_id == str(person_id),
            member_affiliations.c.removed.is_(False),
        )
        return [uuid.UUID(row[0]) for row in await self._session.execute(statement)]

    async def erase_person(self, person_id: uuid.UUID) -> None:
        """Forget the person's name and address; keep the ties counts need."""
        await self._session.execute(
            delete(member_people).where(member_people.c.person_id == str(person_id))
        )
