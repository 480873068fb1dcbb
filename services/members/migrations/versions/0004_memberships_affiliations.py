"""memberships, payments, history, receipt counters, affiliations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from services.runtime.store import BigId

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "memberships",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("member_type", sa.String(16), nullable=False),
        sa.Column("member_id", sa.String(36), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("dues", sa.Numeric(10, 2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("waived", sa.Boolean, nullable=False),
        sa.Column("receipt_number", sa.String(16), nullable=True, unique=True),
        sa.UniqueConstraint("member_type", "member_id", "year", name="uq_membership_member_year"),
    )
    for column in ("member_id", "year", "status"):
        op.create_index(f"ix_memberships_{column}", "memberships", [column])
    op.create_table(
        "membership_payments",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "membership_id",
            sa.String(36),
            sa.ForeignKey("memberships.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("paid_on", sa.Date, nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(254), nullable=False),
    )
    op.create_index(
        "ix_membership_payments_membership_id", "membership_payments", ["membership_id"]
    )
    op.create_table(
        "membership_history",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "membership_id",
            sa.String(36),
            sa.ForeignKey("memberships.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("by", sa.String(254), nullable=True),
    )
    op.create_index("ix_membership_history_membership_id", "membership_history", ["membership_id"])
    op.create_table(
        "receipt_counters",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "affiliations",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("people.id"), nullable=False),
        sa.Column(
            "organisation_id", sa.String(36), sa.ForeignKey("organisations.id"), nullable=False
        ),
        sa.Column("role", sa.String(100), nullable=False),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("end", sa.Date, nullable=True),
    )
    op.create_index("ix_affiliations_person_id", "affiliations", ["person_id"])
    op.create_index("ix_affiliations_organisation_id", "affiliations", ["organisation_id"])


def downgrade() -> None:
    for table in (
        "affiliations",
        "receipt_counters",
        "membership_history",
        "membership_payments",
        "memberships",
    ):
        op.drop_table(table)
