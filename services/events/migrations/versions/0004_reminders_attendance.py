"""reminders sent (exactly once per registration and rule); network memberships (report)

Check-in needs no table: ``registrations.attended_at`` (0002) holds it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from services.runtime.store import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminders_sent",
        sa.Column(
            "registration_id", sa.String(36), sa.ForeignKey("registrations.id"), nullable=False
        ),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("registration_id", "rule", name="uq_reminders_sent_registration_rule"),
    )
    op.create_table(
        "member_networks",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("network_slug", sa.String(64), primary_key=True),
        sa.Column("member", sa.Boolean, nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("member_networks")
    op.drop_table("reminders_sent")
