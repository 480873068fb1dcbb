"""Two replicas of members, one database: the same address signing up many times at once
creates one person and one event (both lanes)."""

from __future__ import annotations

import asyncio

from faststream.nats import NatsBroker
from sqlalchemy import func, select

from contracts.members import PersonRegisteredReplyV1, RegisterPersonV1
from services.members.app import build_app as build_members
from services.members.store import people
from services.runtime.rpc import RpcClient
from tests.support.factories import unique_email
from tests.support.services import members_settings, running, stream_messages, wait_until


class TestConcurrentSignUp:
    async def test_forty_simultaneous_sign_ups_of_one_address_on_two_replicas_make_one_person(
        self, database, nats_server
    ):
        url = database("members")
        replica_a = build_members(members_settings(url, nats_server.url))
        replica_b = build_members(members_settings(url, nats_server.url))
        address = unique_email("concurrent")
        async with running(replica_a), running(replica_b):
            client = NatsBroker(nats_server.url)
            await client.connect()
            rpc = RpcClient(client, timeout=20)
            replies = await asyncio.gather(
                *(
                    rpc.call(
                        RegisterPersonV1(
                            first_name="Maël",
                            last_name="Guen",
                            email=address.upper() if i % 2 else address,
                        ),
                        PersonRegisteredReplyV1,
                    )
                    for i in range(40)
                )
            )
            await client.stop()

            subject = "reso.members.member.registered.v1"
            await wait_until(lambda: stream_messages(nats_server.url, "MEMBERS", subject))
            await asyncio.sleep(1.0)  # time for a wrongly doubled event to show up
            events = await stream_messages(nats_server.url, "MEMBERS", subject)
            async with replica_a.engine.connect() as connection:
                stored = (
                    await connection.execute(select(func.count()).select_from(people))
                ).scalar_one()

        assert len({reply.person_id for reply in replies}) == 1
        assert stored == 1
        assert len(events) == 1
