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
    false,
    true,
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
    Column("phone", String(32), nullable=False, server_default=""),
    Column("title", String(200), nullable=False, server_default=""),
    Column("kind", String(32), nullable=False, server_default="other", index=True),
    Column(
        "college", String(32), nullable=False, server_default="acteurs_territoriaux", index=True
    ),
    Column("region", String(3), nullable=True, index=True),
    Column("department", String(3), nullable=True, index=True),
    Column("commune", String(5), nullable=True, index=True),
    Column("epci", String(9), nullable=True, index=True),
    Column("source", String(16), nullable=False, server_default="signup"),
    Column("confirmed_at", UtcDateTime(), nullable=True),
    Column("archived_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=True),
    # Folded (lower case, no accents) names and address: what a search for "lea" matches.
    Column("search_text", String(500), nullable=False, server_default=""),
)

person_qpvs = Table(
    "person_qpvs",
    metadata,
    Column("person_id", String(36), ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("qpv_code", String(8), primary_key=True, index=True),
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
    Column("email", String(254), nullable=False, server_default=""),
    Column("phone", String(32), nullable=False, server_default=""),
    Column("updated_at", UtcDateTime(), nullable=True),
    Column("search_text", String(500), nullable=False, server_default=""),
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
    # The person to mail about the organisation's membership (calls for dues).
    Column("contact", Boolean, nullable=False, server_default=false()),
    # Staff checked it; a tie a person declared themself gives no member-only access until then.
    Column("verified", Boolean, nullable=False, server_default=true()),
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

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("record_type", String(32), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("by", String(254), nullable=False),
    Column("changes", Text, nullable=False),  # JSON: {"field": [before, after]}
    Index("ix_audit_log_record", "record_type", "record_id"),
)

mandates = Table(
    "mandates",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("person_id", String(36), ForeignKey("people.id"), nullable=False, index=True),
    Column("body", String(32), nullable=False, index=True),
    Column("college", String(32), nullable=True),
    Column("seat", String(100), nullable=False),
    Column("seat_kind", String(32), nullable=False),
    Column("voice", String(16), nullable=False),
    Column(
        "organisation_id", String(36), ForeignKey("organisations.id"), nullable=True, index=True
    ),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(254), nullable=False),
)

meetings = Table(
    "meetings",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("body", String(32), nullable=False, index=True),
    Column("held_on", Date, nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("second_convocation", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(254), nullable=False),
)

meeting_presence = Table(
    "meeting_presence",
    metadata,
    Column(
        "meeting_id", String(36), ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("person_id", String(36), ForeignKey("people.id"), primary_key=True, index=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(254), nullable=False),
)

meeting_proxies = Table(
    "meeting_proxies",
    metadata,
    Column(
        "meeting_id", String(36), ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("giver_id", String(36), ForeignKey("people.id"), primary_key=True, index=True),
    Column("holder_id", String(36), ForeignKey("people.id"), nullable=False, index=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(254), nullable=False),
)

access_links = Table(
    "access_links",
    metadata,
    # One row per link mailed: throttles requests, and makes single-use links single use.
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("person_id", String(36), ForeignKey("people.id"), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("nonce", String(64), nullable=True, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=True),
    Index("ix_access_links_person", "person_id", "purpose"),
)

consents = Table(
    "consents",
    metadata,
    # Append-only: each decision a person took, with the wording they were shown.
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("person_id", String(36), ForeignKey("people.id"), nullable=False),
    Column("purpose", String(80), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("wording", Text, nullable=False),
    Column("version", String(32), nullable=False),
    Column("source", String(32), nullable=False),
    Index("ix_consents_person", "person_id", "purpose"),
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
