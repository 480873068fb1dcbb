"""Messages about events on the agenda."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from contracts.base import Event
from contracts.events.common import EventSummaryV1, RegistrantV1


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
