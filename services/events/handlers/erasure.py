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

from contracts.members import PersonErasedV1
from services.events.domain import registrations as regs
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


FORGETTERS: list[Forgetter] = [forget_registrations, forget_networks]


async def on_person_erased(event: PersonErasedV1, uow: UowFactory) -> None:
    async with uow() as work:
        if not await work.claim(CONSUMER, str(event.event_id)):
            return
        for forget in FORGETTERS:
            await forget(work, event.person_id)
        await work.commit()
