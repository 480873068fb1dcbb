"""Use cases about the agenda: events and cycles (create, update, publish, cancel, complete),
the public agenda and its calendar files."""

from __future__ import annotations

import uuid

from contracts.events import (
    AgendaV1,
    CalendarV1,
    CancelEventV1,
    CompleteEventV1,
    CreateCycleV1,
    CreateEventV1,
    CycleV1,
    EventDetailsV1,
    EventV1,
    GetAgendaCalendarV1,
    GetCycleV1,
    GetEventCalendarV1,
    GetEventV1,
    PublishEventV1,
    SearchAgendaV1,
    UpdateCycleV1,
    UpdateEventV1,
)
from services.events.domain import agenda, calendar
from services.events.domain import registrations as regs
from services.events.handlers.common import (
    EVENT_NOT_FOUND,
    Agenda,
    department_of,
    event_reply,
    known_commune,
    locked_event,
)
from services.events.handlers.registrations import fill_seats, snapshot
from services.events.store import EventsUnitOfWork, UowFactory
from services.runtime.errors import NotFound

PUBLIC = (agenda.Status.PUBLISHED.value, agenda.Status.COMPLETED.value)


def draft_of(details: EventDetailsV1) -> agenda.EventDraft:
    venue = details.venue
    return agenda.EventDraft(
        title=details.title,
        type=details.type.value,
        format=details.format.value,
        starts_at=details.starts_at,
        ends_at=details.ends_at,
        summary=details.summary,
        themes=tuple(theme.value for theme in details.themes),
        audience=agenda.Audience(
            everyone=details.audience.everyone,
            networks=details.audience.networks,
            colleges=tuple(college.value for college in details.audience.colleges),
        ),
        partners=details.partners,
        venue=agenda.Place(venue.name, venue.street, venue.postcode, venue.city, venue.commune)
        if venue is not None
        else None,
        video_link=details.video_link or None,
        registration_opens_at=details.registration_opens_at,
        registration_closes_at=details.registration_closes_at,
        capacity_onsite=details.capacity_onsite,
        capacity_online=details.capacity_online,
        member_only=details.member_only,
        organisation_cap=details.organisation_cap,
        hold_minutes=details.hold_minutes,
        cycle_id=details.cycle_id,
    )


async def _reply(
    work: EventsUnitOfWork, event: agenda.Event, context: Agenda, *, staff: bool
) -> EventV1:
    seats = await work.registrations.seats(event.id)
    waiting = len(await work.registrations.waiting(event.id))
    return event_reply(event, seats, waiting, context.site, staff=staff)


async def _check_cycle(work: EventsUnitOfWork, cycle_id: uuid.UUID | None) -> None:
    if cycle_id is not None and await work.cycles.get(cycle_id) is None:
        raise NotFound("Cycle introuvable.", cycle_id=str(cycle_id))


async def create_event(command: CreateEventV1, uow: UowFactory, context: Agenda) -> EventV1:
    """A new draft."""
    async with uow() as work:
        await _check_cycle(work, command.details.cycle_id)
        event = agenda.create(draft_of(command.details), context.now(), known_commune)
        await work.events.add(event, department_of(event.draft))
        await work.commit()
        return await _reply(work, event, context, staff=True)


async def update_event(command: UpdateEventV1, uow: UowFactory, context: Agenda) -> EventV1:
    """New details; registrants of a published event hear of notable changes. A larger
    capacity seats the people waiting."""
    now = context.now()
    async with uow() as work:
        await _check_cycle(work, command.details.cycle_id)
        event = await locked_event(work, command.event_id)
        changes = agenda.update(event, draft_of(command.details), now, known_commune)
        await work.events.save(event, department_of(event.draft))
        if changes and event.status is agenda.Status.PUBLISHED:
            active = await work.registrations.of_event(event.id, statuses=regs.ACTIVE)
            work.record(agenda.EventChanged(event, changes, snapshot(active), now))
        await fill_seats(work, event, now)
        await work.commit()
        return await _reply(work, event, context, staff=True)


async def publish_event(command: PublishEventV1, uow: UowFactory, context: Agenda) -> EventV1:
    now = context.now()
    async with uow() as work:
        event = await locked_event(work, command.event_id)
        agenda.publish(event, now)
        await work.events.save(event, department_of(event.draft))
        work.record(agenda.EventPublished(event, now))
        await work.commit()
        return await _reply(work, event, context, staff=True)


