"""Structured logging: one line per record, console or JSON, through structlog.

FastStream logs two lines per message (received, processed) at its broker log level; services
give it the ``reso.bus`` logger at DEBUG so the per-message lines stay out of INFO logs.
"""

from __future__ import annotations

import logging
import sys

import structlog

from services.runtime.settings import LogSettings


def configure_logging(settings: LogSettings, *, service: str) -> None:
    """Route stdlib and structlog records through one formatter on stderr."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if settings.format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level)
    structlog.contextvars.bind_contextvars(service=service)
    for noisy in ("uvicorn.access", "aiosqlite", "asyncio", "reso.bus.messages"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    bus = logging.getLogger("reso.bus.messages")
    if not any(isinstance(f, IdlePullTimeouts) for f in bus.filters):
        bus.addFilter(IdlePullTimeouts())


class IdlePullTimeouts(logging.Filter):
    """Drops FastStream's error about a pull consumer's fetch that timed out on an idle stream.

    FastStream 0.7.8 suppresses ``nats.errors.TimeoutError`` around ``fetch`` while nats-py 2.16
    raises the base ``asyncio.TimeoutError`` when no message came: the consume task ends, its
    supervisor restarts it at once and logs an ERROR with a traceback (once per process). Nothing
    failed, so ops should not see an error; any other exception is logged as before.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (
            isinstance(error, TimeoutError)
            and "raised an exception, retrying" in record.getMessage()
        )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
