"""personal links (confirmation, sign-in, address change) and consents

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

People already in the register signed up before consents were recorded: they get no record (the
register cannot claim a consent nobody saw); their next choices are recorded.
"""

import sqlalchemy as sa
from alembic import op

from services.runtime.store import BigId

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_links",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_access_links_person", "access_links", ["person_id", "purpose"])
    op.create_table(
        "consents",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("purpose", sa.String(80), nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wording", sa.Text, nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
    )
    op.create_index("ix_consents_person", "consents", ["person_id", "purpose"])


def downgrade() -> None:
    op.drop_table("consents")
    op.drop_table("access_links")
