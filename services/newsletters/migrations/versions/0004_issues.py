"""issues of letters; the agenda and new-data projections their blocks are filled from

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issues",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("letter", sa.String(64), sa.ForeignKey("letters.slug"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("preheader", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("blocks", sa.Text, nullable=False),
        sa.Column("audience", sa.Text, nullable=False),
        sa.Column("frozen", sa.Text, nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("letter", "number", name="uq_issues_letter_number"),
    )
    op.create_index("ix_issues_status_scheduled_at", "issues", ["status", "scheduled_at"])
    op.create_table(
        "agenda_items",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("themes", sa.Text, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("fact_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_agenda_items_starts_at", "agenda_items", ["starts_at"])
    op.create_table(
        "data_items",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("theme", sa.String(64), nullable=False),
        sa.Column("vintage", sa.Integer, nullable=False),
        sa.Column("territories", sa.Integer, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_data_items_published_at", "data_items", ["published_at"])


def downgrade() -> None:
    op.drop_index("ix_data_items_published_at", table_name="data_items")
    op.drop_table("data_items")
    op.drop_index("ix_agenda_items_starts_at", table_name="agenda_items")
    op.drop_table("agenda_items")
    op.drop_index("ix_issues_status_scheduled_at", table_name="issues")
    op.drop_table("issues")
