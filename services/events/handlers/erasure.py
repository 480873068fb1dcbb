"""Erasure of a person (``reso.members.person.erased.v1``) in everything events holds.

Each forgetter erases one kind of record in the unit of work it is given; ``on_person_erased``
runs them all in one transaction with the inbox claim, so an erasure is whole or not at all.
Add a forgetter to ``FORGETTERS`` for any new table holding personal data (calls for
applications: ``forget_person``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from pydantic import JsonValue

from contracts.base import ExportPersonDataV1, PersonDataV1
from contracts.members import PersonErasedV1
from services.events.domain import registrations as regs
from services.events.handlers import calls
from services.events.handlers.report import forget_networks
from services.events.store import EventsUnitOfWork, UowFactory

CONSUMER = "events.erasure"

Forgetter = Callable[[EventsUnitOfWork, uuid.UUID], Awaitable[None]]


async def forget_registrations(work: EventsUnitOfWork, person_id: uuid.UUID) -> None:
    """Registrations recorded with the person's id, and those made with the address members
    knew them by (a guest registration before they signed in): names and address go; status,
    mode, dates and organisation stay for the counts."""
    now = datetime.now(UTC)
    found = {
        registration.id: registration
        for registration in await work.registrations.of_person(person_id)
    }
    known = await work.members.person(person_id)
    if known is not None and known.email:
        for registration in await work.registrations.by_email_everywhere(known.email):
            found.setdefault(registration.id, registration)
    for registration in found.values():
        if registration.erased_at is None:
            regs.erase(registration, now)
            await work.registrations.save(registration)
    await work.members.erase_person(person_id)


FORGETTERS: list[Forgetter] = [forget_registrations, forget_networks, calls.forget_person]


async def on_person_erased(event: PersonErasedV1, uow: UowFactory) -> None:
    async with uow() as work:
        if not await work.claim(CONSUMER, str(event.event_id)):
            return
        for forget in FORGETTERS:
            await forget(work, event.person_id)
        await work.commit()


async def export_person_data(query: ExportPersonDataV1, uow: UowFactory) -> PersonDataV1:
    """What events holds about the person (right of access): their registrations, found as
    erasure finds them (their id, or the address members told events of)."""
    async with uow() as work:
        found = {r.id: r for r in await work.registrations.of_person(query.person_id)}
        known = await work.members.person(query.person_id)
        if known is not None and known.email:
            for registration in await work.registrations.by_email_everywhere(known.email):
                found.setdefault(registration.id, registration)
        titles = {}
        for registration in found.values():
            if registration.event_id not in titles:
                event = await work.events.get(registration.event_id)
                titles[registration.event_id] = event.title if event is not None else ""
        applications: list[JsonValue] = list(await calls.person_data(work, query.person_id))
    registrations: list[JsonValue] = [
        {
            "event_id": str(r.event_id),
            "event_title": titles[r.event_id],
            "email": r.email,
            "first_name": r.first_name,
            "last_name": r.last_name,
            "organisation_id": str(r.organisation_id) if r.organisation_id else None,
            "mode": r.mode,
            "status": r.status,
            "registered_at": r.registered_at.isoformat(),
            "attended_at": r.attended_at.isoformat() if r.attended_at else None,
        }
        for r in sorted(found.values(), key=lambda r: r.registered_at)
        if r.erased_at is None
    ]
    return PersonDataV1(
        service="events", data={"registrations": registrations, "applications": applications}
    )
