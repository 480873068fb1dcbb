"""The dataquartiers service's tables (one metadata for Alembic).

Raw values (``indicator_values``) never leave the service; every query reads
``published_values``, which publication fills through statistical secrecy.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from services.runtime.store import BigId, ReliabilityTables, UtcDateTime

metadata = MetaData()
reliability = ReliabilityTables(metadata)

datasets = Table(
    "datasets",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("provenance", Text, nullable=False, server_default=""),
    Column("status", String(16), nullable=False, index=True),
    Column("indicators", Text, nullable=False),  # JSON list of ids
    Column("vintages", Text, nullable=False),  # JSON list of years
    Column("value_count", Integer, nullable=False),
    Column("summary", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(254), nullable=False),
    Column("published_at", UtcDateTime(), nullable=True),
    Column("published_by", String(254), nullable=True),
    Column("access", String(16), nullable=False, server_default="open"),  # or "restricted"
)

VALUE_COLUMNS = ("dataset_id", "indicator", "vintage", "level", "code", "value", "base", "largest")

indicator_values = Table(
    "indicator_values",
    metadata,
    Column("dataset_id", String(36), ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    Column("indicator", String(64), nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("level", String(16), nullable=False),
    Column("code", String(16), nullable=False),
    Column("value", Double(), nullable=False),
    Column("base", Double(), nullable=True),
    Column("largest", Double(), nullable=True),
    PrimaryKeyConstraint(
        "dataset_id", "indicator", "vintage", "level", "code", name="pk_indicator_values"
    ),
    Index("ix_indicator_values_table", "indicator", "vintage"),
)

published_values = Table(
    "published_values",
    metadata,
    Column("indicator", String(64), nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("level", String(16), nullable=False),
    Column("code", String(16), nullable=False),
    Column("value", Double(), nullable=True),  # NULL: hidden by statistical secrecy
    Column("reason", Text, nullable=False, server_default=""),
    Column("primary_secret", Boolean, nullable=False),
    Column("dataset_id", String(36), nullable=False),
    Column("published_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("indicator", "vintage", "level", "code", name="pk_published_values"),
    Index("ix_published_values_territory", "level", "code"),  # territory sheets (0004)
)

# --- restricted datasets (migration 0004) ------------------------------------------------------

dataset_grants = Table(
    "dataset_grants",
    metadata,
    Column("dataset_id", String(36), ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    Column("partner", String(200), nullable=False),
    Column("agreement", String(200), nullable=False),
    Column("starts_on", Date(), nullable=False),
    Column("ends_on", Date(), nullable=True),
    Column("granted_at", UtcDateTime(), nullable=False),
    Column("granted_by", String(254), nullable=False),
    PrimaryKeyConstraint("dataset_id", "partner", name="pk_dataset_grants"),
)

restricted_values = Table(
    "restricted_values",
    metadata,
    Column("dataset_id", String(36), ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    Column("indicator", String(64), nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("level", String(16), nullable=False),
    Column("code", String(16), nullable=False),
    Column("value", Double(), nullable=True),  # NULL: hidden by statistical secrecy
    Column("reason", Text, nullable=False, server_default=""),
    Column("primary_secret", Boolean, nullable=False),
    PrimaryKeyConstraint(
        "dataset_id", "indicator", "vintage", "level", "code", name="pk_restricted_values"
    ),
)
"""Published (secrecy-applied) values of restricted datasets, each dataset its own tables."""

dataset_reads = Table(
    "dataset_reads",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("reader", String(254), nullable=False),
    Column("role", String(16), nullable=False),
    Column("partner", String(200), nullable=True),
    Column("dataset_id", String(36), nullable=False),
    Column("query", Text, nullable=False),
    Column("allowed", Boolean, nullable=False),
    Column("value_count", Integer, nullable=False),
    Index("ix_dataset_reads_dataset", "dataset_id", "at"),
    Index("ix_dataset_reads_at", "at"),
)
"""Every read of a restricted dataset, allowed or refused."""
