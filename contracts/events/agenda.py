"""Messages about events on the agenda."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.base import Command, Event, Query, Reply, Theme
from contracts.events.common import (
    Audience,
    EventFormat,
    EventSummaryV1,
    EventType,
    ParisDatetime,
    RegistrantV1,
    Venue,
)


class EventPublishedV1(Event):
    """An event appeared on the public agenda.

    Emitted by events once per publication, in the transaction that publishes it. newsletters
    uses it for the coming-events blocks of its letters. Carries no personal data.
    """

    subject: ClassVar[str] = "reso.events.event.published.v1"

    event: EventSummaryV1
    summary: str = Field(default="", description="A few lines presenting the event (French).")


class EventUpdatedV1(Event):
    """A published event changed in a way its registrants must know (date, time, place, format,
    link): each of ``registrants`` is notified, with the updated calendar entry.

    Emitted by events in the transaction of the change, once per change; not emitted for a draft,
    nor for changes registrants need not hear of (a typo in the description). ``sequence`` is the
    iCalendar SEQUENCE of ``ics``. Carries personal data (the registrants).
    """

    subject: ClassVar[str] = "reso.events.event.updated.v1"

    event: EventSummaryV1
    changes: tuple[str, ...] = Field(description="What changed, in French, one line each.")
    sequence: int
    ics: str = Field(description="The event's updated iCalendar file (METHOD:REQUEST).")
    registrants: tuple[RegistrantV1, ...] = Field(
        default=(), description="Confirmed, offered and waiting registrants at the time."
    )


class EventCancelledV1(Event):
    """A published event was cancelled: each of ``registrants`` is told, with the calendar
    cancellation.

    Emitted by events once, in the transaction that cancels it; their registrations are
    cancelled in the same transaction (no ``registration.cancelled`` is emitted for them).
    Carries personal data (the registrants).
    """

    subject: ClassVar[str] = "reso.events.event.cancelled.v1"

    event: EventSummaryV1
    reason: str = Field(default="", description="Why, in French, as staff wrote it.")
    sequence: int
    ics: str = Field(description="The iCalendar cancellation (METHOD:CANCEL, same UID).")
    registrants: tuple[RegistrantV1, ...] = ()


# --- commands and queries (rpc.events.event.* / rpc.events.cycle.* / rpc.events.agenda.*) -----


class EventDetailsV1(BaseModel):
    """What staff write about an event. Times without an offset are Europe/Paris times."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=5000)
    type: EventType
    format: EventFormat
    themes: tuple[Theme, ...] = ()
    audience: Audience = Audience()
    partners: tuple[str, ...] = Field(default=(), description="Co-organisers, by name.")
    starts_at: ParisDatetime
    ends_at: ParisDatetime
    venue: Venue | None = Field(default=None, description="Required on site and hybrid.")
    video_link: str | None = Field(
        default=None,
        max_length=500,
        description="Online and hybrid: shown to confirmed registrants only.",
    )
    registration_opens_at: ParisDatetime | None = None
    registration_closes_at: ParisDatetime | None = Field(
        default=None, description="Unset: registrations close when the event starts."
    )
    capacity_onsite: int | None = Field(default=None, ge=0, description="None: no limit.")
    capacity_online: int | None = Field(default=None, ge=0, description="None: no limit.")
    member_only: bool = False
    organisation_cap: int | None = Field(
        default=None, ge=1, description="Most seats one organisation may hold."
    )
    hold_minutes: int = Field(
        default=0,
        ge=0,
        le=14 * 24 * 60,
        description="How long a freed seat is held for the first person waiting; 0: they are "
        "promoted at once.",
    )
    cycle_id: uuid.UUID | None = Field(default=None, description="The cycle it is a session of.")


class CreateEventV1(Command):
    """Create an event as a draft (not on the agenda until published). Staff only."""

    subject: ClassVar[str] = "rpc.events.event.create.v1"

    details: EventDetailsV1
    by: str = Field(description="E-mail of the staff account that asked.")


class UpdateEventV1(Command):
    """Replace an event's details. A published event's registrants are told of notable
    changes (EventUpdatedV1), and its SEQUENCE goes up. Staff only."""

    subject: ClassVar[str] = "rpc.events.event.update.v1"

    event_id: uuid.UUID
    details: EventDetailsV1
    by: str


