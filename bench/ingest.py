"""Indicator ingestion: dataquartiers' upload path on PostgreSQL vs asyncpg COPY of the same rows.

The input is one generated wide CSV file as INSEE publishes them (``;``, decimal commas, one row
per QPV and vintage, one column per indicator): every one of the 1,609 QPV of the 2024 list ×
every indicator of the shipped catalogue (48) × ``--vintages`` vintages (13 by default: 2012 to
2024), i.e. 1,003,956 values. Rates lie between 0 and 100, counts are non-negative: every value
is valid.

- **project**: what an upload does past the HTTP layer and the RPC round trip. The file is put
  into the ``RESO_FILES`` object store in 64 KiB pieces (as the gateway streams it), then
  ``services.dataquartiers.handlers.upload_dataset(UploadDatasetV1(...), uow, files, reference)``
  runs on a warm engine: it takes the file back, parses and validates every value in a worker
  thread (:func:`services.dataquartiers.domain.ingest.parse`) and bulk-loads the draft with COPY
  in batches of 20,000, in one transaction.
- **baseline**: asyncpg ``copy_records_to_table`` of the same values, as tuples built
  beforehand, into ``indicator_values`` of another fresh migrated database, in one transaction.

Figures (medians over the rounds, 1 by default):

- ``dq_ingest_values_per_s``: values ÷ wall time of the upload (project) or the COPY (baseline).
- ``dq_ingest_peak_memory``: the peak traced by ``tracemalloc`` during a second, untimed run of
  each path, in MiB. What exists before the call (the file's bytes; the baseline's tuples) is
  not counted.
- ``dq_sheet_latency_p50/p95``: once the dataset is published, the service runs (its app, on
  the same database) behind a real gateway (uvicorn on loopback), and the territory sheet of
  each of the 1,609 QPV is asked, one at a time, by ``GET /api/v1/territoires/qpv/{code}`` (the
  QPV, its communes, EPCI, department and region, every published indicator of the QPV beside
  theirs). Baseline: the gateway's own ``GET /healthz`` on the same server and client, as many
  times, interleaved.

PostgreSQL as in ``bench.members_import``. Run alone: ``python -m bench.ingest [--vintages 13]
[--rounds 1]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from bench.common import Figures, free_port, nats_server, percentile, quiet_logging, serving
from bench.members_import import MIB, _dsn, _sqlalchemy_url, pieces, postgres, timed, traced
from contracts.dataquartiers import (
    DatasetReportV1,
    PublishDatasetV1,
    UploadDatasetV1,
)
from reference import territories
from services.dataquartiers.app import build_app
from services.dataquartiers.domain.catalogue import Catalogue, load_catalogue
from services.dataquartiers.handlers import Reference, publish_dataset, upload_dataset
from services.dataquartiers.settings import DataquartiersSettings
from services.dataquartiers.store import DataquartiersUnitOfWork, contract_mapper, reliability
from services.dataquartiers.store.schema import VALUE_COLUMNS
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.runtime.bus import Bus, provision_streams
from services.runtime.db import create_engine, ping, session_factory
from services.runtime.files import Files
from services.runtime.migrations import upgrade
from services.runtime.settings import CentreSettings, NatsSettings

FIRST_VINTAGE = 2012
HEALTH = "rpc.dataquartiers.health.check.v1"
Record = tuple[str, str, int, str, str, float, None, None]


@contextlib.asynccontextmanager
async def throwaway_database(admin_url: str) -> AsyncIterator[str]:
    """A fresh database migrated like the dataquartiers service's; yields its asyncpg DSN."""
    name = f"reso_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_dsn(admin_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            dsn = _dsn(admin_url).rsplit("/", 1)[0] + f"/{name}"
            await upgrade("dataquartiers", _sqlalchemy_url(dsn))
            yield dsn
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def indicator_file(catalogue: Catalogue, qpvs: list[str], vintages: int) -> tuple[bytes, int]:
    """The wide file and how many values it holds (seeded: the same every run)."""
    draw = random.Random(2024)
    indicators = list(catalogue)
    lines = [";".join(["code_qp", "millesime", *(i.id for i in indicators)])]
    for vintage in range(FIRST_VINTAGE, FIRST_VINTAGE + vintages):
        for code in qpvs:
            cells = [code, str(vintage)]
            for indicator in indicators:
                value = draw.uniform(0, 100) if indicator.is_rate else draw.uniform(0, 5000)
                cells.append(f"{value:.1f}".replace(".", ","))
            lines.append(";".join(cells))
    return ("\n".join(lines) + "\n").encode(), len(qpvs) * len(indicators) * vintages


