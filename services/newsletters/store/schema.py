"""The newsletters service's tables (one metadata, migrated by its Alembic revisions)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from services.runtime.store import ReliabilityTables, UtcDateTime

metadata = MetaData()
reliability = ReliabilityTables(metadata)

DUE = "status IN ('pending', 'sending')"
"""The rows a sender may take. Written out literally, in the index and in the query alike, so
both databases use the partial index (a bound parameter would not prove the index applies)."""

transactional_mails = Table(
    "transactional_mails",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("dedupe_key", String(255), nullable=False, unique=True),
    Column("person_id", String(36), nullable=True, index=True),
    Column("email", String(254), nullable=False),
    Column("name", Text, nullable=False),
    # JSON as text: what the kind's templates need. Text, so erasure scans see into it too.
    Column("data", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("message_id", String(255), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    Index(
        "ix_transactional_mails_due",
        "next_attempt_at",
        postgresql_where=text(DUE),
        sqlite_where=text(DUE),
    ),
)


letters = Table(
    "letters",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("description", Text, nullable=False),
    Column("themes", Text, nullable=False),  # JSON list of contracts.base.Theme values
    Column("cadence", String(16), nullable=False),
    Column("sender_name", String(120), nullable=False),
    Column("sender_email", String(254), nullable=False),
    Column("template_set", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False, unique=True),
    Column("first_name", String(100), nullable=True),
    Column("last_name", String(100), nullable=True),
    Column("organisation", String(200), nullable=True),
    Column("department", String(3), nullable=True),
    Column("commune", String(5), nullable=True),
    Column("person_id", String(36), nullable=True, index=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_activity_at", UtcDateTime(), nullable=False, index=True),
    Column("flagged_inactive_at", UtcDateTime(), nullable=True),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("subscriber_id", String(36), ForeignKey("subscribers.id"), nullable=False),
    Column("letter", String(64), ForeignKey("letters.slug"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("confirmed_at", UtcDateTime(), nullable=True),
    Column("ended_at", UtcDateTime(), nullable=True),
    UniqueConstraint("subscriber_id", "letter", name="uq_subscriptions_subscriber_letter"),
    Index("ix_subscriptions_letter_status", "letter", "status"),
)
"""One row per subscriber and letter, whatever its history: the audience of a letter is its
active rows; a future delivery table references ``subscriptions.id``."""

consents = Table(
    "consents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("subscriber_id", String(36), nullable=False, index=True),
    Column("subscription_id", String(36), nullable=False),
    Column("letter", String(64), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("source", String(16), nullable=False),
    Column("wording", Text, nullable=False),
    Column("wording_version", String(32), nullable=False),
    Column("provenance", Text, nullable=False),
)
"""Proof of consent: each grant and withdrawal, never updated; erased with the subscriber."""

sends = Table(
    "sends",
    metadata,
    Column("id", String(36), primary_key=True),
    # One send per issue.
    Column("issue_id", String(36), ForeignKey("issues.id"), nullable=False, unique=True),
    Column("letter", String(64), nullable=True),
    Column("status", String(16), nullable=False),
    Column("total", Integer, nullable=False),
    Column("rate_per_second", Float, nullable=False),
    Column("rate_per_hour", Integer, nullable=False),
    Column("consecutive_errors", Integer, nullable=False),
    Column("paused_reason", Text, nullable=True),
    Column("started_by", String(254), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("cancelled_by", String(254), nullable=True),
    # The next free slot of the per-second rate, shared by every replica (``reserve_slots``).
    Column("next_slot_at", UtcDateTime(), nullable=True),
)
"""One send of an issue: its status, rate and the count of errors in a row (auto pause)."""

DELIVERY_DUE = "status IN ('pending', 'sending')"

issue_deliveries = Table(
    "issue_deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("send_id", String(36), ForeignKey("sends.id"), nullable=False),
    Column("subscriber_id", String(36), nullable=False),
    Column("email", String(254), nullable=False),
    Column("first_name", String(100), nullable=True),
    Column("last_name", String(100), nullable=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    # Pending: when it may be tried; sending: the end of the worker's lease.
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("message_id", String(255), nullable=True),
    Column("sent_at", UtcDateTime(), nullable=True),
    UniqueConstraint("send_id", "subscriber_id", name="uq_issue_deliveries_send_subscriber"),
    Index(
        "ix_issue_deliveries_due",
        "send_id",
        "next_attempt_at",
        postgresql_where=text(DELIVERY_DUE),
        sqlite_where=text(DELIVERY_DUE),
    ),
    Index("ix_issue_deliveries_send_status", "send_id", "status"),
    Index("ix_issue_deliveries_sent_at", "sent_at"),
    Index("ix_issue_deliveries_email", "email"),
)
"""The audience frozen at send time: one row per (send, recipient), enforced by the database."""

address_bounces = Table(
    "address_bounces",
    metadata,
    Column("email_key", String(254), primary_key=True),
    Column("soft_bounces", Integer, nullable=False),
    Column("undeliverable_at", UtcDateTime(), nullable=True),
    Column("last_status", String(16), nullable=True),
    Column("last_diagnostic", Text, nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)
"""What bounces told of an address: soft bounces counted, and when it became undeliverable
(a hard bounce, or soft ones past the threshold): such an address is left out of every send."""

bounce_reports = Table(
    "bounce_reports",
    metadata,
    Column("report_id", String(255), primary_key=True),
    Column("received_at", UtcDateTime(), nullable=False),
)
"""The delivery status notifications already read (by Message-ID, or a digest): a report read
twice (a mailbox polled again after a crash, a webhook retried) counts once."""
issues = Table(
    "issues",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("letter", String(64), ForeignKey("letters.slug"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("subject", String(200), nullable=False),
    Column("preheader", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("blocks", Text, nullable=False),  # JSON: contracts.newsletters.Block definitions
    Column("audience", Text, nullable=False),  # JSON: contracts.newsletters.IssueAudience
    Column("frozen", Text, nullable=True),  # JSON: coming events and new data at send time
    Column("scheduled_at", UtcDateTime(), nullable=True),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("created_by", String(254), nullable=False),
    Column("scheduled_by", String(254), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("letter", "number", name="uq_issues_letter_number"),
    Index("ix_issues_status_scheduled_at", "status", "scheduled_at"),
)
"""The numéros of each letter. The sending engine's tables reference ``issues.id``."""

