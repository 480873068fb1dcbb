"""Registrations: seats, the waiting list, promotions and offers. Rules only, no I/O.

The store hands these functions the event (locked for the transaction) and the seats already
held, so the decision and the write it leads to happen under the same lock: an event is never
overbooked, whatever the number of replicas.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.events.domain.agenda import Event, Status
from services.runtime.errors import Conflict

HELD = ("confirmed", "offered")
"""Statuses that hold a seat."""
ACTIVE = ("confirmed", "offered", "waitlisted")


def email_key(email: str) -> str:
    """The form an address is compared in: one registration per address, whatever its case."""
    return email.strip().lower()


@dataclass
class Registration:
    id: uuid.UUID
    event_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    mode: str
    status: str
    registered_at: datetime
    person_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    reason: str | None = None  # waiting: "full" or "organisation_quota"
    queue_no: int = 0  # order in the waiting list (lower first)
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    offer_expires_at: datetime | None = None
    attended_at: datetime | None = None
    erased_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass(frozen=True)
class Seats:
    """Seats held in an event: per mode, and per organisation (for the organisation cap)."""

    by_mode: Mapping[str, int]
    by_organisation: Mapping[uuid.UUID, int]

    def free(self, event: Event, mode: str) -> bool:
        capacity = event.capacity(mode)
        return capacity is None or self.by_mode.get(mode, 0) < capacity

    def organisation_full(self, event: Event, organisation_id: uuid.UUID | None) -> bool:
        cap = event.draft.organisation_cap
        if cap is None or organisation_id is None:
            return False
        return self.by_organisation.get(organisation_id, 0) >= cap


# --- domain events ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationConfirmed:
    registration: Registration
    event: Event
    occurred_at: datetime


@dataclass(frozen=True)
class RegistrationWaitlisted:
    registration: Registration
    event: Event
    position: int
    occurred_at: datetime


@dataclass(frozen=True)
class RegistrationOffered:
    registration: Registration
    event: Event
    hold_until: datetime
    occurred_at: datetime


@dataclass(frozen=True)
class RegistrationPromoted:
    registration: Registration
    event: Event
    occurred_at: datetime


@dataclass(frozen=True)
class RegistrationChanged:
    """Staff moved the registration to another mode; ``position`` when it waits there."""

    registration: Registration
    event: Event
    previous_mode: str
    position: int | None
    occurred_at: datetime


@dataclass(frozen=True)
class RegistrationCancelled:
    registration: Registration
    event: Event
    by: str  # self, staff, offer_expired
    occurred_at: datetime


# --- rules -----------------------------------------------------------------------------------


def place(registration: Registration, event: Event, seats: Seats, now: datetime) -> None:
    """Give ``registration`` a seat if one is left for its mode (and its organisation is under
    its cap), else put it at the end of the waiting list."""
    if seats.organisation_full(event, registration.organisation_id):
        _wait(registration, event, "organisation_quota")
    elif seats.free(event, registration.mode):
        registration.status = "confirmed"
        registration.reason = None
        registration.confirmed_at = now
    else:
        _wait(registration, event, "full")


def _wait(registration: Registration, event: Event, reason: str) -> None:
    event.queue_counter += 1
    registration.status = "waitlisted"
    registration.reason = reason
    registration.queue_no = event.queue_counter
    registration.confirmed_at = None


def check_can_register(existing: Registration | None) -> None:
    if existing is not None and existing.active:
        raise Conflict(
            "Vous êtes déjà inscrit·e à cet événement : le lien reçu par e-mail permet de gérer "
            "votre inscription.",
            registration_id=str(existing.id),
            status=existing.status,
        )


def cancel(registration: Registration, by: str, now: datetime) -> str:
    """End a registration; returns the mode whose seat it freed ("" if it held none)."""
    if registration.status == "cancelled":
        raise Conflict("Cette inscription est déjà annulée.")
    freed = registration.mode if registration.status in HELD else ""
    registration.status = "cancelled"
    registration.cancelled_at = now
    registration.cancelled_by = by
    registration.offer_expires_at = None
    return freed


def next_in_line(
    event: Event, waiting: Iterable[Registration], seats: Seats
) -> Registration | None:
    """The first person waiting who can take a freed seat: same mode, organisation under cap."""
    if event.status is not Status.PUBLISHED:
        return None
    for candidate in waiting:
        if candidate.status != "waitlisted":
            continue
        if not seats.free(event, candidate.mode):
            continue
        if seats.organisation_full(event, candidate.organisation_id):
            continue
        return candidate
    return None


def promote(registration: Registration, event: Event, now: datetime) -> object:
    """Seat the first person waiting: at once, or as an offer held for the event's hold time.
    Returns the domain event to record."""
    if event.draft.hold_minutes > 0:
        registration.status = "offered"
        registration.offer_expires_at = now + event.hold
        return RegistrationOffered(registration, event, registration.offer_expires_at, now)
    registration.status = "confirmed"
    registration.reason = None
    registration.confirmed_at = now
    return RegistrationPromoted(registration, event, now)


def accept_offer(registration: Registration, event: Event, now: datetime) -> RegistrationPromoted:
    if registration.status == "confirmed":
        raise Conflict("Votre place est déjà confirmée.")
    if registration.status != "offered":
        raise Conflict("Aucune place ne vous est proposée pour cet événement.")
    if registration.offer_expires_at is not None and now >= registration.offer_expires_at:
        raise Conflict("Le délai pour accepter cette place est dépassé.")
    registration.status = "confirmed"
    registration.reason = None
    registration.confirmed_at = now
    registration.offer_expires_at = None
    return RegistrationPromoted(registration, event, now)


def move(
    registration: Registration,
    event: Event,
    seats: Seats,
    now: datetime,
    *,
    mode: str | None,
    promote_now: bool,
) -> tuple[str, list[object]]:
    """Staff move a registration to another mode and/or promote it past the waiting list
    (staff may exceed the capacity on purpose only by promoting). Returns the mode whose seat
    was freed ("" if none) and the domain events to record; the handler records the move
    itself (RegistrationChanged), with the position when the person waits."""
    if not registration.active:
        raise Conflict("Cette inscription est annulée.")
    recorded: list[object] = []
    freed = ""
    if mode is not None and mode != registration.mode:
        mode = event.check_mode(mode)
        if registration.status in HELD:
            freed = registration.mode
        registration.mode = mode
        if registration.status in HELD:
            # Re-seat in the new mode: confirmed if a seat is left there, else waiting.
            registration.status = "waitlisted"
            registration.offer_expires_at = None
            place(registration, event, seats, now)
    if promote_now and registration.status in ("waitlisted", "offered"):
        registration.status = "confirmed"
        registration.reason = None
        registration.confirmed_at = now
        registration.offer_expires_at = None
        recorded.append(RegistrationPromoted(registration, event, now))
    return freed, recorded


def erase(registration: Registration, now: datetime) -> None:
    """Forget who registered: keep what counts need (status, mode, dates, organisation)."""
    registration.email = f"efface-{registration.id}@invalid"
    registration.first_name = ""
    registration.last_name = ""
    registration.person_id = None
    registration.erased_at = now
