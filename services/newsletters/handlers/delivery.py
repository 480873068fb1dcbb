"""Sending the mails owed, whatever their kind, and what a person may see of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

import aiosmtplib
from jinja2 import TemplateError

from contracts.base import ExportPersonDataV1, PersonDataV1
from services.newsletters.domain import (
    SEND_LEASE,
    DeliveryStatus,
    TransactionalMail,
    email_key,
)
from services.newsletters.handlers.common import UowFactory, log

Send = Callable[[EmailMessage], Awaitable[None]]


class Composer(Protocol):
    """Builds the message of a mail (``mailer.Mailer``)."""

    def compose(self, mail: TransactionalMail, now: datetime) -> EmailMessage: ...


async def send_next_mail(
    uow: UowFactory,
    send: Send,
    mailer: Composer,
    *,
    max_attempts: int,
    lease: timedelta = SEND_LEASE,
) -> bool:
    """Send the oldest mail due, whatever its kind; False when none is due.

    The mail is claimed in a short transaction (a lease, so two senders never take it at once),
    sent outside any transaction, then its outcome is saved (with the WelcomeMailSent event for
    a welcome mail). A mail past its expiry (its link stopped working, its event is over) is
    not sent. A 5xx or a message that cannot
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
            mail.claim(now, lease)
        await work.mails.save(mail)
        await work.commit()
    if mail.status is DeliveryStatus.EXPIRED:
        log.warning(
            "mail not sent: it expired before it could be sent",
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
    """Every e-mail newsletters owes or sent the person, for their own export, and the
    subscriptions (with their consent records) of the addresses it mailed them at."""
    async with uow() as work:
        mails = await work.mails.of_person(query.person_id)
        addresses = await work.mails.emails_of_person(query.person_id)
        found = {s.id: s for s in await work.subscribers.of_person(query.person_id)}
        for address in addresses:
            subscriber = await work.subscribers.by_email(email_key(address))
            if subscriber is not None:
                found[subscriber.id] = subscriber
        subscribers = []
        for subscriber in found.values():
            current = await work.subscribers.subscriptions_of(subscriber.id)
            subscribers.append(
                {
                    "email": subscriber.email,
                    "profile": subscriber.profile.model_dump(mode="json", exclude_none=True),
                    "subscriptions": [
                        {"letter": s.letter, "status": s.status.value} for s in current.values()
                    ],
                    "consents": [
                        {
                            "letter": c["letter"],
                            "granted": c["granted"],
                            "at": c["at"].isoformat(),
                            "source": c["source"],
                            "wording": c["wording"],
                        }
                        for c in await work.subscribers.consents_of(subscriber.id)
                    ],
                }
            )
    data: dict[str, Any] = {"mails": mails}
    if subscribers:
        data["subscriptions"] = subscribers
    return PersonDataV1(service="newsletters", data=data)
