"""Resync (``reso members republish``): members tells its current state again, and consumers
whose projections were emptied rebuild them as they were, without a mail (both lanes)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select

from contracts.members import (
    ErasePersonV1,
    JoinNetworkV1,
    NetworkMembershipV1,
    PersonErasureReplyV1,
    PersonRegisteredReplyV1,
    RegisterPersonV1,
)
from services.cli import republish_members
from services.events.app import build_app as build_events
from services.events.settings import EventsSettings
from services.events.store.schema import member_networks, member_people
from services.members.app import build_app as build_members
from services.newsletters.app import build_app as build_newsletters
from services.newsletters.store.schema import network_members, person_addresses
from services.runtime.bus import Bus
from services.runtime.rpc import RpcClient
from tests.support.factories import unique_email
from tests.support.services import (
    CENTRE,
    members_settings,
    nats_settings,
    newsletters_settings,
    payload,
    running,
    stream_messages,
    wait_until,
)

NETWORK = "chefs-de-projet-politique-de-la-ville"
SIGN_UP_COLUMNS = ("person_id", "email_key", "email", "first_name", "last_name")
EVENTS_TABLES = (member_people, member_networks)
NEWSLETTERS_TABLES = (person_addresses, network_members)


async def _rows(app: Any, tables: tuple[Any, ...]) -> dict[str, list[tuple[Any, ...]]]:
    """The tables' rows; of events' people, what a sign-up tells (a republished person also
    brings their kind, college and territory, which "member registered" does not carry)."""
    async with app.engine.connect() as connection:
        found = {}
        for table in tables:
            columns = (
                [table.c[name] for name in SIGN_UP_COLUMNS] if table is member_people else [table]
            )
            rows = (await connection.execute(select(*columns))).all()
            found[table.name] = sorted(tuple(str(value) for value in row) for row in rows)
        return found


async def _empty(app: Any, tables: tuple[Any, ...]) -> None:
    async with app.engine.begin() as connection:
        for table in tables:
            await connection.execute(delete(table))


class TestRepublish:
    async def test_rebuilds_emptied_projections_keeps_newer_facts_and_sends_no_mail(
        self, database, nats_server, mail_sink
    ):
        members = build_members(members_settings(database("members"), nats_server.url))
        events = build_events(
            EventsSettings(
                database_url=database("events"),
                nats=nats_settings(nats_server.url),
                centre=CENTRE,
                outbox_poll_seconds=0.2,
            )
        )
        newsletters = build_newsletters(
            newsletters_settings(database("newsletters"), nats_server.url, mail_sink.port)
        )
        async with running(members), running(events), running(newsletters):
            broker = Bus("test", nats_settings(nats_server.url)).broker
            await broker.connect()
            try:
                rpc = RpcClient(broker, timeout=10)
                people = []
                for name in ("Inès", "Marc", "Erwan"):
                    reply = await rpc.call(
                        RegisterPersonV1(first_name=name, last_name="Test", email=unique_email()),
                        PersonRegisteredReplyV1,
                    )
                    people.append(reply.person_id)
                    await rpc.call(
                        JoinNetworkV1(network_slug=NETWORK, person_id=reply.person_id, by="t@x.fr"),
                        NetworkMembershipV1,
                    )
                kept, other, erased = people
                erased_email = (await _email_of(members, erased)).lower()
                await rpc.call(
                    ErasePersonV1(person_id=erased, requested_by="t@x.fr"), PersonErasureReplyV1
                )

                async def settled() -> bool:
                    ev = await _rows(events, EVENTS_TABLES)
                    nl = await _rows(newsletters, NEWSLETTERS_TABLES)
                    return (len(ev["member_people"]), len(ev["member_networks"])) == (2, 2) and (
                        len(nl["person_addresses"]),
                        len(nl["network_members"]),
                    ) == (2, 2)

                await wait_until(settled)
                await wait_until(lambda: len(_mails(mail_sink)) >= 2)  # the two welcomes
                mails_before = _mails(mail_sink)
                before_events = await _rows(events, EVENTS_TABLES)
                before_newsletters = await _rows(newsletters, NEWSLETTERS_TABLES)

                # The projections are lost; newsletters meanwhile holds a newer address of Marc.
                await _empty(events, EVENTS_TABLES)
                await _empty(newsletters, NEWSLETTERS_TABLES)
                newer = datetime.now(UTC) + timedelta(days=1)
                async with newsletters.engine.begin() as connection:
                    await connection.execute(
                        insert(person_addresses).values(
                            person_id=str(other), email_key="nouvelle@exemple.fr", as_of=newer
                        )
                    )
                lines: list[str] = []
                first = await republish_members(rpc, 2, "test", lines.append)

                kept_rows = [
                    row for row in before_newsletters["person_addresses"] if row[0] != str(other)
                ]
                newer_row = (str(other), "nouvelle@exemple.fr", str(newer))
                expected_newsletters = {
                    **before_newsletters,
                    "person_addresses": sorted([*kept_rows, newer_row]),
                }

                async def rebuilt() -> bool:
                    return (
                        await _rows(events, EVENTS_TABLES) == before_events
                        and await _rows(newsletters, NEWSLETTERS_TABLES) == expected_newsletters
                    )

                await wait_until(rebuilt)
                second = await republish_members(rpc, 500, "test", lambda _: None)
                updated = await wait_until(
                    lambda: _at_least(nats_server.url, "reso.members.person.updated.v1", 4)
                )
                erasures = await wait_until(
                    lambda: _at_least(nats_server.url, "reso.members.person.erased.v1", 3)
                )
                await wait_until(rebuilt)
            finally:
                await broker.stop()
            events_after = await _rows(events, EVENTS_TABLES)
            newsletters_after = await _rows(newsletters, NEWSLETTERS_TABLES)

        # 2 people + 1 erasure + 2 network joins, each time.
        assert first == second == 5
        assert any(line.startswith("people: 3 read") for line in lines)
        assert events_after == before_events
        assert newsletters_after == expected_newsletters
        assert _mails(mail_sink) == mails_before
        assert all(erased_email not in message.data.decode().lower() for message in updated)
        assert {payload(m)["person_id"] for m in updated} == {str(kept), str(other)}
        assert {payload(m)["person_id"] for m in erasures} == {str(erased)}


def _mails(sink: Any) -> list[str]:
    return sorted(str(path) for path in sink.directory.rglob("*.eml"))


async def _email_of(app: Any, person_id: uuid.UUID) -> str:
    from services.members.store.schema import people

    async with app.engine.connect() as connection:
        row = (
            await connection.execute(select(people.c.email).where(people.c.id == str(person_id)))
        ).first()
    assert row is not None
    return str(row.email)


async def _at_least(url: str, subject: str, count: int) -> list[Any]:
    found = await stream_messages(url, "MEMBERS", subject)
    return found if len(found) >= count else []
