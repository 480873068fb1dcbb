"""Tables, repositories and the unit of work of the members service."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.base import Event
from contracts.members import (
    College,
    MemberRegisteredV1,
    OrganisationCreatedV1,
    OrganisationKind,
    PersonErasedV1,
    Territory,
)
from services.members.domain import (
    MemberRegistered,
    Organisation,
    OrganisationCreated,
    Person,
    PersonErased,
    PostalAddress,
    TerritoryCodes,
    normalise_email,
)
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


organisations = Table(
    "organisations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(32), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("siren", String(9), nullable=True, unique=True),
    Column("street", String(200), nullable=False),
    Column("postcode", String(10), nullable=False),
    Column("city", String(100), nullable=False),
    Column("region", String(3), nullable=True, index=True),
    Column("department", String(3), nullable=True, index=True),
    Column("commune", String(5), nullable=True, index=True),
    Column("epci", String(9), nullable=True, index=True),
    Column("college", String(32), nullable=False, index=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(254), nullable=False),
    Column("archived_at", UtcDateTime(), nullable=True),
)

organisation_qpvs = Table(
    "organisation_qpvs",
    metadata,
    Column(
        "organisation_id",
        String(36),
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("qpv_code", String(8), primary_key=True, index=True),
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


class OrganisationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def siren_taken(self, siren: str) -> bool:
        found = await self._session.execute(
            select(organisations.c.id).where(organisations.c.siren == siren)
        )
        return found.first() is not None

    async def add(self, organisation: Organisation) -> None:
        territory, address = organisation.territory, organisation.address
        await self._session.execute(
            insert(organisations).values(
                id=str(organisation.id),
                kind=organisation.kind,
                name=organisation.name,
                siren=organisation.siren,
                street=address.street,
                postcode=address.postcode,
                city=address.city,
                region=territory.region,
                department=territory.department,
                commune=territory.commune,
                epci=territory.epci,
                college=organisation.college,
                created_at=organisation.created_at,
                created_by=organisation.created_by,
            )
        )
        if territory.qpvs:
            await self._session.execute(
                insert(organisation_qpvs),
                [
                    {"organisation_id": str(organisation.id), "qpv_code": code}
                    for code in territory.qpvs
                ],
            )

    async def get(self, organisation_id: uuid.UUID) -> Organisation | None:
        row = (
            await self._session.execute(
                select(organisations).where(organisations.c.id == str(organisation_id))
            )
        ).first()
        if row is None:
            return None
        qpvs = (
            await self._session.execute(
                select(organisation_qpvs.c.qpv_code)
                .where(organisation_qpvs.c.organisation_id == row.id)
                .order_by(organisation_qpvs.c.qpv_code)
            )
        ).scalars()
        return Organisation(
            id=uuid.UUID(row.id),
            kind=row.kind,
            name=row.name,
            siren=row.siren,
            address=PostalAddress(row.street, row.postcode, row.city),
            territory=TerritoryCodes(
                row.region, row.department, row.commune, row.epci, tuple(qpvs)
            ),
            college=row.college,
            created_at=row.created_at,
            created_by=row.created_by,
            archived_at=row.archived_at,
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
        if isinstance(domain_event, OrganisationCreated):
            organisation = domain_event.organisation
            return OrganisationCreatedV1(
                producer="members",
                centre=centre.slug,
                occurred_at=organisation.created_at,
                organisation_id=organisation.id,
                kind=OrganisationKind(organisation.kind),
                name=organisation.name,
                siren=organisation.siren,
                territory=territory_contract(organisation.territory),
                college=College(organisation.college),
            )
        if isinstance(domain_event, PersonErased):
            return PersonErasedV1(
                producer="members", centre=centre.slug, person_id=domain_event.person_id
            )
        raise TypeError(f"no contract for {type(domain_event).__name__}")

    return to_contract


def territory_contract(territory: TerritoryCodes) -> Territory:
    return Territory(
        region=territory.region,
        department=territory.department,
        commune=territory.commune,
        epci=territory.epci,
        qpvs=territory.qpvs,
    )


class MembersUnitOfWork(UnitOfWork):
    people: PeopleRepository
    organisations: OrganisationRepository

    def _open(self) -> None:
        self.people = PeopleRepository(self.session, reliability.outbox)
        self.organisations = OrganisationRepository(self.session)
