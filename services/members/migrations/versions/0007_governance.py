"""governance: mandates, meetings, their presence and proxies

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mandates",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("body", sa.String(32), nullable=False),
        sa.Column("college", sa.String(32), nullable=True),
        sa.Column("seat", sa.String(100), nullable=False),
        sa.Column("seat_kind", sa.String(32), nullable=False),
        sa.Column("voice", sa.String(16), nullable=False),
        sa.Column(
            "organisation_id", sa.String(36), sa.ForeignKey("organisations.id"), nullable=True
        ),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("end", sa.Date, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(254), nullable=False),
    )
    for column in ("person_id", "body", "organisation_id"):
        op.create_index(f"ix_mandates_{column}", "mandates", [column])
    op.create_table(
        "meetings",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("body", sa.String(32), nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("second_convocation", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(254), nullable=False),
    )
    for column in ("body", "held_on"):
        op.create_index(f"ix_meetings_{column}", "meetings", [column])
    op.create_table(
        "meeting_presence",
        sa.Column(
            "meeting_id",
            sa.String(36),
            sa.ForeignKey("meetings.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("people.id"), primary_key=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(254), nullable=False),
    )
    op.create_index("ix_meeting_presence_person_id", "meeting_presence", ["person_id"])
    op.create_table(
        "meeting_proxies",
        sa.Column(
            "meeting_id",
            sa.String(36),
            sa.ForeignKey("meetings.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("giver_id", sa.String(36), sa.ForeignKey("people.id"), primary_key=True),
        sa.Column("holder_id", sa.String(36), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(254), nullable=False),
    )
    op.create_index("ix_meeting_proxies_giver_id", "meeting_proxies", ["giver_id"])
    op.create_index("ix_meeting_proxies_holder_id", "meeting_proxies", ["holder_id"])


def downgrade() -> None:
    for table in ("meeting_proxies", "meeting_presence", "meetings", "mandates"):
        op.drop_table(table)
