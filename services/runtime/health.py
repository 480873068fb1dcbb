"""Liveness and readiness: a service is ready when its database and NATS both answer."""

from __future__ import annotations

import asyncio

from faststream.nats import NatsBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.base import HealthCheckV1, HealthReplyV1
from services.runtime.bus import Bus
from services.runtime.db import ping
from services.runtime.logging import get_logger

log = get_logger("reso.health")


async def check(service: str, engine: AsyncEngine, broker: NatsBroker) -> HealthReplyV1:
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(ping(engine), 5)
        checks["database"] = "ok"
    except Exception as error:  # the type only: the answer is public, details go to the log
        log.warning("database health check failed", error=repr(error))
        checks["database"] = type(error).__name__
    try:
        nats_ok = await broker.ping(timeout=2)
    except Exception:  # not connected yet
        nats_ok = False
    checks["nats"] = "ok" if nats_ok else "unreachable"
    return HealthReplyV1(
        service=service, ready=all(v == "ok" for v in checks.values()), checks=checks
    )


def register_health(bus: Bus, engine: AsyncEngine) -> None:
    """Answer ``rpc.<service>.health.check.v1``."""

    @bus.rpc(f"rpc.{bus.service}.health.check.v1", description="Liveness and readiness.")
    async def health(query: HealthCheckV1) -> HealthReplyV1:
        return await check(bus.service, engine, bus.broker)
