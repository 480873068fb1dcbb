"""Session fixtures: real nats-server (from the wheel), PostgreSQL, SMTP sink, both database lanes.

Every integration and end-to-end test that takes ``lane`` runs twice: on SQLite and on
PostgreSQL. In CI (``CI`` set) the PostgreSQL lane must run: failing to find or start a server
fails the run instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from services.runtime.mailsink import MailSink
from services.runtime.nats_server import EmbeddedNats
from tests.support.infra import PostgresDatabases, find_postgres

DatabaseFactory = Callable[[str], str]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases]:
    try:
        admin_url, cluster, origin = find_postgres()
    except Exception as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL lane cannot run in CI: {error}")
        pytest.skip(f"PostgreSQL unavailable (prerequisite for the postgresql lane): {error}")
    databases = PostgresDatabases(admin_url)
    print(f"\nPostgreSQL for tests: {origin}")
    try:
        yield databases
    finally:
        databases.drop_all()
        if cluster is not None:
            cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def lane(request: pytest.FixtureRequest) -> str:
    lane_name: str = request.param
    return lane_name


@pytest.fixture
def database(lane: str, tmp_path: Path, request: pytest.FixtureRequest) -> DatabaseFactory:
    """``database("members")`` gives a fresh, empty database URL on the test's lane."""
    if lane == "sqlite":
        return lambda label: f"sqlite+aiosqlite:///{tmp_path / f'{label}.db'}"
    databases: PostgresDatabases = request.getfixturevalue("postgres")
    return databases.create


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[EmbeddedNats]:
    """A nats-server with JetStream of its own for this test (starts in ~0.1 s)."""
    server = EmbeddedNats(tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_sink(tmp_path: Path) -> Iterator[MailSink]:
    sink = MailSink(tmp_path / "mail")
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
