"""letters, subscribers, subscriptions and consent records; La Minute Pop and the thematic
letters seeded

The seeded letters are sent in the centre's name and from its address (RESO_CENTRE_NAME,
RESO_CENTRE_EMAIL as the migration runs); staff change them through the API.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import json
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from services.runtime.settings import CentreSettings

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SEEDED = [
    (
        "la-minute-pop",
        "La Minute Pop",
        "Chaque mois, l'essentiel de la politique de la ville : l'agenda du centre, les "
        "nouvelles publications et les dernières données sur les quartiers.",
        [],
        "monthly",
    ),
    (
        "culture",
        "Lettre Culture",
        "Chaque trimestre, les initiatives culturelles dans les quartiers, les portraits "
        "d'artistes des quartiers et les rencontres à venir.",
        ["culture"],
        "quarterly",
    ),
    (
        "sante",
        "Lettre Santé",
        "Chaque trimestre, la santé dans les quartiers prioritaires : ateliers santé ville, "
        "contrats locaux de santé, expériences et rencontres.",
        ["sante"],
        "quarterly",
    ),
    (
        "developpement-economique-transitions",
        "Développement économique et transitions",
        "Emploi, entrepreneuriat et transition écologique dans les quartiers : expériences, "
        "ressources et rencontres.",
        ["emploi-developpement-economique", "transitions"],
        "irregular",
    ),
    (
        "urbanisme",
        "Lettre Urbanisme",
        "Renouvellement urbain et gestion urbaine de proximité : projets, retours "
        "d'expérience et rencontres.",
        ["renouvellement-urbain", "gestion-urbaine-de-proximite"],
        "irregular",
    ),
    (
        "data-et-quartiers",
        "Data et Quartiers",
        "Les nouvelles données et analyses sur les quartiers prioritaires de la politique de "
        "la ville.",
        ["data-et-quartiers"],
        "irregular",
    ),
]

_letters = sa.table(
    "letters",
    sa.column("id", sa.String),
    sa.column("slug", sa.String),
    sa.column("name", sa.String),
    sa.column("description", sa.Text),
    sa.column("themes", sa.Text),
    sa.column("cadence", sa.String),
    sa.column("sender_name", sa.String),
    sa.column("sender_email", sa.String),
    sa.column("template_set", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        "letters",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("themes", sa.Text, nullable=False),
        sa.Column("cadence", sa.String(16), nullable=False),
        sa.Column("sender_name", sa.String(120), nullable=False),
        sa.Column("sender_email", sa.String(254), nullable=False),
        sa.Column("template_set", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "subscribers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_key", sa.String(254), nullable=False, unique=True),
        sa.Column("first_name", sa.String(100), nullable=True),
        sa.Column("last_name", sa.String(100), nullable=True),
        sa.Column("organisation", sa.String(200), nullable=True),
        sa.Column("department", sa.String(3), nullable=True),
        sa.Column("commune", sa.String(5), nullable=True),
        sa.Column("person_id", sa.String(36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flagged_inactive_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_subscribers_person_id", "subscribers", ["person_id"])
    op.create_index("ix_subscribers_last_activity_at", "subscribers", ["last_activity_at"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "subscriber_id", sa.String(36), sa.ForeignKey("subscribers.id"), nullable=False
        ),
        sa.Column("letter", sa.String(64), sa.ForeignKey("letters.slug"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint(
            "subscriber_id", "letter", name="uq_subscriptions_subscriber_letter"
        ),
    )
    op.create_index("ix_subscriptions_letter_status", "subscriptions", ["letter", "status"])
    op.create_table(
        "consents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("subscriber_id", sa.String(36), nullable=False),
        sa.Column("subscription_id", sa.String(36), nullable=False),
        sa.Column("letter", sa.String(64), nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("wording", sa.Text, nullable=False),
        sa.Column("wording_version", sa.String(32), nullable=False),
        sa.Column("provenance", sa.Text, nullable=False),
    )
    op.create_index("ix_consents_subscriber_id", "consents", ["subscriber_id"])

    centre = CentreSettings()
    now = datetime.now(UTC)
    op.bulk_insert(
        _letters,
        [
            {
                "id": str(uuid.uuid4()),
                "slug": slug,
                "name": name,
                "description": description,
                "themes": json.dumps(themes),
                "cadence": cadence,
                "sender_name": centre.name[:120],
                "sender_email": centre.email,
                "template_set": "default",
                "active": True,
                "created_at": now + timedelta(milliseconds=rank),  # listed in this order
                "updated_at": now,
            }
            for rank, (slug, name, description, themes, cadence) in enumerate(SEEDED)
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_consents_subscriber_id", table_name="consents")
    op.drop_table("consents")
    op.drop_index("ix_subscriptions_letter_status", table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_index("ix_subscribers_last_activity_at", table_name="subscribers")
    op.drop_index("ix_subscribers_person_id", table_name="subscribers")
    op.drop_table("subscribers")
    op.drop_table("letters")
