"""transactional_mails: one store for every mail owed (welcome, access links, renewal calls)

Moves the rows of welcome_mails into it (kind 'welcome', one per person as before) and drops
welcome_mails.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DUE = "status IN ('pending', 'sending')"

_welcome_mails = sa.table(
    "welcome_mails",
    sa.column("id", sa.String),
    sa.column("person_id", sa.String),
    sa.column("email", sa.String),
    sa.column("first_name", sa.String),
    sa.column("last_name", sa.String),
    sa.column("status", sa.String),
    sa.column("attempts", sa.Integer),
    sa.column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.column("message_id", sa.String),
    sa.column("last_error", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("sent_at", sa.DateTime(timezone=True)),
)

_mails = sa.table(
    "transactional_mails",
    sa.column("id", sa.String),
    sa.column("kind", sa.String),
    sa.column("dedupe_key", sa.String),
    sa.column("person_id", sa.String),
    sa.column("email", sa.String),
    sa.column("name", sa.Text),
    sa.column("data", sa.Text),
    sa.column("status", sa.String),
    sa.column("attempts", sa.Integer),
    sa.column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.column("expires_at", sa.DateTime(timezone=True)),
    sa.column("message_id", sa.String),
    sa.column("last_error", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("sent_at", sa.DateTime(timezone=True)),
)

_BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "transactional_mails",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("dedupe_key", sa.String(255), nullable=False, unique=True),
        sa.Column("person_id", sa.String(36), nullable=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(255), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_transactional_mails_person_id", "transactional_mails", ["person_id"]
    )
    op.create_index(
        "ix_transactional_mails_due",
        "transactional_mails",
        ["next_attempt_at"],
        postgresql_where=sa.text(DUE),
        sqlite_where=sa.text(DUE),
    )

    connection = op.get_bind()
    rows = connection.execute(sa.select(_welcome_mails).order_by(_welcome_mails.c.id)).all()
    moved = [
        {
            "id": row.id,
            "kind": "welcome",
            "dedupe_key": f"welcome:{row.person_id}",
            "person_id": row.person_id,
            "email": row.email,
            "name": f"{row.first_name} {row.last_name}",
            "data": json.dumps(
                {"first_name": row.first_name, "last_name": row.last_name}, ensure_ascii=False
            ),
            "status": row.status,
            "attempts": row.attempts,
            "next_attempt_at": row.next_attempt_at,
            "expires_at": None,
            "message_id": row.message_id,
            "last_error": row.last_error,
            "created_at": row.created_at,
            "sent_at": row.sent_at,
        }
        for row in rows
    ]
    for start in range(0, len(moved), _BATCH):
        connection.execute(sa.insert(_mails), moved[start : start + _BATCH])

    op.drop_table("welcome_mails")


def downgrade() -> None:
    op.create_table(
        "welcome_mails",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), nullable=False, unique=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_welcome_mails_next_attempt_at", "welcome_mails", ["next_attempt_at"])

    # Only welcome mails had a table before; the other kinds are lost by going back.
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_mails).where(_mails.c.kind == "welcome").where(_mails.c.person_id.is_not(None))
    ).all()
    back = []
    for row in rows:
        data = json.loads(row.data)
        back.append(
            {
                "id": row.id,
                "person_id": row.person_id,
                "email": row.email,
                "first_name": data.get("first_name", ""),
                "last_name": data.get("last_name", ""),
                # 'expired' did not exist: such a mail was never sent, it failed.
                "status": "failed" if row.status == "expired" else row.status,
                "attempts": row.attempts,
                "next_attempt_at": row.next_attempt_at,
                "message_id": row.message_id,
                "last_error": row.last_error,
                "created_at": row.created_at,
                "sent_at": row.sent_at,
            }
        )
    for start in range(0, len(back), _BATCH):
        connection.execute(sa.insert(_welcome_mails), back[start : start + _BATCH])

    op.drop_table("transactional_mails")
