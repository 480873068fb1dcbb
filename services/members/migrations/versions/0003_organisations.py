"""organisations and the QPV they work in

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("siren", sa.String(9), nullable=True, unique=True),
        sa.Column("street", sa.String(200), nullable=False),
        sa.Column("postcode", sa.String(10), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("region", sa.String(3), nullable=True),
        sa.Column("department", sa.String(3), nullable=True),
        sa.Column("commune", sa.String(5), nullable=True),
        sa.Column("epci", sa.String(9), nullable=True),
        sa.Column("college", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(254), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
    )
    for column in ("kind", "region", "department", "commune", "epci", "college"):
        op.create_index(f"ix_organisations_{column}", "organisations", [column])
    op.create_table(
        "organisation_qpvs",
        sa.Column(
            "organisation_id",
            sa.String(36),
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("qpv_code", sa.String(8), primary_key=True),
    )
    op.create_index("ix_organisation_qpvs_qpv_code", "organisation_qpvs", ["qpv_code"])


def downgrade() -> None:
    op.drop_table("organisation_qpvs")
    op.drop_table("organisations")
