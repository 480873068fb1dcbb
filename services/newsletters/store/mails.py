"""The transactional mails: every mail owed, being sent, or settled."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.newsletters.domain import DeliveryStatus, MailKind, TransactionalMail
from services.newsletters.store.schema import DUE, transactional_mails
from services.runtime.store import utcnow


def _mail(row: Any) -> TransactionalMail:
    return TransactionalMail(
        id=uuid.UUID(row.id),
        kind=MailKind(row.kind),
        dedupe_key=row.dedupe_key,
        email=row.email,
        name=row.name,
        person_id=uuid.UUID(row.person_id) if row.person_id else None,
        data=json.loads(row.data),
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        expires_at=row.expires_at,
        message_id=row.message_id,
        last_error=row.last_error,
    )


class MailRepository:
    """Every transactional mail owed, being sent, or settled (sent, failed, expired)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, mail: TransactionalMail) -> bool:
        """Insert unless a mail with the same dedupe key exists; True if inserted.

        ``ON CONFLICT DO NOTHING`` on the unique key: a concurrent duplicate (another replica,
        a redelivery) waits for the first and then inserts nothing, on both databases.
        """
        values = {
            "id": str(mail.id),
            "kind": mail.kind.value,
            "dedupe_key": mail.dedupe_key,
            "person_id": str(mail.person_id) if mail.person_id else None,
            "email": mail.email,
            "name": mail.name,
            "data": json.dumps(mail.data, ensure_ascii=False),
            "status": mail.status.value,
            "attempts": mail.attempts,
            "next_attempt_at": mail.next_attempt_at,
            "expires_at": mail.expires_at,
            "created_at": utcnow(),
        }
        insert = pg_insert if self._dialect == "postgresql" else sqlite_insert
        result = await self._session.execute(
            insert(transactional_mails)
            .values(values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def next_due(self, now: datetime) -> TransactionalMail | None:
        """The oldest mail due (pending, or claimed by a sender whose lease ran out), locked
        for this transaction."""
        statement = (
            select(transactional_mails)
            .where(text(DUE))
            .where(transactional_mails.c.next_attempt_at <= now)
            .order_by(transactional_mails.c.next_attempt_at)
            .limit(1)
        )
        if self._dialect == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        row = (await self._session.execute(statement)).first()
        return _mail(row) if row else None

    async def save(self, mail: TransactionalMail) -> None:
        """Write what sending changed (status, attempts, lease, outcome, data once settled)."""
        await self._session.execute(
            update(transactional_mails)
            .where(transactional_mails.c.id == str(mail.id))
            .values(
                status=mail.status.value,
                attempts=mail.attempts,
                next_attempt_at=mail.next_attempt_at,
                message_id=mail.message_id,
                last_error=mail.last_error,
                data=json.dumps(mail.data, ensure_ascii=False),
                sent_at=utcnow() if mail.status is DeliveryStatus.SENT else None,
            )
        )

    async def of_person(self, person_id: uuid.UUID) -> list[dict[str, Any]]:
        """What a person may see of the mails owed or sent to them (no link, no template data:
        the links are credentials, and are gone once a mail is settled anyway)."""
        rows = await self._session.execute(
            select(
                transactional_mails.c.kind,
                transactional_mails.c.email,
                transactional_mails.c.name,
                transactional_mails.c.status,
                transactional_mails.c.created_at,
                transactional_mails.c.sent_at,
                transactional_mails.c.message_id,
            )
            .where(transactional_mails.c.person_id == str(person_id))
            .order_by(transactional_mails.c.created_at)
        )
        return [
            {
                "kind": row.kind,
                "to": row.email,
                "name": row.name,
                "status": row.status,
                "created_at": row.created_at.isoformat(),
                "sent_at": row.sent_at.isoformat() if row.sent_at else None,
                "message_id": row.message_id,
            }
            for row in rows
        ]

    async def erase_person(self, person_id: uuid.UUID) -> int:
        """Delete every mail owed or sent to the person, whatever its kind; returns how many."""
        result = await self._session.execute(
            delete(transactional_mails).where(transactional_mails.c.person_id == str(person_id))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def emails_of_person(self, person_id: uuid.UUID) -> set[str]:
        """The addresses mails to the person went to (how newsletters knows a person's
        address, to erase their subscriptions with them)."""
        rows = await self._session.execute(
            select(transactional_mails.c.email)
            .where(transactional_mails.c.person_id == str(person_id))
            .distinct()
        )
        return set(rows.scalars())

    async def erase_email(self, email: str) -> int:
        """Delete every mail to the address, whoever it was for; returns how many."""
        result = await self._session.execute(
            delete(transactional_mails).where(
                func.lower(transactional_mails.c.email) == email.strip().lower()
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    @property
    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name
