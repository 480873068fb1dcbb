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