class PublishEventV1(Command):
    """Put a draft on the public agenda and open its registrations (EventPublishedV1)."""

    subject: ClassVar[str] = "rpc.events.event.publish.v1"

    event_id: uuid.UUID
    by: str


class CancelEventV1(Command):
    """Cancel an event: its registrations are cancelled and registrants told
    (EventCancelledV1)."""

    subject: ClassVar[str] = "rpc.events.event.cancel.v1"

    event_id: uuid.UUID
    reason: str = Field(default="", max_length=2000)
    by: str


class CompleteEventV1(Command):
    """Mark a published event that took place as completed."""

    subject: ClassVar[str] = "rpc.events.event.complete.v1"

    event_id: uuid.UUID
    by: str


class GetEventV1(Query):
    """One event. ``staff`` also shows drafts and the video link."""

    subject: ClassVar[str] = "rpc.events.event.get.v1"

    event_id: uuid.UUID
    staff: bool = False


class SearchAgendaV1(Query):
    """The agenda: published events (``staff``: drafts, cancelled and completed too)."""

    subject: ClassVar[str] = "rpc.events.agenda.search.v1"

    theme: Theme | None = None
    type: EventType | None = None
    department: str | None = Field(default=None, max_length=3)
    format: EventFormat | None = None
    starts_after: ParisDatetime | None = None
    starts_before: ParisDatetime | None = None
    staff: bool = False


class EventV1(Reply):
    """An event as the agenda shows it; times in Europe/Paris. ``video_link`` is set for staff
    only (a registrant sees it on their registration)."""

    subject: ClassVar[str] = "rpc.events.event.get.v1"

    event_id: uuid.UUID
    status: Literal["draft", "published", "cancelled", "completed"]
    sequence: int
    title: str
    summary: str
    type: EventType
    format: EventFormat
    themes: tuple[Theme, ...]
    audience: Audience
    partners: tuple[str, ...]
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    venue: Venue | None
    department: str | None = None
    video_link: str | None = None
    registration_opens_at: AwareDatetime | None
    registration_closes_at: AwareDatetime | None
    capacity_onsite: int | None
    capacity_online: int | None
    seats_left_onsite: int | None = Field(description="None: no limit, or not on site.")
    seats_left_online: int | None = Field(description="None: no limit, or not online.")
    waiting: int = Field(description="People on the waiting list.")
    member_only: bool
    organisation_cap: int | None
    hold_minutes: int
    cycle_id: uuid.UUID | None
    url: str


class AgendaV1(Reply):
    subject: ClassVar[str] = "rpc.events.agenda.search.v1"

    events: tuple[EventV1, ...]


class GetEventCalendarV1(Query):
    """The event's .ics (METHOD:REQUEST; METHOD:CANCEL once cancelled). Published or past
    events only."""

    subject: ClassVar[str] = "rpc.events.event.calendar.v1"

    event_id: uuid.UUID


class GetAgendaCalendarV1(Query):
    """The agenda feed (.ics) of published events, optionally of one theme."""

    subject: ClassVar[str] = "rpc.events.agenda.calendar.v1"

    theme: Theme | None = None


class CalendarV1(Reply):
    subject: ClassVar[str] = "rpc.events.event.calendar.v1"

    filename: str
    ics: str


class CreateCycleV1(Command):
    """Create a cycle; sessions join it through their ``cycle_id``. Staff only."""

    subject: ClassVar[str] = "rpc.events.cycle.create.v1"

    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=5000)
    by: str


class UpdateCycleV1(Command):
    subject: ClassVar[str] = "rpc.events.cycle.update.v1"

    cycle_id: uuid.UUID
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=5000)
    by: str


class GetCycleV1(Query):
    """A cycle and its sessions (published ones only unless ``staff``)."""

    subject: ClassVar[str] = "rpc.events.cycle.get.v1"

    cycle_id: uuid.UUID
    staff: bool = False


class CycleV1(Reply):
    subject: ClassVar[str] = "rpc.events.cycle.get.v1"

    cycle_id: uuid.UUID
    title: str
    summary: str
    sessions: tuple[EventV1, ...]
