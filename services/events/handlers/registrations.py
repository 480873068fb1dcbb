"""Use cases about registrations: register (to an event or a cycle), see, cancel, accept an
offer, staff moves, the waiting list, and the sweep of unanswered offers.

Every decision about seats is taken with the event's row locked (PostgreSQL) or inside the
serialised write transaction (SQLite), and written in that same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from contracts.events import (
    AcceptOfferV1,
    CancelRegistrationV1,
    CycleRegistrationV1,
    GetRegistrationV1,
    ListRegistrantsV1,
    MoveRegistrationV1,
    RegisterToCycleV1,
    RegisterV1,
    RegistrantsV1,
    RegistrationV1,
)
from services.events.domain import agenda
from services.events.domain import registrations as regs
from services.events.domain.links import Purpose
from services.events.handlers.common import (
    REGISTRATION_NOT_FOUND,
    Agenda,
    locked_event,
    registration_reply,
)
from services.events.store import EventsUnitOfWork, UowFactory
from services.runtime.errors import Conflict, DomainError, InvalidInput, NotFound
from services.runtime.logging import get_logger

log = get_logger("reso.events")


class MembersOnly(DomainError):
    """A member-only event and someone who is not (or not known as) a member."""

    code = "forbidden"


@dataclass(frozen=True)
class Registrant:
    email: str
    first_name: str
    last_name: str
    person_id: uuid.UUID | None
    organisation_id: uuid.UUID | None


async def _registrant(
    work: EventsUnitOfWork, command: RegisterV1 | RegisterToCycleV1
) -> Registrant:
    """Who registers: the names given, completed from what members told us of the person."""
    email, first, last = command.email, command.first_name, command.last_name
    person_id, organisation_id = command.person_id, command.organisation_id
    if person_id is not None:
        known = await work.members.person(person_id)
        if known is not None:
            email = email or known.email
            first = first or known.first_name
            last = last or known.last_name
    if not email:
        raise InvalidInput("L'adresse e-mail est obligatoire.", field="email")
    if not first or not last:
        raise InvalidInput("Le prénom et le nom sont obligatoires.", field="last_name")
    if person_id is None:
        person_id = await work.members.person_by_email(regs.email_key(str(email)))
    if organisation_id is None and person_id is not None:
        organisations = await work.members.organisations_of(person_id)
        if len(organisations) == 1:
            organisation_id = organisations[0]
    return Registrant(str(email), first, last, person_id, organisation_id)


async def _register_in(
    work: EventsUnitOfWork,
    event: agenda.Event,
    who: Registrant,
    mode: str | None,
    now: datetime,
    *,
    staff: bool,
) -> tuple[regs.Registration, int | None]:
    """Register ``who`` to the (locked) ``event``; records the fact. Returns the registration
    and, when waiting, its position."""
    if staff:
        if event.status is not agenda.Status.PUBLISHED:
            raise Conflict("Les inscriptions ne sont pas ouvertes pour cet événement.")
    else:
        event.check_open(now)
    chosen = event.check_mode(mode)
    if (
        event.draft.member_only
        and not staff
        and (
            who.person_id is None
            or not await work.members.is_member(who.person_id, event.draft.starts_at.date())
        )
    ):
        raise MembersOnly(
            "Cet événement est réservé aux adhérents : connectez-vous à votre espace avec "
            "l'adresse de votre adhésion.",
            event_id=str(event.id),
        )
    existing = await work.registrations.by_email(event.id, who.email)
    regs.check_can_register(existing)
    registration = regs.Registration(
        id=existing.id if existing is not None else uuid.uuid4(),
        event_id=event.id,
        email=who.email,
        first_name=who.first_name,
        last_name=who.last_name,
        mode=chosen,
        status="waitlisted",
        registered_at=now,
        person_id=who.person_id,
        organisation_id=who.organisation_id,
    )
    seats = await work.registrations.seats(event.id)
    regs.place(registration, event, seats, now)
    if existing is None:
        await work.registrations.add(registration)
    else:  # a registration cancelled earlier: the same row, anew
        await work.registrations.save(registration)
    position = None
    if registration.status == "confirmed":
        work.record(regs.RegistrationConfirmed(registration, event, now))
    else:
        await work.events.save_counter(event)
        position = await work.registrations.position(registration)
        work.record(regs.RegistrationWaitlisted(registration, event, position, now))
    return registration, position


async def register(command: RegisterV1, uow: UowFactory, context: Agenda) -> RegistrationV1:
    """Register someone: a seat while one is left for their mode, else the waiting list."""
    now = context.now()
    async with uow() as work:
        event = await locked_event(work, command.event_id)
        who = await _registrant(work, command)
        registration, position = await _register_in(
            work, event, who, command.mode, now, staff=command.by is not None
        )
        try:
            await work.commit()
        except IntegrityError as error:  # the same address, concurrently, without the lock
            raise Conflict("Vous êtes déjà inscrit·e à cet événement.") from error
    return registration_reply(registration, event, context.links, position=position)


async def register_to_cycle(
    command: RegisterToCycleV1, uow: UowFactory, context: Agenda
) -> CycleRegistrationV1:
    """Register someone to every published session of a cycle, all or nothing."""
    now = context.now()
    async with uow() as work:
        cycle = await work.cycles.get(command.cycle_id)
        if cycle is None:
            raise NotFound("Cycle introuvable.", cycle_id=str(command.cycle_id))
        sessions = [
            event
            for event in await work.events.of_cycle(cycle.id)
            if event.status is agenda.Status.PUBLISHED
        ]
        if not sessions:
            raise Conflict("Aucune séance de ce cycle n'est ouverte aux inscriptions.")
        who = await _registrant(work, command)
        replies = []
        # Locks in a fixed order (by id), so two cycle registrations never deadlock.
        for session in sorted(sessions, key=lambda event: str(event.id)):
            event = await locked_event(work, session.id)
            registration, position = await _register_in(
                work, event, who, command.mode, now, staff=command.by is not None
            )
            replies.append(
                (
                    event.draft.starts_at,
                    registration_reply(registration, event, context.links, position=position),
                )
            )
        try:
            await work.commit()
        except IntegrityError as error:
            raise Conflict("Vous êtes déjà inscrit·e à une séance de ce cycle.") from error
    replies.sort(key=lambda pair: pair[0])
    return CycleRegistrationV1(cycle_id=cycle.id, registrations=tuple(r for _, r in replies))


async def fill_seats(work: EventsUnitOfWork, event: agenda.Event, now: datetime) -> None:
    """Hand freed seats to the people waiting, first in line first (same mode, organisation
    under its cap): promoted at once, or offered for the event's hold time."""
    if event.status is not agenda.Status.PUBLISHED or now >= event.draft.starts_at:
        return
    while True:
        seats = await work.registrations.seats(event.id)
        candidate = regs.next_in_line(event, await work.registrations.waiting(event.id), seats)
        if candidate is None:
            return
        work.record(regs.promote(candidate, event, now))
        await work.registrations.save(candidate)


