"""Alembic migrations, one history per service.

Each service keeps its revisions in ``services/<name>/migrations`` and its own version table
(``alembic_version_<name>``), so several services may share one PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import zlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from services.runtime.db import create_engine


def alembic_config(service: str, database_url: str) -> Config:
    package_dir = Path(__file__).resolve().parent.parent / service
    config = Config()
    config.set_main_option("script_location", str(package_dir / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["service"] = service
    return config


def upgrade_sync(service: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, database_url), revision)


async def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    """Apply ``service``'s migrations (runs Alembic in a worker thread)."""
    await asyncio.to_thread(upgrade_sync, service, database_url, revision)


def migration_lock_key(service: str) -> int:
    """The PostgreSQL advisory lock taken while ``service``'s migrations run."""
    return zlib.crc32(f"reso-migrate-{service}".encode())


def run_env(metadata: MetaData) -> None:
    """Body of every service's ``migrations/env.py`` (online mode, async engine)."""
    config = context.config
    url: str = config.attributes["database_url"]
    service: str = config.attributes["service"]
    version_table = f"alembic_version_{service}"

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=version_table,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Replicas starting together (init containers) migrate one after the other: the
                # next one reads the version once the lock is released, and has nothing to do.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": migration_lock_key(service)}
                )
            context.run_migrations()

    async def run() -> None:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(do_run)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())


def create_reliability_tables() -> None:
    """Create the outbox and inbox tables; call from a service's first revision."""
    import sqlalchemy as sa
    from alembic import op

    from services.runtime.store import BigId

    op.create_table(
        "outbox",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["id"],
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(128), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )
