"""Mails the events service's facts call for: registrations (confirmed, promoted, waitlisted,
offered, cancelled), reminders, notices of a changed or cancelled event, applications.

``mails_for`` says which mails a fact owes (plain: no I/O); ``on_events_fact`` owes them, with
the fact's inbox claim, in one transaction.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from contracts.events import (
    ApplicationDecidedV1,
    ApplicationSubmittedV1,
    EventCancelledV1,
    EventSummaryV1,
    EventUpdatedV1,
    RegistrantV1,
    RegistrationCancelledV1,
    RegistrationChangedV1,
    RegistrationConfirmedV1,
    RegistrationOfferedV1,
    RegistrationPromotedV1,
    RegistrationWaitlistedV1,
    ReminderDueV1,
)
from services.newsletters.domain import (
    MailKind,
    TransactionalMail,
    application_key,
    change_key,
    checked_calendar,
    checked_link,
    decision_key,
    event_cancelled_key,
    event_updated_key,
    offer_key,
    registration_key,
    reminder_key,
)
from services.newsletters.handlers.common import UowFactory, owe

CONSUMER_EVENT_MAILS = "newsletters.events"
"""Inbox consumer of every fact of the events service (event ids are unique whatever the
subject, so one name claims them all)."""

RegistrationFact = (
    RegistrationConfirmedV1
    | RegistrationPromotedV1
    | RegistrationWaitlistedV1
    | RegistrationOfferedV1
    | RegistrationCancelledV1
    | RegistrationChangedV1
    | ReminderDueV1
)
EventsFact = (
    RegistrationFact
    | EventUpdatedV1
    | EventCancelledV1
    | ApplicationSubmittedV1
    | ApplicationDecidedV1
)


async def on_events_fact(fact: EventsFact, uow: UowFactory) -> int:
    """Owe the mails an events fact calls for (once, whatever the redeliveries, and once per
    dedupe key whatever facts repeat them). Returns how many are newly owed.

    A link that is not absolute http(s), or a calendar file that is not the one the fact
    promises, owes nothing: the error dead-letters the fact.
    """
    return await owe(CONSUMER_EVENT_MAILS, fact.event_id, mails_for(fact), uow)


def mails_for(fact: EventsFact) -> list[TransactionalMail]:
    """The mails a fact of the events service calls for, before they are owed."""
    if isinstance(fact, EventUpdatedV1 | EventCancelledV1):
        return _notices(fact)
    if isinstance(fact, ApplicationSubmittedV1 | ApplicationDecidedV1):
        return [_application_mail(fact)]
    return [_registration_mail(fact)]


def _registration_mail(fact: RegistrationFact) -> TransactionalMail:
    """The mail a registration fact owes its registrant, with the link to manage it.

    Confirmed and promoted carry the event's calendar file; a cancellation carries the
    calendar cancellation when the fact has one. A seat offered is not sent once the hold has
    ended, nor a reminder once the event is over.
    """
    extra: dict[str, Any] = {}
    expires_at = None
    match fact:
        case RegistrationConfirmedV1():
            kind = MailKind.REGISTRATION_CONFIRMED
            key = registration_key(kind, fact.registration_id)
            extra["ics"] = checked_calendar(fact.ics, "REQUEST")
        case RegistrationPromotedV1():
            kind = MailKind.REGISTRATION_PROMOTED
            key = registration_key(kind, fact.registration_id)
            extra["ics"] = checked_calendar(fact.ics, "REQUEST")
        case RegistrationWaitlistedV1():
            kind = MailKind.REGISTRATION_WAITLISTED
            key = registration_key(kind, fact.registration_id)
            extra |= {"position": fact.position, "reason": fact.reason}
        case RegistrationOfferedV1():
            kind = MailKind.REGISTRATION_OFFERED
            key = offer_key(fact.registration_id, fact.hold_until)
            extra["accept_url"] = checked_link(fact.accept_url)
            expires_at = fact.hold_until
        case RegistrationCancelledV1():
            kind = MailKind.REGISTRATION_CANCELLED
            key = registration_key(kind, fact.registration_id)
            extra["by"] = fact.by
            if fact.ics.strip():
                extra["ics"] = checked_calendar(fact.ics, "CANCEL")
        case RegistrationChangedV1():
            kind = MailKind.REGISTRATION_CHANGED
            key = change_key(fact.registration_id, fact.event_id)
            extra |= {
                "previous_mode": fact.previous_mode,
                "status": fact.status,
                "position": fact.position,
            }
            if fact.ics.strip():
                extra["ics"] = checked_calendar(fact.ics, "REQUEST")
        case ReminderDueV1():
            kind = MailKind.EVENT_REMINDER
            key = reminder_key(fact.registration_id, fact.rule)
            extra |= {"rule": fact.rule, "last": fact.last}
            if fact.video_link:
                extra["video_link"] = checked_link(fact.video_link)
            expires_at = fact.event.ends_at
    return TransactionalMail(
        id=uuid.uuid4(),
        kind=kind,
        dedupe_key=key,
        email=str(fact.email),
        name=f"{fact.first_name} {fact.last_name}",
        person_id=fact.person_id,
        data={
            "registration_id": str(fact.registration_id),
            "first_name": fact.first_name,
            "last_name": fact.last_name,
            "event": _event(fact.event),
            "mode": fact.mode,
            "manage_url": checked_link(fact.manage_url),
            **extra,
        },
        next_attempt_at=datetime.now(UTC),
        expires_at=expires_at,
    )


def _notices(fact: EventUpdatedV1 | EventCancelledV1) -> list[TransactionalMail]:
    """One notice per registrant (one per change and registration for an update).

    The calendar file goes to those who hold a seat only: the others never had the event in
    their calendar, and an online event's file may carry the video link, which only confirmed
    registrants may see.
    """
    event = _event(fact.event)
    extra: dict[str, Any]
    if isinstance(fact, EventUpdatedV1):
        kind = MailKind.EVENT_UPDATED
        ics = checked_calendar(fact.ics, "REQUEST")
        extra = {"changes": list(fact.changes)}
    else:
        kind = MailKind.EVENT_CANCELLED
        ics = checked_calendar(fact.ics, "CANCEL")
        extra = {"reason": fact.reason}

    def key(registrant: RegistrantV1) -> str:
        if isinstance(fact, EventUpdatedV1):
            return event_updated_key(fact.event.event_id, fact.sequence, registrant.registration_id)
        return event_cancelled_key(fact.event.event_id, registrant.registration_id)

    now = datetime.now(UTC)
    return [
        TransactionalMail(
            id=uuid.uuid4(),
            kind=kind,
            dedupe_key=key(registrant),
            email=str(registrant.email),
            name=f"{registrant.first_name} {registrant.last_name}",
            person_id=registrant.person_id,
            data={
                "registration_id": str(registrant.registration_id),
                "first_name": registrant.first_name,
                "last_name": registrant.last_name,
                "status": registrant.status,
                "event": event,
                **extra,
                **({"ics": ics} if registrant.status == "confirmed" else {}),
            },
            next_attempt_at=now,
        )
        for registrant in fact.registrants
        if registrant.status != "cancelled"
    ]


def _application_mail(fact: ApplicationSubmittedV1 | ApplicationDecidedV1) -> TransactionalMail:
    """The acknowledgement of an application (with its reference), or the decision on it."""
    if isinstance(fact, ApplicationSubmittedV1):
        kind = MailKind.APPLICATION_SUBMITTED
        key = application_key(fact.application_id)
        extra: dict[str, Any] = {"submitted_at": fact.submitted_at.isoformat()}
    else:
        kind = MailKind.APPLICATION_DECIDED
        key = decision_key(fact.application_id, fact.decision)
        extra = {"decision": fact.decision, "message": fact.message}
    return TransactionalMail(
        id=uuid.uuid4(),
        kind=kind,
        dedupe_key=key,
        email=str(fact.email),
        name=f"{fact.first_name} {fact.last_name}",
        person_id=fact.person_id,
        data={
            "application_id": str(fact.application_id),
            "first_name": fact.first_name,
            "last_name": fact.last_name,
            "call_title": fact.call_title,
            "reference": fact.reference,
            "organisation_name": fact.organisation_name,
            **extra,
        },
        next_attempt_at=datetime.now(UTC),
    )


def _event(event: EventSummaryV1) -> dict[str, Any]:
    """What a mail says of an event (its page is a link, checked like any other)."""
    return {
        "title": event.title,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "format": event.format.value,
        "venue": event.venue.model_dump(mode="json") if event.venue else None,
        "url": checked_link(event.url),
    }
