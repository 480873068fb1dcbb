"""Tables, repositories and the unit of work of the newsletters service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.base import Event
from contracts.newsletters import WelcomeMailSentV1
from services.newsletters.domain import DeliveryStatus, WelcomeMail, WelcomeMailSent
from services.runtime.settings import CentreSettings
from services.runtime.store import ReliabilityTables, UnitOfWork, UtcDateTime, utcnow

metadata = MetaData()
reliability = ReliabilityTables(metadata)

welcome_mails = Table(
    "welcome_mails",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("person_id", String(36), nullable=False, unique=True),
    Column("email", String(254), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False, index=True),
    Column("message_id", String(255), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
)


def _welcome(row: Any) -> WelcomeMail:
    return WelcomeMail(
        id=uuid.UUID(row.id),
        person_id=uuid.UUID(row.person_id),
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        message_id=row.message_id,
        last_error=row.last_error,
    )


class WelcomeMailRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, mail: WelcomeMail) -> bool:
        """Insert unless this person already has a welcome mail; True if inserted."""
        exists = (
            await self._session.execute(
                select(welcome_mails.c.id).where(welcome_mails.c.person_id == str(mail.person_id))
            )
        ).first()
        if exists:
            return False
        await self._session.execute(
            insert(welcome_mails).values(
                id=str(mail.id),
                person_id=str(mail.person_id),
                email=mail.email,
                first_name=mail.first_name,
                last_name=mail.last_name,
                status=mail.status.value,
                attempts=mail.attempts,
                next_attempt_at=mail.next_attempt_at,
                created_at=utcnow(),
            )
        )
        return True

    async def next_due(self, now: datetime) -> WelcomeMail | None:
        """The oldest mail due (pending, or claimed by a sender whose lease ran out), locked
        for this transaction."""
        statement = (
            select(welcome_mails)
            .where(
                welcome_mails.c.status.in_(
                    [DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]
                )
            )
            .where(welcome_mails.c.next_attempt_at <= now)
            .order_by(welcome_mails.c.next_attempt_at)
            .limit(1)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        row = (await self._session.execute(statement)).first()
        return _welcome(row) if row else None

    async def save(self, mail: WelcomeMail) -> None:
        await self._session.execute(
            update(welcome_mails)
            .where(welcome_mails.c.id == str(mail.id))
            .values(
                status=mail.status.value,
                attempts=mail.attempts,
                next_attempt_at=mail.next_attempt_at,
                message_id=mail.message_id,
                last_error=mail.last_error,
                sent_at=utcnow() if mail.status is DeliveryStatus.SENT else None,
            )
        )

    async def erase_person(self, person_id: uuid.UUID) -> int:
        """Delete every welcome mail owed or sent to the person; returns how many."""
        result = await self._session.execute(
            delete(welcome_mails).where(welcome_mails.c.person_id == str(person_id))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def contract_mapper(centre: CentreSettings) -> Any:
    def to_contract(domain_event: object) -> Event:
        if isinstance(domain_event, WelcomeMailSent):
            return WelcomeMailSentV1(
                producer="newsletters",
                centre=centre.slug,
                person_id=domain_event.person_id,
                message_id=domain_event.message_id,
            )
        raise TypeError(f"no contract for {type(domain_event).__name__}")

    return to_contract


class NewslettersUnitOfWork(UnitOfWork):
    welcome_mails: WelcomeMailRepository

    def _open(self) -> None:
        self.welcome_mails = WelcomeMailRepository(self.session)
