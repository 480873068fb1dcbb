"""A local SMTP sink (aiosmtpd) that stores every message it receives as ``<n>.eml``.

``reso up`` runs it so the platform sends real SMTP on one machine; the tests use it the same way.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session


class Store:
    def __init__(self, directory: Path, delay: float = 0.0) -> None:
        self.directory = directory
        self.delay = delay
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        existing = [int(p.stem) for p in directory.glob("*.eml") if p.stem.isdigit()]
        self._next = max(existing, default=0) + 1

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            number = self._next
            self._next += 1
            path = self.directory / f"{number}.eml"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(content)
            tmp.rename(path)
        return "250 Message accepted for delivery"


class MailSink:
    """Listens on ``host:port`` (0 picks a free port) and writes messages under ``directory``.

    ``delay`` (seconds) slows down each message before it is accepted, as a distant server
    would: a send then lasts long enough to be interrupted. ``handler`` replaces the store (a
    subclass of it answering other codes, in tests).
    """

    def __init__(
        self,
        directory: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        delay: float = 0.0,
        handler: Any = None,
    ) -> None:
        self.directory = Path(directory)
        self.host = host
        self.port = port or _free_port(host)
        self._controller = Controller(
            handler or Store(self.directory, delay),
            hostname=host,
            port=self.port,
            ready_timeout=10,
            enable_SMTPUTF8=True,  # as real servers do: addresses such as josé@exemple.fr
        )

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def messages(self) -> list[Path]:
        return sorted(self.directory.glob("*.eml"), key=lambda p: int(p.stem))


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
