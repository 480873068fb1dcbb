"""Events on the agenda and the cycles that group them: their rules, no I/O.

Times are aware datetimes in UTC here; people give and read them in Europe/Paris (the contracts
convert at the edge). A published event's ``sequence`` is its iCalendar SEQUENCE: it goes up with
every change its registrants must know of (date, time, place, format, link).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from services.runtime.errors import Conflict, InvalidInput

PARIS = ZoneInfo("Europe/Paris")


class Status(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


FORMATS = ("online", "onsite", "hybrid")


@dataclass(frozen=True)
class Place:
    """Where an on-site or hybrid event takes place."""

    name: str
    street: str = ""
    postcode: str = ""
    city: str = ""
    commune: str | None = None


@dataclass(frozen=True)
class Audience:
    everyone: bool = True
    networks: tuple[str, ...] = ()
    colleges: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventDraft:
    """What staff write about an event (create, or update in full)."""

    title: str
    type: str
    format: str
    starts_at: datetime
    ends_at: datetime
    summary: str = ""
    themes: tuple[str, ...] = ()
    audience: Audience = field(default_factory=Audience)
    partners: tuple[str, ...] = ()
    venue: Place | None = None
    video_link: str | None = None
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    capacity_onsite: int | None = None
    capacity_online: int | None = None
    member_only: bool = False
    organisation_cap: int | None = None
    hold_minutes: int = 0
    cycle_id: uuid.UUID | None = None


@dataclass
class Event:
    id: uuid.UUID
    draft: EventDraft
    status: Status
    sequence: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str = ""
    queue_counter: int = 0

    @property
    def title(self) -> str:
        return self.draft.title

    @property
    def modes(self) -> tuple[str, ...]:
        """The attendance modes the event offers."""
        return {"online": ("online",), "onsite": ("onsite",), "hybrid": ("onsite", "online")}[
            self.draft.format
        ]

    def capacity(self, mode: str) -> int | None:
        """Seats for ``mode``; None means no limit."""
        return self.draft.capacity_online if mode == "online" else self.draft.capacity_onsite

    @property
    def hold(self) -> timedelta:
        return timedelta(minutes=self.draft.hold_minutes)

    def default_mode(self) -> str:
        return self.modes[0]

    def check_mode(self, mode: str | None) -> str:
        """The mode a registrant asks for, checked; the event's only mode when not given."""
        if mode is None:
            if len(self.modes) > 1:
                raise InvalidInput(
                    "Précisez si vous participez sur place ou en ligne.", field="mode"
                )
            return self.modes[0]
        if mode not in self.modes:
            raise InvalidInput(
                "Ce mode de participation n'est pas proposé pour cet événement.", mode=mode
            )
        return mode

    def check_open(self, now: datetime) -> None:
        """Registrations are taken: the event is published, not over, inside its window."""
        if self.status is not Status.PUBLISHED:
            raise Conflict("Les inscriptions ne sont pas ouvertes pour cet événement.")
        draft = self.draft
        if draft.registration_opens_at is not None and now < draft.registration_opens_at:
            raise Conflict(
                "Les inscriptions ne sont pas encore ouvertes.",
                opens_at=draft.registration_opens_at.isoformat(),
            )
        closes = draft.registration_closes_at or draft.starts_at
        if now >= closes:
            raise Conflict("Les inscriptions sont closes pour cet événement.")


@dataclass(frozen=True)
class Cycle:
    """Sessions of one programme: registering to the cycle registers to every session."""

    id: uuid.UUID
    title: str
    summary: str
    created_at: datetime


# --- domain events ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EventPublished:
    event: Event
    occurred_at: datetime


@dataclass(frozen=True)
class EventChanged:
    """A published event changed in a way registrants must know of."""

    event: Event
    changes: tuple[str, ...]
    registrants: tuple[Any, ...]  # registrations (see registrations.Registration)
    occurred_at: datetime


@dataclass(frozen=True)
class EventCancelled:
    event: Event
    reason: str
    registrants: tuple[Any, ...]
    occurred_at: datetime


# --- rules -----------------------------------------------------------------------------------


