"""Use cases about organisations."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from contracts.members import (
    Address,
    College,
    CreateOrganisationV1,
    GetOrganisationV1,
    OrganisationKind,
    OrganisationV1,
)
from services.members import domain
from services.members.domain import organisations
from services.members.store import UowFactory, territory_contract
from services.runtime.errors import Conflict, NotFound


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
