"""Sends, their deliveries (the audience frozen at send time) and what bounces told."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.newsletters import SendStatus
from services.newsletters.domain.sending import Delivery, DeliveryState, Recipient, Send
from services.newsletters.store.schema import (
    address_bounces,
    bounce_reports,
    issue_deliveries,
    sends,
)

_FREEZE_CHUNK = 1000


def _send(row: Any) -> Send:
    return Send(
        id=uuid.UUID(row.id),
        issue_id=uuid.UUID(row.issue_id),
        letter=row.letter,
        status=SendStatus(row.status),
        total=row.total,
        rate_per_second=row.rate_per_second,
        rate_per_hour=row.rate_per_hour,
        started_at=row.started_at,
        started_by=row.started_by,
        consecutive_errors=row.consecutive_errors,
        paused_reason=row.paused_reason,
        finished_at=row.finished_at,
        cancelled_by=row.cancelled_by,
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=uuid.UUID(row.id),
        send_id=uuid.UUID(row.send_id),
        recipient=Recipient(
            subscriber_id=uuid.UUID(row.subscriber_id),
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
        ),
        state=DeliveryState(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        message_id=row.message_id,
    )


@dataclass(frozen=True)
class Counts:
    """A send's deliveries by state, and how many were sent lately (for its rate)."""

    by_state: dict[str, int]
    sent_last_minute: int

    def get(self, state: DeliveryState) -> int:
        return self.by_state.get(state.value, 0)


class SendRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @property
    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name

    def _insert(self, table: Any) -> Any:
        return (pg_insert if self._dialect == "postgresql" else sqlite_insert)(table)

    # --- sends --------------------------------------------------------------------------------

    async def add(self, send: Send) -> bool:
        """Insert the send unless its issue has one already (unique ``issue_id``)."""
        result = await self._session.execute(
            self._insert(sends)
            .values(
                id=str(send.id),
                issue_id=str(send.issue_id),
                letter=send.letter,
                status=send.status.value,
                total=send.total,
                rate_per_second=send.rate_per_second,
                rate_per_hour=send.rate_per_hour,
                consecutive_errors=send.consecutive_errors,
                paused_reason=send.paused_reason,
                started_by=send.started_by,
                started_at=send.started_at,
                finished_at=send.finished_at,
            )
            .on_conflict_do_nothing(index_elements=["issue_id"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, send_id: uuid.UUID, *, lock: bool = False) -> Send | None:
        statement = select(sends).where(sends.c.id == str(send_id))
        if lock and self._dialect == "postgresql":
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        return _send(row) if row else None

    async def of_issue(self, issue_id: uuid.UUID) -> Send | None:
        row = (
            await self._session.execute(select(sends).where(sends.c.issue_id == str(issue_id)))
        ).first()
        return _send(row) if row else None

    async def active(self) -> list[Send]:
        """The sends workers take deliveries of, oldest first."""
        rows = await self._session.execute(
            select(sends)
            .where(sends.c.status == SendStatus.SENDING.value)
            .order_by(sends.c.started_at)
        )
        return [_send(row) for row in rows]

    async def save(self, send: Send) -> None:
        await self._session.execute(
            update(sends)
            .where(sends.c.id == str(send.id))
            .values(
                status=send.status.value,
                total=send.total,
                consecutive_errors=send.consecutive_errors,
                paused_reason=send.paused_reason,
                finished_at=send.finished_at,
                cancelled_by=send.cancelled_by,
            )
        )

    async def reserve_slots(
        self, send_id: uuid.UUID, count: int, now: datetime
    ) -> tuple[datetime, float] | None:
        """Reserve the send's next ``count`` slots of its per-second rate, for every replica at
        once: from its next free slot (or ``now``, if that is past), one every
        ``1 / rate_per_second``. Returns the first slot and the rate (None: no such send).

        The send's row is locked (``FOR UPDATE`` on PostgreSQL, the unit of work's write lock
        on SQLite), so two replicas never get the same slot."""
        statement = select(sends.c.next_slot_at, sends.c.rate_per_second).where(
            sends.c.id == str(send_id)
        )
        if self._dialect == "postgresql":
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        if row is None:
            return None
        rate = float(row.rate_per_second)
        start = max(now, row.next_slot_at) if row.next_slot_at is not None else now
        await self._session.execute(
            update(sends)
            .where(sends.c.id == str(send_id))
            .values(next_slot_at=start + timedelta(seconds=count / rate))
        )
        return start, rate

    # --- deliveries ---------------------------------------------------------------------------

    async def freeze(
        self, send_id: uuid.UUID, recipients: Iterable[Recipient], now: datetime
    ) -> int:
        """One pending delivery per recipient (a recipient listed twice gets one: the unique
        (send, subscriber) key); returns how many deliveries the send has."""
        chunk: list[dict[str, Any]] = []
        statement = self._insert(issue_deliveries).on_conflict_do_nothing(
            index_elements=["send_id", "subscriber_id"]
        )
        for recipient in recipients:
            chunk.append(
                {
                    "id": str(uuid.uuid4()),
                    "send_id": str(send_id),
                    "subscriber_id": str(recipient.subscriber_id),
                    "email": recipient.email,
                    "first_name": recipient.first_name,
                    "last_name": recipient.last_name,
                    "status": DeliveryState.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                }
            )
            if len(chunk) >= _FREEZE_CHUNK:
                await self._session.execute(statement, chunk)
                chunk = []
        if chunk:
            await self._session.execute(statement, chunk)
        return await self._count_all(str(send_id))

    async def _count_all(self, send_id: str) -> int:
        return int(
            await self._session.scalar(
                select(func.count())
                .select_from(issue_deliveries)
                .where(issue_deliveries.c.send_id == send_id)
            )
            or 0
        )

    async def in_window(self, send_id: uuid.UUID, since: datetime) -> int:
        """Deliveries of the send sent since ``since``, or being sent now (the hourly window,
        counted in the database so that every replica sees the same)."""
        return int(
            await self._session.scalar(
                select(func.count())
                .select_from(issue_deliveries)
                .where(issue_deliveries.c.send_id == str(send_id))
                .where(
                    or_(
                        issue_deliveries.c.sent_at >= since,
                        issue_deliveries.c.status == DeliveryState.SENDING.value,
                    )
                )
            )
            or 0
        )

    async def leased(self, send_id: uuid.UUID, now: datetime) -> int:
        """Deliveries of the send held by a worker whose lease still runs."""
        return int(
            await self._session.scalar(
                select(func.count())
                .select_from(issue_deliveries)
                .where(issue_deliveries.c.send_id == str(send_id))
                .where(issue_deliveries.c.status == DeliveryState.SENDING.value)
                .where(issue_deliveries.c.next_attempt_at > now)
            )
            or 0
        )

    async def claim(
        self, send_id: uuid.UUID, now: datetime, lease: timedelta, limit: int
    ) -> list[Delivery]:
        """Take up to ``limit`` due deliveries of the send (pending and due, or being sent by a
        worker whose lease ran out) and lease them to this worker.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so replicas claim disjoint batches. SQLite: the
        unit of work holds the write lock (``BEGIN IMMEDIATE``) from the read to the commit.

        Ordered by ``next_attempt_at`` alone, the order of the due index
        (``ix_issue_deliveries_due``): a tie-break on ``id`` made the database sort every due
        delivery of the send (all of them share the freezing time) for each batch.
        """
        if limit <= 0:
            return []
        statement = (
            select(issue_deliveries)
            .where(issue_deliveries.c.send_id == str(send_id))
            .where(
                issue_deliveries.c.status.in_(
                    [DeliveryState.PENDING.value, DeliveryState.SENDING.value]
                )
            )
            .where(issue_deliveries.c.next_attempt_at <= now)
            .order_by(issue_deliveries.c.next_attempt_at)
            .limit(limit)
        )
        if self._dialect == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        rows = (await self._session.execute(statement)).all()
        if not rows:
            return []
        claimed = [_delivery(row) for row in rows]
        until = now + lease
        await self._session.execute(
            update(issue_deliveries)
            .where(issue_deliveries.c.id.in_([str(d.id) for d in claimed]))
            .values(
                status=DeliveryState.SENDING.value,
                attempts=issue_deliveries.c.attempts + 1,
                next_attempt_at=until,
            )
        )
        for delivery in claimed:
            delivery.state = DeliveryState.SENDING
            delivery.attempts += 1
            delivery.next_attempt_at = until
        return claimed

    async def settle(self, deliveries: Sequence[Delivery], now: datetime) -> None:
        """Write each delivery's outcome (sent, failed, back to pending, cancelled)."""
        if not deliveries:
            return
        statement = (
            update(issue_deliveries)
            .where(issue_deliveries.c.id == bindparam("b_id"))
            .values(
                status=bindparam("b_status"),
                next_attempt_at=bindparam("b_next"),
                last_error=bindparam("b_error"),
                message_id=bindparam("b_message_id"),
                sent_at=bindparam("b_sent_at"),
            )
        )
        await self._session.execute(
            statement,
            [
                {
                    "b_id": str(d.id),
                    "b_status": d.state.value,
                    "b_next": d.next_attempt_at,
                    "b_error": d.last_error,
                    "b_message_id": d.message_id,
                    "b_sent_at": now if d.state is DeliveryState.SENT else None,
                }
                for d in deliveries
            ],
        )

    async def cancel_unsent(self, send_id: uuid.UUID, now: datetime) -> int:
        """Cancel every delivery of the send not sent yet, except those a live worker holds
        (they settle as they come back: a message in flight cannot be taken back)."""
        result = await self._session.execute(
            update(issue_deliveries)
            .where(issue_deliveries.c.send_id == str(send_id))
            .where(
                or_(
                    issue_deliveries.c.status == DeliveryState.PENDING.value,
                    and_(
                        issue_deliveries.c.status == DeliveryState.SENDING.value,
                        issue_deliveries.c.next_attempt_at <= now,
                    ),
                )
            )
            .values(status=DeliveryState.CANCELLED.value, last_error="envoi annulé")
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def cancelled_sends_with_stale_leases(self, now: datetime) -> list[uuid.UUID]:
        """Cancelled sends some of whose deliveries a worker held when it died (from the sends,
        each looked up in the deliveries' (send, status) index: never a scan of every delivery
        ever made)."""
        stale = (
            select(issue_deliveries.c.id)
            .where(issue_deliveries.c.send_id == sends.c.id)
            .where(issue_deliveries.c.status == DeliveryState.SENDING.value)
            .where(issue_deliveries.c.next_attempt_at <= now)
        )
        rows = await self._session.execute(
            select(sends.c.id)
            .where(sends.c.status == SendStatus.CANCELLED.value)
            .where(stale.exists())
        )
        return [uuid.UUID(value) for value in rows.scalars()]

    async def counts(self, send_id: uuid.UUID, now: datetime) -> Counts:
        rows = await self._session.execute(
            select(issue_deliveries.c.status, func.count())
            .where(issue_deliveries.c.send_id == str(send_id))
            .group_by(issue_deliveries.c.status)
        )
        recent = await self._session.scalar(
            select(func.count())
            .select_from(issue_deliveries)
            .where(issue_deliveries.c.send_id == str(send_id))
            .where(issue_deliveries.c.sent_at >= now - timedelta(minutes=1))
        )
        return Counts({status: int(n) for status, n in rows}, int(recent or 0))

    async def has_unsettled(self, send_id: uuid.UUID) -> bool:
        """Whether a delivery of the send is still pending or being sent (stops at the first
        found, where counting them read every one after each batch)."""
        found = await self._session.scalar(
            select(issue_deliveries.c.id)
            .where(issue_deliveries.c.send_id == str(send_id))
            .where(
                issue_deliveries.c.status.in_(
                    [DeliveryState.PENDING.value, DeliveryState.SENDING.value]
                )
            )
            .limit(1)
        )
        return found is not None

    async def unsettled(self, send_id: uuid.UUID) -> int:
        return int(
            await self._session.scalar(
                select(func.count())
                .select_from(issue_deliveries)
                .where(issue_deliveries.c.send_id == str(send_id))
                .where(
                    issue_deliveries.c.status.in_(
                        [DeliveryState.PENDING.value, DeliveryState.SENDING.value]
                    )
                )
            )
            or 0
        )

    # --- bounces ------------------------------------------------------------------------------

    async def first_report(self, report_id: str, now: datetime) -> bool:
        """Note a bounce report as read; False if it was read before."""
        result = await self._session.execute(
            self._insert(bounce_reports)
            .values(report_id=report_id[:255], received_at=now)
            .on_conflict_do_nothing(index_elements=["report_id"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def bounce(
        self,
        key: str,
        *,
        hard: bool,
        status: str,
        diagnostic: str,
        soft_threshold: int,
        now: datetime,
    ) -> bool:
        """Count a bounce of the address; True when it is (now) undeliverable."""
        row = (
            await self._session.execute(
                select(address_bounces).where(address_bounces.c.email_key == key)
            )
        ).first()
        soft = (row.soft_bounces if row else 0) + (0 if hard else 1)
        undeliverable_at = row.undeliverable_at if row else None
        if undeliverable_at is None and (hard or soft >= soft_threshold):
            undeliverable_at = now
        values = {
            "soft_bounces": soft,
            "undeliverable_at": undeliverable_at,
            "last_status": status[:16],
            "last_diagnostic": diagnostic,
            "updated_at": now,
        }
        if row is None:
            await self._session.execute(
                self._insert(address_bounces)
                .values(email_key=key, **values)
                .on_conflict_do_nothing(index_elements=["email_key"])
            )
        else:
            await self._session.execute(
                update(address_bounces).where(address_bounces.c.email_key == key).values(values)
            )
        return undeliverable_at is not None

    async def undeliverable(self, keys: Iterable[str]) -> set[str]:
        """Which of these addresses (case-folded) are undeliverable."""
        wanted = list(set(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), _FREEZE_CHUNK):
            rows = await self._session.execute(
                select(address_bounces.c.email_key)
                .where(address_bounces.c.email_key.in_(wanted[start : start + _FREEZE_CHUNK]))
                .where(address_bounces.c.undeliverable_at.is_not(None))
            )
            found.update(rows.scalars())
        return found

    async def bounce_record(self, key: str) -> dict[str, Any] | None:
        row = (
            await self._session.execute(
                select(address_bounces).where(address_bounces.c.email_key == key)
            )
        ).first()
        return dict(row._mapping) if row else None

    async def erase_email(self, email: str) -> int:
        """Delete every delivery to the address and what bounces said of it."""
        key = email.strip().casefold()
        await self._session.execute(
            delete(address_bounces).where(address_bounces.c.email_key == key)
        )
        result = await self._session.execute(
            delete(issue_deliveries).where(func.lower(issue_deliveries.c.email) == key)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
