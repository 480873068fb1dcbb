"""Use cases about attendance: staff check-in (and its undo), the attendance list (CSV), the
sign-in sheet (PDF) and attendance certificates (PDF).

Documents go through the object store (``RESO_FILES``), like members' exports: a certificates
file for a large event runs to hundreds of pages and would not fit in a NATS message (1 MB by
default, and JSON would inflate the bytes); the gateway streams the file and deletes it. PDFs
are rendered in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from contracts.events import (
    CheckInV1,
    EventFileV1,
    GetAttendanceSheetV1,
    GetCertificatesV1,
    RegistrationV1,
)
from services.events.domain import agenda, attendance, report
from services.events.handlers.common import (
    EVENT_NOT_FOUND,
    REGISTRATION_NOT_FOUND,
    Agenda,
    registration_reply,
)
from services.events.store import UowFactory
from services.events.store.activity import Attendee
from services.runtime.errors import Conflict, InvalidInput, NotFound
from services.runtime.files import CHUNK_SIZE, StoredFile
from services.runtime.logging import get_logger

log = get_logger("reso.events")

CSV = "text/csv; charset=utf-8"
PDF = "application/pdf"
MAX_BYTES = 200 * 1024 * 1024


class FileSink(Protocol):
    """Where finished files wait for their reader (``services.runtime.files.Files``)."""

    async def put(self, chunks: AsyncIterator[bytes], *, max_bytes: int) -> StoredFile: ...


@dataclass(frozen=True)
class Documents:
    """What attendance documents need besides the event: who signs certificates, and where."""

    files: FileSink
    organiser: str
    issuer: attendance.Issuer


async def check_in(command: CheckInV1, uow: UowFactory, context: Agenda) -> RegistrationV1:
    async with uow() as work:
        registration = await work.registrations.get(command.registration_id)
        if registration is None:
            raise NotFound(REGISTRATION_NOT_FOUND, registration_id=str(command.registration_id))
        event = await work.events.get(registration.event_id)
        if event is None:
            raise NotFound(EVENT_NOT_FOUND, event_id=str(registration.event_id))
        if event.status not in (agenda.Status.PUBLISHED, agenda.Status.COMPLETED):
            raise Conflict("On ne pointe la présence qu'à un événement publié ou terminé.")
        if command.present:
            if registration.status != "confirmed":
                raise Conflict(
                    "Seule une personne dont l'inscription est confirmée peut être pointée "
                    "présente : confirmez d'abord son inscription."
                )
            if registration.attended_at is None:
                registration.attended_at = context.now()
        else:
            registration.attended_at = None
        await work.registrations.save(registration)
        await work.commit()
    log.info(
        "check-in" if command.present else "check-in undone",
        registration_id=str(registration.id),
        by=command.by,
    )
    return registration_reply(registration, event, context.links)


async def attendance_sheet(
    query: GetAttendanceSheetV1, uow: UowFactory, context: Agenda, documents: Documents
) -> EventFileV1:
    event, attendees = await _event_and_attendees(uow, query.event_id)
    participants = [_participant(attendee) for attendee in attendees]
    day = event.draft.starts_at.astimezone(agenda.PARIS).date().isoformat()
    stem = f"{slug(event.draft.title)}-{day}"
    if query.format == "csv":
        content = attendance.attendance_csv(participants)
        return await _store(documents, content, CSV, f"presences-{stem}.csv")
    expected = participants
    if "onsite" in event.modes:
        expected = [person for person in participants if person.mode == "onsite"]
    content = await asyncio.to_thread(
        attendance.signin_sheet_pdf,
        _document_event(event, documents),
        expected,
        generated_at=context.now(),
        blank_rows=query.blank_rows,
    )
    return await _store(documents, content, PDF, f"emargement-{stem}.pdf")


async def certificates(
    query: GetCertificatesV1, uow: UowFactory, context: Agenda, documents: Documents
) -> EventFileV1:
    if (query.event_id is None) == (query.registration_id is None):
        raise InvalidInput(
            "Indiquez l'événement (toutes les attestations) ou une inscription.",
            field="registration_id",
        )
    if query.registration_id is not None:
        async with uow() as work:
            registration = await work.registrations.get(query.registration_id)
        if registration is None or registration.erased_at is not None:
            raise NotFound(REGISTRATION_NOT_FOUND, registration_id=str(query.registration_id))
        event, attendees = await _event_and_attendees(uow, registration.event_id)
        chosen = [a for a in attendees if a.registration.id == registration.id]
        if not chosen:  # cancelled or waiting, never checked in
            raise attendance.NotAttended(
                f"{registration.first_name} {registration.last_name} n'est pas pointé·e "
                "présent·e : pas d'attestation de présence."
            )
        person = chosen[0].registration
        name = f"attestation-presence-{slug(person.last_name)}-{slug(person.first_name)}.pdf"
    else:
        assert query.event_id is not None
        event, attendees = await _event_and_attendees(uow, query.event_id)
        chosen = [a for a in attendees if a.registration.attended_at is not None]
        if not chosen:
            raise Conflict("Personne n'est pointé·e présent·e à cet événement.")
        name = f"attestations-presence-{slug(event.draft.title)}.pdf"
    content = await asyncio.to_thread(
        attendance.certificates_pdf,
        _document_event(event, documents),
        [_participant(attendee) for attendee in chosen],
        documents.issuer,
        issued_at=context.now(),
    )
    return await _store(documents, content, PDF, name)


async def _event_and_attendees(
    uow: UowFactory, event_id: uuid.UUID
) -> tuple[agenda.Event, list[Attendee]]:
    async with uow() as work:
        event = await work.events.get(event_id)
        if event is None:
            raise NotFound(EVENT_NOT_FOUND, event_id=str(event_id))
        return event, await work.activity.attendees(event_id)


def _participant(attendee: Attendee) -> attendance.Participant:
    registration = attendee.registration
    return attendance.Participant(
        last_name=registration.last_name,
        first_name=registration.first_name,
        organisation=attendee.organisation,
        mode=registration.mode,  # type: ignore[arg-type]
        attended=registration.attended_at is not None,
    )


def _document_event(event: agenda.Event, documents: Documents) -> attendance.AttendanceEvent:
    draft = event.draft
    venue = draft.venue
    if venue is not None:
        place = ", ".join(part for part in (venue.name, venue.city) if part)
    else:
        place = attendance.ONLINE
    return attendance.AttendanceEvent(
        title=draft.title,
        type_label=report.EVENT_TYPE_LABELS.get(draft.type, draft.type),
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        place=place or attendance.ONLINE,
        organiser=documents.organiser,
    )


async def _store(documents: Documents, content: bytes, media_type: str, name: str) -> EventFileV1:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), CHUNK_SIZE):
            yield content[start : start + CHUNK_SIZE]

    stored = await documents.files.put(chunks(), max_bytes=MAX_BYTES)
    return EventFileV1(file=stored.name, size=stored.size, media_type=media_type, filename=name)


def slug(text: str) -> str:
    """ASCII, lower case, words joined by hyphens: a file name every system takes
    (« Journée d'étude à Laval » -> ``journee-d-etude-a-laval``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-") or "evenement"