def check_draft(draft: EventDraft, known_commune: Any) -> EventDraft:
    """Check what staff wrote; ``known_commune(code)`` says whether an INSEE code exists."""
    if not draft.title.strip():
        raise InvalidInput("Le titre est obligatoire.", field="title")
    if draft.format not in FORMATS:
        raise InvalidInput("Format inconnu (online, onsite ou hybrid).", field="format")
    if draft.ends_at <= draft.starts_at:
        raise InvalidInput("La fin doit suivre le début.", field="ends_at")
    if draft.format in ("onsite", "hybrid"):
        if draft.venue is None:
            raise InvalidInput("Un événement sur place a besoin d'un lieu.", field="venue")
        if draft.venue.commune is not None and not known_commune(draft.venue.commune):
            raise InvalidInput(
                f"Commune inconnue du référentiel INSEE : {draft.venue.commune}.",
                field="venue.commune",
            )
    elif draft.venue is not None:
        draft = replace(draft, venue=None)
    if (
        draft.format in ("online", "hybrid")
        and draft.video_link
        and not draft.video_link.startswith(("https://", "http://"))
    ):
        raise InvalidInput("Le lien de visio doit commencer par https://.", field="video_link")
    if draft.format == "onsite" and draft.video_link:
        draft = replace(draft, video_link=None)
    if draft.format == "online":
        draft = replace(draft, capacity_onsite=None)
    if draft.format == "onsite":
        draft = replace(draft, capacity_online=None)
    for name in ("capacity_onsite", "capacity_online", "organisation_cap"):
        value = getattr(draft, name)
        if value is not None and value < 0:
            raise InvalidInput("Une capacité ne peut pas être négative.", field=name)
    if draft.hold_minutes < 0:
        raise InvalidInput("Le délai de réservation ne peut pas être négatif.", field="hold")
    opens, closes = draft.registration_opens_at, draft.registration_closes_at
    if opens is not None and closes is not None and closes <= opens:
        raise InvalidInput(
            "La clôture des inscriptions doit suivre leur ouverture.",
            field="registration_closes_at",
        )
    return draft


def create(draft: EventDraft, now: datetime, known_commune: Any) -> Event:
    return Event(
        id=uuid.uuid4(),
        draft=check_draft(draft, known_commune),
        status=Status.DRAFT,
        sequence=0,
        created_at=now,
        updated_at=now,
    )


def _paris(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def notable_changes(before: EventDraft, after: EventDraft) -> tuple[str, ...]:
    """What registrants must hear of, in French, one line each (empty: nothing to tell)."""
    changes: list[str] = []
    if before.starts_at != after.starts_at or before.ends_at != after.ends_at:
        changes.append(
            f"Nouvel horaire : du {_paris(after.starts_at)} au {_paris(after.ends_at)}"
            " (heure de Paris)."
        )
    if before.venue != after.venue and after.venue is not None:
        place = ", ".join(
            part for part in (after.venue.name, after.venue.street, after.venue.city) if part
        )
        changes.append(f"Nouveau lieu : {place}.")
    if before.format != after.format:
        labels = {"online": "en ligne", "onsite": "sur place", "hybrid": "hybride"}
        changes.append(f"Nouveau format : {labels[after.format]}.")
    if before.video_link != after.video_link and after.video_link:
        changes.append("Le lien de connexion a changé.")
    return tuple(changes)


def update(event: Event, draft: EventDraft, now: datetime, known_commune: Any) -> tuple[str, ...]:
    """Apply staff's new version; returns the notable changes (SEQUENCE goes up for them)."""
    if event.status in (Status.CANCELLED, Status.COMPLETED):
        raise Conflict("Un événement annulé ou terminé ne se modifie plus.")
    draft = check_draft(draft, known_commune)
    if event.status is Status.PUBLISHED and draft.format != event.draft.format:
        raise Conflict(
            "Le format d'un événement publié ne change pas : annulez-le et créez-en un autre."
        )
    changes = notable_changes(event.draft, draft)
    event.draft = draft
    event.updated_at = now
    if changes and event.status is Status.PUBLISHED:
        event.sequence += 1
    return changes


def publish(event: Event, now: datetime) -> None:
    if event.status is Status.PUBLISHED:
        raise Conflict("Cet événement est déjà publié.")
    if event.status is not Status.DRAFT:
        raise Conflict("Seul un brouillon peut être publié.")
    event.status = Status.PUBLISHED
    event.published_at = now
    event.updated_at = now


def cancel(event: Event, reason: str, now: datetime) -> None:
    if event.status is Status.CANCELLED:
        raise Conflict("Cet événement est déjà annulé.")
    if event.status is Status.COMPLETED:
        raise Conflict("Un événement terminé ne peut plus être annulé.")
    event.status = Status.CANCELLED
    event.cancelled_at = now
    event.cancel_reason = reason
    event.updated_at = now
    event.sequence += 1


def complete(event: Event, now: datetime) -> None:
    if event.status is not Status.PUBLISHED:
        raise Conflict("Seul un événement publié peut être marqué terminé.")
    if now < event.draft.starts_at:
        raise Conflict("Un événement qui n'a pas commencé ne peut pas être terminé.")
    event.status = Status.COMPLETED
    event.updated_at = now