async def _by_token(
    work: EventsUnitOfWork, context: Agenda, token: str, *purposes: Purpose
) -> regs.Registration:
    _, registration_id = context.links.read(token, *purposes)
    registration = await work.registrations.get(registration_id)
    if registration is None:
        raise NotFound(REGISTRATION_NOT_FOUND)
    return registration


async def get_registration(
    query: GetRegistrationV1, uow: UowFactory, context: Agenda
) -> RegistrationV1:
    async with uow() as work:
        registration = await _by_token(work, context, query.token, "manage", "accept")
        event = await work.events.get(registration.event_id)
        if event is None:  # never: events are not deleted
            raise NotFound(REGISTRATION_NOT_FOUND)
        position = (
            await work.registrations.position(registration)
            if registration.status == "waitlisted"
            else None
        )
    return registration_reply(registration, event, context.links, position=position)


async def cancel_registration(
    command: CancelRegistrationV1, uow: UowFactory, context: Agenda
) -> RegistrationV1:
    """Cancel by the person's link or by staff; the freed seat goes to the first in line."""
    now = context.now()
    async with uow() as work:
        if command.token is not None:
            registration = await _by_token(work, context, command.token, "manage", "accept")
            by = "self"
        elif command.registration_id is not None and command.by is not None:
            found = await work.registrations.get(command.registration_id)
            if found is None:
                raise NotFound(REGISTRATION_NOT_FOUND)
            registration, by = found, "staff"
        else:
            raise InvalidInput("Le lien de l'inscription est requis.", field="token")
        event = await locked_event(work, registration.event_id)
        registration = await work.registrations.get(registration.id) or registration
        if event.status is not agenda.Status.PUBLISHED:
            raise Conflict("Cet événement n'accepte plus de changement d'inscription.")
        if by == "self" and now >= event.draft.ends_at:
            raise Conflict("Cet événement est terminé.")
        regs.cancel(registration, by, now)
        await work.registrations.save(registration)
        work.record(regs.RegistrationCancelled(registration, event, by, now))
        await fill_seats(work, event, now)
        await work.commit()
    return registration_reply(registration, event, context.links)