async def cancel_event(command: CancelEventV1, uow: UowFactory, context: Agenda) -> EventV1:
    """Cancel the event and every registration to it, in one transaction; registrants are
    told by EventCancelledV1 (no registration.cancelled for them)."""
    now = context.now()
    async with uow() as work:
        event = await locked_event(work, command.event_id)
        was_published = event.status is agenda.Status.PUBLISHED
        agenda.cancel(event, command.reason, now)
        await work.events.save(event, department_of(event.draft))
        active = await work.registrations.of_event(event.id, statuses=regs.ACTIVE)
        told = snapshot(active)
        for registration in active:
            regs.cancel(registration, "event_cancelled", now)
            await work.registrations.save(registration)
        if was_published:
            work.record(agenda.EventCancelled(event, command.reason, told, now))
        await work.commit()
        return await _reply(work, event, context, staff=True)


async def complete_event(command: CompleteEventV1, uow: UowFactory, context: Agenda) -> EventV1:
    async with uow() as work:
        event = await locked_event(work, command.event_id)
        agenda.complete(event, context.now())
        await work.events.save(event, department_of(event.draft))
        await work.commit()
        return await _reply(work, event, context, staff=True)


async def get_event(query: GetEventV1, uow: UowFactory, context: Agenda) -> EventV1:
    """One event; the public sees published (and past) events only, never the video link."""
    async with uow() as work:
        event = await work.events.get(query.event_id)
        if event is None or (not query.staff and event.status.value not in (*PUBLIC, "cancelled")):
            raise NotFound(EVENT_NOT_FOUND, event_id=str(query.event_id))
        return await _reply(work, event, context, staff=query.staff)


async def search_agenda(query: SearchAgendaV1, uow: UowFactory, context: Agenda) -> AgendaV1:
    statuses = tuple(status.value for status in agenda.Status) if query.staff else PUBLIC
    async with uow() as work:
        found = await work.events.search(
            statuses=statuses,
            theme=query.theme.value if query.theme else None,
            type=query.type.value if query.type else None,
            department=query.department,
            format=query.format.value if query.format else None,
            starts_after=query.starts_after,
            starts_before=query.starts_before,
        )
        replies = [await _reply(work, event, context, staff=query.staff) for event in found]
    return AgendaV1(events=tuple(replies))


async def event_calendar(query: GetEventCalendarV1, uow: UowFactory, context: Agenda) -> CalendarV1:
    async with uow() as work:
        event = await work.events.get(query.event_id)
    if event is None or event.status is agenda.Status.DRAFT:
        raise NotFound(EVENT_NOT_FOUND, event_id=str(query.event_id))
    ics = calendar.event_ics(event, context.site, stamp=context.now())
    return CalendarV1(filename=f"evenement-{event.id}.ics", ics=ics)


async def agenda_calendar(
    query: GetAgendaCalendarV1, uow: UowFactory, context: Agenda
) -> CalendarV1:
    async with uow() as work:
        found = await work.events.search(
            statuses=(agenda.Status.PUBLISHED.value,),
            theme=query.theme.value if query.theme else None,
            limit=1000,
        )
    ics = calendar.agenda_ics(found, context.site, stamp=context.now())
    name = f"agenda-{query.theme.value}.ics" if query.theme else "agenda.ics"
    return CalendarV1(filename=name, ics=ics)


async def create_cycle(command: CreateCycleV1, uow: UowFactory, context: Agenda) -> CycleV1:
    cycle = agenda.Cycle(uuid.uuid4(), command.title, command.summary, context.now())
    async with uow() as work:
        await work.cycles.add(cycle)
        await work.commit()
    return CycleV1(cycle_id=cycle.id, title=cycle.title, summary=cycle.summary, sessions=())


async def update_cycle(command: UpdateCycleV1, uow: UowFactory, context: Agenda) -> CycleV1:
    async with uow() as work:
        cycle = await work.cycles.get(command.cycle_id)
        if cycle is None:
            raise NotFound("Cycle introuvable.", cycle_id=str(command.cycle_id))
        cycle = agenda.Cycle(cycle.id, command.title, command.summary, cycle.created_at)
        await work.cycles.save(cycle)
        await work.commit()
    return await get_cycle(GetCycleV1(cycle_id=cycle.id, staff=True), uow, context)


async def get_cycle(query: GetCycleV1, uow: UowFactory, context: Agenda) -> CycleV1:
    async with uow() as work:
        cycle = await work.cycles.get(query.cycle_id)
        if cycle is None:
            raise NotFound("Cycle introuvable.", cycle_id=str(query.cycle_id))
        sessions = [
            await _reply(work, event, context, staff=query.staff)
            for event in await work.events.of_cycle(cycle.id)
            if query.staff or event.status.value in PUBLIC
        ]
    if not query.staff and not sessions:
        raise NotFound("Cycle introuvable.", cycle_id=str(query.cycle_id))
    return CycleV1(
        cycle_id=cycle.id, title=cycle.title, summary=cycle.summary, sessions=tuple(sessions)
    )
