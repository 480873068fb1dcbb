"""networks' members and people's addresses, for issues narrowed to networks

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from services.runtime.store import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_members",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("network_slug", sa.String(64), primary_key=True),
        sa.Column("member", sa.Boolean, nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "person_addresses",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("email_key", sa.String(254), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_person_addresses_email_key", "person_addresses", ["email_key"])


def downgrade() -> None:
    op.drop_index("ix_person_addresses_email_key", table_name="person_addresses")
    op.drop_table("person_addresses")
    op.drop_table("network_members")
