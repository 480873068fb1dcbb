"""Messages owned by the events service: the agenda, registrations with capacity and waiting
lists, reminders, attendance, activity reports and calls for applications.

This module holds the shared value types and the facts the service announces on the bus
(``reso.events.*``); its commands and queries (``rpc.events.*``) live beside them as they are
built. Facts that a mail answers carry what the mail needs (names, addresses, links): they are
personal data and live in the EVENTS stream for its bounded max age only.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.base import Email, Event, InseeCommuneCode, Theme
from contracts.members.common import College


class EventType(StrEnum):
    """What kind of event the centre runs. Extensible: new kinds are additive."""

    WEBINAR = "webinar"
    THEMATIC_DAY = "thematic_day"  # journée thématique
    INTERREGIONAL_MEETING = "interregional_meeting"  # rencontre interrégionale
    WORKSHOP = "workshop"  # atelier
    VIDEO_EXCHANGE = "video_exchange"  # échange informel en visio
    FIELD_VISIT = "field_visit"  # visite de terrain
    TRAINING = "training"  # journée de formation
    CLIMATE_FRESCO = "climate_fresco"  # fresque du climat
    RESEARCH_RESTITUTION = "research_restitution"  # restitution de recherche
    OTHER = "other"


class EventFormat(StrEnum):
    ONLINE = "online"  # a video link, shown to confirmed registrants only
    ONSITE = "onsite"  # a venue
    HYBRID = "hybrid"  # both, each with its own capacity


AttendanceMode = Literal["onsite", "online"]
"""How one registrant attends: on site or online (a hybrid event has a capacity for each)."""

RegistrationStatus = Literal["confirmed", "waitlisted", "offered", "cancelled"]
"""``offered``: a seat freed for the first person waiting, held for them until they accept."""


class Venue(BaseModel):
    """Where an on-site or hybrid event takes place."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    name: str = Field(max_length=200, description="E.g. « Maison de quartier du Blosne ».")
    street: str = Field(default="", max_length=200)
    postcode: str = Field(default="", max_length=10)
    city: str = Field(default="", max_length=100)
    commune: InseeCommuneCode | None = Field(
        default=None, description="INSEE code of the commune, checked against the reference."
    )


class Audience(BaseModel):
    """Who an event is meant for (shown on the agenda; member-only access is a separate flag)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    everyone: bool = True
    networks: tuple[str, ...] = Field(default=(), description="Slugs of thematic networks.")
    colleges: tuple[College, ...] = ()


class EventSummaryV1(BaseModel):
    """What a mail or a letter says of an event: enough to find it, not to administer it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID
    title: str
    type: EventType
    format: EventFormat
    themes: tuple[Theme, ...] = ()
    starts_at: AwareDatetime = Field(description="UTC; shown in Europe/Paris.")
    ends_at: AwareDatetime
    venue: Venue | None = None
    url: str = Field(description="The event's public page.")
    member_only: bool = False


class RegistrantV1(BaseModel):
    """Someone registered to an event, as a notice about the event addresses them."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    registration_id: uuid.UUID
    person_id: uuid.UUID | None = Field(
        default=None, description="The person in members, when the address is theirs."
    )
    email: Email
    first_name: str
    last_name: str
    status: RegistrationStatus


# --- facts about events ---------------------------------------------------------------------


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


# --- facts about registrations --------------------------------------------------------------


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


# --- facts about calls for applications -----------------------------------------------------


class ApplicationSubmittedV1(Event):
    """An application to a call was submitted before the deadline: the applicant gets the
    acknowledgement ``reference``.

    Emitted by events once per application, in the transaction that submits it. Carries
    personal data (the applicant's name and address).
    """

    subject: ClassVar[str] = "reso.events.application.submitted.v1"

    application_id: uuid.UUID
    call_id: uuid.UUID
    call_title: str
    reference: str = Field(description="Acknowledgement number, e.g. 'LQT-2027-0007'.")
    organisation_id: uuid.UUID | None = None
    organisation_name: str = ""
    person_id: uuid.UUID | None = None
    email: Email
    first_name: str
    last_name: str
    submitted_at: AwareDatetime


class ApplicationDecidedV1(Event):
    """Staff decided an application: selected, on the waiting list, or not retained; the
    applicant is told.

    Emitted by events once per decision that staff make known, in its transaction. Carries
    personal data (the applicant's name and address).
    """

    subject: ClassVar[str] = "reso.events.application.decided.v1"

    application_id: uuid.UUID
    call_id: uuid.UUID
    call_title: str
    reference: str
    decision: Literal["selected", "waiting", "rejected"]
    message: str = Field(default="", description="What staff wrote to the applicant (French).")
    organisation_name: str = ""
    person_id: uuid.UUID | None = None
    email: Email
    first_name: str
    last_name: str
