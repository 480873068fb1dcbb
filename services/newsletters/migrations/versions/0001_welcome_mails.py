"""welcome mails, outbox and inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from services.runtime.migrations import create_reliability_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_reliability_tables()
    op.create_table(
        "welcome_mails",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), nullable=False, unique=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_welcome_mails_next_attempt_at", "welcome_mails", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("welcome_mails")
    op.drop_table("inbox")
    op.drop_table("outbox")
