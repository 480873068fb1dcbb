"""Use cases of the newsletters service: plain async functions over a unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
from jinja2 import TemplateError

from contracts.base import ExportPersonDataV1, PersonDataV1
from contracts.members import (
    AccessLinkRequestedV1,
    MemberRegisteredV1,
    MembershipRenewedV1,
    PersonErasedV1,
)
from services.newsletters.domain import (
    DeliveryStatus,
    MailKind,
    TransactionalMail,
    access_link_key,
    checked_link,
    renewal_key,
    welcome_key,
)
from services.newsletters.store import NewslettersUnitOfWork
from services.runtime.logging import get_logger

UowFactory = Callable[[], NewslettersUnitOfWork]
Send = Callable[[EmailMessage], Awaitable[None]]

CONSUMER_WELCOME = "newsletters.welcome"
CONSUMER_ACCESS_LINK = "newsletters.access_link"
CONSUMER_RENEWAL = "newsletters.renewal"
CONSUMER_ERASURE = "newsletters.erasure"

log = get_logger("reso.newsletters")


class Composer(Protocol):
    """Builds the message of a mail (``mailer.Mailer``)."""

    def compose(self, mail: TransactionalMail, now: datetime) -> EmailMessage: ...


async def on_member_registered(event: MemberRegisteredV1, uow: UowFactory) -> bool:
    """Owe the new person a welcome e-mail (once, whatever the redeliveries). True if new.

    With a confirmation link, the welcome asks the person to confirm their address before the
    link expires; past that, it is not sent.
    """
    data: dict[str, str] = {"first_name": event.first_name, "last_name": event.last_name}
    expires_at = None
    if event.confirmation_url:
        data["confirmation_url"] = checked_link(event.confirmation_url)
        expires_at = event.confirmation_expires_at
    mail = TransactionalMail(
        id=uuid.uuid4(),
        kind=MailKind.WELCOME,
        dedupe_key=welcome_key(event.person_id),
        email=str(event.email),
        name=f"{event.first_name} {event.last_name}",
        person_id=event.person_id,
        data=data,
        next_attempt_at=datetime.now(UTC),
        expires_at=expires_at,
    )
    return await _owe(CONSUMER_WELCOME, event.event_id, [mail], uow) == 1


async def on_access_link_requested(event: AccessLinkRequestedV1, uow: UowFactory) -> bool:
    """Owe the person the e-mail carrying their personal link (one per request). True if new."""
    mail = TransactionalMail(
        id=uuid.uuid4(),
        kind=MailKind(event.purpose),
        dedupe_key=access_link_key(event.event_id),
        email=str(event.email),
        name=f"{event.first_name} {event.last_name}",
        person_id=event.person_id,
        data={
            "first_name": event.first_name,
            "last_name": event.last_name,
            "url": checked_link(event.url),
        },
        next_attempt_at=datetime.now(UTC),
        expires_at=event.expires_at,
    )
    return await _owe(CONSUMER_ACCESS_LINK, event.event_id, [mail], uow) == 1


async def on_membership_renewed(event: MembershipRenewedV1, uow: UowFactory) -> int:
    """Owe each recipient the call for next year's dues (one per membership and address).

    Returns how many mails are newly owed. A person member's own address is tied to the person
    even when members sent it without their id, so erasing the person erases the mail.
    """
    now = datetime.now(UTC)
    own_id = event.member_id if event.member_type == "person" else None
    mails = [
        TransactionalMail(
            id=uuid.uuid4(),
            kind=MailKind.MEMBERSHIP_RENEWAL,
            dedupe_key=renewal_key(event.membership_id, str(recipient.email)),
            email=str(recipient.email),
            name=recipient.name,
            person_id=recipient.person_id or own_id,
            data={
                "membership_id": str(event.membership_id),
                "member_type": event.member_type,
                "member_name": event.member_name,
                "year": event.year,
                "dues": str(event.dues),
            },
            next_attempt_at=now,
        )
        for recipient in event.recipients
    ]
    if not mails:
        log.info(
            "renewal call has no recipient",
            membership_id=str(event.membership_id),
            year=event.year,
        )
    return await _owe(CONSUMER_RENEWAL, event.event_id, mails, uow)


async def _owe(
    consumer: str, event_id: uuid.UUID, mails: list[TransactionalMail], uow: UowFactory
) -> int:
    """Record the mails an event owes, with its inbox claim, in one transaction."""
    async with uow() as work:
        if not await work.claim(consumer, str(event_id)):
            return 0
        added = 0
        for mail in mails:
            added += await work.mails.add(mail)
        await work.commit()
    return added


async def on_person_erased(event: PersonErasedV1, uow: UowFactory) -> int:
    """Erase what newsletters holds on the person (once): every mail row of theirs, whatever its
    kind. Returns how many rows were deleted."""
    async with uow() as work:
        if not await work.claim(CONSUMER_ERASURE, str(event.event_id)):
            return 0
        deleted = await work.mails.erase_person(event.person_id)
        await work.commit()
    log.info("person erased", person_id=str(event.person_id), rows=deleted)
    return deleted


async def send_next_mail(
    uow: UowFactory,
    send: Send,
    mailer: Composer,
    *,
    max_attempts: int,
) -> bool:
    """Send the oldest mail due, whatever its kind; False when none is due.

    The mail is claimed in a short transaction (a lease, so two senders never take it at once),
    sent outside any transaction, then its outcome is saved (with the WelcomeMailSent event for
    a welcome mail). A mail whose link has expired is not sent. A 5xx or a message that cannot
    be built fails that mail for good; other errors are retried later. Once settled, the links
    a mail carried are removed from its row.
    """
    now = datetime.now(UTC)
    async with uow() as work:
        mail = await work.mails.next_due(now)
        if mail is None:
            return False
        if mail.has_expired(now):
            mail.expired()
        else:
            mail.claim(now)
        await work.mails.save(mail)
        await work.commit()
    if mail.status is DeliveryStatus.EXPIRED:
        log.warning(
            "mail not sent: its link expired before it could be sent",
            mail_id=str(mail.id),
            kind=mail.kind.value,
            expired_at=mail.expires_at.isoformat() if mail.expires_at else None,
            attempts=mail.attempts,
        )
        return True

    event = None
    try:
        message = mailer.compose(mail, now)
    except (ValueError, TypeError, LookupError, TemplateError) as error:
        log.error(
            "mail cannot be built", mail_id=str(mail.id), kind=mail.kind.value, error=repr(error)
        )
        mail.failed_permanently(f"message impossible à construire : {error!r}")
    else:
        try:
            await send(message)
        except aiosmtplib.SMTPResponseException as error:
            if 500 <= error.code < 600:
                mail.failed_permanently(f"{error.code} {error.message}")
            else:
                mail.failed_temporarily(f"{error.code} {error.message}", now, max_attempts)
        except aiosmtplib.SMTPNotSupported as error:
            mail.failed_permanently(f"refusé par le serveur SMTP : {error}")
        except (aiosmtplib.SMTPException, OSError) as error:
            mail.failed_temporarily(repr(error), now, max_attempts)
        else:
            event = mail.sent(str(message["Message-ID"]))
    if mail.status is DeliveryStatus.FAILED:
        log.warning(
            "mail failed for good",
            mail_id=str(mail.id),
            kind=mail.kind.value,
            attempts=mail.attempts,
            error=mail.last_error,
        )

    async with uow() as work:
        if event is not None:
            work.record(event)
        await work.mails.save(mail)
        await work.commit()
    return True


async def export_person_data(query: ExportPersonDataV1, uow: UowFactory) -> PersonDataV1:
    """Every e-mail newsletters owes or sent the person, for their own export."""
    async with uow() as work:
        mails = await work.mails.of_person(query.person_id)
    return PersonDataV1(service="newsletters", data={"mails": mails})
