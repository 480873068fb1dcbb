"""Value types shared by the events service's messages."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from contracts.base import Email, InseeCommuneCode, Theme
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


_PARIS = ZoneInfo("Europe/Paris")


def _in_paris(value: datetime) -> datetime:
    """A time as people give it: without an offset it is read in Europe/Paris."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_PARIS)
    return value.astimezone(_PARIS)


ParisDatetime = Annotated[datetime, AfterValidator(_in_paris)]
"""A date and time in Europe/Paris (an offset given is honoured; none means Paris time)."""
