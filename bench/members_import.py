"""People import: members' import path on PostgreSQL vs a plain asyncpg ``executemany``.

Each round creates throw-away PostgreSQL databases (``CREATE DATABASE reso_bench_<hex>``),
migrated with the members service's Alembic history, and drops them at the end. A nats-server
with JetStream (from the wheel, in a temporary directory) holds the files bucket.

The input is one in-memory CSV file of ``n`` people as a French office exports it: Windows-1252,
``;`` between fields, headers ``Prénom;Nom;Courriel;Téléphone;Structure``, accented names, a
phone number, a structure, a unique e-mail on every row.

- **project**: what an import does past the HTTP layer. The file is streamed into the
  ``RESO_FILES`` object store in 64 KiB pieces (``Files.put``, as the gateway does with the
  request body), then ``services.members.handlers.import_people(ImportPeopleV2(file=...,
  dry_run=False), uow, files)`` runs with the members' ``MembersUnitOfWork`` on a warm engine:
  it reads the file back and deletes it, detects encoding and delimiter, maps header aliases,
  validates every row (names, e-mail, duplicates, phone), looks up already-known addresses and
  inserts in bulk, in one transaction. Only the RPC round trip (one small message each way) is
  left out.
- **baseline**: asyncpg ``executemany`` of an ``INSERT`` of the same rows (id, first_name,
  last_name, email, email_key, registered_at), built beforehand, into the ``people`` table of
  another fresh migrated database, in one transaction.

Figures (medians over the rounds):

- ``members_import_rows_per_s``: rows ÷ wall time of the upload and the call, each path on its
  own database.
- ``members_import_peak_memory``: the peak traced by ``tracemalloc`` during a second, untimed
  upload and call of each path (the project's after ``TRUNCATE people``), in MiB. What exists
  before the call (the file's bytes; the baseline's row tuples) is not counted.
- ``members_import_parse_rows_per_s``: rows ÷ time of ``parse_people(data)`` alone (the pure
  part: decoding, reading, validating), against the same baseline.

Every call is checked: the handler reports ``n`` created and ``people`` holds ``n`` rows.
PostgreSQL: ``RESO_TEST_POSTGRES_URL`` (an admin URL) if set, else 127.0.0.1:5432, else a
throw-away ``initdb`` cluster (as the tests find it, ``tests.support.infra.find_postgres``).

Run alone: ``python -m bench.members_import [--n 50000] [--rounds 3]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import TypeVar

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import Figures, arguments, nats_server, quiet_logging
from contracts.members import ImportPeopleV2, ImportReportV1
from services.members.domain import normalise_email
from services.members.domain.imports import parse_people
from services.members.handlers import import_people
from services.members.store import MembersUnitOfWork, contract_mapper, reliability
from services.runtime.bus import Bus, provision_streams
from services.runtime.db import create_engine, ping, session_factory
from services.runtime.files import Files
from services.runtime.migrations import upgrade
from services.runtime.settings import CentreSettings, NatsSettings
from tests.support.infra import find_postgres

T = TypeVar("T")
MIB = 1024 * 1024
INSERT = (
    "INSERT INTO people (id, first_name, last_name, email, email_key, registered_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)"
)
TRUNCATE = "TRUNCATE people CASCADE"  # affiliations refer to people (and are empty)
FIRST_NAMES = ("Élodie", "Loïc", "Gaëlle", "Jérôme", "Maëlys", "François", "Hélène", "Noël")
LAST_NAMES = ("Lefèvre", "Bécherel", "Guérin", "Le Bihan", "Prévost", "Chesnais", "Hervé")
STRUCTURES = ("Ville de Rennes", "Rennes Métropole", "Centre social Carrefour 18", "Préfecture")
PIECE = 64 * 1024  # how a request body arrives at the gateway, roughly
Row = tuple[str, str, str, str, str, datetime]


def office_export(n: int) -> bytes:
    """``n`` people as a French office's spreadsheet saves them: Windows-1252, ``;``, CRLF."""
    lines = ["Prénom;Nom;Courriel;Téléphone;Structure"]
    for i in range(1, n + 1):
        first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[i % len(LAST_NAMES)]
        structure = STRUCTURES[i % len(STRUCTURES)]
        email = f"agent.{i}@exemple-collectivite-{i % 40}.fr"
        lines.append(f"{first};{last}-{i};{email};02 99 {i % 100:02d} 12 34;{structure}")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def baseline_rows(data: bytes) -> list[Row]:
    """The rows the import stores, as plain tuples: what the baseline inserts."""
    now = datetime.now(UTC)
    return [
        (str(uuid.uuid4()), r.first_name, r.last_name, r.email, normalise_email(r.email), now)
        for r in parse_people(data).rows
    ]


