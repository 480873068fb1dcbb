"""The embedded platform that ``reso up`` runs on one machine.

A nats-server from the wheel (JetStream under ``var/nats``), a local SMTP sink writing
``var/mail/<n>.eml``, SQLite databases under ``var/``, and the four services plus the gateway as
separate processes. Stopping it stops every child (gateway first, NATS last) and leaves none behind.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.runtime.migrations import upgrade_sync
from services.runtime.nats_server import EmbeddedNats, port_is_free
from services.runtime.processes import die_with_parent

SERVICES = ("members", "events", "newsletters", "dataquartiers")
"""The services ``reso up`` starts, in start order (the gateway comes last)."""

MIGRATED = (*SERVICES, "gateway")


class UpSettings(BaseSettings):
    """Settings of ``reso up`` itself (``RESO_UP_*``)."""

    model_config = SettingsConfigDict(env_prefix="RESO_UP_", extra="ignore")

    var_dir: Path = Field(default=Path("var"), description="Where state, mail and logs go.")
    embedded_nats: bool = Field(
        default=True, description="Start a nats-server; else use RESO_NATS_URL."
    )
    nats_port: int = Field(default=4322, description="Port of the embedded nats-server.")
    mail_sink: bool = Field(
        default=True, description="Start the SMTP sink; else use the SMTP settings."
    )
    mail_sink_port: int = Field(default=8025, description="Port of the SMTP sink.")
    gateway_port: int = Field(default=8000, description="Port of the gateway.")
    seed: bool = Field(default=True, description="Load demo data after start.")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Child:
    name: str
    args: list[str]
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None
    wanted: bool = True
    restarts: list[float] = field(default_factory=list)


class Platform:
    """Starts and stops the whole platform. ``reso up`` and the end-to-end tests both use it."""

    def __init__(
        self,
        settings: UpSettings,
        *,
        env: dict[str, str] | None = None,
        log_to_files: bool = False,
        say: object = print,
    ) -> None:
        self.settings = settings
        self.var = settings.var_dir.resolve()
        self.base_env = dict(os.environ if env is None else env)
        self.env: dict[str, str] = {}
        self.log_to_files = log_to_files
        self.say = say
        self.nats: EmbeddedNats | None = None
        self.children: dict[str, Child] = {}
        self.gateway_url = ""
        self.mail_dir = self.var / "mail"

    # --- start ----------------------------------------------------------------------------------

    def _secret_key(self) -> str:
        """The key members and events sign personal links with, kept in ``var/secret_key``
        (readable by its owner only) so links mailed before a restart still work after it."""
        path = self.var / "secret_key"
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(32))
        return path.read_text().strip()

    def start(self) -> None:
        self.var.mkdir(parents=True, exist_ok=True)
        (self.var / "log").mkdir(exist_ok=True)
        env = dict(self.base_env)
        env.setdefault("RESO_GATEWAY_PORT", str(self.settings.gateway_port))
        gateway_host = env.get("RESO_GATEWAY_HOST", "127.0.0.1")
        if not port_is_free(gateway_host, int(env["RESO_GATEWAY_PORT"])):
            raise RuntimeError(
                f"port {env['RESO_GATEWAY_PORT']} is taken: stop what uses it or choose another"
                " with RESO_UP_GATEWAY_PORT"
            )
        self.gateway_url = f"http://{gateway_host}:{env['RESO_GATEWAY_PORT']}"
        env.setdefault("RESO_CENTRE_PUBLIC_URL", self.gateway_url)
        # members and events sign the personal links they mail, the gateway its CSRF tokens
        for service in ("MEMBERS", "EVENTS", "GATEWAY"):
            if f"RESO_{service}_SECRET_KEY" not in env:
                env[f"RESO_{service}_SECRET_KEY"] = self._secret_key()
        for name in MIGRATED:
            key = f"RESO_{name.upper()}_DATABASE_URL"
            env.setdefault(key, f"sqlite+aiosqlite:///{self.var / f'{name}.db'}")
        if self.settings.embedded_nats:
            port = self.settings.nats_port
            if not port_is_free("127.0.0.1", port):
                port = _free_port()
                self._say(f"port {self.settings.nats_port} is taken, NATS uses {port}")
            self.nats = EmbeddedNats(self.var / "nats", port=port)
            env["RESO_NATS_URL"] = self.nats.start()
        if self.settings.mail_sink:
            port = self.settings.mail_sink_port
            if not port_is_free("127.0.0.1", port):
                port = _free_port()
                self._say(
                    f"port {self.settings.mail_sink_port} is taken, the SMTP sink uses {port}"
                )
            env["RESO_NEWSLETTERS_SMTP_HOST"] = "127.0.0.1"
            env["RESO_NEWSLETTERS_SMTP_PORT"] = str(port)
            env["RESO_NEWSLETTERS_SMTP_SECURITY"] = "none"
            self._add_child(
                "mailsink",
                ["mailsink", "--dir", str(self.mail_dir), "--port", str(port)],
            )
        self.env = env
        for name in MIGRATED:
            upgrade_sync(name, env[f"RESO_{name.upper()}_DATABASE_URL"])
        for name in SERVICES:
            self._add_child(name, ["serve", name])
        self._add_child("gateway", ["serve", "gateway"])
        for child in self.children.values():
            self._spawn(child)
        self.wait_ready()

    def _add_child(self, name: str, command: list[str]) -> None:
        self.children[name] = Child(name, [sys.executable, "-m", "services.cli", *command])

    def _spawn(self, child: Child) -> None:
        if self.log_to_files:
            child.log = open(self.var / "log" / f"{child.name}.log", "ab")  # noqa: SIM115
        child.process = subprocess.Popen(
            child.args,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=child.log,
            stderr=child.log,
            start_new_session=True,  # Ctrl-C reaches us only; we stop children in order
            preexec_fn=die_with_parent,
        )
        child.wanted = True

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until the gateway is ready and every service answers its health check."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            self._check_children()
            try:
                response = httpx.get(f"{self.gateway_url}/api/v1/health", timeout=5)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.HTTPError as error:
                last = repr(error)
            time.sleep(0.2)
        raise TimeoutError(f"platform not ready after {timeout}s: {last}")

    def _check_children(self) -> None:
        for child in self.children.values():
            if child.wanted and child.process is not None and child.process.poll() is not None:
                where = (
                    f" (see {self.var / 'log' / (child.name + '.log')})"
                    if self.log_to_files
                    else " (see its output above)"
                )
                raise RuntimeError(f"{child.name} exited with {child.process.returncode}{where}")

    # --- supervise --------------------------------------------------------------------------------

    def supervise_once(self) -> None:
        """Restart a child that died on its own (at most 5 times a minute)."""
        now = time.monotonic()
        for child in self.children.values():
            process = child.process
            if not child.wanted or process is None or process.poll() is None:
                continue
            child.restarts = [t for t in child.restarts if now - t < 60]
            if len(child.restarts) >= 5:
                raise RuntimeError(f"{child.name} keeps exiting ({process.returncode})")
            self._say(f"{child.name} exited with {process.returncode}; restarting")
            child.restarts.append(now)
            self._spawn(child)

    # --- control used by the tests ----------------------------------------------------------------

    def stop_child(self, name: str, *, kill: bool = False) -> None:
        child = self.children[name]
        child.wanted = False
        self._terminate(child, kill=kill)

    def start_child(self, name: str) -> None:
        self._spawn(self.children[name])

    # --- stop -------------------------------------------------------------------------------------

    def stop(self) -> None:
        order = ["gateway", *reversed(SERVICES), "mailsink"]
        for name in order:
            child = self.children.get(name)
            if child is not None:
                child.wanted = False
                self._terminate(child)
        if self.nats is not None:
            self.nats.stop()
        for child in self.children.values():
            if child.log is not None:
                child.log.close()

    def _terminate(self, child: Child, *, kill: bool = False, timeout: float = 30.0) -> None:
        process = child.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._say(f"{child.name} did not stop in {timeout}s; killing it")
            process.kill()
            process.wait()

    def _say(self, text: str) -> None:
        if callable(self.say):
            self.say(text)
