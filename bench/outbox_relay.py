"""Outbox relay: members' unit of work + OutboxRelay on SQLite vs raw nats-py JetStream publishing.

The project's path, each round on a fresh SQLite database migrated like the members service's:
people are stored and their ``MemberRegistered`` events recorded through ``MembersUnitOfWork``
(the contract mapper writes ``MemberRegisteredV1`` rows to the outbox); an ``OutboxRelay``
publishes the rows through ``bus.publisher(MemberRegisteredV1)`` into the MEMBERS stream.
The baseline publishes the same kind of payloads, with the same ``Nats-Msg-Id`` and content-type
headers, with nats-py ``js.publish_async`` into a separate stream on the same server.

Three phases, each with its own baseline:

- ``outbox_relay_throughput``: ``n`` rows are written (100 per commit) while no relay runs, then
  ``OutboxRelay.drain()`` publishes them: ``n`` / drain time. Baseline: ``publish_async`` of ``n``
  messages then ``publish_async_completed()``: ``n`` / that time.
- ``outbox_relay_lag_p50/p99``: steady load. The relay runs, woken by each commit as in the
  service, while a writer commits 10 events every 20 ms (500 events/s). Lag is
  ``published_at - created_at`` of each row: from its commit to it being marked published.
  Baseline: ``publish_async`` on the same schedule; latency from each call to its ack.
- ``outbox_relay_burst_lag_p50/p99``: the same with the writer committing ``n`` events, 10 per
  commit, as fast as it can. Baseline: the ack latencies of the all-at-once throughput run.

Run alone: ``python -m bench.outbox_relay [--n 5000] [--rounds 5]``.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import nats
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import Figures, arguments, nats_server, percentile, quiet_logging
from contracts.members import MemberRegisteredV1
from services.members.domain import MemberRegistered, Person, register
from services.members.store import MembersUnitOfWork, contract_mapper, reliability
from services.runtime.bus import Bus, provision_streams
from services.runtime.db import create_engine, session_factory
from services.runtime.migrations import upgrade
from services.runtime.outbox import OutboxRelay
from services.runtime.settings import CentreSettings, NatsSettings

BASELINE_STREAM = "BENCH"
BASELINE_SUBJECT = "bench.members.member.registered.v1"
BACKLOG_BATCH = 100
LIVE_BATCH = 10
STEADY_EVENTS = 1000
STEADY_INTERVAL_SECONDS = 0.02
CATCH_UP_TIMEOUT_SECONDS = 120.0

UowFactory = Callable[[], MembersUnitOfWork]


@dataclass(frozen=True)
class Result:
    """What one phase measured: throughput (msgs/s) and per-message latencies (ms)."""

    throughput: float
    latencies_ms: list[float]


def people(tag: str, count: int) -> list[Person]:
    """``count`` new people with unique addresses."""
    now = datetime.now(UTC)
    return [
        register("Camille", f"Martin-{i}", f"camille.{tag}.{i}@example.org", now)
        for i in range(count)
    ]


def payloads(tag: str, count: int) -> list[tuple[str, bytes]]:
    """``count`` (event id, JSON payload) pairs, as the unit of work writes them to the outbox."""
    to_contract = contract_mapper(CentreSettings())
    events = [to_contract(MemberRegistered(person)) for person in people(tag, count)]
    return [(str(event.event_id), event.model_dump_json().encode()) for event in events]


async def store(
    uow: UowFactory, persons: list[Person], batch: int, *, interval: float | None = None
) -> None:
    """Store ``persons`` and record their events, ``batch`` per commit, every ``interval`` s."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for k, first in enumerate(range(0, len(persons), batch)):
        if interval is not None:
            delay = start + k * interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        async with uow() as work:
            for person in persons[first : first + batch]:
                await work.people.add(person)
                work.record(MemberRegistered(person))
            await work.commit()


async def pending(engine: AsyncEngine) -> int:
    """Outbox rows not yet published."""
    outbox = reliability.outbox
    async with engine.connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        )
    return int(count or 0)


async def last_id(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        value = await connection.scalar(select(func.max(reliability.outbox.c.id)))
    return int(value or 0)


async def lags_ms(engine: AsyncEngine, after_id: int) -> list[float]:
    """``published_at - created_at`` (ms) of every outbox row with an id above ``after_id``."""
    outbox = reliability.outbox
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(outbox.c.created_at, outbox.c.published_at).where(outbox.c.id > after_id)
            )
        ).all()
    return [(row.published_at - row.created_at).total_seconds() * 1000 for row in rows]


async def caught_up(engine: AsyncEngine) -> None:
    """Wait until the running relay has published every row."""
    deadline = time.monotonic() + CATCH_UP_TIMEOUT_SECONDS
    while await pending(engine):
        if time.monotonic() > deadline:
            raise TimeoutError("the outbox relay did not catch up")
        await asyncio.sleep(0.01)


