"""The outbox relay: publishes committed outbox rows to JetStream, oldest first.

Each row is published with ``Nats-Msg-Id`` = its event id, so a row published twice (a crash
after the publish and before the row was marked) is stored once by JetStream. The relay survives
NATS being down: rows stay pending and are retried with back-off until the server answers. On
PostgreSQL an advisory lock lets a single replica relay at a time, which keeps the order of rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.runtime.logging import get_logger
from services.runtime.store import ReliabilityTables, utcnow

log = get_logger("reso.outbox")


class Publisher(Protocol):
    async def publish(self, message: Any, *, headers: dict[str, str] | None = ...) -> Any: ...


class OutboxRelay:
    """Publishes pending outbox rows through the service's declared publishers."""

    def __init__(
        self,
        engine: AsyncEngine,
        tables: ReliabilityTables,
        publishers: Mapping[str, Publisher],
        *,
        service: str,
        poll_seconds: float = 1.0,
        batch_size: int = 200,
        max_backoff_seconds: float = 10.0,
        keep_published: timedelta = timedelta(days=7),
        keep_processed: timedelta = timedelta(days=31),
        prune_every: timedelta = timedelta(hours=1),
    ) -> None:
        self._engine = engine
        self._table = tables.outbox
        self._publishers = publishers  # filled as the service declares its publishers
        self._poll = poll_seconds
        self._batch = batch_size
        self._max_backoff = max_backoff_seconds
        self._inbox = tables.inbox
        self._keep_published = keep_published
        self._keep_processed = keep_processed
        self._prune_every = prune_every.total_seconds()
        self._last_prune = float("-inf")
        self._lock_key = zlib.crc32(f"reso-outbox-{service}".encode())
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._failures = 0

    def notify(self) -> None:
        """Tell the relay new rows were committed (called by the unit of work)."""
        self._wake.set()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self, *, flush_timeout: float = 10.0) -> None:
        """Stop the loop, then publish what is still pending (bounded by ``flush_timeout``)."""
        if self._task is not None:
            # The flag too: on Python 3.11 wait_for() swallows a cancellation that arrives as
            # the relay is woken (a commit at shutdown), and the loop would go on for ever.
            self._stopping = True
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await asyncio.wait_for(self.drain(), flush_timeout)
        except Exception as error:  # NATS down at shutdown: rows stay pending for next start
            log.warning("outbox flush incomplete", error=repr(error))

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.drain()
                await self._maybe_prune()
                self._failures = 0
                delay = self._poll
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._failures += 1
                delay = min(self._max_backoff, 0.2 * 2**self._failures)
                log.warning("outbox relay failed, will retry", error=repr(error), retry_in=delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()

    async def _maybe_prune(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() - self._last_prune >= self._prune_every:
            self._last_prune = loop.time()
            await self.prune()

    async def prune(self) -> tuple[int, int]:
        """Delete published outbox rows (they carry personal data) and old inbox ids.

        Inbox ids are kept longer than events stay in the streams, so a redelivery is always
        recognised. Returns how many outbox and inbox rows were deleted.
        """
        now = utcnow()
        outbox, inbox = self._table, self._inbox
        async with self._engine.begin() as connection:
            published = await connection.execute(
                delete(outbox).where(outbox.c.published_at < now - self._keep_published)
            )
            processed = await connection.execute(
                delete(inbox).where(inbox.c.processed_at < now - self._keep_processed)
            )
        return int(published.rowcount), int(processed.rowcount)

    async def backlog(self) -> tuple[int, datetime | None]:
        """How many rows wait to be published, and when the oldest of them was written."""
        query = select(func.count(), func.min(self._table.c.created_at)).where(
            self._table.c.published_at.is_(None)
        )
        async with self._engine.connect() as connection:
            count, oldest = (await connection.execute(query)).one()
        return int(count), oldest

    async def drain(self) -> int:
        """Publish every pending row; return how many were published."""
        total = 0
        async with self._engine.connect() as lock_connection:
            if not await self._acquire(lock_connection):
                return 0
            try:
                while True:
                    published = await self._publish_batch()
                    total += published
                    if published < self._batch:
                        return total
            finally:
                await self._release(lock_connection)

    async def _acquire(self, connection: Any) -> bool:
        if connection.dialect.name != "postgresql":
            return True
        result = await connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": self._lock_key}
        )
        await connection.commit()
        return bool(result.scalar())

    async def _release(self, connection: Any) -> None:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": self._lock_key}
            )
            await connection.commit()

    async def _publish_batch(self) -> int:
        table = self._table
        async with self._engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(table.c.id, table.c.event_id, table.c.subject, table.c.payload)
                    .where(table.c.published_at.is_(None))
                    .order_by(table.c.id)
                    .limit(self._batch)
                )
            ).all()
            await connection.rollback()
        if not rows:
            return 0
        # Publish concurrently on one connection: NATS keeps their order on the wire.
        results = await asyncio.gather(
            *(self._publish(row.subject, row.event_id, row.payload) for row in rows),
            return_exceptions=True,
        )
        # Rows are marked by event id, never by row id: a row deleted meanwhile (an erasure
        # deletes the person's pending events) may see its id reused on SQLite.
        done = [row.event_id for row, result in zip(rows, results, strict=True) if result is None]
        failed = [
            (row.event_id, result)
            for row, result in zip(rows, results, strict=True)
            if isinstance(result, BaseException)
        ]
        async with self._engine.begin() as connection:
            if done:
                await connection.execute(
                    update(table).where(table.c.event_id.in_(done)).values(published_at=utcnow())
                )
            for event_id, error in failed:
                await connection.execute(
                    update(table)
                    .where(table.c.event_id == event_id)
                    .values(attempts=table.c.attempts + 1, last_error=repr(error)[:1000])
                )
        if failed:
            raise failed[0][1]
        return len(done)

    async def _publish(self, subject: str, event_id: str, payload: str) -> None:
        publisher = self._publishers.get(subject)
        if publisher is None:
            raise LookupError(f"no declared publisher for {subject}")
        await publisher.publish(
            payload.encode(),
            headers={"Nats-Msg-Id": event_id, "content-type": "application/json"},
        )
