"""The running shape every service shares: start, serve until SIGTERM/SIGINT, stop cleanly.

``build_app(settings)`` in each service returns a :class:`ServiceApp`; ``python -m
services.<name>`` and ``reso serve <name>`` call :func:`run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import nats.errors
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.runtime.bus import Bus, provision_streams
from services.runtime.db import create_engine, session_factory
from services.runtime.logging import get_logger
from services.runtime.metrics import set_outbox
from services.runtime.migrations import upgrade
from services.runtime.outbox import OutboxRelay
from services.runtime.probes import ProbeServer, probe_app
from services.runtime.settings import ServiceSettings
from services.runtime.store import ReliabilityTables, ToContract, UnitOfWork

log = get_logger("reso.service")

WORKERS_DRAIN_SECONDS = 30.0
"""How long :meth:`ServiceApp.stop` lets background workers finish after SIGTERM."""

DRAIN_SECONDS = 30.0 + WORKERS_DRAIN_SECONDS + 10.0
"""The longest a service takes to stop: in-flight messages (the broker's graceful timeout, 30 s),
the workers, then the outbox flush (10 s). Kubernetes must wait longer before it kills the pod
(``terminationGracePeriodSeconds``)."""

U = TypeVar("U", bound=UnitOfWork)

Worker = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
"""A background loop; it returns soon after the event it is given is set."""


@dataclass(frozen=True)
class Foundation:
    """What every service's composition root starts from: database, bus, outbox relay."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: Bus
    relay: OutboxRelay
    tables: ReliabilityTables

    def units_of_work(self, cls: type[U], to_contract: ToContract) -> Callable[[], U]:
        """A factory of the service's unit of work, wired to this database and relay."""

        def make() -> U:
            return cls(
                self.sessions, self.tables, to_contract=to_contract, on_commit=self.relay.notify
            )

        return make


def foundation(name: str, settings: ServiceSettings, tables: ReliabilityTables) -> Foundation:
    engine = create_engine(settings.database_url)
    bus = Bus(name, settings.nats)
    relay = OutboxRelay(
        engine,
        tables,
        bus.publishers,
        service=name,
        poll_seconds=settings.outbox_poll_seconds,
        keep_published=timedelta(days=settings.outbox_retention_days),
        # Longer than events stay in the streams, so any redelivery is still recognised.
        keep_processed=timedelta(days=settings.nats.stream_max_age_days + 1),
    )
    return Foundation(engine, session_factory(engine), bus, relay, tables)


@dataclass
class ServiceApp:
    """A composed service: its bus, database, outbox relay and background workers."""

    name: str
    settings: ServiceSettings
    engine: AsyncEngine
    bus: Bus
    relay: OutboxRelay
    workers: list[Worker] = field(default_factory=list)
    gauges: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Set gauges from the database at each scrape of /metrics (the outbox's are always set)."""
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    probes: ProbeServer | None = None
    _closing: bool = False

    async def start(self, *, migrate: bool = False) -> None:
        """Start serving; waits (with back-off) for NATS if it is not reachable yet.

        The probe endpoints (``RESO_<SERVICE>_HTTP_PORT``) open first, so a pod waiting for
        NATS is alive but not ready.
        """
        self._stopping = asyncio.Event()
        self._closing = False
        if self.settings.http_port is not None and self.probes is None:
            self.probes = ProbeServer(
                probe_app(
                    self.name,
                    self.engine,
                    self.bus.broker,
                    stopping=self._is_closing,
                    refresh_metrics=self._refresh_gauges,
                ),
                host="0.0.0.0",  # the kubelet probes the pod on its own address
                port=self.settings.http_port,
            )
            await self.probes.start()
        if migrate:
            await upgrade(self.name, self.settings.database_url)
        await retry_until_done(lambda: provision_streams(self.settings.nats), "provision streams")
        await retry_until_done(self.bus.broker.start, "connect to NATS")
        self.relay.start()
        self._tasks = [
            asyncio.create_task(worker(self._stopping), name=f"{self.name}-worker")
            for worker in self.workers
        ]
        log.info("service started", nats=self.settings.nats.url)

    def _is_closing(self) -> bool:
        return self._closing

    async def _refresh_gauges(self) -> None:
        set_outbox(self.name, *await self.relay.backlog())
        for refresh in self.gauges:
            await refresh()

    async def stop(self) -> None:
        """Stop taking work, finish what is in flight, flush the outbox, close connections.

        Each step goes on even if NATS or the database is already gone.
        """
        self._closing = True  # /readyz answers 503 from now on
        for subscriber in self.bus.broker.subscribers:
            try:
                await subscriber.stop()
            except Exception as error:
                log.warning("subscriber did not stop cleanly", error=repr(error))
        self._stopping.set()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=WORKERS_DRAIN_SECONDS)
            for task in late:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.relay.stop()
        try:
            await self.bus.broker.stop()
        except Exception as error:
            log.warning("broker did not close cleanly", error=repr(error))
        await self.engine.dispose()
        if self.probes is not None:
            await self.probes.stop()
            self.probes = None
        log.info("service stopped")


async def retry_until_done(step: Callable[[], Coroutine[Any, Any, Any]], what: str) -> None:
    """Run ``step`` until it succeeds, waiting 0.5 s, then twice as long each time (max 10 s)."""
    delay = 0.5
    while True:
        try:
            await step()
            return
        except (OSError, TimeoutError, nats.errors.Error) as error:
            log.warning(f"cannot {what} yet, retrying", error=repr(error), retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


async def serve(app: ServiceApp, *, migrate: bool = False) -> None:
    """Run until SIGTERM/SIGINT, then stop cleanly (also while still waiting for NATS)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    starting = asyncio.create_task(app.start(migrate=migrate))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        await app.engine.dispose()
        if app.probes is not None:
            await app.probes.stop()
        return
    starting.result()
    await stopping
    await app.stop()


def run(app: ServiceApp, *, migrate: bool = False) -> None:
    asyncio.run(serve(app, migrate=migrate))
