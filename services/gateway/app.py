"""Composition root of the gateway: FastAPI app, NATS broker (in the lifespan), staff store."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.gateway import errors
from services.gateway.api import (
    attendance,
    calls,
    correspondents,
    dataquartiers,
    events,
    governance,
    health,
    memberships,
    networks,
    newsletters,
    organisations,
    people,
    selfservice,
)
from services.gateway.security import SiteSecurity
from services.gateway.settings import GatewaySettings
from services.gateway.store import PersonSessions, StaffStore
from services.gateway.web import agenda, forms, pages, staff, territories
from services.gateway.web import calls as call_pages
from services.runtime.bus import Bus
from services.runtime.db import create_engine
from services.runtime.logging import configure_logging, get_logger
from services.runtime.metrics import HttpMetrics
from services.runtime.probes import ProbeServer, metrics_app
from services.runtime.rpc import RpcClient
from services.runtime.service import retry_until_done

log = get_logger("reso.gateway")


def create_app(settings: GatewaySettings) -> FastAPI:
    engine = create_engine(settings.database_url)
    bus = Bus("gateway", settings.nats)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Serve at once; until NATS answers, API calls get a 503 and /readyz says not ready.
        connecting = asyncio.create_task(retry_until_done(bus.broker.start, "connect to NATS"))
        await asyncio.wait({connecting}, timeout=5)  # usually connected in milliseconds
        # /metrics on a port of its own (RESO_GATEWAY_HTTP_PORT), never on the public one.
        metrics: ProbeServer | None = None
        if settings.http_port is not None:
            metrics = ProbeServer(metrics_app(), host="0.0.0.0", port=settings.http_port)
            await metrics.start()
            app.state.metrics_server = metrics
        try:
            yield
        finally:
            if metrics is not None:
                await metrics.stop()
            if not connecting.done():
                connecting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await connecting
            try:
                await bus.broker.stop()
            except Exception as error:  # NATS already gone: nothing left to close
                log.warning("broker did not close cleanly", error=repr(error))
            await engine.dispose()

    app = FastAPI(
        title="reso API",
        version="1.0.0",
        description="HTTP API of reso, platform of a centre de ressources politique de la ville.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.broker = bus.broker
    app.state.rpc = RpcClient(bus.broker, timeout=settings.nats.rpc_timeout_seconds)
    app.state.files = bus.files
    app.state.staff = StaffStore(engine)
    app.state.person_sessions = PersonSessions(engine, timedelta(hours=settings.session_hours))
    errors.install(app)
    app.add_middleware(HttpMetrics)
    app.add_middleware(
        SiteSecurity,  # type: ignore[arg-type]
        settings=settings,
        render_html=lambda title, message: pages.message_html(settings.centre, title, message),
        docs_path=app.docs_url,
    )
    app.include_router(selfservice.router)
    app.include_router(people.router)
    app.include_router(people.affiliations_router)
    app.include_router(organisations.router)
    app.include_router(memberships.router)
    app.include_router(networks.router)
    app.include_router(governance.router)
    app.include_router(correspondents.router)
    app.include_router(events.router)
    app.include_router(calls.router)
    app.include_router(calls.staff_router)
    app.include_router(attendance.router)
    app.include_router(newsletters.router)
    app.include_router(dataquartiers.router)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(territories.router)
    app.include_router(agenda.router)
    app.include_router(forms.router)
    app.include_router(call_pages.router)
    staff.install(app)
    app.mount(
        "/static",
        StaticFiles(directory=str(Path(pages.__file__).parent / "static")),
        name="static",
    )

    return app


def main() -> None:
    settings = GatewaySettings()
    configure_logging(settings.log, service="gateway")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
