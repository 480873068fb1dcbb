"""Real infrastructure for the integration and end-to-end tests: PostgreSQL, databases, helpers.

PostgreSQL is found in this order: ``RESO_TEST_POSTGRES_URL`` (an admin URL), a server answering
on 127.0.0.1:5432, or a throw-away cluster made with ``initdb`` (run as the ``postgres`` user when
we are root). The tests create their own databases and drop them at the end.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion in a fresh loop on another thread (safe inside pytest)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dsn(admin_url: str) -> str:
    """asyncpg wants ``postgresql://``; accept SQLAlchemy's ``postgresql+asyncpg://`` too."""
    return admin_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _answers(admin_url: str) -> bool:
    try:
        connection = await asyncpg.connect(_dsn(admin_url), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


class ThrowAwayCluster:
    """A PostgreSQL cluster made with initdb in a temporary folder, on a free port."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="reso-pg-"))
        self.port = free_port()
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        self.bin = Path(binaries[-1]) if binaries else None
        if self.bin is None and shutil.which("initdb"):
            self.bin = Path(shutil.which("initdb") or "").parent
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> str:
        if self.bin is None:
            raise FileNotFoundError("no PostgreSQL binaries (initdb) on this machine")
        if self.as_postgres:
            shutil.chown(self.dir, user="postgres")
        data = self.dir / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
        self._run(
            str(self.bin / "pg_ctl"),
            "-D", str(data),
            "-l", str(self.dir / "server.log"),
            "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
            "-w", "start",
        )  # fmt: skip
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if self.bin is not None and (self.dir / "data").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def find_postgres() -> tuple[str, ThrowAwayCluster | None, str]:
    """An admin URL, the cluster we started (if any), and where the server came from."""
    explicit = os.environ.get("RESO_TEST_POSTGRES_URL")
    if explicit:
        if not run_sync(_answers(explicit)):
            raise RuntimeError(f"RESO_TEST_POSTGRES_URL={explicit} does not answer")
        return explicit, None, "RESO_TEST_POSTGRES_URL"
    local = "postgresql://postgres@127.0.0.1:5432/postgres"
    if run_sync(_answers(local)):
        return local, None, "127.0.0.1:5432"
    cluster = ThrowAwayCluster()
    url = cluster.start()
    return url, cluster, f"initdb cluster on port {cluster.port}"


class PostgresDatabases:
    """Creates uniquely named databases on one server and drops them all at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []

    def create(self, label: str) -> str:
        name = f"reso_test_{uuid.uuid4().hex[:10]}_{label}"

        async def create() -> None:
            connection = await asyncpg.connect(_dsn(self.admin_url))
            try:
                await connection.execute(f'CREATE DATABASE "{name}"')
            finally:
                await connection.close()

        run_sync(create())
        self.created.append(name)
        base = _dsn(self.admin_url).rsplit("/", 1)[0]
        return base.replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"

    def drop(self, urls: list[str]) -> None:
        """Drop the databases of these URLs (from :meth:`create`) now."""
        names = [url.rsplit("/", 1)[1] for url in urls]
        self._drop(names)
        self.created = [name for name in self.created if name not in names]

    def drop_all(self) -> None:
        self._drop(self.created)
        self.created = []

    def _drop(self, names: list[str]) -> None:
        async def drop() -> None:
            connection = await asyncpg.connect(_dsn(self.admin_url))
            try:
                for name in names:
                    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await connection.close()

        if names:
            run_sync(drop())
