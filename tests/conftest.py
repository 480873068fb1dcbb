"""Session fixtures: real nats-server (from the wheel), PostgreSQL, SMTP sink, both database lanes.

Every integration and end-to-end test that takes ``lane`` runs twice: on SQLite and on
PostgreSQL. In CI (``CI`` set) the PostgreSQL lane must run: failing to find or start a server
fails the run instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from services.runtime.mailsink import MailSink
from services.runtime.nats_server import EmbeddedNats
from tests.support.infra import PostgresDatabases, find_postgres

DatabaseFactory = Callable[[str], str]

ROOT = Path(__file__).resolve().parents[1]

PROCESSES_GROUP = "processes"
"""The tests that run the platform or a service as processes and kill or time them: under
``pytest -n N --dist loadgroup`` (``make test``) they run one after another on one worker,
never two at once, while the other workers take the rest."""
_PROCESS_TESTS = ("tests/e2e/", "tests/integration/test_sending_crashes.py")


def pytest_configure(config: pytest.Config) -> None:
    """``pytest -n N`` over tests/browser refuses to start: Playwright's sync API holds the
    event loop the asyncio tests need, so browser tests run in a process of their own, after
    the rest (``make test`` runs ``pytest tests/browser`` after the workers are done)."""
    if not config.pluginmanager.hasplugin("xdist") or not config.getoption("numprocesses"):
        return
    browser = ROOT / "tests" / "browser"
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if path == browser or path in browser.parents or browser in path.parents:
            raise pytest.UsageError(
                f"{arg} holds the browser tests, which cannot run on xdist workers: run"
                " `pytest -n N tests/unit tests/integration tests/e2e`, then `pytest tests/browser`"
            )


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup`` with the process tests as one group. xdist 3.8 groups by renaming
    node ids, which pytest 9 no longer allows, so the groups are made here: the process tests
    are one unit of work, handed out first (the longest), every other file one unit."""
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return PROCESSES_GROUP if path.startswith(_PROCESS_TESTS) else path

        def _assign_work_unit(self, node: Any) -> None:
            if PROCESSES_GROUP in self.workqueue:
                self.workqueue.move_to_end(PROCESSES_GROUP, last=False)
            super()._assign_work_unit(node)

    if config.getvalue("dist") != "loadgroup":
        return None
    return Scheduling(config, log)


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
def database(
    lane: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[DatabaseFactory]:
    """``database("members")`` gives a fresh, empty database URL on the test's lane. The
    PostgreSQL ones are dropped when the test ends (not all at the end of the session, where
    hundreds of drops would fall in the last test's timeout)."""
    if lane == "sqlite":
        yield lambda label: f"sqlite+aiosqlite:///{tmp_path / f'{label}.db'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres")
    created: list[str] = []

    def create(label: str) -> str:
        created.append(databases.create(label))
        return created[-1]

    yield create
    databases.drop(created)


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