def _dsn(url: str) -> str:
    """asyncpg wants ``postgresql://``; accept SQLAlchemy's ``postgresql+asyncpg://`` too."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _sqlalchemy_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


@contextlib.asynccontextmanager
async def throwaway_database(admin_url: str) -> AsyncIterator[str]:
    """A fresh database migrated like the members service's; yields its asyncpg DSN."""
    name = f"reso_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_dsn(admin_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            dsn = _dsn(admin_url).rsplit("/", 1)[0] + f"/{name}"
            await upgrade("members", _sqlalchemy_url(dsn))
            yield dsn
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def timed(call: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    start = time.perf_counter()
    result = await call()
    return result, time.perf_counter() - start


async def traced(call: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    """The result and the peak memory (MiB) traced by tracemalloc during the call."""
    tracemalloc.start()
    try:
        result = await call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak / MIB


async def count_people(connection: asyncpg.Connection) -> int:
    return int(await connection.fetchval("SELECT count(*) FROM people"))


def check(what: str, created: int, stored: int, n: int) -> None:
    if created != n or stored != n:
        raise RuntimeError(f"{what}: {created} created, {stored} stored, expected {n}")


async def pieces(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), PIECE):
        yield data[start : start + PIECE]


async def upload_and_import(
    data: bytes, files: Files, uow: Callable[[], MembersUnitOfWork]
) -> ImportReportV1:
    """The file into the object store, then the members' handler on it."""
    stored = await files.put(pieces(data), max_bytes=len(data))
    command = ImportPeopleV2(file=stored.name, dry_run=False, by="bench")
    return await import_people(command, uow, files)


async def project_round(admin_url: str, files: Files, data: bytes, n: int) -> tuple[float, float]:
    """The upload and the import handler on a fresh database: (rows/s, peak MiB)."""
    async with throwaway_database(admin_url) as dsn:
        engine: AsyncEngine = create_engine(_sqlalchemy_url(dsn))
        sessions = session_factory(engine)
        to_contract = contract_mapper(CentreSettings())

        def uow() -> MembersUnitOfWork:
            return MembersUnitOfWork(sessions, reliability, to_contract=to_contract)

        connection = await asyncpg.connect(dsn)
        try:
            await ping(engine)  # a warm pool, as in the running service
            report, elapsed = await timed(lambda: upload_and_import(data, files, uow))
            check("import", report.created, await count_people(connection), n)
            await connection.execute(TRUNCATE)
            report, peak = await traced(lambda: upload_and_import(data, files, uow))
            check("import (traced)", report.created, await count_people(connection), n)
        finally:
            await connection.close()
            await engine.dispose()
    return n / elapsed, peak


async def insert(connection: asyncpg.Connection, rows: list[Row]) -> int:
    async with connection.transaction():
        await connection.executemany(INSERT, rows)
    return len(rows)


async def baseline_round(admin_url: str, rows: list[Row], n: int) -> tuple[float, float]:
    """asyncpg ``executemany`` on a fresh database: (rows/s, peak MiB)."""
    async with throwaway_database(admin_url) as dsn:
        connection = await asyncpg.connect(dsn)
        try:
            created, elapsed = await timed(lambda: insert(connection, rows))
            check("baseline", created, await count_people(connection), n)
            await connection.execute(TRUNCATE)
            created, peak = await traced(lambda: insert(connection, rows))
            check("baseline (traced)", created, await count_people(connection), n)
        finally:
            await connection.close()
    return n / elapsed, peak


def parse_rate(data: bytes, n: int) -> float:
    start = time.perf_counter()
    report = parse_people(data)
    elapsed = time.perf_counter() - start
    if len(report.rows) != n or report.errors:
        raise RuntimeError(f"parse: {len(report.rows)} rows, {len(report.errors)} errors")
    return n / elapsed


async def run(admin_url: str, nats_url: str, *, n: int, rounds: int) -> Figures:
    data = office_export(n)
    settings = NatsSettings(url=nats_url)
    await provision_streams(settings)
    bus = Bus("bench", settings)
    await bus.broker.start()
    figures = Figures()
    try:
        for round_no in range(rounds):
            rows = baseline_rows(data)
            # Alternate which path goes first, so drift within a round favours neither.
            if round_no % 2:
                raw = await baseline_round(admin_url, rows, n)
                ours = await project_round(admin_url, bus.files, data, n)
            else:
                ours = await project_round(admin_url, bus.files, data, n)
                raw = await baseline_round(admin_url, rows, n)
            del rows
            parsed = parse_rate(data, n)
            figures.add("members_import_rows_per_s", "rows/s", ours[0], raw[0])
            figures.add("members_import_peak_memory", "MiB", ours[1], raw[1])
            figures.add("members_import_parse_rows_per_s", "rows/s", parsed, raw[0])
    finally:
        await bus.broker.stop()
    return figures


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """An admin URL; stops the throw-away cluster if one had to be started."""
    url, cluster, _where = find_postgres()
    try:
        yield url
    finally:
        if cluster is not None:
            cluster.stop()


def main(*, n: int = 50_000, rounds: int = 3) -> None:
    """Find PostgreSQL, start a nats-server, run the benchmark, print its figures."""
    quiet_logging()
    with postgres() as url, nats_server() as nats_url:
        figures = asyncio.run(run(url, nats_url, n=n, rounds=rounds))
    figures.print()


if __name__ == "__main__":
    args = arguments(__doc__ or "", default_n=50_000, default_rounds=3)
    main(n=args.n, rounds=args.rounds)
