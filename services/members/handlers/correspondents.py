"""Use cases about the local correspondents of thematic networks."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from contracts.members import (
    AppointCorrespondentV1,
    CorrespondentEntryV1,
    CorrespondentsV1,
    CorrespondentTerritory,
    CorrespondentV1,
    EndCorrespondentV1,
    FindCorrespondentsV1,
    ListCorrespondentsV1,
    TerritoryCorrespondentsV1,
)
from services.members.domain import audit, networks
from services.members.store import MembersUnitOfWork, UowFactory
from services.runtime.errors import Conflict, NotFound


async def appoint_correspondent(
    command: AppointCorrespondentV1, uow: UowFactory
) -> CorrespondentV1:
    network = networks.seeded_network(command.network_slug)
    async with uow() as work:
        person = await work.people.get(command.person_id)
        if person is None or person.erased_at is not None:
            raise NotFound("Personne introuvable.", person_id=str(command.person_id))
        await work.correspondents.lock_member(network.slug, command.person_id)
        membership = await work.networks.get(network.slug, command.person_id)
        if membership is None:
            raise Conflict(
                "Seul un membre du réseau peut en être nommé correspondant local.",
                network=network.slug,
                person_id=str(command.person_id),
            )
        appointment = networks.appoint_correspondent(
            membership,
            command.territory.kind,
            command.territory.code,
            command.since,
            command.until,
        )
        existing = await work.correspondents.of_person(command.person_id, network.slug)
        repeated = networks.repeated_appointment(appointment, existing)
        if repeated is None:
            now = datetime.now(UTC)
            await work.correspondents.add(appointment, by=command.by, at=now)
            await work.audit.add(
                audit.entry(
                    "correspondent",
                    appointment.id,
                    "appointed",
                    at=now,
                    by=command.by,
                    after=_view(appointment),
                )
            )
            await work.commit()
    return _reply(repeated or appointment, person.first_name, person.last_name)


async def end_correspondent(command: EndCorrespondentV1, uow: UowFactory) -> CorrespondentV1:
    network = networks.seeded_network(command.network_slug)
    async with uow() as work:
        appointment = await work.correspondents.get(network.slug, command.appointment_id)
        person = None if appointment is None else await work.people.get(appointment.person_id)
        if appointment is None or person is None or person.erased_at is not None:
            raise NotFound("Nomination introuvable.", appointment_id=str(command.appointment_id))
        ended = appointment.ending(command.until)
        if ended is not None:
            await work.correspondents.save_end(ended, by=command.by)
            await _audit_end(work, appointment, ended, command.by)
            await work.commit()
    return _reply(ended or appointment, person.first_name, person.last_name)


async def list_correspondents(query: ListCorrespondentsV1, uow: UowFactory) -> CorrespondentsV1:
    network = networks.seeded_network(query.network_slug)
    async with uow() as work:
        named = await work.correspondents.named(network.slug, query.on)
    named.sort(
        key=lambda entry: (
            entry[0].territory_kind,
            entry[0].territory_code,
            entry[0].since,
            str(entry[0].person_id),
        )
    )
    return CorrespondentsV1(
        network_slug=network.slug,
        on=query.on,
        correspondents=tuple(_entry(c, first, last) for c, first, last in named),
    )


async def find_correspondents(
    query: FindCorrespondentsV1, uow: UowFactory
) -> TerritoryCorrespondentsV1:
    network = networks.seeded_network(query.network_slug)
    kind, code = networks.reference_territory(query.territory.kind, query.territory.code)
    async with uow() as work:
        named = await work.correspondents.named(network.slug, query.on)
    names = {c.id: (first, last) for c, first, last in named}
    holding = [appointment for appointment, _, _ in named]
    found = networks.correspondents_for(network.slug, (kind, code), query.on, holding)
    return TerritoryCorrespondentsV1(
        network_slug=network.slug,
        territory=CorrespondentTerritory(kind=kind, code=code),
        on=query.on,
        level=found[0].territory_kind if found else None,
        correspondents=tuple(_entry(c, *names[c.id]) for c in found),
    )


async def end_appointments_of(
    work: MembersUnitOfWork,
    person_id: uuid.UUID,
    on: date,
    *,
    network_slug: str | None = None,
    by: str | None = None,
) -> None:
    """In the caller's unit of work: the person's appointments (in one network, or in all) under
    way on ``on`` end that day, those not started yet are withdrawn. Used when a person leaves a
    network or is erased."""
    running = await work.correspondents.running_after(person_id, on, network_slug)
    ended, withdrawn = networks.end_appointments(running, on)
    before = {appointment.id: appointment for appointment in running}
    for appointment in ended:
        await work.correspondents.save_end(appointment, by=by)
        await _audit_end(work, before[appointment.id], appointment, by)
    for appointment in withdrawn:
        await work.correspondents.withdraw(appointment)
        await work.audit.add(
            audit.entry(
                "correspondent",
                appointment.id,
                "withdrawn",
                at=datetime.now(UTC),
                by=by,
                before=_view(appointment),
            )
        )


async def _audit_end(
    work: MembersUnitOfWork,
    before: networks.Correspondent,
    after: networks.Correspondent,
    by: str | None,
) -> None:
    await work.audit.add(
        audit.entry(
            "correspondent",
            after.id,
            "ended",
            at=datetime.now(UTC),
            by=by,
            before=_view(before),
            after=_view(after),
        )
    )


def _view(appointment: networks.Correspondent) -> dict[str, object]:
    return {
        "network": appointment.network_slug,
        "person_id": appointment.person_id,
        "territory_kind": appointment.territory_kind,
        "territory_code": appointment.territory_code,
        "since": appointment.since,
        "until": appointment.until,
    }


def _territory(appointment: networks.Correspondent) -> CorrespondentTerritory:
    return CorrespondentTerritory(kind=appointment.territory_kind, code=appointment.territory_code)


def _entry(appointment: networks.Correspondent, first: str, last: str) -> CorrespondentEntryV1:
    return CorrespondentEntryV1(
        appointment_id=appointment.id,
        person_id=appointment.person_id,
        first_name=first,
        last_name=last,
        territory=_territory(appointment),
        since=appointment.since,
        until=appointment.until,
    )


def _reply(appointment: networks.Correspondent, first: str, last: str) -> CorrespondentV1:
    return CorrespondentV1(
        network_slug=appointment.network_slug,
        appointment_id=appointment.id,
        person_id=appointment.person_id,
        first_name=first,
        last_name=last,
        territory=_territory(appointment),
        since=appointment.since,
        until=appointment.until,
    )