async def project_round(bus: Bus, database_url: str, n: int, tag: str) -> dict[str, Result]:
    """The three phases of the project's path on a fresh database."""
    await upgrade("members", database_url)
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    relay = OutboxRelay(engine, reliability, bus.publishers, service="members")
    to_contract = contract_mapper(CentreSettings())

    def uow() -> MembersUnitOfWork:
        return MembersUnitOfWork(
            sessions, reliability, to_contract=to_contract, on_commit=relay.notify
        )

    results: dict[str, Result] = {}
    try:
        await store(uow, people(f"{tag}-backlog", n), BACKLOG_BATCH)
        start = time.perf_counter()
        published = await relay.drain()
        elapsed = time.perf_counter() - start
        if published != n:
            raise RuntimeError(f"the relay published {published} of {n} rows")
        results["backlog"] = Result(published / elapsed, [])

        relay.start()
        try:
            for phase, count, interval in (
                ("steady", STEADY_EVENTS, STEADY_INTERVAL_SECONDS),
                ("burst", n, None),
            ):
                before = await last_id(engine)
                start = time.perf_counter()
                await store(uow, people(f"{tag}-{phase}", count), LIVE_BATCH, interval=interval)
                await caught_up(engine)
                elapsed = time.perf_counter() - start
                results[phase] = Result(count / elapsed, await lags_ms(engine, before))
        finally:
            await relay.stop()
    finally:
        await engine.dispose()
    return results


async def publish_async(
    js: JetStreamContext, messages: list[tuple[str, bytes]], *, interval: float | None = None
) -> Result:
    """Publish ``messages`` with ``publish_async``, ``LIVE_BATCH`` every ``interval`` s or all
    at once; return the throughput and each message's latency from the call to its ack."""
    count = len(messages)
    sent = [0.0] * count
    acked = [0.0] * count

    def on_ack(index: int, _future: asyncio.Future[object]) -> None:
        acked[index] = time.perf_counter()

    loop = asyncio.get_running_loop()
    futures = []
    start = time.perf_counter()
    scheduled = loop.time()
    for index, (event_id, payload) in enumerate(messages):
        if interval is not None and index % LIVE_BATCH == 0:
            delay = scheduled + index // LIVE_BATCH * interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        sent[index] = time.perf_counter()
        future = await js.publish_async(
            BASELINE_SUBJECT,
            payload,
            headers={"Nats-Msg-Id": event_id, "content-type": "application/json"},
        )
        future.add_done_callback(partial(on_ack, index))
        futures.append(future)
    await js.publish_async_completed()
    elapsed = time.perf_counter() - start
    await asyncio.gather(*futures)  # raises if a publish failed
    return Result(count / elapsed, [(acked[i] - sent[i]) * 1000 for i in range(count)])


async def baseline_round(js: JetStreamContext, n: int, tag: str) -> dict[str, Result]:
    """Raw publishing on the steady schedule, then of ``n`` messages all at once."""
    steady = await publish_async(
        js, payloads(f"{tag}-raw-steady", STEADY_EVENTS), interval=STEADY_INTERVAL_SECONDS
    )
    burst = await publish_async(js, payloads(f"{tag}-raw-burst", n))
    return {"backlog": burst, "steady": steady, "burst": burst}


async def run(url: str, database_dir: Path, *, n: int, rounds: int) -> Figures:
    """Measure both paths ``rounds`` times; return the figures."""
    settings = NatsSettings(url=url)
    await provision_streams(settings)
    bus = Bus("members", settings)
    bus.publisher(MemberRegisteredV1)
    connection = await nats.connect(url, name="bench-raw-publisher")
    js = connection.jetstream()
    await js.add_stream(
        StreamConfig(name=BASELINE_STREAM, subjects=["bench.>"], duplicate_window=120)
    )
    figures = Figures()
    try:
        await bus.broker.start()
        for round_no in range(rounds):
            tag = f"r{round_no}"
            database_url = f"sqlite+aiosqlite:///{database_dir / f'members-{tag}.db'}"
            # Alternate which path goes first, so drift within a round favours neither.
            if round_no % 2:
                raw = await baseline_round(js, n, tag)
                ours = await project_round(bus, database_url, n, tag)
            else:
                ours = await project_round(bus, database_url, n, tag)
                raw = await baseline_round(js, n, tag)
            figures.add(
                "outbox_relay_throughput",
                "msgs/s",
                ours["backlog"].throughput,
                raw["backlog"].throughput,
            )
            for phase, prefix in (
                ("steady", "outbox_relay_lag"),
                ("burst", "outbox_relay_burst_lag"),
            ):
                for q in (50, 99):
                    figures.add(
                        f"{prefix}_p{q}",
                        "ms",
                        percentile(ours[phase].latencies_ms, q),
                        percentile(raw[phase].latencies_ms, q),
                    )
    finally:
        await connection.close()
        await bus.broker.stop()
    return figures


def main(*, n: int = 5000, rounds: int = 5) -> None:
    """Start a nats-server, run the benchmark in a temporary directory, print its figures."""
    quiet_logging()
    with nats_server() as url, tempfile.TemporaryDirectory(prefix="reso-bench-db-") as tmp:
        figures = asyncio.run(run(url, Path(tmp), n=n, rounds=rounds))
    figures.print()


if __name__ == "__main__":
    args = arguments(__doc__ or "", default_n=5000)
    main(n=args.n, rounds=args.rounds)
