"""The members service's tables (one metadata for Alembic)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from services.runtime.store import BigId, ReliabilityTables, UtcDateTime

metadata = MetaData()
reliability = ReliabilityTables(metadata)

people = Table(
    "people",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False, unique=True),
    Column("registered_at", UtcDateTime(), nullable=False),
    Column("erased_at", UtcDateTime(), nullable=True),
)


organisations = Table(
    "organisations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(32), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("siren", String(9), nullable=True, unique=True),
    Column("street", String(200), nullable=False),
    Column("postcode", String(10), nullable=False),
    Column("city", String(100), nullable=False),
    Column("region", String(3), nullable=True, index=True),
    Column("department", String(3), nullable=True, index=True),
    Column("commune", String(5), nullable=True, index=True),
    Column("epci", String(9), nullable=True, index=True),
    Column("college", String(32), nullable=False, index=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(254), nullable=False),
    Column("archived_at", UtcDateTime(), nullable=True),
)

organisation_qpvs = Table(
    "organisation_qpvs",
    metadata,
    Column(
        "organisation_id",
        String(36),
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("qpv_code", String(8), primary_key=True, index=True),
)

memberships = Table(
    "memberships",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("member_type", String(16), nullable=False),
    Column("member_id", String(36), nullable=False, index=True),
    Column("year", Integer, nullable=False, index=True),
    Column("dues", Numeric(10, 2), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("waived", Boolean, nullable=False),
    Column("receipt_number", String(16), nullable=True, unique=True),
    UniqueConstraint("member_type", "member_id", "year", name="uq_membership_member_year"),
)

membership_payments = Table(
    "membership_payments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "membership_id",
        String(36),
        ForeignKey("memberships.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("amount", Numeric(10, 2), nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("method", String(32), nullable=False),
    Column("reference", String(100), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(254), nullable=False),
)

membership_history = Table(
    "membership_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "membership_id",
        String(36),
        ForeignKey("memberships.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("at", UtcDateTime(), nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("by", String(254), nullable=True),
)

receipt_counters = Table(
    "receipt_counters",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last", Integer, nullable=False),
)

affiliations = Table(
    "affiliations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("person_id", String(36), ForeignKey("people.id"), nullable=False, index=True),
    Column(
        "organisation_id", String(36), ForeignKey("organisations.id"), nullable=False, index=True
    ),
    Column("role", String(100), nullable=False),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=True),
)

network_memberships = Table(
    "network_memberships",
    metadata,
    Column("network_slug", String(80), primary_key=True),
    Column("person_id", String(36), ForeignKey("people.id"), primary_key=True),
    Column("status", String(16), nullable=False, index=True),
)

network_history = Table(
    "network_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("network_slug", String(80), nullable=False),
    Column("person_id", String(36), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=False),
    Column("by", String(254), nullable=True),
    Column("reason", Text, nullable=True),
    Index("ix_network_history_member", "network_slug", "person_id"),
)

network_correspondents = Table(
    "network_correspondents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("network_slug", String(80), nullable=False),
    Column("person_id", String(36), ForeignKey("people.id"), nullable=False, index=True),
    Column("territory_kind", String(16), nullable=False),
    Column("territory_code", String(9), nullable=False),
    Column("since", Date, nullable=False),
    Column("until", Date, nullable=True),
    Column("appointed_at", UtcDateTime(), nullable=False),
    Column("appointed_by", String(254), nullable=False),
    Column("ended_by", String(254), nullable=True),
    Index(
        "ix_network_correspondents_territory", "network_slug", "territory_kind", "territory_code"
    ),
)
