"""Registrations through the gateway: concurrent HTTP registrations to one event vs the
gateway's own liveness endpoint, and the seat invariant checked after every round.

Project path: ``POST /api/v1/events/{id}/registrations`` on a real uvicorn server (the gateway's
FastAPI app), RPC over NATS to the events service, which takes the event's lock, counts the
seats and writes the registration and its fact in one SQLite transaction (PostgreSQL with
``--postgresql``: throw-away databases on the server the tests use). Baseline: ``GET
/healthz`` on the same server, with the same HTTP client and concurrency, in the same round.
Each round registers ``n`` distinct people to a fresh event of ``n // 10`` seats; afterwards
exactly that many are confirmed and the rest wait, every successful registration is one of them,
and no address is there twice, or the benchmark fails; the invariant is printed.

Run alone: ``python -m bench.registrations [--n 2000] [--rounds 1] [--postgresql]`` (one round
takes about a minute on two cores).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
from fastapi import FastAPI

from bench.common import Figures, free_port, nats_server, percentile, quiet_logging, serving
from services.events.app import build_app as build_events
from services.events.settings import EventsSettings
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.gateway.store import Role
from services.runtime.migrations import upgrade
from services.runtime.settings import CentreSettings, NatsSettings
from tests.support.infra import find_postgres

CONCURRENCY = 50
WARMUP = 100

Call = Callable[[int], Awaitable[httpx.Response]]


async def measure(call: Call, total: int, concurrency: int) -> tuple[list[float], float]:
    """``total`` calls from ``concurrency`` callers; latencies (s) and the wall time (s)."""
    latencies: list[float] = []
    numbers = iter(range(total))

    async def caller() -> None:
        for number in numbers:
            start = time.perf_counter()
            response = await call(number)
            latencies.append(time.perf_counter() - start)
            if response.status_code >= 400:
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")

    start = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return latencies, time.perf_counter() - start


async def run(
    nats_url: str, events_url: str, gateway_url: str, *, n: int, rounds: int
) -> tuple[Figures, list[str]]:
    """Measure; return the figures and one line per round saying the seat invariant held."""
    nats = NatsSettings(url=nats_url, rpc_timeout_seconds=60)
    port = free_port()
    centre = CentreSettings(public_url=f"http://127.0.0.1:{port}")
    await upgrade("events", events_url)
    await upgrade("gateway", gateway_url)
    events = build_events(
        EventsSettings(
            database_url=events_url,
            nats=nats,
            centre=centre,
            secret_key="bench-events-secret-0123456789",
        )
    )
    app = create_app(
        GatewaySettings(
            database_url=gateway_url,
            nats=nats,
            centre=centre,
            rate_limit_per_ip="",  # the bench is many registrations from one address
            rate_limit_per_email="",
        )
    )
    figures = Figures()
    invariants: list[str] = []
    await events.start()
    try:
        async with serving(app, port) as base_url:
            await _measure_rounds(app, base_url, figures, invariants, n=n, rounds=rounds)
    finally:
        await events.stop()
    return figures, invariants


async def _measure_rounds(
    app: FastAPI,
    base_url: str,
    figures: Figures,
    invariants: list[str],
    *,
    n: int,
    rounds: int,
) -> None:
    token = await app.state.staff.add("bench@example.org", Role.STAFF)
    staff = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        for round_no in range(rounds):
            seats = max(1, n // 10)
            event_id = await _published_event(client, staff, seats=seats + WARMUP)
            await measure(_register(client, event_id, f"w{round_no}"), WARMUP, CONCURRENCY)
            event_id = await _published_event(client, staff, seats=seats)

            async def health(_: int) -> httpx.Response:
                return await client.get("/healthz")

            paths: list[tuple[str, Call]] = [
                ("project", _register(client, event_id, f"r{round_no}")),
                ("baseline", health),
            ]
            if round_no % 2:
                paths.reverse()
            results: dict[str, tuple[list[float], float]] = {}
            for label, call in paths:
                results[label] = await measure(call, n, CONCURRENCY)
            invariants.append(await _check_seats(client, staff, event_id, seats=seats, total=n))
            (project, project_s), (baseline, baseline_s) = (
                results["project"],
                results["baseline"],
            )
            for q in (50, 95, 99):
                figures.add(
                    f"registrations_c{CONCURRENCY}_p{q}",
                    "ms",
                    percentile(project, q) * 1000,
                    percentile(baseline, q) * 1000,
                )
            figures.add(
                f"registrations_c{CONCURRENCY}_throughput",
                "req/s",
                len(project) / project_s,
                len(baseline) / baseline_s,
            )


def _register(client: httpx.AsyncClient, event_id: str, tag: str) -> Call:
    async def call(number: int) -> httpx.Response:
        return await client.post(
            f"/api/v1/events/{event_id}/registrations",
            json={
                "email": f"bench.{tag}.{number}@example.org",
                "first_name": "Camille",
                "last_name": "Martin",
            },
        )

    return call


async def _published_event(client: httpx.AsyncClient, staff: dict[str, str], *, seats: int) -> str:
    created = await client.post(
        "/api/v1/events",
        json={
            "title": "Webinaire de mesure",
            "type": "webinar",
            "format": "online",
            "starts_at": "2099-01-15T10:00:00",
            "ends_at": "2099-01-15T12:00:00",
            "capacity_online": seats,
        },
        headers=staff,
    )
    created.raise_for_status()
    event_id: str = created.json()["event_id"]
    (await client.post(f"/api/v1/events/{event_id}/publish", headers=staff)).raise_for_status()
    return event_id


async def _check_seats(
    client: httpx.AsyncClient, staff: dict[str, str], event_id: str, *, seats: int, total: int
) -> str:
    """Confirmed == capacity, confirmed + waiting == the successful registrations (``total``:
    every call answered 2xx, or ``measure`` raised), no address twice; a line saying so."""
    listed = await client.get(f"/api/v1/events/{event_id}/registrants", headers=staff)
    listed.raise_for_status()
    registrations = listed.json()["registrations"]
    statuses = Counter(r["status"] for r in registrations)
    confirmed, waiting = statuses["confirmed"], statuses["waitlisted"]
    duplicates = len(registrations) - len({r["email"].lower() for r in registrations})
    line = (
        f"registrations_seat_invariant: confirmed {confirmed} (capacity {seats}), "
        f"confirmed + waitlisted {confirmed + waiting} (successful {total}), "
        f"other statuses {sum(statuses.values()) - confirmed - waiting}, "
        f"duplicate addresses {duplicates}"
    )
    if (
        confirmed != min(seats, total)
        or confirmed + waiting != total
        or len(registrations) != total
        or duplicates
    ):
        raise RuntimeError(f"seat invariant broken: {line}")
    return f"{line}: ok"


@contextlib.asynccontextmanager
async def postgres_databases() -> AsyncIterator[tuple[str, str]]:
    """Two throw-away databases (events, gateway) on the PostgreSQL the tests use."""
    admin_url, cluster, _where = find_postgres()
    dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    names = [f"reso_bench_{label}_{uuid.uuid4().hex[:8]}" for label in ("events", "gateway")]
    admin = await asyncpg.connect(dsn)
    try:
        for name in names:
            await admin.execute(f'CREATE DATABASE "{name}"')
        base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
        if cluster is not None:
            cluster.stop()


async def _run_on(
    nats_url: str, folder: Path, *, n: int, rounds: int, postgresql: bool
) -> tuple[Figures, list[str]]:
    if postgresql:
        async with postgres_databases() as (events_url, gateway_url):
            return await run(nats_url, events_url, gateway_url, n=n, rounds=rounds)
    events_url = f"sqlite+aiosqlite:///{folder / 'events.db'}"
    gateway_url = f"sqlite+aiosqlite:///{folder / 'gateway.db'}"
    return await run(nats_url, events_url, gateway_url, n=n, rounds=rounds)


def main(*, n: int = 2000, rounds: int = 1, postgresql: bool = False) -> None:
    """Start a nats-server, the events service and the gateway; run; print the figures and
    the seat invariant of each round."""
    quiet_logging()
    with nats_server() as url, tempfile.TemporaryDirectory(prefix="reso-bench-") as folder:
        figures, invariants = asyncio.run(
            _run_on(url, Path(folder), n=n, rounds=rounds, postgresql=postgresql)
        )
    figures.print()
    for line in invariants:
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="registrations per round")
    parser.add_argument("--rounds", type=int, default=1, help="rounds (median)")
    parser.add_argument(
        "--postgresql", action="store_true", help="PostgreSQL instead of SQLite files"
    )
    args = parser.parse_args()
    main(n=args.n, rounds=args.rounds, postgresql=args.postgresql)