def records(data: bytes, dataset_id: str) -> list[Record]:
    """The same values as tuples of ``indicator_values``' columns: what the baseline copies."""
    text = data.decode().splitlines()
    header = text[0].split(";")
    rows: list[Record] = []
    for line in text[1:]:
        cells = line.split(";")
        code, vintage = cells[0], int(cells[1])
        for indicator, raw in zip(header[2:], cells[2:], strict=True):
            value = float(raw.replace(",", "."))
            rows.append((dataset_id, indicator, vintage, "qpv", code, value, None, None))
    return rows


async def project_round(
    dsn: str, files: Files, reference: Reference, data: bytes, n: int
) -> tuple[float, float, DatasetReportV1]:
    engine = create_engine(_sqlalchemy_url(dsn))
    sessions = session_factory(engine)
    to_contract = contract_mapper(CentreSettings())

    def uow() -> DataquartiersUnitOfWork:
        return DataquartiersUnitOfWork(sessions, reliability, to_contract=to_contract)

    async def upload() -> DatasetReportV1:
        stored = await files.put(pieces(data), max_bytes=len(data))
        command = UploadDatasetV1(file=stored.name, name="bench", vintage=None, by="bench")
        return await upload_dataset(command, uow, files, reference)

    connection = await asyncpg.connect(dsn)
    try:
        await ping(engine)
        report, elapsed = await timed(upload)
        _check("upload", report.valid, await _count(connection), n)
        await connection.execute("TRUNCATE indicator_values, datasets CASCADE")
        report, peak = await traced(upload)
        _check("upload (traced)", report.valid, await _count(connection), n)
    finally:
        await connection.close()
        await engine.dispose()
    return n / elapsed, peak, report


async def baseline_round(dsn: str, data: bytes, n: int) -> tuple[float, float]:
    dataset_id = str(uuid.uuid4())
    rows = records(data, dataset_id)
    connection = await asyncpg.connect(dsn)

    async def copy() -> None:
        async with connection.transaction():
            await connection.execute(
                "INSERT INTO datasets (id, name, provenance, status, indicators, vintages, "
                "value_count, summary, created_at, created_by) "
                "VALUES ($1, 'bench', '', 'draft', '[]', '[]', $2, '', $3, 'bench')",
                dataset_id,
                len(rows),
                datetime.now(UTC),
            )
            await connection.copy_records_to_table(
                "indicator_values", records=rows, columns=list(VALUE_COLUMNS)
            )

    try:
        _, elapsed = await timed(copy)
        _check("baseline", len(rows), await _count(connection), n)
        await connection.execute("TRUNCATE indicator_values, datasets CASCADE")
        _, peak = await traced(copy)
        _check("baseline (traced)", len(rows), await _count(connection), n)
    finally:
        await connection.close()
    return n / elapsed, peak


