"""Use cases of the newsletters service: plain async functions over a unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.message import EmailMessage

import aiosmtplib

from contracts.members import MemberRegisteredV1
from services.newsletters.domain import DeliveryStatus, WelcomeMail
from services.newsletters.mailer import Templates, compose
from services.newsletters.store import NewslettersUnitOfWork
from services.runtime.settings import CentreSettings

UowFactory = Callable[[], NewslettersUnitOfWork]
Send = Callable[[EmailMessage], Awaitable[None]]

CONSUMER_WELCOME = "newsletters.welcome"


async def on_member_registered(event: MemberRegisteredV1, uow: UowFactory) -> bool:
    """Owe the new person a welcome e-mail (once, whatever the redeliveries). True if new."""
    async with uow() as work:
        if not await work.claim(CONSUMER_WELCOME, str(event.event_id)):
            return False
        added = await work.welcome_mails.add(
            WelcomeMail(
                id=uuid.uuid4(),
                person_id=event.person_id,
                email=str(event.email),
                first_name=event.first_name,
                last_name=event.last_name,
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=datetime.now(UTC),
            )
        )
        await work.commit()
        return added


async def send_next_welcome(
    uow: UowFactory,
    send: Send,
    templates: Templates,
    centre: CentreSettings,
    *,
    max_attempts: int,
) -> bool:
    """Send the oldest due welcome e-mail; False when none is due.

    The row stays locked while the SMTP server answers and is updated in the same transaction, so
    two senders never send the same mail; a 5xx fails it for good, anything else is retried.
    """
    async with uow() as work:
        now = datetime.now(UTC)
        mail = await work.welcome_mails.next_due(now)
        if mail is None:
            return False
        rendered = templates.render(
            "welcome", first_name=mail.first_name, last_name=mail.last_name, centre=centre
        )
        message = compose(
            rendered,
            sender_name=centre.name,
            sender_email=centre.email,
            to_name=f"{mail.first_name} {mail.last_name}",
            to_email=mail.email,
            message_id_key=f"welcome.{mail.id}",
        )
        try:
            await send(message)
        except aiosmtplib.SMTPResponseException as error:
            if 500 <= error.code < 600:
                mail.failed_permanently(f"{error.code} {error.message}")
            else:
                mail.failed_temporarily(f"{error.code} {error.message}", now, max_attempts)
        except (aiosmtplib.SMTPException, OSError) as error:
            mail.failed_temporarily(repr(error), now, max_attempts)
        else:
            work.record(mail.sent(str(message["Message-ID"])))
        await work.welcome_mails.save(mail)
        await work.commit()
        return True
