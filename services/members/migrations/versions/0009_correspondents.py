"""local correspondents of networks

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_correspondents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("network_slug", sa.String(80), nullable=False),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("territory_kind", sa.String(16), nullable=False),
        sa.Column("territory_code", sa.String(9), nullable=False),
        sa.Column("since", sa.Date, nullable=False),
        sa.Column("until", sa.Date, nullable=True),
        sa.Column("appointed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("appointed_by", sa.String(254), nullable=False),
        sa.Column("ended_by", sa.String(254), nullable=True),
    )
    op.create_index(
        "ix_network_correspondents_person_id", "network_correspondents", ["person_id"]
    )
    op.create_index(
        "ix_network_correspondents_territory",
        "network_correspondents",
        ["network_slug", "territory_kind", "territory_code"],
    )


def downgrade() -> None:
    op.drop_table("network_correspondents")
