"""datasets, raw indicator values, published (secrecy-applied) values

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("provenance", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("indicators", sa.Text, nullable=False),
        sa.Column("vintages", sa.Text, nullable=False),
        sa.Column("value_count", sa.Integer, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(254), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(254), nullable=True),
    )
    op.create_index("ix_datasets_status", "datasets", ["status"])
    op.create_table(
        "indicator_values",
        sa.Column(
            "dataset_id",
            sa.String(36),
            sa.ForeignKey("datasets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("indicator", sa.String(64), nullable=False),
        sa.Column("vintage", sa.Integer, nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("value", sa.Double, nullable=False),
        sa.Column("base", sa.Double, nullable=True),
        sa.Column("largest", sa.Double, nullable=True),
        sa.PrimaryKeyConstraint(
            "dataset_id", "indicator", "vintage", "level", "code", name="pk_indicator_values"
        ),
    )
    op.create_index(
        "ix_indicator_values_table", "indicator_values", ["indicator", "vintage"]
    )
    op.create_table(
        "published_values",
        sa.Column("indicator", sa.String(64), nullable=False),
        sa.Column("vintage", sa.Integer, nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("value", sa.Double, nullable=True),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("primary_secret", sa.Boolean, nullable=False),
        sa.Column("dataset_id", sa.String(36), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "indicator", "vintage", "level", "code", name="pk_published_values"
        ),
    )


def downgrade() -> None:
    op.drop_table("published_values")
    op.drop_table("indicator_values")
    op.drop_table("datasets")
