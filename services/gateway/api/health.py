"""Liveness and readiness of the gateway, and the health of every service."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from contracts import subjects
from contracts.base import HealthCheckV1, HealthReplyV1
from services.runtime.db import ping
from services.runtime.rpc import RpcClient, RpcError

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: database and NATS reachable")
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(ping(request.app.state.engine), 5)
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = type(error).__name__
    try:
        nats_ok = await request.app.state.broker.ping(timeout=2)
    except Exception:  # not connected yet
        nats_ok = False
    checks["nats"] = "ok" if nats_ok else "unreachable"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@router.get("/api/v1/health", summary="Health of every service")
async def services_health(request: Request) -> JSONResponse:
    rpc: RpcClient = request.app.state.rpc

    async def one(service: str) -> tuple[str, dict[str, object]]:
        query = HealthCheckV1()
        try:
            response = await rpc.call_subject(
                f"rpc.{service}.health.check.v1", query, HealthReplyV1, timeout=3
            )
            return service, {"ready": response.ready, "checks": response.checks}
        except RpcError as error:
            return service, {"ready": False, "checks": {"rpc": error.error.code}}

    results = dict(await asyncio.gather(*(one(name) for name in subjects.SERVICES)))
    ready = all(bool(result["ready"]) for result in results.values())
    return JSONResponse({"ready": ready, "services": results}, status_code=200 if ready else 503)
