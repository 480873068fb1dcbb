"""The running shape every service shares: start, serve until SIGTERM/SIGINT, stop cleanly.

``build_app(settings)`` in each service returns a :class:`ServiceApp`; ``python -m
services.<name>`` and ``reso serve <name>`` call :func:`run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.runtime.bus import Bus, provision_streams
from services.runtime.logging import get_logger
from services.runtime.migrations import upgrade
from services.runtime.outbox import OutboxRelay
from services.runtime.settings import ServiceSettings

log = get_logger("reso.service")

Worker = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
"""A background loop; it returns soon after the event it is given is set."""


@dataclass
class ServiceApp:
    """A composed service: its bus, database, outbox relay and background workers."""

    name: str
    settings: ServiceSettings
    engine: AsyncEngine
    bus: Bus
    relay: OutboxRelay
    workers: list[Worker] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self, *, migrate: bool = False) -> None:
        if migrate:
            await upgrade(self.name, self.settings.database_url)
        await provision_streams(self.settings.nats)
        await self.bus.broker.start()
        self.relay.start()
        self._stopping = asyncio.Event()
        self._tasks = [
            asyncio.create_task(worker(self._stopping), name=f"{self.name}-worker")
            for worker in self.workers
        ]
        log.info("service started", nats=self.settings.nats.url)

    async def stop(self) -> None:
        """Stop taking work, finish what is in flight, flush the outbox, close connections.

        Each step goes on even if NATS or the database is already gone.
        """
        for subscriber in self.bus.broker.subscribers:
            try:
                await subscriber.stop()
            except Exception as error:
                log.warning("subscriber did not stop cleanly", error=repr(error))
        self._stopping.set()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=30)
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
        log.info("service stopped")


async def serve(app: ServiceApp, *, migrate: bool = False) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await app.start(migrate=migrate)
    await stop.wait()
    await app.stop()


def run(app: ServiceApp, *, migrate: bool = False) -> None:
    asyncio.run(serve(app, migrate=migrate))
