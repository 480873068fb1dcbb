"""restricted datasets (access, grants to partners, restricted values, read log); territory index

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from services.runtime.store import BigId

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(
            sa.Column("access", sa.String(16), nullable=False, server_default="open")
        )
    op.create_table(
        "dataset_grants",
        sa.Column(
            "dataset_id",
            sa.String(36),
            sa.ForeignKey("datasets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("partner", sa.String(200), nullable=False),
        sa.Column("agreement", sa.String(200), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.String(254), nullable=False),
        sa.PrimaryKeyConstraint("dataset_id", "partner", name="pk_dataset_grants"),
    )
    op.create_table(
        "restricted_values",
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
        sa.Column("value", sa.Double, nullable=True),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("primary_secret", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint(
            "dataset_id", "indicator", "vintage", "level", "code", name="pk_restricted_values"
        ),
    )
    op.create_table(
        "dataset_reads",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reader", sa.String(254), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("partner", sa.String(200), nullable=True),
        sa.Column("dataset_id", sa.String(36), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("allowed", sa.Boolean, nullable=False),
        sa.Column("value_count", sa.Integer, nullable=False),
    )
    op.create_index("ix_dataset_reads_dataset", "dataset_reads", ["dataset_id", "at"])
    op.create_index("ix_dataset_reads_at", "dataset_reads", ["at"])
    # A territory sheet reads every published value of a few territories in one query.
    op.create_index("ix_published_values_territory", "published_values", ["level", "code"])


def downgrade() -> None:
    op.drop_index("ix_published_values_territory", "published_values")
    op.drop_table("dataset_reads")
    op.drop_table("restricted_values")
    op.drop_table("dataset_grants")
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("access")
