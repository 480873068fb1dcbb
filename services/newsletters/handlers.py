"""Use cases of the newsletters service: plain async functions over a unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.message import EmailMessage

import aiosmtplib
from jinja2 import TemplateError

from contracts.members import MemberRegisteredV1, PersonErasedV1
from services.newsletters.domain import DeliveryStatus, WelcomeMail
from services.newsletters.mailer import Templates, compose
from services.newsletters.store import NewslettersUnitOfWork
from services.runtime.logging import get_logger
from services.runtime.settings import CentreSettings

UowFactory = Callable[[], NewslettersUnitOfWork]
Send = Callable[[EmailMessage], Awaitable[None]]

CONSUMER_WELCOME = "newsletters.welcome"
CONSUMER_ERASURE = "newsletters.erasure"

log = get_logger("reso.newsletters")


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


async def on_person_erased(event: PersonErasedV1, uow: UowFactory) -> int:
    """Erase what newsletters holds on the person (once); returns how many rows were deleted."""
    async with uow() as work:
        if not await work.claim(CONSUMER_ERASURE, str(event.event_id)):
            return 0
        deleted = await work.welcome_mails.erase_person(event.person_id)
        await work.commit()
    log.info("person erased", person_id=str(event.person_id), rows=deleted)
    return deleted


async def send_next_welcome(
    uow: UowFactory,
    send: Send,
    templates: Templates,
    centre: CentreSettings,
    *,
    max_attempts: int,
) -> bool:
    """Send the oldest due welcome e-mail; False when none is due.

    The mail is claimed in a short transaction (a lease, so two senders never take it at once),
    sent outside any transaction, then its outcome is saved with the WelcomeMailSent event. A 5xx
    or a message that cannot be built fails that mail for good; other errors are retried later.
    """
    now = datetime.now(UTC)
    async with uow() as work:
        mail = await work.welcome_mails.next_due(now)
        if mail is None:
            return False
        mail.claim(now)
        await work.welcome_mails.save(mail)
        await work.commit()

    event = None
    try:
        message = compose(
            templates.render(
                "welcome", first_name=mail.first_name, last_name=mail.last_name, centre=centre
            ),
            sender_name=centre.name,
            sender_email=centre.email,
            to_name=f"{mail.first_name} {mail.last_name}",
            to_email=mail.email,
            message_id_key=f"welcome.{mail.id}",
        )
    except (ValueError, TypeError, LookupError, TemplateError) as error:
        log.error("welcome mail cannot be built", mail_id=str(mail.id), error=repr(error))
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

    async with uow() as work:
        if event is not None:
            work.record(event)
        await work.welcome_mails.save(mail)
        await work.commit()
    return True
