"""events, cycles, registrations and the projections of members' facts

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from services.runtime.store import BigId, UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cycles",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("cycle_id", sa.String(36), sa.ForeignKey("cycles.id"), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("themes", sa.JSON, nullable=False),
        sa.Column("audience", sa.JSON, nullable=False),
        sa.Column("partners", sa.JSON, nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("venue", sa.JSON, nullable=True),
        sa.Column("department", sa.String(3), nullable=True),
        sa.Column("video_link", sa.String(500), nullable=True),
        sa.Column("registration_opens_at", UtcDateTime(), nullable=True),
        sa.Column("registration_closes_at", UtcDateTime(), nullable=True),
        sa.Column("capacity_onsite", sa.Integer, nullable=True),
        sa.Column("capacity_online", sa.Integer, nullable=True),
        sa.Column("member_only", sa.Boolean, nullable=False),
        sa.Column("organisation_cap", sa.Integer, nullable=True),
        sa.Column("hold_minutes", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("queue_counter", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        sa.Column("cancelled_at", UtcDateTime(), nullable=True),
        sa.Column("cancel_reason", sa.Text, nullable=False),
    )
    op.create_index("ix_events_status_starts", "events", ["status", "starts_at"])
    op.create_index("ix_events_cycle", "events", ["cycle_id"])
    op.create_table(
        "registrations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("event_id", sa.String(36), sa.ForeignKey("events.id"), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_key", sa.String(254), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=True),
        sa.Column("organisation_id", sa.String(36), nullable=True),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("queue_no", sa.Integer, nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
        sa.Column("confirmed_at", UtcDateTime(), nullable=True),
        sa.Column("cancelled_at", UtcDateTime(), nullable=True),
        sa.Column("cancelled_by", sa.String(16), nullable=True),
        sa.Column("offer_expires_at", UtcDateTime(), nullable=True),
        sa.Column("attended_at", UtcDateTime(), nullable=True),
        sa.Column("erased_at", UtcDateTime(), nullable=True),
        sa.UniqueConstraint("event_id", "email_key", name="uq_registrations_event_email"),
    )
    op.create_index("ix_registrations_event_status", "registrations", ["event_id", "status"])
    op.create_index("ix_registrations_person", "registrations", ["person_id"])
    op.create_index("ix_registrations_offers", "registrations", ["status", "offer_expires_at"])
    op.create_table(
        "member_people",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("email_key", sa.String(254), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=True),
        sa.Column("college", sa.String(40), nullable=True),
        sa.Column("department", sa.String(3), nullable=True),
        sa.Column("commune", sa.String(5), nullable=True),
        sa.Column("qpvs", sa.JSON, nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False),
    )
    op.create_index("ix_member_people_email", "member_people", ["email_key"])
    op.create_table(
        "member_organisations",
        sa.Column("organisation_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("college", sa.String(40), nullable=True),
        sa.Column("region", sa.String(3), nullable=True),
        sa.Column("department", sa.String(3), nullable=True),
        sa.Column("commune", sa.String(5), nullable=True),
        sa.Column("epci", sa.String(9), nullable=True),
        sa.Column("qpvs", sa.JSON, nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False),
    )
    op.create_table(
        "member_affiliations",
        sa.Column("affiliation_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("organisation_id", sa.String(36), nullable=False),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("end", sa.Date, nullable=True),
        sa.Column("removed", sa.Boolean, nullable=False),
    )
    op.create_index("ix_member_affiliations_person", "member_affiliations", ["person_id"])
    op.create_table(
        "member_memberships",
        sa.Column("membership_id", sa.String(36), primary_key=True),
        sa.Column("member_type", sa.String(16), nullable=False),
        sa.Column("member_id", sa.String(36), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_index("ix_member_memberships_member", "member_memberships", ["member_id"])


def downgrade() -> None:
    op.drop_table("member_memberships")
    op.drop_table("member_affiliations")
    op.drop_table("member_organisations")
    op.drop_table("member_people")
    op.drop_table("registrations")
    op.drop_table("events")
    op.drop_table("cycles")
