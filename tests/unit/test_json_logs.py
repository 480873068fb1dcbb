"""In production (RESO_LOG_FORMAT=json, set by the image and the Kubernetes ConfigMap) every log
line is one JSON object a log collector can index: reso's own records and the libraries' alike."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from services.runtime.logging import configure_logging, get_logger
from services.runtime.settings import LogSettings


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    config = structlog.get_config()
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        structlog.configure(**config)
        structlog.contextvars.clear_contextvars()


def test_every_line_is_a_json_object_naming_the_service(restore_logging, capsys) -> None:
    configure_logging(LogSettings(format="json", level="INFO"), service="newsletters")
    get_logger("reso.test").warning("mail sender failed", error="ConnectionRefusedError()")
    logging.getLogger("uvicorn.error").error("library record")
    get_logger("reso.test").debug("below the level")

    lines = capsys.readouterr().err.splitlines()
    records = [json.loads(line) for line in lines]
    assert [record["event"] for record in records] == ["mail sender failed", "library record"]
    first, second = records
    assert first["service"] == "newsletters" and second["service"] == "newsletters"
    assert first["level"] == "warning" and first["error"] == "ConnectionRefusedError()"
    assert first["logger"] == "reso.test" and second["logger"] == "uvicorn.error"
    assert first["timestamp"].endswith("Z")


def _supervisor_error(error: BaseException) -> None:
    """What FastStream's task supervisor logs when a consume task ends with ``error``."""
    try:
        raise error
    except BaseException as raised:
        logging.getLogger("reso.bus.messages").error(
            "Task-31 raised an exception, retrying...\nIf this behavior causes issues…",
            exc_info=raised,
        )


def test_an_idle_pull_timing_out_is_not_logged_as_an_error_but_a_crash_is(
    restore_logging, capsys
) -> None:
    configure_logging(LogSettings(format="json", level="INFO"), service="events")
    _supervisor_error(TimeoutError())  # nats-py: no message came before the fetch's expiry
    _supervisor_error(ValueError("a handler's bug"))

    records = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert len(records) == 1
    assert records[0]["level"] == "error" and "ValueError" in records[0]["exception"]
