"""calls for applications: calls, applications, reviews

Revision ID: 0003
Revises: 0002 (rechained after 0002 at merge)
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("eligible_kinds", sa.JSON, nullable=False),
        sa.Column("sections", sa.JSON, nullable=False),
        sa.Column("criteria", sa.JSON, nullable=False),
        sa.Column("places", sa.Integer, nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reference_prefix", sa.String(30), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("last_number", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(254), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_calls_status", "calls", ["status"])
    op.create_table(
        "applications",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("call_id", sa.String(36), sa.ForeignKey("calls.id"), nullable=False),
        sa.Column("organisation_id", sa.String(36), nullable=False),
        sa.Column("organisation_name", sa.String(200), nullable=False),
        sa.Column("organisation_kind", sa.String(32), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=True),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("number", sa.Integer, nullable=True),
        sa.Column("reference", sa.String(40), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("decision_message", sa.Text, nullable=False),
        sa.Column("decided_by", sa.String(254), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_decision", sa.String(16), nullable=True),
        sa.Column("published_message", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "call_id", "organisation_id", name="uq_applications_call_organisation"
        ),
        sa.UniqueConstraint("call_id", "number", name="uq_applications_call_number"),
    )
    op.create_index("ix_applications_person_id", "applications", ["person_id"])
    op.create_index("ix_applications_call_status", "applications", ["call_id", "status"])
    op.create_table(
        "application_reviews",
        sa.Column(
            "application_id",
            sa.String(36),
            sa.ForeignKey("applications.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("reviewer", sa.String(254), nullable=False),
        sa.Column("scores", sa.JSON, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("application_id", "reviewer", name="pk_application_reviews"),
    )


def downgrade() -> None:
    op.drop_table("application_reviews")
    op.drop_table("applications")
    op.drop_table("calls")
