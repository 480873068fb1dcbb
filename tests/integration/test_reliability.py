"""Nothing lost, nothing doubled: outbox, inbox, JetStream dedupe, dead letters and retries,
against a real nats-server and a real database on both lanes."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import nats
from faststream.nats import NatsBroker
from sqlalchemy import delete, func, insert, select, update

from contracts.members import MemberRegisteredV1, PersonRegisteredReplyV1, RegisterPersonV1
from services.members import handlers as members_handlers
from services.members.app import build_app as build_members
from services.members.store import MembersUnitOfWork, contract_mapper
from services.members.store import reliability as members_tables
from services.newsletters.app import build_app as build_newsletters
from services.newsletters.store import transactional_mails
from services.runtime.bus import Bus, provision_streams
from services.runtime.db import create_engine, session_factory
from services.runtime.migrations import upgrade
from services.runtime.outbox import OutboxRelay
from services.runtime.rpc import RpcClient
from tests.support.factories import unique_email
from tests.support.mail import await_mail
from tests.support.services import (
    CENTRE,
    link_signer,
    members_settings,
    nats_settings,
    newsletters_settings,
    running,
    stream_messages,
    wait_until,
)

REGISTERED = "reso.members.member.registered.v1"


def _uow_without_relay(database_url: str) -> tuple[object, object]:
    engine = create_engine(database_url)
    sessions = session_factory(engine)

    def uow() -> MembersUnitOfWork:
        return MembersUnitOfWork(sessions, members_tables, to_contract=contract_mapper(CENTRE))

    return engine, uow


async def _pending_rows(engine) -> int:
    outbox = members_tables.outbox
    async with engine.connect() as connection:
        return (
            await connection.execute(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        ).scalar_one()


def _event(email: str, event_id: uuid.UUID | None = None) -> MemberRegisteredV1:
    return MemberRegisteredV1(
        event_id=event_id or uuid.uuid4(),
        producer="members",
        centre=CENTRE.slug,
        person_id=uuid.uuid4(),
        first_name="Awa",
        last_name="Diallo",
        email=email,
    )


async def _publish_raw(nats_url: str, subject: str, data: bytes, msg_id: str) -> None:
    connection = await nats.connect(nats_url)
    try:
        await connection.jetstream().publish(subject, data, headers={"Nats-Msg-Id": msg_id})
    finally:
        await connection.close()


class TestOutbox:
    async def test_an_event_committed_before_a_crash_is_published_when_the_service_restarts(
        self, database, nats_server
    ):
        url = database("members")
        await upgrade("members", url)
        engine, uow = _uow_without_relay(url)
        # The "crashed" process committed the person and its event, and never published.
        reply = await members_handlers.register_person(
            RegisterPersonV1(first_name="Yanis", last_name="Le Goff", email=unique_email()),
            uow,
            link_signer(),
        )
        assert await _pending_rows(engine) == 1

        async with running(build_members(members_settings(url, nats_server.url))):
            await wait_until(_no_pending(engine))
        stored = await stream_messages(nats_server.url, "MEMBERS", REGISTERED)
        await engine.dispose()

        assert [json.loads(m.data)["person_id"] for m in stored] == [str(reply.person_id)]

    async def test_an_event_published_twice_is_stored_once(self, database, nats_server):
        url = database("members")
        async with running(build_members(members_settings(url, nats_server.url))) as app:
            await app.relay.stop()  # this test drives the relay by hand
            await members_handlers.register_person(
                RegisterPersonV1(first_name="Awa", last_name="Diallo", email=unique_email()),
                _uow_without_relay(url)[1],
                link_signer(),
            )
            assert await app.relay.drain() == 1
            # Forget it was published (as after a crash between publish and marking): again.
            outbox = members_tables.outbox
            async with app.engine.begin() as connection:
                await connection.execute(update(outbox).values(published_at=None))
            republished = await app.relay.drain()
            stored = await stream_messages(nats_server.url, "MEMBERS", REGISTERED)

        assert republished == 1
        assert len(stored) == 1

    async def test_the_relay_survives_nats_being_down_and_catches_up(self, database, nats_server):
        url = database("members")
        async with running(build_members(members_settings(url, nats_server.url))) as app:
            engine, uow = _uow_without_relay(url)
            nats_server.stop()
            for _ in range(3):
                await members_handlers.register_person(
                    RegisterPersonV1(first_name="Léa", last_name="Roux", email=unique_email()),
                    uow,
                    link_signer(),
                )
            app.relay.notify()
            await asyncio.sleep(1.5)  # the relay tries, fails, backs off
            assert await _pending_rows(engine) == 3
            nats_server.start()
            await wait_until(_no_pending(engine), timeout=30)
            await engine.dispose()
        stored = await stream_messages(nats_server.url, "MEMBERS", REGISTERED)
        assert len(stored) == 3

    async def test_published_rows_and_old_inbox_ids_are_pruned_but_pending_rows_stay(
        self, database, nats_server
    ):
        url = database("members")
        async with running(build_members(members_settings(url, nats_server.url))) as app:
            engine, uow = _uow_without_relay(url)
            for _ in range(2):
                await members_handlers.register_person(
                    RegisterPersonV1(first_name="Noé", last_name="Petit", email=unique_email()),
                    uow,
                    link_signer(),
                )
            app.relay.notify()
            await wait_until(_no_pending(engine))
            await app.relay.stop()  # so the next row stays pending
            await members_handlers.register_person(
                RegisterPersonV1(first_name="Noé", last_name="Petit", email=unique_email()),
                uow,
                link_signer(),
            )
            outbox, inbox = members_tables.outbox, members_tables.inbox
            long_ago = datetime.now(UTC) - timedelta(days=400)
            async with engine.begin() as connection:
                await connection.execute(
                    update(outbox)
                    .where(outbox.c.published_at.is_not(None))
                    .values(published_at=long_ago)
                )
                await connection.execute(
                    insert(inbox),
                    [
                        {"consumer": "c", "event_id": "old", "processed_at": long_ago},
                        {"consumer": "c", "event_id": "new", "processed_at": datetime.now(UTC)},
                    ],
                )
            deleted = await app.relay.prune()
            async with engine.connect() as connection:
                left = (await connection.execute(select(outbox.c.published_at))).all()
                ids = (await connection.execute(select(inbox.c.event_id))).scalars().all()
            await engine.dispose()
        assert deleted == (2, 1)
        assert [row.published_at for row in left] == [None]
        assert ids == ["new"]

    async def test_a_row_deleted_and_replaced_while_it_is_published_is_not_lost(self, database):
        """An erasure deletes the person's pending events while the relay publishes them; on
        SQLite the next row may reuse the deleted row's id. The new row must still go out."""
        engine, _ = _uow_without_relay(database("members"))
        await upgrade("members", str(engine.url))
        outbox = members_tables.outbox
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        published: list[str] = []

        async def row(event_id: str) -> dict[str, object]:
            return {
                "event_id": event_id,
                "subject": REGISTERED,
                "payload": "{}",
                "created_at": datetime.now(UTC),
            }

        class ReplacingPublisher:
            async def publish(self, message, *, headers=None):
                published.append(headers["Nats-Msg-Id"])
                if headers["Nats-Msg-Id"] == first:  # the erasure commits meanwhile
                    async with engine.begin() as connection:
                        await connection.execute(delete(outbox))
                        await connection.execute(insert(outbox).values(**await row(second)))

        async with engine.begin() as connection:
            await connection.execute(insert(outbox).values(**await row(first)))
        relay = OutboxRelay(
            engine, members_tables, {REGISTERED: ReplacingPublisher()}, service="members"
        )
        try:
            await relay.drain()
            await relay.drain()  # the next round finds the row committed meanwhile
        finally:
            await engine.dispose()

        assert published == [first, second]


