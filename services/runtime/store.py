"""Outbox and inbox tables, and the unit of work every service's store builds on.

A unit of work is one database transaction. What a handler changes and the events it records are
written together: ``commit()`` inserts one outbox row per event in the same transaction, then
wakes the relay. A consumer ``claim``s an event id in the inbox in the same transaction as its
effect, so a redelivered message has no second effect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    insert,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.types import TypeDecorator

from contracts.base import Event
from services.runtime.db import WRITE_TRANSACTION

# BIGINT on PostgreSQL, INTEGER (the rowid alias, so autoincrement works) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as an aware datetime (SQLite drops tz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: use aware UTC datetimes")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("subject", String(255), nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("published_at", UtcDateTime(), nullable=True),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text, nullable=True),
        Index(
            "ix_outbox_pending",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(128), nullable=False),
        Column("event_id", String(36), nullable=False),
        Column("processed_at", UtcDateTime(), nullable=False),
        PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )


class ReliabilityTables:
    """The outbox and inbox tables of one service's metadata."""

    def __init__(self, metadata: MetaData) -> None:
        self.outbox = outbox_table(metadata)
        self.inbox = inbox_table(metadata)


ToContract = Callable[[object], Event | None]
"""Maps a domain event to its wire contract; None for a domain event with no contract yet."""


class UnitOfWork:
    """One transaction: state changes, outgoing events (outbox) and processed events (inbox).

    Services subclass it to add their repositories in :meth:`_open`. Domain events recorded with
    :meth:`record` are turned into contract events by ``to_contract`` when the outbox is written.
    """

    session: AsyncSession

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tables: ReliabilityTables,
        *,
        to_contract: ToContract,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._tables = tables
        self._to_contract = to_contract
        self._on_commit = on_commit
        self._recorded: list[object] = []
        self.published: list[Event] = []

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        # Serialises units of work on SQLite (BEGIN IMMEDIATE); no effect on PostgreSQL.
        await self.session.connection(execution_options=WRITE_TRANSACTION)
        self._recorded = []
        self.published = []
        self._open()
        return self

    def _open(self) -> None:
        """Create repositories on ``self.session``; overridden by services."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()

    @property
    def dialect(self) -> str:
        """``postgresql`` or ``sqlite``: repositories use it for dialect-specific locking."""
        return self.session.get_bind().dialect.name

    def record(self, domain_event: object) -> None:
        """Record a domain event; it is written to the outbox on commit."""
        self._recorded.append(domain_event)

    async def claim(self, consumer: str, event_id: str) -> bool:
        """Record that ``consumer`` processes ``event_id``; False if it already did.

        The claim commits or rolls back with the effect, so it is exactly-once per consumer.
        """
        dialect = self.dialect
        values = {"consumer": consumer, "event_id": event_id, "processed_at": utcnow()}
        statement: Any
        if dialect == "postgresql":
            statement = pg_insert(self._tables.inbox).values(values).on_conflict_do_nothing()
        elif dialect == "sqlite":
            statement = sqlite_insert(self._tables.inbox).values(values).on_conflict_do_nothing()
        else:  # pragma: no cover - only the two dialects above are supported
            raise RuntimeError(f"unsupported dialect {dialect}")
        result = await self.session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def commit(self) -> None:
        events = [
            event
            for event in (self._to_contract(domain_event) for domain_event in self._recorded)
            if event is not None
        ]
        if events:
            now = utcnow()
            await self.session.execute(
                insert(self._tables.outbox),
                [
                    {
                        "event_id": str(event.event_id),
                        "subject": event.subject,
                        "payload": event.model_dump_json(),
                        "created_at": now,
                    }
                    for event in events
                ],
            )
        await self.session.commit()
        self._recorded = []
        self.published = events
        if events and self._on_commit is not None:
            self._on_commit()
