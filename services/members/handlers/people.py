"""Use cases about people: sign-up, reading, erasure."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from contracts.members import (
    ErasePersonV1,
    GetPersonV1,
    PersonErasureReplyV1,
    PersonRegisteredReplyV1,
    PersonV1,
    RegisterPersonV1,
)
from services.members import domain
from services.members.handlers.correspondents import end_appointments_of
from services.members.store import UowFactory
from services.runtime.errors import NotFound
from services.runtime.logging import get_logger

log = get_logger("reso.members")


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
        now = datetime.now(UTC)
        erased = person.erase(now)
        if erased is not None:
            await work.people.save_erasure(person)
            await end_appointments_of(work, person.id, now.date(), by=command.requested_by)
            work.record(erased)
            await work.commit()
            log.info("person erased", person_id=str(person.id), requested_by=command.requested_by)
    return PersonErasureReplyV1(person_id=command.person_id)
