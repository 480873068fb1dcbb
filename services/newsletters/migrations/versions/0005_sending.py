"""the sending engine: sends, issue deliveries (one per send and recipient), bounces

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from services.runtime.store import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DUE = "status IN ('pending', 'sending')"


def upgrade() -> None:
    op.create_table(
        "sends",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("issue_id", sa.String(36), sa.ForeignKey("issues.id"), nullable=False, unique=True),
        sa.Column("letter", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("rate_per_second", sa.Float, nullable=False),
        sa.Column("rate_per_hour", sa.Integer, nullable=False),
        sa.Column("consecutive_errors", sa.Integer, nullable=False),
        sa.Column("paused_reason", sa.Text, nullable=True),
        sa.Column("started_by", sa.String(254), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
    )
    op.create_table(
        "issue_deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("send_id", sa.String(36), sa.ForeignKey("sends.id"), nullable=False),
        sa.Column("subscriber_id", sa.String(36), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=True),
        sa.Column("last_name", sa.String(100), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("message_id", sa.String(255), nullable=True),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.UniqueConstraint(
            "send_id", "subscriber_id", name="uq_issue_deliveries_send_subscriber"
        ),
    )
    op.create_index(
        "ix_issue_deliveries_due",
        "issue_deliveries",
        ["send_id", "next_attempt_at"],
        postgresql_where=sa.text(DUE),
        sqlite_where=sa.text(DUE),
    )
    op.create_index(
        "ix_issue_deliveries_send_status", "issue_deliveries", ["send_id", "status"]
    )
    op.create_index("ix_issue_deliveries_sent_at", "issue_deliveries", ["sent_at"])
    op.create_index("ix_issue_deliveries_email", "issue_deliveries", ["email"])
    op.create_table(
        "address_bounces",
        sa.Column("email_key", sa.String(254), primary_key=True),
        sa.Column("soft_bounces", sa.Integer, nullable=False),
        sa.Column("undeliverable_at", UtcDateTime(), nullable=True),
        sa.Column("last_status", sa.String(16), nullable=True),
        sa.Column("last_diagnostic", sa.Text, nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "bounce_reports",
        sa.Column("report_id", sa.String(255), primary_key=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bounce_reports")
    op.drop_table("address_bounces")
    op.drop_index("ix_issue_deliveries_email", "issue_deliveries")
    op.drop_index("ix_issue_deliveries_sent_at", "issue_deliveries")
    op.drop_index("ix_issue_deliveries_send_status", "issue_deliveries")
    op.drop_index("ix_issue_deliveries_due", "issue_deliveries")
    op.drop_table("issue_deliveries")
    op.drop_table("sends")