agenda_items = Table(
    "agenda_items",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("summary", Text, nullable=False),
    Column("themes", Text, nullable=False),  # JSON list of contracts.base.Theme values
    Column("starts_at", UtcDateTime(), nullable=False, index=True),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("place", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("cancelled", Boolean, nullable=False),
    Column("fact_at", UtcDateTime(), nullable=False),  # the latest fact applied (order guard)
)
"""Projection of events' published/updated/cancelled facts for the coming-events blocks. Holds
no personal data (registrants in those facts are not kept)."""

data_items = Table(
    "data_items",
    metadata,
    Column("key", String(200), primary_key=True),  # "<indicator>:<vintage>"
    Column("label", Text, nullable=False),
    Column("theme", String(64), nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("territories", Integer, nullable=False),
    Column("url", Text, nullable=False),
    Column("published_at", UtcDateTime(), nullable=False, index=True),
)
"""Projection of dataquartiers' indicator.published facts for the new-data blocks."""

network_members = Table(
    "network_members",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("network_slug", String(64), primary_key=True),
    Column("member", Boolean, nullable=False),
    Column("as_of", UtcDateTime(), nullable=False),
)
"""Who belongs to which thematic network, projected from members' joins and leaves (two
subjects, so in any order: the latest fact wins); an issue's audience can narrow to networks."""

person_addresses = Table(
    "person_addresses",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("email_key", String(254), nullable=False),
    Column("as_of", UtcDateTime(), nullable=False),
    Index("ix_person_addresses_email_key", "email_key"),
)
"""Each person's current address (compared case-insensitively), from members' registrations and
updates: how a network's members are matched to the letter's subscribers."""
