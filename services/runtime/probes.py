"""The HTTP endpoints a service process opens for Kubernetes and Prometheus: ``/healthz``,
``/readyz`` and ``/metrics``.

The four services speak only NATS, so a probe cannot ask them over HTTP unless they open a port
of their own. An RPC health check (``rpc.<service>.health.check.v1``) is answered by whichever
replica of the queue group picks it up, so it says nothing about the pod being probed; this
server answers for the process it runs in, with the process's own engine and broker.

- ``GET /healthz``: the process and its event loop answer (used as the startup probe).
- ``GET /readyz``: the database answers a ``SELECT 1`` and the NATS connection is up; 503
  otherwise, and from the moment the service starts stopping.
- ``GET /metrics``: :mod:`services.runtime.metrics`.

It is opened only when ``RESO_<SERVICE>_HTTP_PORT`` is set (the Kubernetes manifests set it);
``reso up`` and the tests run without it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Generator

import uvicorn
from faststream.nats import NatsBroker
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.runtime.health import check
from services.runtime.logging import get_logger
from services.runtime.metrics import metrics_endpoint

log = get_logger("reso.probes")


class _Server(uvicorn.Server):
    """uvicorn inside a running service: the service, not uvicorn, handles SIGTERM/SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def probe_app(
    service: str,
    engine: AsyncEngine,
    broker: NatsBroker,
    *,
    stopping: Callable[[], bool],
    refresh_metrics: Callable[[], Awaitable[None]] | None = None,
) -> Starlette:
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        if stopping():
            return JSONResponse({"ready": False, "checks": {"service": "stopping"}}, 503)
        reply = await check(service, engine, broker)
        return JSONResponse(
            {"ready": reply.ready, "checks": reply.checks}, 200 if reply.ready else 503
        )

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint(refresh_metrics)),
        ]
    )


def metrics_app() -> Starlette:
    """Only ``/metrics``: the gateway's second port (its probes are on its public port)."""
    return Starlette(routes=[Route("/metrics", metrics_endpoint())])


class ProbeServer:
    """The probe endpoints of one service process, served on its event loop."""

    def __init__(self, app: Starlette, *, host: str, port: int) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_config=None, access_log=False, lifespan="off"
        )
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._serve(), name="probe-server")
        while not self._server.started:
            if self._task.done():  # could not bind: raises the OSError
                self._task.result()
                raise OSError("the probe server stopped as it started")
            await asyncio.sleep(0.01)
        log.info("probe endpoints listening", port=self.port)

    async def _serve(self) -> None:
        try:
            await self._server.serve()
        except SystemExit:  # uvicorn's answer to a port it cannot bind (it logged why)
            raise OSError(f"cannot listen on port {self._server.config.port}") from None

    @property
    def listening(self) -> bool:
        return bool(self._server.started)

    @property
    def port(self) -> int:
        """The port listened on (the one picked by the system when 0 was asked)."""
        sockets = self._server.servers[0].sockets
        return int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._task = None
