"""people profiles (phone, title, kind, college, territory, confirmation, archive), organisation
contact details, affiliation contact/verified flags, search text, audit log

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

People already in the register were signed up before addresses had to be confirmed: they count
as confirmed at their sign-up time.
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

from services.runtime.store import BigId

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _fold(text: str) -> str:
    # The rule of services.members.domain.imports.fold, frozen here as it was at this revision.
    lowered = text.casefold().translate(str.maketrans({"œ": "oe", "æ": "ae"}))
    bare = "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))
    return _NOT_ALNUM.sub(" ", bare).strip()[:500]


def upgrade() -> None:
    text_columns = [
        ("phone", sa.String(32), ""),
        ("title", sa.String(200), ""),
        ("kind", sa.String(32), "other"),
        ("college", sa.String(32), "acteurs_territoriaux"),
        ("source", sa.String(16), "signup"),
        ("search_text", sa.String(500), ""),
    ]
    for name, type_, default in text_columns:
        op.add_column(
            "people", sa.Column(name, type_, nullable=False, server_default=sa.text(f"'{default}'"))
        )
    for name, width in (("region", 3), ("department", 3), ("commune", 5), ("epci", 9)):
        op.add_column("people", sa.Column(name, sa.String(width), nullable=True))
    for name in ("confirmed_at", "archived_at", "updated_at"):
        op.add_column("people", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    for name in ("kind", "college", "region", "department", "commune", "epci"):
        op.create_index(f"ix_people_{name}", "people", [name])
    op.create_table(
        "person_qpvs",
        sa.Column(
            "person_id",
            sa.String(36),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("qpv_code", sa.String(8), primary_key=True),
    )
    op.create_index("ix_person_qpvs_qpv_code", "person_qpvs", ["qpv_code"])

    for name, type_ in (
        ("email", sa.String(254)),
        ("phone", sa.String(32)),
        ("search_text", sa.String(500)),
    ):
        op.add_column(
            "organisations",
            sa.Column(name, type_, nullable=False, server_default=sa.text("''")),
        )
    op.add_column("organisations", sa.Column("updated_at", sa.DateTime(timezone=True)))

    op.add_column(
        "affiliations",
        sa.Column("contact", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "affiliations",
        sa.Column("verified", sa.Boolean, nullable=False, server_default=sa.true()),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("record_type", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(254), nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_log_record", "audit_log", ["record_type", "record_id"])

    connection = op.get_bind()
    people = sa.table(
        "people",
        sa.column("id", sa.String),
        sa.column("first_name", sa.String),
        sa.column("last_name", sa.String),
        sa.column("email", sa.String),
        sa.column("registered_at", sa.DateTime(timezone=True)),
        sa.column("erased_at", sa.DateTime(timezone=True)),
        sa.column("confirmed_at", sa.DateTime(timezone=True)),
        sa.column("search_text", sa.String),
    )
    connection.execute(
        people.update()
        .where(people.c.erased_at.is_(None))
        .values(confirmed_at=people.c.registered_at)
    )
    for row in connection.execute(sa.select(people.c.id, people.c.first_name, people.c.last_name,
                                            people.c.email)).all():
        connection.execute(
            people.update()
            .where(people.c.id == row.id)
            .values(search_text=_fold(f"{row.last_name} {row.first_name} {row.email}"))
        )
    organisations = sa.table(
        "organisations",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("siren", sa.String),
        sa.column("search_text", sa.String),
    )
    for row in connection.execute(
        sa.select(organisations.c.id, organisations.c.name, organisations.c.siren)
    ).all():
        connection.execute(
            organisations.update()
            .where(organisations.c.id == row.id)
            .values(search_text=_fold(f"{row.name} {row.siren or ''}"))
        )


def downgrade() -> None:
    op.drop_table("audit_log")
    with op.batch_alter_table("affiliations") as batch:
        batch.drop_column("verified")
        batch.drop_column("contact")
    with op.batch_alter_table("organisations") as batch:
        for name in ("updated_at", "search_text", "phone", "email"):
            batch.drop_column(name)
    op.drop_table("person_qpvs")
    for name in ("kind", "college", "region", "department", "commune", "epci"):
        op.drop_index(f"ix_people_{name}", "people")
    with op.batch_alter_table("people") as batch:
        for name in (
            "updated_at",
            "archived_at",
            "confirmed_at",
            "epci",
            "commune",
            "department",
            "region",
            "search_text",
            "source",
            "college",
            "kind",
            "title",
            "phone",
        ):
            batch.drop_column(name)