class TestStartingBeforeNats:
    async def test_a_service_started_before_nats_waits_for_it_then_serves(
        self, database, nats_server
    ):
        url = database("members")
        await upgrade("members", url)
        app = build_members(members_settings(url, nats_server.url))
        nats_server.stop()
        starting = asyncio.create_task(app.start())
        await asyncio.sleep(1.5)
        assert not starting.done()
        nats_server.start()
        await asyncio.wait_for(starting, 30)
        try:
            client = NatsBroker(nats_server.url)
            await client.connect()
            reply = await RpcClient(client, timeout=5).call(
                RegisterPersonV1(first_name="Zoé", last_name="Morel", email=unique_email()),
                PersonRegisteredReplyV1,
            )
            await client.stop()
        finally:
            await app.stop()
        assert reply.person_id


def _no_pending(engine):
    async def check() -> bool:
        return await _pending_rows(engine) == 0

    return check


class TestInbox:
    async def test_the_same_event_delivered_twice_has_one_effect(
        self, database, nats_server, mail_sink
    ):
        url = database("newsletters")
        app = build_newsletters(newsletters_settings(url, nats_server.url, mail_sink.port))
        address = unique_email("awa")
        event = _event(address)
        async with running(app):
            # Two copies on the stream (distinct Nats-Msg-Id), as a redelivery would look.
            for copy in ("a", "b"):
                await _publish_raw(
                    nats_server.url, REGISTERED, event.model_dump_json().encode(), f"{copy}"
                )
            counts = await await_mail(mail_sink.directory, [address], settle=1.5)
            async with app.engine.connect() as connection:
                rows = (
                    await connection.execute(
                        select(func.count())
                        .select_from(transactional_mails)
                        .where(transactional_mails.c.email == address)
                        .where(transactional_mails.c.kind == "welcome")
                    )
                ).scalar_one()
        assert counts[address] == 1
        assert rows == 1


