"""What the events use cases share: the context they run in, and the replies they build."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from contracts.base import Theme
from contracts.events import (
    Audience,
    EventFormat,
    EventType,
    EventV1,
    RegistrationV1,
    Venue,
)
from reference.territory import territories
from services.events.domain import agenda
from services.events.domain.calendar import CalendarSite
from services.events.domain.links import RegistrationLinks
from services.events.domain.registrations import Registration, Seats
from services.events.store import EventsUnitOfWork
from services.runtime.errors import NotFound

EVENT_NOT_FOUND = "Événement introuvable."
REGISTRATION_NOT_FOUND = "Inscription introuvable."


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Agenda:
    """The context of the events use cases: signed links, the site the calendar files name,
    and the clock (fixed in tests)."""

    links: RegistrationLinks
    site: CalendarSite
    clock: Callable[[], datetime] = _now

    def now(self) -> datetime:
        return self.clock()


async def locked_event(work: EventsUnitOfWork, event_id: uuid.UUID) -> agenda.Event:
    """The event, its row locked until the transaction ends (every seat decision under it)."""
    event = await work.events.get(event_id, lock=True)
    if event is None:
        raise NotFound(EVENT_NOT_FOUND, event_id=str(event_id))
    return event


def event_reply(
    event: agenda.Event, seats: Seats, waiting: int, site: CalendarSite, *, staff: bool
) -> EventV1:
    draft = event.draft

    def left(mode: str) -> int | None:
        capacity = event.capacity(mode) if mode in event.modes else None
        if capacity is None:
            return None
        return max(0, capacity - seats.by_mode.get(mode, 0))

    venue = draft.venue
    return EventV1(
        event_id=event.id,
        status=event.status.value,  # type: ignore[arg-type]
        sequence=event.sequence,
        title=draft.title,
        summary=draft.summary,
        type=EventType(draft.type),
        format=EventFormat(draft.format),
        themes=tuple(Theme(theme) for theme in draft.themes),
        audience=Audience(
            everyone=draft.audience.everyone,
            networks=draft.audience.networks,
            colleges=draft.audience.colleges,  # type: ignore[arg-type]
        ),
        partners=draft.partners,
        starts_at=draft.starts_at.astimezone(agenda.PARIS),
        ends_at=draft.ends_at.astimezone(agenda.PARIS),
        venue=Venue(
            name=venue.name,
            street=venue.street,
            postcode=venue.postcode,
            city=venue.city,
            commune=venue.commune,
        )
        if venue is not None
        else None,
        department=department_of(draft),
        video_link=draft.video_link if staff else None,
        registration_opens_at=_paris(draft.registration_opens_at),
        registration_closes_at=_paris(draft.registration_closes_at),
        capacity_onsite=draft.capacity_onsite,
        capacity_online=draft.capacity_online,
        seats_left_onsite=left("onsite"),
        seats_left_online=left("online"),
        waiting=waiting,
        member_only=draft.member_only,
        organisation_cap=draft.organisation_cap,
        hold_minutes=draft.hold_minutes,
        cycle_id=draft.cycle_id,
        url=site.event_url(event.id),
    )


def _paris(moment: datetime | None) -> datetime | None:
    return moment.astimezone(agenda.PARIS) if moment is not None else None


def department_of(draft: agenda.EventDraft) -> str | None:
    """The department of the venue's commune (for the agenda's filter); None online."""
    if draft.venue is None or draft.venue.commune is None:
        return None
    commune = territories().commune(draft.venue.commune)
    return commune.department_code if commune is not None else None


def known_commune(code: str) -> bool:
    return territories().commune(code) is not None


def registration_reply(
    registration: Registration,
    event: agenda.Event,
    links: RegistrationLinks,
    *,
    position: int | None = None,
    with_links: bool = True,
) -> RegistrationV1:
    """A registration as its holder (or staff) sees it: the video link only once confirmed for
    an online attendance of an event still to come. ``with_links``: the signed links (they are
    the person's credentials: not in staff lists)."""
    show_link = (
        registration.status == "confirmed"
        and registration.mode == "online"
        and event.status is agenda.Status.PUBLISHED
    )
    return RegistrationV1(
        registration_id=registration.id,
        event_id=event.id,
        event_title=event.draft.title,
        email="" if registration.erased_at else registration.email,
        first_name=registration.first_name,
        last_name=registration.last_name,
        person_id=registration.person_id,
        organisation_id=registration.organisation_id,
        mode=registration.mode,  # type: ignore[arg-type]
        status=registration.status,  # type: ignore[arg-type]
        reason=registration.reason if registration.status == "waitlisted" else None,  # type: ignore[arg-type]
        position=position if registration.status == "waitlisted" else None,
        offer_expires_at=registration.offer_expires_at,
        registered_at=registration.registered_at,
        attended_at=registration.attended_at,
        manage_url=links.url("manage", registration.id) if with_links else "",
        accept_url=links.url("accept", registration.id)
        if with_links and registration.status == "offered"
        else None,
        video_link=event.draft.video_link if show_link else None,
    )
