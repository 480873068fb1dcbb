"""Use cases about organisations: create, update, archive, read, search."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from contracts.members import (
    Address,
    ArchiveOrganisationV1,
    College,
    CreateOrganisationV1,
    GetOrganisationV1,
    OrganisationKind,
    OrganisationsPageV1,
    OrganisationSummaryV1,
    OrganisationV1,
    RestoreOrganisationV1,
    SearchOrganisationsV1,
    UpdateOrganisationV1,
)
from services.members import domain
from services.members.domain import audit, organisations
from services.members.domain.people import normalise_phone
from services.members.handlers.people import territory_codes
from services.members.store import MembersUnitOfWork, UowFactory, territory_contract
from services.runtime.errors import Conflict, NotFound

SIREN_TAKEN = "Une organisation avec ce SIREN existe déjà."


async def create_organisation(command: CreateOrganisationV1, uow: UowFactory) -> OrganisationV1:
    """Add an organisation whose territory the reference data confirms; one per SIREN."""
    address = command.address
    territory = command.territory
    async with uow() as work:
        if command.siren and await work.organisations.siren_taken(command.siren):
            raise Conflict(SIREN_TAKEN, siren=command.siren)
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
            email=str(command.email or ""),
            phone=normalise_phone(command.phone),
        )
        try:
            await work.organisations.add(organisation)
            await work.audit.add(
                audit.entry(
                    "organisation",
                    organisation.id,
                    "created",
                    at=organisation.created_at,
                    by=command.created_by,
                    after=organisation.snapshot(),
                )
            )
            work.record(created)
            await work.commit()
        except IntegrityError as error:  # the same SIREN created concurrently
            raise Conflict(SIREN_TAKEN, siren=command.siren) from error
    return organisation_reply(organisation)


async def update_organisation(command: UpdateOrganisationV1, uow: UowFactory) -> OrganisationV1:
    now = datetime.now(UTC)
    address = command.address
    changes = organisations.OrganisationChanges(
        kind=command.kind.value if command.kind else None,
        name=command.name,
        siren=command.siren,
        address=domain.PostalAddress(address.street, address.postcode, address.city)
        if address is not None
        else None,
        territory=territory_codes(command.territory) if command.territory is not None else None,
        college=command.college.value if command.college else None,
        email=str(command.email) if command.email is not None else None,
        phone=normalise_phone(command.phone) if command.phone is not None else None,
    )
    async with uow() as work:
        organisation = await _organisation(work, command.organisation_id, lock=True)
        if command.siren is not None:
            owner = await work.organisations.siren_owner(command.siren)
            if owner is not None and owner != organisation.id:
                raise Conflict(SIREN_TAKEN, siren=command.siren)
        before = organisation.snapshot()
        changed = organisation.change(changes, now)
        if changed is not None:
            await work.organisations.save(organisation)
            await work.audit.add(
                audit.entry(
                    "organisation",
                    organisation.id,
                    "updated",
                    at=now,
                    by=command.by,
                    before=before,
                    after=organisation.snapshot(),
                )
            )
            work.record(changed)
            try:
                await work.commit()
            except IntegrityError as error:  # the SIREN was taken meanwhile
                raise Conflict(SIREN_TAKEN, siren=command.siren) from error
    return organisation_reply(organisation)


async def archive_organisation(command: ArchiveOrganisationV1, uow: UowFactory) -> OrganisationV1:
    return await _set_archived(command.organisation_id, True, command.by, uow)


async def restore_organisation(command: RestoreOrganisationV1, uow: UowFactory) -> OrganisationV1:
    return await _set_archived(command.organisation_id, False, command.by, uow)


async def _set_archived(
    organisation_id: uuid.UUID, archived: bool, by: str, uow: UowFactory
) -> OrganisationV1:
    now = datetime.now(UTC)
    async with uow() as work:
        organisation = await _organisation(work, organisation_id, lock=True)
        before = organisation.snapshot()
        changed = organisation.archive(now) if archived else organisation.restore(now)
        await work.organisations.save(organisation)
        await work.audit.add(
            audit.entry(
                "organisation",
                organisation.id,
                "archived" if archived else "restored",
                at=now,
                by=by,
                before=before,
                after=organisation.snapshot(),
            )
        )
        work.record(changed)
        await work.commit()
    return organisation_reply(organisation)


async def get_organisation(query: GetOrganisationV1, uow: UowFactory) -> OrganisationV1:
    async with uow() as work:
        organisation = await _organisation(work, query.organisation_id)
    return organisation_reply(organisation)


async def search_organisations(
    query: SearchOrganisationsV1, uow: UowFactory
) -> OrganisationsPageV1:
    async with uow() as work:
        total, found = await work.organisations.search(
            query.filter, today=datetime.now(UTC).date(), limit=query.limit, offset=query.offset
        )
    return OrganisationsPageV1(
        total=total,
        offset=query.offset,
        items=tuple(
            OrganisationSummaryV1(
                organisation_id=o.id,
                kind=OrganisationKind(o.kind),
                name=o.name,
                siren=o.siren,
                college=College(o.college),
                territory=territory_contract(o.territory),
                email=o.email,
                archived_at=o.archived_at,
            )
            for o in found
        ),
    )


async def _organisation(
    work: MembersUnitOfWork, organisation_id: uuid.UUID, *, lock: bool = False
) -> domain.Organisation:
    organisation = await work.organisations.get(organisation_id, lock=lock)
    if organisation is None:
        raise NotFound("Organisation introuvable.", organisation_id=str(organisation_id))
    return organisation


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
        email=organisation.email,
        phone=organisation.phone,
        archived_at=organisation.archived_at,
        updated_at=organisation.updated_at,
    )
