"""Reminders through the real events service on both database lanes: scheduled while the
service runs before the due time, emitted after a restart past it, exactly once per registration
and rule, with two replicas sweeping at the same time."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from faststream.nats import NatsBroker
from sqlalchemy import func, select

from contracts.events import (
    CancelRegistrationV1,
    CreateEventV1,
    EventV1,
    PublishEventV1,
    RegisterV1,
    RegistrationV1,
)
from services.events import handlers
from services.events.app import build_app
from services.events.domain.reminders import parse_rules
from services.events.store import reliability as events_reliability
from services.events.store.schema import reminders_sent
from services.runtime.migrations import upgrade
from services.runtime.rpc import RpcClient
from services.runtime.service import ServiceApp
from tests.support.events import Clock, agenda_context, details, events_settings, events_uow
from tests.support.factories import unique_email
from tests.support.services import payload, stream_messages, wait_until

STAFF = "equipe@crpv-test.example.org"

# The webinar of tests.support.events.details starts on 15 March 2027 at 10:00, Paris time
# (09:00 UTC). Default rules: 7d@09:00 -> 8 March 08:00 UTC; 1d@09:00 -> 14 March 08:00 UTC.
BEFORE_ANY = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
AFTER_SEVEN_DAYS = datetime(2027, 3, 8, 8, 30, tzinfo=UTC)
AFTER_ONE_DAY = datetime(2027, 3, 14, 8, 30, tzinfo=UTC)


@asynccontextmanager
async def events_service(
    url: str, nats_url: str, clock: Clock, *, replicas: int = 1
) -> AsyncIterator[tuple[list[ServiceApp], RpcClient]]:
    apps = [
        build_app(events_settings(url, nats_url, reminder_sweep_seconds=0.2), clock=clock)
        for _ in range(replicas)
    ]
    async with AsyncExitStack() as stack:
        await upgrade("events", url)
        for app in apps:
            stack.push_async_callback(app.stop)
        # Replicas start together: their first sweeps race for the same reminders.
        await asyncio.gather(*(app.start() for app in apps))
        client = NatsBroker(nats_url)
        await client.connect()
        try:
            yield apps, RpcClient(client, timeout=60)
        finally:
            await client.stop()


async def published_event(rpc: RpcClient, **overrides: Any) -> EventV1:
    event = await rpc.call(CreateEventV1(details=details(**overrides), by=STAFF), EventV1)
    return await rpc.call(PublishEventV1(event_id=event.event_id, by=STAFF), EventV1)


async def register(rpc: RpcClient, event_id: uuid.UUID, **fields: Any) -> RegistrationV1:
    values: dict[str, Any] = {
        "event_id": event_id,
        "email": unique_email("rappel"),
        "first_name": "Awa",
        "last_name": "Diallo",
    }
    values.update(fields)
    return await rpc.call(RegisterV1(**values), RegistrationV1)


async def reminders_of(nats_url: str, registration_ids: set[uuid.UUID]) -> list[dict[str, Any]]:
    """The reminder.due messages on the stream for these registrations."""
    messages = await stream_messages(nats_url, "EVENTS", "reso.events.reminder.due.v1")
    found = [payload(message) for message in messages]
    return [fact for fact in found if uuid.UUID(fact["registration_id"]) in registration_ids]


async def count_reached(
    nats_url: str, registration_ids: set[uuid.UUID], expected: int
) -> list[dict[str, Any]] | None:
    found = await reminders_of(nats_url, registration_ids)
    return found if len(found) >= expected else None


async def nothing_more_due(apps: list[ServiceApp], clock: Clock) -> list[int]:
    """Sweep once more from every replica at once: what each one emitted."""
    rules = parse_rules("7d@09:00, 1d@09:00")
    return list(
        await asyncio.gather(
            *(
                handlers.send_due_reminders(events_uow(app), agenda_context(clock), rules)
                for app in apps
            )
        )
    )


async def recorded(app: ServiceApp, registration_ids: set[uuid.UUID]) -> list[tuple[str, str]]:
    async with app.engine.connect() as connection:
        rows = await connection.execute(
            select(reminders_sent.c.registration_id, reminders_sent.c.rule).where(
                reminders_sent.c.registration_id.in_([str(key) for key in registration_ids])
            )
        )
        return sorted((row[0], row[1]) for row in rows)


async def unpublished(app: ServiceApp) -> int:
    async with app.engine.connect() as connection:
        outbox = events_reliability.outbox
        statement = select(func.count()).where(outbox.c.published_at.is_(None))
        return int((await connection.execute(statement)).scalar_one())


class TestRemindersAcrossRestarts:
    async def test_each_registrant_gets_each_reminder_once_across_restarts_and_two_replicas(
        self, database, nats_server
    ):
        url, nats_url = database("events"), nats_server.url
        clock = Clock(BEFORE_ANY)

        # 1. Before any reminder is due: events and registrations; nothing is sent.
        async with events_service(url, nats_url, clock) as (apps, rpc):
            webinar = await published_event(rpc, capacity_online=2)
            alice = await register(rpc, webinar.event_id, first_name="Alice")
            bob = await register(rpc, webinar.event_id, first_name="Bob")
            chloe = await register(rpc, webinar.event_id, first_name="Chloé")
            day = await published_event(
                rpc,
                format="hybrid",
                type="thematic_day",
                venue={"name": "Salle du Tertre", "city": "Laval", "commune": "53130"},
                capacity_onsite=5,
                capacity_online=5,
            )
            dan = await register(rpc, day.event_id, first_name="Dan", mode="onsite")
            eve = await register(rpc, day.event_id, first_name="Ève", mode="online")
            seated = {r.registration_id for r in (alice, bob, chloe, dan, eve)}
            assert await nothing_more_due(apps, clock) == [0]
        assert chloe.status == "waitlisted"
        assert await reminders_of(nats_url, seated) == []

        # 2. Restarted after the 7-day instant: each confirmed registrant gets it once; Chloé,
        # promoted afterwards, does not (she got her seat after that reminder's time).
        clock.now = AFTER_SEVEN_DAYS
        async with events_service(url, nats_url, clock) as (apps, rpc):
            week = await wait_until(lambda: count_reached(nats_url, seated, 4))
            await rpc.call(
                CancelRegistrationV1(registration_id=bob.registration_id, by=STAFF),
                RegistrationV1,
            )
            assert await nothing_more_due(apps, clock) == [0]
            await wait_until(lambda: _zero(unpublished(apps[0])))

        # 3. Restarted after the 1-day instant on two replicas at once.
        clock.now = AFTER_ONE_DAY
        async with events_service(url, nats_url, clock, replicas=2) as (apps, _rpc):
            await wait_until(lambda: count_reached(nats_url, seated, 8))
            assert await nothing_more_due(apps, clock) == [0, 0]
            await wait_until(lambda: _zero(unpublished(apps[0])))
            rows = await recorded(apps[0], seated)
        everything = await reminders_of(nats_url, seated)

        def sent(registration: RegistrationV1, rule: str) -> list[dict[str, Any]]:
            return [
                fact
                for fact in everything
                if fact["registration_id"] == str(registration.registration_id)
                and fact["rule"] == rule
            ]

        assert sorted((fact["first_name"], fact["rule"]) for fact in week) == sorted(
            [
                ("Alice", "7d@09:00"),
                ("Bob", "7d@09:00"),
                ("Dan", "7d@09:00"),
                ("Ève", "7d@09:00"),
            ]
        )
        assert sorted((fact["first_name"], fact["rule"]) for fact in everything) == sorted(
            [
                ("Alice", "7d@09:00"),
                ("Bob", "7d@09:00"),
                ("Dan", "7d@09:00"),
                ("Ève", "7d@09:00"),
                ("Alice", "1d@09:00"),
                ("Chloé", "1d@09:00"),
                ("Dan", "1d@09:00"),
                ("Ève", "1d@09:00"),
            ]
        )
        assert len(rows) == 8 == len(set(rows))
        # The online link goes with the last reminder, to people attending online only.
        assert [f["video_link"] for f in sent(alice, "7d@09:00")] == [None]
        assert [f["last"] for f in sent(alice, "7d@09:00")] == [False]
        assert [f["video_link"] for f in sent(alice, "1d@09:00")] == [
            "https://visio.example.org/salle-42"
        ]
        assert [f["last"] for f in sent(alice, "1d@09:00")] == [True]
        assert [f["video_link"] for f in sent(chloe, "1d@09:00")] == [
            "https://visio.example.org/salle-42"
        ]
        assert [f["video_link"] for f in sent(eve, "1d@09:00")] == [
            "https://visio.example.org/salle-42"
        ]
        assert [f["video_link"] for f in sent(dan, "1d@09:00")] == [None]
        # The message id is the same pair: JetStream would drop a duplicate too.
        assert len({fact["event_id"] for fact in everything}) == 8


async def _zero(value: Any) -> bool:
    return (await value) == 0
