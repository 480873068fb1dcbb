"""network memberships and their history

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from services.runtime.store import BigId

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_memberships",
        sa.Column("network_slug", sa.String(80), primary_key=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("people.id"), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_index("ix_network_memberships_status", "network_memberships", ["status"])
    op.create_table(
        "network_history",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("network_slug", sa.String(80), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("by", sa.String(254), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_index("ix_network_history_member", "network_history", ["network_slug", "person_id"])


def downgrade() -> None:
    op.drop_table("network_history")
    op.drop_table("network_memberships")