async def accept_offer(command: AcceptOfferV1, uow: UowFactory, context: Agenda) -> RegistrationV1:
    now = context.now()
    async with uow() as work:
        first = await _by_token(work, context, command.token, "accept")
        event = await locked_event(work, first.event_id)
        registration = await work.registrations.get(first.id) or first
        work.record(regs.accept_offer(registration, event, now))
        await work.registrations.save(registration)
        await work.commit()
    return registration_reply(registration, event, context.links)


async def move_registration(
    command: MoveRegistrationV1, uow: UowFactory, context: Agenda
) -> RegistrationV1:
    """Staff change a registration's mode and/or promote it."""
    now = context.now()
    async with uow() as work:
        found = await work.registrations.get(command.registration_id)
        if found is None:
            raise NotFound(REGISTRATION_NOT_FOUND)
        event = await locked_event(work, found.event_id)
        registration = await work.registrations.get(found.id) or found
        if event.status is not agenda.Status.PUBLISHED:
            raise Conflict("Cet événement n'accepte plus de changement d'inscription.")
        previous_mode = registration.mode
        seats = await work.registrations.seats(event.id)
        freed, recorded = regs.move(
            registration, event, seats, now, mode=command.mode, promote_now=command.promote
        )
        for fact in recorded:
            work.record(fact)
        position = None
        if registration.status == "waitlisted":
            await work.events.save_counter(event)
        await work.registrations.save(registration)
        if registration.status == "waitlisted":
            position = await work.registrations.position(registration)
        if registration.mode != previous_mode:
            work.record(regs.RegistrationChanged(registration, event, previous_mode, position, now))
        if freed:
            await fill_seats(work, event, now)
        await work.commit()
    return registration_reply(registration, event, context.links, position=position)


async def list_registrants(
    query: ListRegistrantsV1, uow: UowFactory, context: Agenda
) -> RegistrantsV1:
    async with uow() as work:
        event = await work.events.get(query.event_id)
        if event is None:
            raise NotFound("Événement introuvable.", event_id=str(query.event_id))
        found = await work.registrations.of_event(event.id)
    replies = []
    position = 0
    for registration in found:
        if registration.status == "waitlisted":
            position += 1
        replies.append(
            registration_reply(
                registration,
                event,
                context.links,
                position=position if registration.status == "waitlisted" else None,
                with_links=False,
            )
        )
    return RegistrantsV1(event_id=event.id, registrations=tuple(replies))


async def expire_offers(uow: UowFactory, context: Agenda) -> int:
    """Cancel the offers not taken in time and offer the seats to the next in line. Safe on
    several replicas at once: each offer is re-read under its event's lock."""
    now = context.now()
    async with uow() as work:
        due = await work.registrations.expired_offers(now)
    expired = 0
    for stale in due:
        async with uow() as work:
            event = await locked_event(work, stale.event_id)
            registration = await work.registrations.get(stale.id)
            if (
                registration is None
                or registration.status != "offered"
                or registration.offer_expires_at is None
                or registration.offer_expires_at > now
            ):
                continue  # taken or moved on by another replica meanwhile
            regs.cancel(registration, "offer_expired", now)
            await work.registrations.save(registration)
            work.record(regs.RegistrationCancelled(registration, event, "offer_expired", now))
            await fill_seats(work, event, now)
            await work.commit()
            expired += 1
    if expired:
        log.info("offers expired", count=expired)
    return expired


def snapshot(found: list[regs.Registration]) -> tuple[regs.Registration, ...]:
    """Copies of registrations as they are now (for a fact written after they change)."""
    return tuple(replace(registration) for registration in found)
