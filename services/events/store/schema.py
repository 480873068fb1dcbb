"""The events service's tables (one metadata for Alembic)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from services.runtime.store import BigId, ReliabilityTables, UtcDateTime

metadata = MetaData()
reliability = ReliabilityTables(metadata)

cycles = Table(
    "cycles",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("summary", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("cycle_id", String(36), ForeignKey("cycles.id"), nullable=True),
    Column("title", String(200), nullable=False),
    Column("summary", Text, nullable=False),
    Column("type", String(40), nullable=False),
    Column("format", String(10), nullable=False),
    Column("themes", JSON, nullable=False),
    Column("audience", JSON, nullable=False),
    Column("partners", JSON, nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("venue", JSON, nullable=True),
    Column("department", String(3), nullable=True),  # of the venue's commune, for the agenda
    Column("video_link", String(500), nullable=True),
    Column("registration_opens_at", UtcDateTime(), nullable=True),
    Column("registration_closes_at", UtcDateTime(), nullable=True),
    Column("capacity_onsite", Integer, nullable=True),
    Column("capacity_online", Integer, nullable=True),
    Column("member_only", Boolean, nullable=False),
    Column("organisation_cap", Integer, nullable=True),
    Column("hold_minutes", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("queue_counter", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("published_at", UtcDateTime(), nullable=True),
    Column("cancelled_at", UtcDateTime(), nullable=True),
    Column("cancel_reason", Text, nullable=False),
    Index("ix_events_status_starts", "status", "starts_at"),
    Index("ix_events_cycle", "cycle_id"),
)

registrations = Table(
    "registrations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("event_id", String(36), ForeignKey("events.id"), nullable=False),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("person_id", String(36), nullable=True),
    Column("organisation_id", String(36), nullable=True),
    Column("mode", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(32), nullable=True),
    Column("queue_no", Integer, nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
    Column("confirmed_at", UtcDateTime(), nullable=True),
    Column("cancelled_at", UtcDateTime(), nullable=True),
    Column("cancelled_by", String(16), nullable=True),
    Column("offer_expires_at", UtcDateTime(), nullable=True),
    Column("attended_at", UtcDateTime(), nullable=True),  # check-in
    Column("erased_at", UtcDateTime(), nullable=True),
    UniqueConstraint("event_id", "email_key", name="uq_registrations_event_email"),
    Index("ix_registrations_event_status", "event_id", "status"),
    Index("ix_registrations_person", "person_id"),
    Index("ix_registrations_offers", "status", "offer_expires_at"),
)

# --- projections of members' facts (member-only access, and what the activity report needs) ---

member_people = Table(
    "member_people",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("email_key", String(254), nullable=True),
    Column("email", String(254), nullable=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("kind", String(40), nullable=True),
    Column("college", String(40), nullable=True),
    Column("department", String(3), nullable=True),
    Column("commune", String(5), nullable=True),
    Column("qpvs", JSON, nullable=False),
    Column("archived", Boolean, nullable=False),
    Index("ix_member_people_email", "email_key"),
)

member_organisations = Table(
    "member_organisations",
    metadata,
    Column("organisation_id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("college", String(40), nullable=True),
    Column("region", String(3), nullable=True),
    Column("department", String(3), nullable=True),
    Column("commune", String(5), nullable=True),
    Column("epci", String(9), nullable=True),
    Column("qpvs", JSON, nullable=False),
    Column("archived", Boolean, nullable=False),
)

member_affiliations = Table(
    "member_affiliations",
    metadata,
    Column("affiliation_id", BigId, primary_key=True, autoincrement=False),
    Column("person_id", String(36), nullable=False),
    Column("organisation_id", String(36), nullable=False),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=True),
    Column("removed", Boolean, nullable=False),
    Index("ix_member_affiliations_person", "person_id"),
)

member_memberships = Table(
    "member_memberships",
    metadata,
    Column("membership_id", String(36), primary_key=True),
    Column("member_type", String(16), nullable=False),
    Column("member_id", String(36), nullable=False),
    Column("year", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Index("ix_member_memberships_member", "member_id"),
)

# --- reminders (exactly once per registration and rule) ---------------------------------------

reminders_sent = Table(
    "reminders_sent",
    metadata,
    Column("registration_id", String(36), ForeignKey("registrations.id"), nullable=False),
    Column("rule", String(16), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=False),
    UniqueConstraint("registration_id", "rule", name="uq_reminders_sent_registration_rule"),
)

member_networks = Table(
    "member_networks",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("network_slug", String(64), primary_key=True),
    Column("member", Boolean, nullable=False),
    Column("as_of", UtcDateTime(), nullable=False),  # the latest fact's occurred_at
)
"""Who belongs to which network (members' network joined/left facts), for the report. A row
per person and network, as the latest fact says (facts of the two subjects may arrive out of
order)."""
