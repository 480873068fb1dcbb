"""Use cases of the members service: plain async functions over a unit of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from contracts.members import (
    Address,
    College,
    CreateOrganisationV1,
    ErasePersonV1,
    GetOrganisationV1,
    GetPersonV1,
    OrganisationKind,
    OrganisationV1,
    PersonErasureReplyV1,
    PersonRegisteredReplyV1,
    PersonV1,
    RegisterPersonV1,
)
from services.members import domain
from services.members.domain import organisations
from services.members.store import MembersUnitOfWork, territory_contract
from services.runtime.errors import Conflict, NotFound
from services.runtime.logging import get_logger

log = get_logger("reso.members")

UowFactory = Callable[[], MembersUnitOfWork]


async def register_person(command: RegisterPersonV1, uow: UowFactory) -> PersonRegisteredReplyV1:
    """Store a new person and emit MemberRegistered; a known address changes nothing."""
    async with uow() as work:
        existing = await work.people.get_by_email(command.email)
        if existing is not None:
            return PersonRegisteredReplyV1(person_id=existing.id)
        person = domain.register(
            command.first_name, command.last_name, command.email, datetime.now(UTC)
        )
        try:
            await work.people.add(person)
            work.record(domain.MemberRegistered(person))
            await work.commit()
        except IntegrityError:
            pass  # the same address signed up concurrently: answer as for a known address
        else:
            return PersonRegisteredReplyV1(person_id=person.id)
    async with uow() as work:
        winner = await work.people.get_by_email(command.email)
        if winner is None:  # pragma: no cover - the unique key said it exists
            raise RuntimeError("integrity error without a conflicting row")
        return PersonRegisteredReplyV1(person_id=winner.id)


async def get_person(query: GetPersonV1, uow: UowFactory) -> PersonV1:
    async with uow() as work:
        person = await work.people.get(query.person_id)
    if person is None or person.erased_at is not None:
        raise NotFound("Personne introuvable.", person_id=str(query.person_id))
    return PersonV1(
        person_id=person.id,
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        registered_at=person.registered_at.isoformat(),
    )


async def erase_person(command: ErasePersonV1, uow: UowFactory) -> PersonErasureReplyV1:
    """Anonymise the person, delete members' copies of their events, emit PersonErased."""
    async with uow() as work:
        person = await work.people.get(command.person_id)
        if person is None:
            raise NotFound("Personne introuvable.", person_id=str(command.person_id))
        erased = person.erase(datetime.now(UTC))
        if erased is not None:
            await work.people.save_erasure(person)
            work.record(erased)
            await work.commit()
            log.info("person erased", person_id=str(person.id), requested_by=command.requested_by)
    return PersonErasureReplyV1(person_id=command.person_id)


async def create_organisation(command: CreateOrganisationV1, uow: UowFactory) -> OrganisationV1:
    """Add an organisation whose territory the reference data confirms; one per SIREN."""
    address = command.address
    territory = command.territory
    async with uow() as work:
        if command.siren and await work.organisations.siren_taken(command.siren):
            raise Conflict("Une organisation avec ce SIREN existe déjà.", siren=command.siren)
        organisation, created = organisations.create(
            kind=command.kind.value,
            name=command.name,
            siren=command.siren,
            address=domain.PostalAddress(address.street, address.postcode, address.city),
            territory=domain.TerritoryCodes(
                territory.region,
                territory.department,
                territory.commune,
                territory.epci,
                tuple(territory.qpvs),
            ),
            college=command.college.value if command.college else None,
            now=datetime.now(UTC),
            by=command.created_by,
        )
        try:
            await work.organisations.add(organisation)
            work.record(created)
            await work.commit()
        except IntegrityError as error:  # the same SIREN created concurrently
            raise Conflict(
                "Une organisation avec ce SIREN existe déjà.", siren=command.siren
            ) from error
    return organisation_reply(organisation)


async def get_organisation(query: GetOrganisationV1, uow: UowFactory) -> OrganisationV1:
    async with uow() as work:
        organisation = await work.organisations.get(query.organisation_id)
    if organisation is None:
        raise NotFound("Organisation introuvable.", organisation_id=str(query.organisation_id))
    return organisation_reply(organisation)


def organisation_reply(organisation: domain.Organisation) -> OrganisationV1:
    address = organisation.address
    return OrganisationV1(
        organisation_id=organisation.id,
        kind=OrganisationKind(organisation.kind),
        name=organisation.name,
        siren=organisation.siren,
        address=Address(street=address.street, postcode=address.postcode, city=address.city),
        territory=territory_contract(organisation.territory),
        college=College(organisation.college),
        created_at=organisation.created_at.isoformat(),
    )
