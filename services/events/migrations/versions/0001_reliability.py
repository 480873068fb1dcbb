"""outbox and inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from alembic import op

from services.runtime.migrations import create_reliability_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_reliability_tables()


def downgrade() -> None:
    op.drop_table("inbox")
    op.drop_table("outbox")
