"""The newsletters service's store and sender driven directly (no NATS), and its mails as
receivers get them: for unit tests of the handlers and the rendering."""

from __future__ import annotations

import email
import email.policy
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.newsletters import handlers
from services.newsletters.domain import MailKind, TransactionalMail
from services.newsletters.mailer import Mailer, Templates
from services.newsletters.settings import DEFAULT_DUES_PAYMENT_INSTRUCTIONS
from services.newsletters.store import (
    NewslettersUnitOfWork,
    contract_mapper,
    reliability,
    transactional_mails,
)
from services.runtime.db import create_engine, session_factory
from services.runtime.migrations import upgrade
from services.runtime.settings import CentreSettings
from tests.support import event_facts
from tests.support.factories import unique_email
from tests.support.smtp import FakeSmtp


def mailer(centre: CentreSettings, payment: str = DEFAULT_DUES_PAYMENT_INSTRUCTIONS) -> Mailer:
    return Mailer(Templates(), centre, dues_payment_instructions=payment)


def owed(
    kind: MailKind = MailKind.WELCOME,
    *,
    data: dict[str, Any] | None = None,
    name: str = "Camille Martin",
    address: str | None = None,
    expires_at: datetime | None = None,
    mail_id: uuid.UUID | None = None,
) -> TransactionalMail:
    """A mail owed, as the store holds it before it is sent."""
    return TransactionalMail(
        id=mail_id or uuid.uuid4(),
        kind=kind,
        dedupe_key=f"test:{uuid.uuid4()}",
        email=address or unique_email(),
        name=name,
        person_id=uuid.uuid4(),
        data=data if data is not None else {"first_name": "Camille", "last_name": "Martin"},
        next_attempt_at=datetime.now(UTC),
        expires_at=expires_at,
    )


def event_mails() -> dict[MailKind, TransactionalMail]:
    """One mail of each kind the events service's facts call for, as the store holds it before
    it is sent (built from facts by the handlers' own mapping)."""
    samples: list[Any] = [
        event_facts.confirmed(),
        event_facts.promoted(),
        event_facts.waitlisted(),
        event_facts.offered(),
        event_facts.cancelled(ics=event_facts.calendar("CANCEL")),
        event_facts.changed(),
        event_facts.reminder(),
        event_facts.event_updated(event_facts.registrant()),
        event_facts.event_cancelled(event_facts.registrant()),
        event_facts.application_submitted(),
        event_facts.application_decided(),
    ]
    return {mail.kind: mail for fact in samples for mail in handlers.mails_for(fact)}


def as_received(message: EmailMessage) -> EmailMessage:
    """The message as the SMTP server receives it: serialised, then parsed back."""
    received = email.message_from_bytes(bytes(message), policy=email.policy.default)
    assert isinstance(received, EmailMessage)
    return received


def parts(message: EmailMessage) -> dict[str, str]:
    """The text and HTML bodies of a message, whether or not it carries attachments."""
    alternative = next(
        part for part in message.walk() if part.get_content_type() == "multipart/alternative"
    )
    assert isinstance(alternative, EmailMessage)
    return {part.get_content_type(): part.get_content() for part in alternative.iter_parts()}


@dataclass
class Newsletters:
    """The service's database and handlers, with a fake SMTP server in place of the real one."""

    engine: AsyncEngine
    uow: handlers.UowFactory
    centre: CentreSettings

    async def send_next(self, smtp: FakeSmtp, *, max_attempts: int = 8) -> bool:
        return await handlers.send_next_mail(
            self.uow, smtp.send, mailer(self.centre), max_attempts=max_attempts
        )

    async def send_all(self, smtp: FakeSmtp) -> int:
        sent = 0
        while await self.send_next(smtp):
            sent += 1
        return sent

    async def rows(self, **where: Any) -> list[Any]:
        """Rows of ``transactional_mails`` whose columns equal the given values."""
        statement = select(transactional_mails).order_by(transactional_mails.c.created_at)
        for column, value in where.items():
            statement = statement.where(transactional_mails.c[column] == value)
        async with self.engine.connect() as connection:
            return list((await connection.execute(statement)).all())

    async def outbox_subjects(self) -> list[str]:
        outbox = reliability.outbox
        async with self.engine.connect() as connection:
            return list((await connection.execute(select(outbox.c.subject))).scalars())


@asynccontextmanager
async def newsletters_on(url: str, centre: CentreSettings) -> AsyncIterator[Newsletters]:
    """The newsletters database at ``url``, migrated, with units of work and no relay."""
    await upgrade("newsletters", url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    to_contract = contract_mapper(centre)

    def uow() -> NewslettersUnitOfWork:
        return NewslettersUnitOfWork(sessions, reliability, to_contract=to_contract)

    try:
        yield Newsletters(engine, uow, centre)
    finally:
        await engine.dispose()
