"""RPC round trip: the gateway→service path (FastStream, pydantic) vs raw nats-py request/reply.

Project path: a ``Bus("members")`` answers ``RegisterPersonV1`` with ``PersonRegisteredReplyV1``
through ``bus.rpc``; the caller is an :class:`~services.runtime.rpc.RpcClient` on the broker of a
``Bus("gateway")``, as in the gateway. Baseline: a nats-py queue subscription that replies with the
same JSON bytes, called with ``nc.request`` from a second connection. Both run on the same
nats-server, at concurrency 1 and 50, in every round; the figures are medians over rounds.

Run alone: ``python -m bench.rpc_roundtrip [--n 2000] [--rounds 5]``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import nats
from nats.aio.msg import Msg

from bench.common import Figures, arguments, nats_server, percentile, quiet_logging
from contracts.members import PersonRegisteredReplyV1, RegisterPersonV1
from services.runtime.bus import Bus
from services.runtime.rpc import RpcClient, RpcError
from services.runtime.settings import NatsSettings

PROJECT_SUBJECT = "rpc.members.bench.register.v1"
RAW_SUBJECT = "rpc.bench.raw.register.v1"
CONCURRENCIES = (1, 50)
WARMUP = 200

REQUEST = RegisterPersonV1(first_name="Camille", last_name="Martin", email="camille@example.org")
REPLY = PersonRegisteredReplyV1(person_id=uuid.UUID("6f1c2d7e-0b4a-4c55-9d3e-2a1b0c9d8e7f"))
REQUEST_BYTES = REQUEST.model_dump_json().encode()
REPLY_BYTES = REPLY.model_dump_json().encode()

Call = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Sample:
    """Latency percentiles (ms) and throughput (req/s) of one measured run."""

    p50_ms: float
    p99_ms: float
    throughput: float


async def measure(call: Call, total: int, concurrency: int) -> Sample:
    """Make ``total`` calls from ``concurrency`` callers, each waiting for its previous reply."""
    latencies: list[float] = []

    async def caller(count: int) -> None:
        for _ in range(count):
            start = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - start)

    shares = [total // concurrency + (i < total % concurrency) for i in range(concurrency)]
    start = time.perf_counter()
    await asyncio.gather(*(caller(share) for share in shares))
    elapsed = time.perf_counter() - start
    return Sample(
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        throughput=len(latencies) / elapsed,
    )


def members_service(url: str) -> Bus:
    """The service side of the project path: one RPC handler on a members bus."""
    bus = Bus("members", NatsSettings(url=url))

    @bus.rpc(PROJECT_SUBJECT, description="Benchmark twin of rpc.members.person.register.v1.")
    async def register_person(command: RegisterPersonV1) -> PersonRegisteredReplyV1:
        return REPLY

    return bus


async def wait_for_answer(call: Call, timeout: float = 10.0) -> None:
    """Call until the handler answers (its subscription may not have reached the server yet)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await call()
            return
        except (RpcError, nats.errors.NoRespondersError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def run(url: str, *, n: int, rounds: int) -> Figures:
    """Measure both paths ``rounds`` times at each concurrency; return the figures."""
    service = members_service(url)
    gateway = Bus("gateway", NatsSettings(url=url))
    raw_server = await nats.connect(url, name="bench-raw-server")
    raw_client = await nats.connect(url, name="bench-raw-client")
    figures = Figures()
    try:
        await service.broker.start()
        await gateway.broker.start()
        rpc = RpcClient(gateway.broker, timeout=5)

        async def reply(msg: Msg) -> None:
            await msg.respond(REPLY_BYTES)

        await raw_server.subscribe(RAW_SUBJECT, queue="bench", cb=reply)
        await raw_server.flush()

        async def project_call() -> object:
            return await rpc.call_subject(PROJECT_SUBJECT, REQUEST, PersonRegisteredReplyV1)

        async def raw_call() -> object:
            return await raw_client.request(RAW_SUBJECT, REQUEST_BYTES, timeout=5)

        await wait_for_answer(project_call)
        await wait_for_answer(raw_call)
        for round_no in range(rounds):
            for concurrency in CONCURRENCIES:
                # Alternate which path goes first, so drift within a round favours neither.
                paths = [("project", project_call), ("baseline", raw_call)]
                if round_no % 2:
                    paths.reverse()
                samples: dict[str, Sample] = {}
                for label, call in paths:
                    await measure(call, WARMUP, concurrency)
                    samples[label] = await measure(call, n, concurrency)
                project, baseline = samples["project"], samples["baseline"]
                prefix = f"rpc_roundtrip_c{concurrency}"
                figures.add(f"{prefix}_p50", "ms", project.p50_ms, baseline.p50_ms)
                figures.add(f"{prefix}_p99", "ms", project.p99_ms, baseline.p99_ms)
                figures.add(
                    f"{prefix}_throughput", "req/s", project.throughput, baseline.throughput
                )
    finally:
        await raw_client.close()
        await raw_server.close()
        await gateway.broker.stop()
        await service.broker.stop()
    return figures


def main(*, n: int = 2000, rounds: int = 5) -> None:
    """Start a nats-server, run the benchmark, print its figures."""
    quiet_logging()
    with nats_server() as url:
        figures = asyncio.run(run(url, n=n, rounds=rounds))
    figures.print()


if __name__ == "__main__":
    args = arguments(__doc__ or "", default_n=2000)
    main(n=args.n, rounds=args.rounds)
