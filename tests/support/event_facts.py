"""The events service's facts as newsletters receives them, with calendar files shaped like the
ones events attaches (unique ids and addresses, so tests share servers without cleaning up)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.events import (
    ApplicationDecidedV1,
    ApplicationSubmittedV1,
    EventCancelledV1,
    EventFormat,
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
from tests.support.factories import unique_email

SITE = "https://crpv-test.example.org"
STARTS = datetime(2031, 3, 13, 8, 30, tzinfo=UTC)  # jeudi 13 mars 2031, 9 h 30 in Paris
ENDS = STARTS + timedelta(hours=2, minutes=30)
BLOSNE = Venue(
    name="Maison de quartier du Blosne",
    street="7 boulevard de Yougoslavie",
    postcode="35200",
    city="Rennes",
)


def manage_url() -> str:
    return f"{SITE}/inscription?jeton={uuid.uuid4().hex}&vue=1"


def calendar(
    method: str = "REQUEST",
    *,
    event_id: uuid.UUID | None = None,
    title: str = "Journée thématique : l'emploi des jeunes",
    sequence: int = 0,
    starts: datetime = STARTS,
    ends: datetime = ENDS,
) -> str:
    """An iCalendar file as events writes one (CRLF line ends, one VEVENT)."""
    uid = f"{event_id or uuid.uuid4()}@crpv-test.example.org"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//reso//events//FR",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{sequence}",
        "DTSTAMP:20310301T090000Z",
        f"DTSTART:{starts:%Y%m%dT%H%M%SZ}",
        f"DTEND:{ends:%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{title.replace(',', chr(92) + ',')}",
        "STATUS:CANCELLED" if method == "CANCEL" else "STATUS:CONFIRMED",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def event_summary(**kw: Any) -> EventSummaryV1:
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "title": "Journée thématique : l'emploi des jeunes",
        "type": EventType.THEMATIC_DAY,
        "format": EventFormat.ONSITE,
        "starts_at": STARTS,
        "ends_at": ENDS,
        "venue": BLOSNE,
        "url": f"{SITE}/agenda/emploi-des-jeunes",
    }
    values.update(kw)
    return EventSummaryV1(**values)


def _registration(**kw: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "producer": "events",
        "centre": "crpv-test",
        "registration_id": uuid.uuid4(),
        "event": event_summary(),
        "person_id": uuid.uuid4(),
        "email": unique_email("inscrite"),
        "first_name": "Léa",
        "last_name": "Bernard",
        "mode": "onsite",
        "manage_url": manage_url(),
    }
    values.update(kw)
    return values


def confirmed(**kw: Any) -> RegistrationConfirmedV1:
    values = _registration(**kw)
    values.setdefault("ics", calendar("REQUEST", event_id=values["event"].event_id))
    return RegistrationConfirmedV1(**values)


def promoted(**kw: Any) -> RegistrationPromotedV1:
    values = _registration(**kw)
    values.setdefault("ics", calendar("REQUEST", event_id=values["event"].event_id))
    return RegistrationPromotedV1(**values)


def waitlisted(**kw: Any) -> RegistrationWaitlistedV1:
    return RegistrationWaitlistedV1(**_registration(**{"position": 3, **kw}))


def offered(**kw: Any) -> RegistrationOfferedV1:
    values: dict[str, Any] = {
        "accept_url": f"{SITE}/inscription/accepter?jeton={uuid.uuid4().hex}",
        "hold_until": datetime.now(UTC) + timedelta(hours=48),
    }
    values.update(kw)
    return RegistrationOfferedV1(**_registration(**values))


def cancelled(**kw: Any) -> RegistrationCancelledV1:
    return RegistrationCancelledV1(**_registration(**{"by": "self", **kw}))


def changed(**kw: Any) -> RegistrationChangedV1:
    """Moved on site from online, with a seat there (``status="waitlisted"`` and a ``position``
    for the waiting list)."""
    values = _registration(**{"mode": "onsite", "previous_mode": "online", **kw})
    values.setdefault("status", "confirmed")
    if values["status"] == "confirmed":
        values.setdefault("ics", calendar("REQUEST", event_id=values["event"].event_id))
    return RegistrationChangedV1(**values)


def reminder(**kw: Any) -> ReminderDueV1:
    return ReminderDueV1(**_registration(**{"rule": "1d@09:00", "last": False, **kw}))


def registrant(status: str = "confirmed", **kw: Any) -> RegistrantV1:
    values: dict[str, Any] = {
        "registration_id": uuid.uuid4(),
        "person_id": uuid.uuid4(),
        "email": unique_email("participant"),
        "first_name": "Yanis",
        "last_name": "Le Goff",
        "status": status,
    }
    values.update(kw)
    return RegistrantV1(**values)


def event_updated(*registrants: RegistrantV1, **kw: Any) -> EventUpdatedV1:
    values: dict[str, Any] = {
        "producer": "events",
        "centre": "crpv-test",
        "event": event_summary(),
        "changes": ("Nouvel horaire : de 10 h 00 à 12 h 30", "Nouvelle salle : salle Jean-Zay"),
        "sequence": 1,
        "registrants": registrants,
    }
    values.update(kw)
    values.setdefault(
        "ics", calendar("REQUEST", event_id=values["event"].event_id, sequence=values["sequence"])
    )
    return EventUpdatedV1(**values)


def event_cancelled(*registrants: RegistrantV1, **kw: Any) -> EventCancelledV1:
    values: dict[str, Any] = {
        "producer": "events",
        "centre": "crpv-test",
        "event": event_summary(),
        "reason": "L'intervenante est souffrante ; la journée sera reprogrammée.",
        "sequence": 2,
        "registrants": registrants,
    }
    values.update(kw)
    values.setdefault(
        "ics", calendar("CANCEL", event_id=values["event"].event_id, sequence=values["sequence"])
    )
    return EventCancelledV1(**values)


def _application(**kw: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "producer": "events",
        "centre": "crpv-test",
        "application_id": uuid.uuid4(),
        "call_id": uuid.uuid4(),
        "call_title": "Trophées des quartiers 2031",
        "reference": "LQT-2031-0007",
        "organisation_name": "Association Vivre au Blosne",
        "person_id": uuid.uuid4(),
        "email": unique_email("candidate"),
        "first_name": "Awa",
        "last_name": "Diallo",
    }
    values.update(kw)
    return values


def application_submitted(**kw: Any) -> ApplicationSubmittedV1:
    values = _application(**kw)
    values.setdefault("submitted_at", datetime(2031, 2, 3, 16, 45, tzinfo=UTC))
    return ApplicationSubmittedV1(**values)


def application_decided(**kw: Any) -> ApplicationDecidedV1:
    return ApplicationDecidedV1(**_application(**{"decision": "selected", **kw}))
