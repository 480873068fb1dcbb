"""Tables, repositories and the unit of work of the members service."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.base import Event
from contracts.members import MemberRegisteredV1, PersonErasedV1
from services.members.domain import MemberRegistered, Person, PersonErased, normalise_email
from services.runtime.settings import CentreSettings
from services.runtime.store import ReliabilityTables, UnitOfWork, UtcDateTime

metadata = MetaData()
reliability = ReliabilityTables(metadata)

people = Table(
    "people",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False, unique=True),
    Column("registered_at", UtcDateTime(), nullable=False),
    Column("erased_at", UtcDateTime(), nullable=True),
)


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


def contract_mapper(centre: CentreSettings) -> Any:
    """Turn members' domain events into contract events (at the edge, for the outbox)."""

    def to_contract(domain_event: object) -> Event:
        if isinstance(domain_event, MemberRegistered):
            person = domain_event.person
            return MemberRegisteredV1(
                producer="members",
                centre=centre.slug,
                occurred_at=person.registered_at,
                person_id=person.id,
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
            )
        if isinstance(domain_event, PersonErased):
            return PersonErasedV1(
                producer="members", centre=centre.slug, person_id=domain_event.person_id
            )
        raise TypeError(f"no contract for {type(domain_event).__name__}")

    return to_contract


class MembersUnitOfWork(UnitOfWork):
    people: PeopleRepository

    def _open(self) -> None:
        self.people = PeopleRepository(self.session, reliability.outbox)