async def latencies(
    dsn: str,
    nats_url: str,
    reference: Reference,
    report: DatasetReportV1,
    qpvs: list[str],
    folder: Path,
) -> tuple[list[float], list[float], float]:
    """Publish the dataset, run the service and a gateway, ask the sheet of each QPV over HTTP;
    and the gateway's health endpoint."""
    nats = NatsSettings(url=nats_url, rpc_timeout_seconds=60)
    app = build_app(DataquartiersSettings(database_url=_sqlalchemy_url(dsn), nats=nats))
    gateway_db = f"sqlite+aiosqlite:///{folder / 'gateway.db'}"
    await upgrade("gateway", gateway_db)
    port = free_port()
    gateway = create_app(
        GatewaySettings(
            database_url=gateway_db,
            nats=nats,
            centre=CentreSettings(public_url=f"http://127.0.0.1:{port}"),
        )
    )
    engine = create_engine(_sqlalchemy_url(dsn))
    sessions = session_factory(engine)
    to_contract = contract_mapper(CentreSettings())

    def uow() -> DataquartiersUnitOfWork:
        return DataquartiersUnitOfWork(sessions, reliability, to_contract=to_contract)

    assert report.dataset_id is not None
    start = time.perf_counter()
    await publish_dataset(PublishDatasetV1(dataset_id=report.dataset_id, by="bench"), uow,
                          reference)  # fmt: skip
    publishing = time.perf_counter() - start
    await engine.dispose()
    sheets: list[float] = []
    health: list[float] = []
    await app.start()
    try:
        async with (
            serving(gateway, port) as base_url,
            httpx.AsyncClient(base_url=base_url, timeout=60) as client,
        ):
            for code in qpvs:
                start = time.perf_counter()
                answer = await client.get(f"/api/v1/territoires/qpv/{code}")
                sheets.append((time.perf_counter() - start) * 1000)
                if answer.status_code != 200 or not answer.json().get("indicators"):
                    raise RuntimeError(f"no sheet for {code}: {answer.status_code}")
                start = time.perf_counter()
                answer = await client.get("/healthz")
                health.append((time.perf_counter() - start) * 1000)
                answer.raise_for_status()
    finally:
        await app.stop()
    return sheets, health, publishing


async def _count(connection: asyncpg.Connection) -> int:
    return int(await connection.fetchval("SELECT count(*) FROM indicator_values"))


def _check(what: str, valid: int, stored: int, n: int) -> None:
    if valid != n or stored != n:
        raise RuntimeError(f"{what}: {valid} valid, {stored} stored, expected {n}")


async def run(admin_url: str, nats_url: str, *, vintages: int, rounds: int) -> Figures:
    reference = Reference(load_catalogue(), territories())
    qpvs = sorted(reference.territories.qpvs)
    data, n = indicator_file(reference.catalogue, qpvs, vintages)
    print(f"dq_ingest: {n} values, file of {len(data) / MIB:.1f} MiB", flush=True)
    await provision_streams(NatsSettings(url=nats_url))
    bus = Bus("bench", NatsSettings(url=nats_url))
    await bus.broker.start()
    figures = Figures()
    try:
        for round_no in range(rounds):
            async with throwaway_database(admin_url) as ours, \
                    throwaway_database(admin_url) as raw:  # fmt: skip
                if round_no % 2:
                    base = await baseline_round(raw, data, n)
                    project = await project_round(ours, bus.files, reference, data, n)
                else:
                    project = await project_round(ours, bus.files, reference, data, n)
                    base = await baseline_round(raw, data, n)
                figures.add("dq_ingest_values_per_s", "values/s", project[0], base[0])
                figures.add("dq_ingest_peak_memory", "MiB", project[1], base[1])
                if round_no == rounds - 1:
                    with tempfile.TemporaryDirectory(prefix="reso-bench-gateway-") as folder:
                        sheets, health, publishing = await latencies(
                            ours, nats_url, reference, project[2], qpvs, Path(folder)
                        )
                    print(f"dq_publish: {n} values in {publishing:.1f} s", flush=True)
                    for q in (50, 95):
                        figures.add(f"dq_sheet_latency_p{q}", "ms", percentile(sheets, q),
                                    percentile(health, q))  # fmt: skip
    finally:
        await bus.broker.stop()
    return figures


def main(*, vintages: int = 13, rounds: int = 1) -> None:
    """Find PostgreSQL, start a nats-server, run the benchmark, print its figures."""
    quiet_logging()
    with postgres() as admin_url, nats_server() as nats_url:
        figures = asyncio.run(run(admin_url, nats_url, vintages=vintages, rounds=rounds))
    figures.print()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vintages", type=int, default=13, help="vintages (13: ~1M values)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds (median)")
    options = parser.parse_args()
    main(vintages=options.vintages, rounds=options.rounds)