class TestDeadLetters:
    async def test_a_malformed_message_is_dead_lettered_with_its_reason_and_later_ones_flow(
        self, database, nats_server, mail_sink
    ):
        url = database("newsletters")
        app = build_newsletters(newsletters_settings(url, nats_server.url, mail_sink.port))
        address = unique_email("apres")
        async with running(app):
            await _publish_raw(nats_server.url, REGISTERED, b'{"email": "pas-une-adresse"}', "bad")
            await _publish_raw(nats_server.url, REGISTERED, b"not json at all {", "worse")
            good = _event(address)
            await _publish_raw(
                nats_server.url, REGISTERED, good.model_dump_json().encode(), str(good.event_id)
            )
            counts = await await_mail(mail_sink.directory, [address])
            letters = await wait_until(
                lambda: _letters(nats_server.url, f"dlq.newsletters.{REGISTERED}", 2)
            )
        assert counts[address] == 1
        reasons = [json.loads(m.data) for m in letters]
        assert {r["original_payload"] for r in reasons} == {
            '{"email": "pas-une-adresse"}',
            "not json at all {",
        }
        assert all(r["reason"].startswith("message invalide") for r in reasons)
        assert all(r["subject"] == REGISTERED and r["service"] == "newsletters" for r in reasons)

    async def test_a_transient_failure_is_retried_with_back_off_then_succeeds(self, nats_server):
        subject = "reso.members.probe.failed_twice.v1"
        attempts: list[float] = []
        bus = Bus("probe", nats_settings(nats_server.url, max_deliver=5, retry_base_seconds=0.3))

        @bus.consumer(subject)
        async def flaky(event: MemberRegisteredV1) -> None:
            attempts.append(asyncio.get_running_loop().time())
            if len(attempts) < 3:
                raise ConnectionError("database briefly unreachable")

        await provision_streams(bus.settings)
        await bus.broker.start()
        try:
            event = _event(unique_email())
            await _publish_raw(nats_server.url, subject, event.model_dump_json().encode(), "t1")
            await wait_until(lambda: len(attempts) >= 3)
            await asyncio.sleep(0.5)
        finally:
            await bus.broker.stop()
        letters = await stream_messages(nats_server.url, "DLQ", f"dlq.probe.{subject}")
        assert len(attempts) == 3
        assert attempts[2] - attempts[1] > attempts[1] - attempts[0]  # back-off grows
        assert letters == []

    async def test_a_failure_that_never_heals_is_dead_lettered_after_the_bound(self, nats_server):
        subject = "reso.members.probe.always_fails.v1"
        attempts: list[int] = []
        bus = Bus("probe", nats_settings(nats_server.url, max_deliver=3))

        @bus.consumer(subject)
        async def broken(event: MemberRegisteredV1) -> None:
            attempts.append(1)
            raise RuntimeError("bug in the handler")

        await provision_streams(bus.settings)
        await bus.broker.start()
        try:
            event = _event(unique_email())
            await _publish_raw(nats_server.url, subject, event.model_dump_json().encode(), "t2")
            letters = await wait_until(lambda: _letters(nats_server.url, f"dlq.probe.{subject}", 1))
            await asyncio.sleep(0.5)
        finally:
            await bus.broker.stop()
        assert len(attempts) == 3
        letter = json.loads(letters[0].data)
        assert "3 tentatives" in letter["reason"] and "bug in the handler" in letter["reason"]
        assert json.loads(letter["original_payload"])["event_id"] == str(event.event_id)


async def _letters(nats_url: str, subject: str, at_least: int) -> list:
    """The dead letters on ``subject`` once there are ``at_least`` of them (else [])."""
    messages = await stream_messages(nats_url, "DLQ", subject)
    return messages if len(messages) >= at_least else []
