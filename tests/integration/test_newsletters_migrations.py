"""Migration 0002 of newsletters moves the welcome mails of 0001 into the one transactional mail
store, on both lanes: nothing owed is lost, nothing sent is sent again."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command

from contracts.members import MemberRegisteredV1
from services.newsletters import handlers
from services.runtime.db import create_engine
from services.runtime.migrations import alembic_config, upgrade
from tests.support.factories import unique_email
from tests.support.newsletters import newsletters_on, parts
from tests.support.services import CENTRE
from tests.support.smtp import FakeSmtp

WELCOME_MAILS = sa.table(
    "welcome_mails",
    *(
        sa.column(name)
        for name in ("id", "person_id", "email", "first_name", "last_name", "status")
    ),
    sa.column("attempts", sa.Integer),
    sa.column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.column("message_id", sa.String),
    sa.column("last_error", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("sent_at", sa.DateTime(timezone=True)),
)


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


def _welcome_row(status: str, **values: object) -> dict[str, object]:
    now = datetime.now(UTC) - timedelta(minutes=1)
    row: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "person_id": str(uuid.uuid4()),
        "email": unique_email(),
        "first_name": "Maëlle",
        "last_name": "Le Goff",
        "status": status,
        "attempts": 0,
        "next_attempt_at": now,
        "message_id": None,
        "last_error": None,
        "created_at": now,
        "sent_at": None,
    }
    row.update(values)
    return row


class TestTransactionalMailsMigration:
    async def test_moves_welcome_mails_into_the_store_and_drops_the_old_table(self, database):
        url = database("newsletters")
        await upgrade("newsletters", url, "0001")
        owed = _welcome_row("pending")
        sent = _welcome_row(
            "sent", attempts=1, message_id="<old@crpv.example.org>", sent_at=datetime.now(UTC)
        )
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(sa.insert(WELCOME_MAILS), [owed, sent])
        finally:
            await engine.dispose()

        async with newsletters_on(url, CENTRE) as newsletters:  # migrates to head
            moved = {row.id: row for row in await newsletters.rows(kind="welcome")}
            # The same person's registration delivered again (new event id): no second mail.
            again = await handlers.on_member_registered(
                MemberRegisteredV1(
                    producer="members",
                    centre=CENTRE.slug,
                    person_id=uuid.UUID(str(sent["person_id"])),
                    first_name="Maëlle",
                    last_name="Le Goff",
                    email=str(sent["email"]),
                ),
                newsletters.uow,
            )
            smtp = FakeSmtp()
            delivered = await newsletters.send_all(smtp)

        assert "welcome_mails" not in await _tables(url)
        assert set(moved) == {owed["id"], sent["id"]}
        old = moved[str(sent["id"])]
        assert (old.status, old.message_id, old.attempts) == ("sent", "<old@crpv.example.org>", 1)
        assert old.dedupe_key == f"welcome:{sent['person_id']}"
        assert (old.name, old.email) == ("Maëlle Le Goff", sent["email"])
        assert again is False
        assert delivered == 1
        [message] = smtp.accepted
        assert message["To"].addresses[0].addr_spec == owed["email"]
        assert "Bonjour Maëlle," in parts(message)["text/plain"]

    async def test_going_back_to_0001_restores_the_welcome_mails(self, database):
        url = database("newsletters")
        async with newsletters_on(url, CENTRE) as newsletters:
            person = uuid.uuid4()
            await handlers.on_member_registered(
                MemberRegisteredV1(
                    producer="members",
                    centre=CENTRE.slug,
                    person_id=person,
                    first_name="Inès",
                    last_name="Ruiz",
                    email=unique_email(),
                ),
                newsletters.uow,
            )

        await asyncio.to_thread(command.downgrade, alembic_config("newsletters", url), "0001")

        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                rows = (await connection.execute(sa.select(WELCOME_MAILS))).all()
        finally:
            await engine.dispose()
        assert [(r.person_id, r.first_name, r.last_name, r.status) for r in rows] == [
            (str(person), "Inès", "Ruiz", "pending")
        ]
        assert "transactional_mails" not in await _tables(url)
        await upgrade("newsletters", url)  # and forward again


class TestCancelledSendsMigration:
    async def test_an_issue_left_sending_by_a_cancelled_send_ends_cancelled(self, database):
        url = database("newsletters")
        await upgrade("newsletters", url, "0006")
        now = datetime.now(UTC)
        issues = sa.table(
            "issues",
            *(sa.column(n) for n in ("id", "letter", "number", "subject", "preheader", "status")),
            *(sa.column(n) for n in ("blocks", "audience", "created_by")),
            sa.column("created_at", sa.DateTime(timezone=True)),
            sa.column("updated_at", sa.DateTime(timezone=True)),
        )
        sends = sa.table(
            "sends",
            *(sa.column(n) for n in ("id", "issue_id", "letter", "status", "started_by")),
            *(sa.column(n, sa.Integer) for n in ("total", "rate_per_hour", "consecutive_errors")),
            sa.column("rate_per_second", sa.Float),
            sa.column("started_at", sa.DateTime(timezone=True)),
        )
        stopped, going = str(uuid.uuid4()), str(uuid.uuid4())
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    sa.insert(issues),
                    [
                        {"id": issue, "letter": "la-minute-pop", "number": number,
                         "subject": "Numéro", "preheader": "", "status": "sending",
                         "blocks": "[]", "audience": "{}", "created_by": "redaction@crpv.org",
                         "created_at": now, "updated_at": now}
                        for number, issue in ((1, stopped), (2, going))
                    ],
                )  # fmt: skip
                await connection.execute(
                    sa.insert(sends),
                    [
                        {"id": str(uuid.uuid4()), "issue_id": issue, "letter": "la-minute-pop",
                         "status": status, "started_by": "newsletters", "total": 10,
                         "rate_per_hour": 1000, "consecutive_errors": 0,
                         "rate_per_second": 5.0, "started_at": now}
                        for issue, status in ((stopped, "cancelled"), (going, "sending"))
                    ],
                )  # fmt: skip
            await upgrade("newsletters", url)
            async with engine.connect() as connection:
                statuses = dict(
                    (await connection.execute(sa.select(issues.c.id, issues.c.status))).all()
                )
        finally:
            await engine.dispose()
        assert statuses == {stopped: "cancelled", going: "sending"}
