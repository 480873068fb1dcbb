"""Messages about registrations and reminders."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from contracts.base import Command, Email, Event, Query, Reply
from contracts.events.common import AttendanceMode, EventSummaryV1, RegistrationStatus


class _RegistrationFact(Event):
    registration_id: uuid.UUID
    event: EventSummaryV1
    person_id: uuid.UUID | None = Field(
        default=None, description="The person in members, when the address is theirs."
    )
    email: Email
    first_name: str
    last_name: str
    mode: AttendanceMode
    manage_url: str = Field(
        description="Signed link to the registration: see it, cancel it (no account needed)."
    )


class RegistrationConfirmedV1(_RegistrationFact):
    """A registration holds a seat. The confirmation mail carries ``ics``.

    Emitted by events once per registration that gets a seat at once, in the transaction that
    takes the seat; a person promoted from the waiting list gets RegistrationPromotedV1 instead.
    """

    subject: ClassVar[str] = "reso.events.registration.confirmed.v1"

    ics: str = Field(description="The event's iCalendar file, for the mail's attachment.")


class RegistrationWaitlistedV1(_RegistrationFact):
    """No seat was left (or the organisation's quota was reached): the person waits, in
    ``position``. Emitted by events once per registration, in its transaction."""

    subject: ClassVar[str] = "reso.events.registration.waitlisted.v1"

    position: int = Field(ge=1, description="Place in the waiting list when registered.")
    reason: Literal["full", "organisation_quota"] = "full"


class RegistrationOfferedV1(_RegistrationFact):
    """A seat freed up and is held for the first person waiting until ``hold_until``: they accept
    it by following ``accept_url``, or it moves on to the next one.

    Emitted by events when the centre holds freed seats for a time (otherwise the person is
    promoted at once, see RegistrationPromotedV1), in the transaction that frees the seat.
    """

    subject: ClassVar[str] = "reso.events.registration.offered.v1"

    accept_url: str = Field(description="Signed link that takes the seat.")
    hold_until: AwareDatetime


class RegistrationPromotedV1(_RegistrationFact):
    """A person on the waiting list got a seat (promoted at once, or accepted an offer). The mail
    carries ``ics``. Emitted by events once per promotion, in its transaction."""

    subject: ClassVar[str] = "reso.events.registration.promoted.v1"

    ics: str


class RegistrationCancelledV1(_RegistrationFact):
    """A registration ended before the event: the person cancelled by their link, staff did, or a
    seat offered was not taken in time.

    Emitted by events once per registration, in the transaction that cancels it. Not emitted when
    the whole event is cancelled (EventCancelledV1 tells every registrant).
    """

    subject: ClassVar[str] = "reso.events.registration.cancelled.v1"

    by: Literal["self", "staff", "offer_expired"]
    ics: str = Field(default="", description="The calendar cancellation for this person.")


class RegistrationChangedV1(_RegistrationFact):
    """Staff moved a registration to the other attendance mode of a hybrid event: ``mode`` is
    the new one, ``previous_mode`` the old. ``status`` tells where it stands now: ``confirmed``
    (a seat in the new mode; ``ics`` carries the event's calendar for it) or ``waitlisted`` (no
    seat was left in the new mode, or the person was already waiting: ``position`` in the list).

    Emitted by events once per move, in the transaction that moves it; a move replaces
    RegistrationConfirmedV1 and RegistrationWaitlistedV1 (each emitted once per registration).
    Not emitted when the mode stays the same, nor for a registration whose person was erased.
    """

    subject: ClassVar[str] = "reso.events.registration.changed.v1"

    previous_mode: AttendanceMode
    status: Literal["confirmed", "waitlisted"]
    position: int | None = Field(default=None, ge=1, description="Place in the waiting list.")
    ics: str = Field(default="", description="The event's iCalendar file, when confirmed.")


class ReminderDueV1(_RegistrationFact):
    """Time to remind a registrant of the event, per one of the centre's reminder rules.

    Emitted by events exactly once per registration and rule (across restarts and replicas), for
    confirmed registrations only, in the transaction that records it. ``video_link`` is set on
    the last reminder of an online attendance only.
    """

    subject: ClassVar[str] = "reso.events.reminder.due.v1"

    rule: str = Field(description="The rule, e.g. '7d@09:00'.")
    last: bool = Field(description="The last reminder before the event.")
    video_link: str | None = None


# --- commands and queries (rpc.events.registration.*) ------------------------------------------


class _Registrant(Command):
    email: Email | None = Field(
        default=None, description="Required unless ``person_id`` names a person events knows."
    )
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    person_id: uuid.UUID | None = Field(
        default=None, description="The signed-in person (set by the gateway, never by a form)."
    )
    organisation_id: uuid.UUID | None = None
    mode: AttendanceMode | None = Field(
        default=None, description="Required for a hybrid event; else the event's only mode."
    )
    by: str | None = Field(default=None, description="Staff e-mail when staff add someone.")


class RegisterV1(_Registrant):
    """Register someone to an event: confirmed while seats remain, else on the waiting list.
    One registration per address and event (a cancelled one is reused)."""

    subject: ClassVar[str] = "rpc.events.registration.create.v1"

    event_id: uuid.UUID


class RegisterToCycleV1(_Registrant):
    """Register someone to every session of a cycle (each its own registration)."""

    subject: ClassVar[str] = "rpc.events.cycle.register.v1"

    cycle_id: uuid.UUID


class GetRegistrationV1(Query):
    """A registration, by the signed token of its link (self-service)."""

    subject: ClassVar[str] = "rpc.events.registration.get.v1"

    token: str = Field(min_length=1, max_length=500)


class CancelRegistrationV1(Command):
    """Cancel a registration: by its signed token (the person), or by id (staff, with ``by``).
    The first person waiting gets the seat (or an offer of it)."""

    subject: ClassVar[str] = "rpc.events.registration.cancel.v1"

    token: str | None = Field(default=None, max_length=500)
    registration_id: uuid.UUID | None = None
    by: str | None = None


class AcceptOfferV1(Command):
    """Take the seat offered, by the signed token of the offer's link, before it expires."""

    subject: ClassVar[str] = "rpc.events.registration.accept.v1"

    token: str = Field(min_length=1, max_length=500)


class MoveRegistrationV1(Command):
    """Staff move a registration to the other mode of a hybrid event and/or promote it past
    the waiting list (a promotion by staff may exceed the capacity)."""

    subject: ClassVar[str] = "rpc.events.registration.move.v1"

    registration_id: uuid.UUID
    mode: AttendanceMode | None = None
    promote: bool = False
    by: str


class ListRegistrantsV1(Query):
    """An event's registrations for staff: confirmed, offered, the waiting list in order, then
    the cancelled."""

    subject: ClassVar[str] = "rpc.events.registration.list.v1"

    event_id: uuid.UUID


class RegistrationV1(Reply):
    """A registration. ``video_link`` is set only for a confirmed online attendance."""

    subject: ClassVar[str] = "rpc.events.registration.get.v1"

    registration_id: uuid.UUID
    event_id: uuid.UUID
    event_title: str
    email: str = Field(description="Empty once the person's data was erased.")
    first_name: str
    last_name: str
    person_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    mode: AttendanceMode
    status: RegistrationStatus
    reason: Literal["full", "organisation_quota"] | None = None
    position: int | None = Field(default=None, description="Place in the waiting list.")
    offer_expires_at: AwareDatetime | None = None
    registered_at: AwareDatetime
    attended_at: AwareDatetime | None = None
    manage_url: str = Field(
        default="", description="The person's signed link (empty in staff lists)."
    )
    accept_url: str | None = None
    video_link: str | None = None


class RegistrantsV1(Reply):
    subject: ClassVar[str] = "rpc.events.registration.list.v1"

    event_id: uuid.UUID
    registrations: tuple[RegistrationV1, ...]


class CycleRegistrationV1(Reply):
    subject: ClassVar[str] = "rpc.events.cycle.register.v1"

    cycle_id: uuid.UUID
    registrations: tuple[RegistrationV1, ...]
