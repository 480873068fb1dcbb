"""The probe endpoints a service opens for Kubernetes (RESO_<SERVICE>_HTTP_PORT): alive as soon as
the process runs, ready only while its own database and NATS answer."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import httpx
import pytest

from services.members.app import build_app as build_members
from services.runtime.migrations import upgrade
from services.runtime.nats_server import EmbeddedNats
from services.runtime.probes import ProbeServer, metrics_app
from tests.support.infra import free_port
from tests.support.services import members_settings, running, wait_until


async def _get(port: int, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        return await client.get(path)


class TestProbeEndpoints:
    async def test_a_running_service_is_alive_and_ready_then_not_ready_when_nats_goes(
        self, database, nats_server: EmbeddedNats
    ) -> None:
        settings = members_settings(database("members"), nats_server.url)
        settings.http_port = 0
        app = build_members(settings)
        async with running(app):
            assert app.probes is not None
            port = app.probes.port
            assert (await _get(port, "/healthz")).status_code == 200
            ready = await _get(port, "/readyz")
            assert ready.status_code == 200
            assert ready.json() == {"ready": True, "checks": {"database": "ok", "nats": "ok"}}

            nats_server.stop()

            async def not_ready() -> bool:
                return (await _get(port, "/readyz")).status_code == 503

            await wait_until(not_ready, timeout=20)
            answer = (await _get(port, "/readyz")).json()
            assert answer["checks"] == {"database": "ok", "nats": "unreachable"}
            assert (await _get(port, "/healthz")).status_code == 200
        # stopped: the port is closed with the service
        with contextlib.suppress(httpx.ConnectError):
            await _get(port, "/healthz")
            raise AssertionError("the probe endpoints outlived the service")

    async def test_a_service_waiting_for_nats_is_alive_but_not_ready(self, database) -> None:
        settings = members_settings(database("members"), f"nats://127.0.0.1:{free_port()}")
        settings.http_port = 0
        await upgrade("members", settings.database_url)
        app = build_members(settings)
        starting = asyncio.create_task(app.start())
        try:
            await wait_until(lambda: app.probes is not None and app.probes.listening)
            assert app.probes is not None
            port = app.probes.port
            assert (await _get(port, "/healthz")).status_code == 200
            ready = await _get(port, "/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"] == {"database": "ok", "nats": "unreachable"}
        finally:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            assert app.probes is not None
            await app.probes.stop()
            await app.engine.dispose()

    async def test_a_port_already_taken_stops_the_start_with_a_clear_error(self) -> None:
        with socket.socket() as taken:
            taken.bind(("0.0.0.0", 0))
            taken.listen()
            server = ProbeServer(metrics_app(), host="0.0.0.0", port=taken.getsockname()[1])
            with pytest.raises(OSError, match="cannot listen on port"):
                await server.start()

    async def test_without_a_port_no_endpoint_is_opened(
        self, database, nats_server: EmbeddedNats
    ) -> None:
        app = build_members(members_settings(database("members"), nats_server.url))
        async with running(app):
            assert app.probes is None
