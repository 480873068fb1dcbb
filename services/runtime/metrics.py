"""Prometheus metrics of a reso process (prometheus-client), served at ``/metrics`` on the
process's own port (``RESO_<SERVICE>_HTTP_PORT``, beside the probe endpoints).

- ``reso_messages_handled_total{service,kind,subject}``: messages a handler went through
  (``kind`` is ``event`` for JetStream consumers, ``rpc`` for requests; a domain error answered
  to a request counts as handled).
- ``reso_message_failures_total{service,kind,subject}``: handler failures (an event is retried,
  then dead-lettered; a request gets an error reply).
- ``reso_dead_letters_total{service,subject}``: messages published on ``dlq.<service>.…``.
- ``reso_outbox_backlog{service}`` and ``reso_outbox_lag_seconds{service}``: outbox rows not yet
  published and the age of the oldest one, read from the database at each scrape.
- ``reso_http_request_duration_seconds{method,route,status}``: the gateway's HTTP latency, by
  route template (``/api/v1/people/{person_id}``), never by raw path.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.runtime.logging import get_logger

log = get_logger("reso.metrics")

MESSAGES_HANDLED = Counter(
    "reso_messages_handled",
    "Messages a handler went through.",
    ["service", "kind", "subject"],
)
MESSAGE_FAILURES = Counter(
    "reso_message_failures",
    "Messages whose handler failed (events are retried, then dead-lettered).",
    ["service", "kind", "subject"],
)
DEAD_LETTERS = Counter(
    "reso_dead_letters",
    "Messages a consumer gave up on, published on dlq.<service>.<subject>.",
    ["service", "subject"],
)
OUTBOX_BACKLOG = Gauge("reso_outbox_backlog", "Outbox rows not yet published.", ["service"])
OUTBOX_LAG = Gauge(
    "reso_outbox_lag_seconds",
    "Age of the oldest outbox row not yet published (0 when there is none).",
    ["service"],
)
HTTP_LATENCY = Histogram(
    "reso_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["method", "route", "status"],
)


def set_outbox(service: str, count: int, oldest: datetime | None) -> None:
    """Set the outbox gauges of ``service`` (see :meth:`OutboxRelay.backlog`)."""
    OUTBOX_BACKLOG.labels(service).set(count)
    if oldest is None:
        OUTBOX_LAG.labels(service).set(0)
        return
    if oldest.tzinfo is None:  # SQLite gives naive UTC datetimes back
        oldest = oldest.replace(tzinfo=UTC)
    OUTBOX_LAG.labels(service).set(max(0.0, (datetime.now(UTC) - oldest).total_seconds()))


def metrics_endpoint(
    refresh: Callable[[], Awaitable[None]] | None = None,
    registry: CollectorRegistry = REGISTRY,
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint answering the Prometheus text format; ``refresh`` first updates the
    gauges read at scrape time (a failure to do so is logged, the rest is still answered)."""

    async def metrics(request: Request) -> Response:
        if refresh is not None:
            try:
                await refresh()
            except Exception as error:  # database down: the counters are still worth reading
                log.warning("metrics refresh failed", error=repr(error))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics


class HttpMetrics:
    """ASGI middleware timing each HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            HTTP_LATENCY.labels(scope["method"], template, str(status)).observe(
                time.perf_counter() - started
            )
