"""Registrations through the gateway: concurrent HTTP registrations to one event vs the
gateway's own liveness endpoint, and the seat invariant checked after every round.

Project path: ``POST /api/v1/events/{id}/registrations`` on a real uvicorn server (the gateway's
FastAPI app), RPC over NATS to the events service, which takes the event's lock, counts the
seats and writes the registration and its fact in one SQLite transaction. Baseline: ``GET
/healthz`` on the same server, with the same HTTP client and concurrency, in the same round.
Each round registers ``n`` distinct people to a fresh event of ``n // 10`` seats; afterwards
exactly that many are confirmed and the rest wait, or the benchmark fails.

Run alone: ``python -m bench.registrations [--n 2000] [--rounds 3]``.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import uvicorn

from bench.common import Figures, arguments, nats_server, percentile, quiet_logging
from services.events.app import build_app as build_events
from services.events.settings import EventsSettings
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.gateway.store import Role
from services.runtime.migrations import upgrade
from services.runtime.settings import CentreSettings, NatsSettings

CONCURRENCY = 50
WARMUP = 100

Call = Callable[[int], Awaitable[httpx.Response]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


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


async def run(nats_url: str, folder: Path, *, n: int, rounds: int) -> Figures:
    nats = NatsSettings(url=nats_url, rpc_timeout_seconds=60)
    port = _free_port()
    centre = CentreSettings(public_url=f"http://127.0.0.1:{port}")
    events_url = f"sqlite+aiosqlite:///{folder / 'events.db'}"
    gateway_url = f"sqlite+aiosqlite:///{folder / 'gateway.db'}"
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
    app = create_app(GatewaySettings(database_url=gateway_url, nats=nats, centre=centre))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    figures = Figures()
    await events.start()
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
            await asyncio.sleep(0.05)
        token = await app.state.staff.add("bench@example.org", Role.STAFF)
        staff = {"Authorization": f"Bearer {token}"}
        limits = httpx.Limits(max_connections=CONCURRENCY)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60
        ) as client:
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
                await _check_seats(client, staff, event_id, seats=seats, total=n)
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
    finally:
        server.should_exit = True
        await serving
        await events.stop()
    return figures


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
) -> None:
    listed = await client.get(f"/api/v1/events/{event_id}/registrants", headers=staff)
    listed.raise_for_status()
    registrations = listed.json()["registrations"]
    statuses = Counter(r["status"] for r in registrations)
    expected = {"confirmed": min(seats, total), "waitlisted": max(0, total - seats)}
    if dict(statuses) != {k: v for k, v in expected.items() if v} or len(
        {r["email"] for r in registrations}
    ) != len(registrations):
        raise RuntimeError(f"seat invariant broken: {dict(statuses)}, expected {expected}")


def main(*, n: int = 2000, rounds: int = 3) -> None:
    """Start a nats-server, the events service and the gateway; run; print the figures."""
    quiet_logging()
    with nats_server() as url, tempfile.TemporaryDirectory(prefix="reso-bench-") as folder:
        figures = asyncio.run(run(url, Path(folder), n=n, rounds=rounds))
    figures.print()


if __name__ == "__main__":
    args = arguments(__doc__ or "", default_n=2000, default_rounds=3)
    main(n=args.n, rounds=args.rounds)
