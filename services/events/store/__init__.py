"""Tables, repositories and the unit of work of the events service."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from contracts.base import Event as ContractEvent
from contracts.base import Theme
from contracts.events import (
    ApplicationDecidedV1,
    ApplicationSubmittedV1,
    EventCancelledV1,
    EventFormat,
    EventPublishedV1,
    EventSummaryV1,
    EventType,
    EventUpdatedV1,
    RegistrantV1,
    RegistrationCancelledV1,
    RegistrationChangedV1,
    RegistrationConfirmedV1,
    RegistrationOfferedV1,
    RegistrationPromotedV1,
    RegistrationWaitlistedV1,
    ReminderDueV1,
    Venue,
)
from services.events.domain import agenda, calendar
from services.events.domain import registrations as regs
from services.events.domain.calls import ApplicationDecided, ApplicationSubmitted
from services.events.domain.links import RegistrationLinks
from services.events.domain.reminders import ReminderDue
from services.events.store.activity import ActivityRepository
from services.events.store.calls import (
    CallRepository,
    application_reviews,
    applications,
    calls,
)
from services.events.store.events import CycleRepository, EventRepository
from services.events.store.members import MemberRepository
from services.events.store.registrations import RegistrationRepository
from services.events.store.reminders import ReminderRepository
from services.events.store.schema import metadata, registrations, reliability
from services.runtime.settings import CentreSettings
from services.runtime.store import UnitOfWork

__all__ = [
    "EventsUnitOfWork",
    "UowFactory",
    "application_reviews",
    "applications",
    "calendar_site",
    "calls",
    "contract_mapper",
    "event_summary",
    "metadata",
    "registrations",
    "reliability",
]


def calendar_site(centre: CentreSettings) -> calendar.CalendarSite:
    return calendar.CalendarSite(centre.name, centre.public_url, str(centre.email))


def event_summary(event: agenda.Event, site: calendar.CalendarSite) -> EventSummaryV1:
    draft = event.draft
    venue = draft.venue
    return EventSummaryV1(
        event_id=event.id,
        title=draft.title,
        type=EventType(draft.type),
        format=EventFormat(draft.format),
        themes=tuple(Theme(theme) for theme in draft.themes),
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        venue=Venue(
            name=venue.name,
            street=venue.street,
            postcode=venue.postcode,
            city=venue.city,
            commune=venue.commune,
        )
        if venue is not None
        else None,
        url=site.event_url(event.id),
        member_only=draft.member_only,
    )


def registrants(found: Iterable[regs.Registration]) -> tuple[RegistrantV1, ...]:
    """Who a notice about the event goes to (the erased are nobody to write to)."""
    return tuple(
        RegistrantV1(
            registration_id=registration.id,
            person_id=registration.person_id,
            email=registration.email,
            first_name=registration.first_name,
            last_name=registration.last_name,
            status=registration.status,  # type: ignore[arg-type]
        )
        for registration in found
        if registration.erased_at is None
    )


def contract_mapper(centre: CentreSettings, links: RegistrationLinks) -> Any:
    """Turn the events service's domain events into contract events (for the outbox)."""
    site = calendar_site(centre)
    envelope = {"producer": "events", "centre": centre.slug}

    def fact(registration: regs.Registration, event: agenda.Event) -> dict[str, Any]:
        return {
            **envelope,
            "registration_id": registration.id,
            "event": event_summary(event, site),
            "person_id": registration.person_id,
            "email": registration.email,
            "first_name": registration.first_name,
            "last_name": registration.last_name,
            "mode": registration.mode,
            "manage_url": links.url("manage", registration.id),
        }

    def to_contract(domain_event: object) -> ContractEvent | None:
        if isinstance(domain_event, regs.RegistrationConfirmed | regs.RegistrationPromoted):
            registration, event = domain_event.registration, domain_event.event
            if registration.erased_at is not None:
                return None
            contract = (
                RegistrationConfirmedV1
                if isinstance(domain_event, regs.RegistrationConfirmed)
                else RegistrationPromotedV1
            )
            return contract(
                **fact(registration, event),
                occurred_at=domain_event.occurred_at,
                ics=calendar.event_ics(event, site, stamp=domain_event.occurred_at),
            )
        if isinstance(domain_event, regs.RegistrationWaitlisted):
            registration = domain_event.registration
            return RegistrationWaitlistedV1(
                **fact(registration, domain_event.event),
                occurred_at=domain_event.occurred_at,
                position=domain_event.position,
                reason=registration.reason or "full",  # type: ignore[arg-type]
            )
        if isinstance(domain_event, regs.RegistrationChanged):
            registration, event = domain_event.registration, domain_event.event
            if registration.erased_at is not None:
                return None
            seated = registration.status != "waitlisted"
            return RegistrationChangedV1(
                **fact(registration, event),
                occurred_at=domain_event.occurred_at,
                previous_mode=domain_event.previous_mode,  # type: ignore[arg-type]
                status="confirmed" if seated else "waitlisted",
                position=None if seated else domain_event.position,
                ics=calendar.event_ics(event, site, stamp=domain_event.occurred_at)
                if seated
                else "",
            )
        if isinstance(domain_event, regs.RegistrationOffered):
            registration = domain_event.registration
            if registration.erased_at is not None:
                return None
            return RegistrationOfferedV1(
                **fact(registration, domain_event.event),
                occurred_at=domain_event.occurred_at,
                accept_url=links.url("accept", registration.id),
                hold_until=domain_event.hold_until,
            )
        if isinstance(domain_event, regs.RegistrationCancelled):
            registration, event = domain_event.registration, domain_event.event
            if registration.erased_at is not None:
                return None
            return RegistrationCancelledV1(
                **fact(registration, event),
                occurred_at=domain_event.occurred_at,
                by=domain_event.by,  # type: ignore[arg-type]
                ics=calendar.cancellation_ics(event, site, stamp=domain_event.occurred_at),
            )
        if isinstance(domain_event, ReminderDue):
            registration = domain_event.registration
            return ReminderDueV1(
                **fact(registration, domain_event.event),
                event_id=domain_event.event_id,  # stable: JetStream drops a duplicate
                occurred_at=domain_event.occurred_at,
                rule=domain_event.reminder.rule.text,
                last=domain_event.reminder.last,
                video_link=domain_event.video_link,
            )
        if isinstance(domain_event, agenda.EventPublished):
            return EventPublishedV1(
                **envelope,
                occurred_at=domain_event.occurred_at,
                event=event_summary(domain_event.event, site),
                summary=domain_event.event.draft.summary,
            )
        if isinstance(domain_event, agenda.EventChanged):
            event = domain_event.event
            return EventUpdatedV1(
                **envelope,
                occurred_at=domain_event.occurred_at,
                event=event_summary(event, site),
                changes=domain_event.changes,
                sequence=event.sequence,
                ics=calendar.event_ics(event, site, stamp=domain_event.occurred_at),
                registrants=registrants(domain_event.registrants),
            )
        if isinstance(domain_event, agenda.EventCancelled):
            event = domain_event.event
            return EventCancelledV1(
                **envelope,
                occurred_at=domain_event.occurred_at,
                event=event_summary(event, site),
                reason=domain_event.reason,
                sequence=event.sequence,
                ics=calendar.event_ics(event, site, stamp=domain_event.occurred_at),
                registrants=registrants(domain_event.registrants),
            )
        if isinstance(domain_event, ApplicationSubmitted):
            application = domain_event.application
            if application.submitted_at is None or application.reference is None:
                raise ValueError("a submitted application has a reference and a time")
            return ApplicationSubmittedV1(
                producer="events",
                centre=centre.slug,
                occurred_at=application.submitted_at,
                application_id=application.id,
                call_id=application.call_id,
                call_title=domain_event.call_title,
                reference=application.reference,
                organisation_id=application.organisation_id,
                organisation_name=application.organisation_name,
                person_id=application.person_id,
                email=application.email,
                first_name=application.first_name,
                last_name=application.last_name,
                submitted_at=application.submitted_at,
            )
        if isinstance(domain_event, ApplicationDecided):
            application = domain_event.application
            return ApplicationDecidedV1(
                producer="events",
                centre=centre.slug,
                application_id=application.id,
                call_id=application.call_id,
                call_title=domain_event.call_title,
                reference=application.reference or "",
                decision=domain_event.decision,
                message=domain_event.message,
                organisation_name=application.organisation_name,
                person_id=application.person_id,
                email=application.email,
                first_name=application.first_name,
                last_name=application.last_name,
            )
        raise TypeError(f"no contract for {type(domain_event).__name__}")

    return to_contract


class EventsUnitOfWork(UnitOfWork):
    events: EventRepository
    cycles: CycleRepository
    registrations: RegistrationRepository
    members: MemberRepository
    calls: CallRepository
    reminders: ReminderRepository
    activity: ActivityRepository

    def _open(self) -> None:
        self.events = EventRepository(self.session)
        self.cycles = CycleRepository(self.session)
        self.registrations = RegistrationRepository(self.session)
        self.members = MemberRepository(self.session)
        self.calls = CallRepository(self.session)
        self.reminders = ReminderRepository(self.session)
        self.activity = ActivityRepository(self.session)


UowFactory = Callable[[], EventsUnitOfWork]
