"""Use cases about datasets: upload (parse, report, keep a draft), publish, describe.

The file is not in the command: the gateway streamed it into the object store and the command
names it. The handler takes it from there (reads, then deletes it) and parses it in a worker
thread so the service keeps answering meanwhile; the valid values are bulk-loaded into a draft
batch by batch as they are read (never all in memory), in one transaction. Publishing applies
statistical secrecy table by table and records one ``IndicatorPublished`` per table in the same
transaction (outbox).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from contracts.dataquartiers import (
    DatasetAccess,
    DatasetReportV1,
    DatasetStatus,
    DatasetV1,
    GetDatasetV1,
    GrantV1,
    ProblemV1,
    PublishDatasetV1,
    UploadDatasetV1,
)
from reference import Territories
from services.dataquartiers.domain import datasets, ingest
from services.dataquartiers.domain.access import Grant
from services.dataquartiers.domain.catalogue import SELF, Catalogue, Indicator
from services.dataquartiers.domain.datasets import Dataset, IndicatorPublished
from services.dataquartiers.domain.secrecy import Disclosure
from services.dataquartiers.domain.territories import TerritoryRef
from services.dataquartiers.store import DataquartiersUnitOfWork, UowFactory
from services.runtime.errors import NotFound
from services.runtime.logging import get_logger

log = get_logger("reso.dataquartiers")

ERRORS_LISTED_BYTES = 512 * 1024
"""The report goes back in one NATS message: errors are listed up to this size (JSON)."""


class FileSource(Protocol):
    """Where uploaded files wait (``services.runtime.files.Files``)."""

    async def take(self, name: str) -> bytes:
        """The file's bytes; it is deleted once read."""
        ...


@dataclass(frozen=True)
class Reference:
    """What the use cases read but never change: the catalogue and the territories."""

    catalogue: Catalogue
    territories: Territories


async def upload_dataset(
    command: UploadDatasetV1, uow: UowFactory, files: FileSource, reference: Reference
) -> DatasetReportV1:
    """Parse the file in a worker thread; unless it is a dry run, its valid values stream into
    a draft batch by batch as they are read (the thread waits for each batch to be written), in
    one transaction committed only if the file was not refused and held a value."""
    data = await files.take(command.file)
    loop = asyncio.get_running_loop()

    def parse(sink: ingest.Sink) -> ingest.IngestReport:
        return ingest.parse(
            data,
            reference.catalogue,
            reference.territories,
            vintage=command.vintage,
            progress=lambda lines: log.info(
                "reading indicator file", file=command.file, lines=lines
            ),
            sink=sink,
        )

    if command.dry_run:
        report = await asyncio.to_thread(parse, lambda batch: None)
        dataset_id: uuid.UUID | None = None
    else:
        dataset_id = uuid.uuid4()
        now = datetime.now(UTC)
        draft = Dataset(
            id=dataset_id,
            name=command.name,
            provenance=command.provenance,
            status=datasets.DRAFT,
            indicators=(),
            vintages=(),
            values=0,
            summary="",
            created_at=now,
            created_by=command.by,
            access=command.access.value,
        )
        async with uow() as work:
            await work.datasets.add(draft)
            loaded = 0

            async def store(batch: list[ingest.Value]) -> None:
                nonlocal loaded
                await work.datasets.add_values(draft.id, batch)
                loaded += len(batch)
                log.info("loading indicator values", dataset=str(dataset_id), loaded=loaded)

            def sink(batch: list[ingest.Value]) -> None:  # in the worker thread
                asyncio.run_coroutine_threadsafe(store(batch), loop).result()

            report = await asyncio.to_thread(parse, sink)
            if report.refused or not report.kept:
                dataset_id = None  # leaving without commit: nothing stays
            else:
                await work.datasets.update_contents(
                    replace(
                        draft,
                        indicators=tuple(report.indicators),
                        vintages=tuple(report.vintages),
                        values=report.kept,
                        summary=report.summary(),
                    )
                )
                await work.commit()
                log.info("dataset uploaded", dataset=str(dataset_id), values=report.kept)
    errors, not_listed = _listed(report.errors)
    return DatasetReportV1(
        dataset_id=dataset_id,
        summary=report.summary(),
        refused=report.refused,
        encoding=report.encoding,
        delimiter=report.delimiter,
        layout=report.layout,
        read=report.read,
        valid=report.kept,
        empty_cells=report.empty_cells,
        indicators=tuple(report.indicators),
        vintages=tuple(report.vintages),
        territories=report.territories,
        errors=errors,
        errors_not_listed=not_listed,
        notices=tuple(report.notices),
        dry_run=command.dry_run,
    )


async def publish_dataset(
    command: PublishDatasetV1, uow: UowFactory, reference: Reference
) -> DatasetV1:
    """Publish a draft: for each table it touches, secrecy over all published values of the
    table; one ``IndicatorPublished`` per table, in the same transaction."""
    now = datetime.now(UTC)
    async with uow() as work:
        await work.datasets.lock_publication()
        dataset = await work.datasets.get(command.dataset_id, for_update=True)
        if dataset is None:
            raise not_found(command.dataset_id)
        datasets.check_publishable(dataset)
        await work.datasets.mark_published(dataset.id, now, command.by)
        for indicator_id, vintage in await work.datasets.tables(dataset.id):
            indicator = reference.catalogue.get(indicator_id)
            if indicator is None:  # left the catalogue since the upload
                log.warning("indicator no longer in the catalogue", indicator=indicator_id)
                continue
            published = await published_table(work, reference, dataset, indicator, vintage)
            if dataset.access == datasets.RESTRICTED:
                # Its own tables, read by named partners only: not announced to the public.
                await work.access.replace_restricted(dataset.id, indicator_id, vintage, published)
                continue
            await work.datasets.replace_published(indicator_id, vintage, published, dataset.id, now)
            work.record(
                IndicatorPublished(
                    dataset_id=dataset.id,
                    indicator=indicator,
                    vintage=vintage,
                    territories=datasets.territory_keys(published),
                    occurred_at=now,
                )
            )
        await work.commit()
        published_dataset = await _get(work, dataset.id)
    log.info("dataset published", dataset=str(dataset.id), by=command.by)
    return published_dataset


async def published_table(
    work: DataquartiersUnitOfWork,
    reference: Reference,
    dataset: Dataset,
    indicator: Indicator,
    vintage: int,
) -> dict[TerritoryRef, Disclosure]:
    """What publishing ``dataset`` would publish for one table: an open dataset's table is
    recomputed over every published open dataset (with this one, published or about to be); a
    restricted dataset's table is its own values alone."""
    if dataset.access == datasets.RESTRICTED:
        raw = await work.datasets.published_raw(indicator.id, vintage, dataset_id=dataset.id)
    else:
        raw = await work.datasets.published_raw(indicator.id, vintage)
        if dataset.status != datasets.PUBLISHED:  # a preview: the draft as if published
            draft = await work.datasets.published_raw(indicator.id, vintage, dataset_id=dataset.id)
            raw.update(draft)
    bases: dict[TerritoryRef, float] = {}
    if indicator.base not in (None, SELF):
        base_table = await work.datasets.published_raw(str(indicator.base), vintage)
        if dataset.access == datasets.RESTRICTED or dataset.status != datasets.PUBLISHED:
            base_table.update(
                await work.datasets.published_raw(
                    str(indicator.base), vintage, dataset_id=dataset.id
                )
            )
        bases = {territory: item.value for territory, item in base_table.items()}
    return await asyncio.to_thread(  # CPU-bound: keep the service answering
        datasets.secrecy_applied, reference.territories, indicator, raw, bases
    )


async def get_dataset(query: GetDatasetV1, uow: UowFactory) -> DatasetV1:
    async with uow() as work:
        return await _get(work, query.dataset_id)


async def _get(work: DataquartiersUnitOfWork, dataset_id: uuid.UUID) -> DatasetV1:
    dataset = await work.datasets.get(dataset_id)
    if dataset is None:
        raise not_found(dataset_id)
    return dataset_contract(dataset, await work.access.grants(dataset.id))


def dataset_contract(dataset: Dataset, grants: Sequence[Grant] = ()) -> DatasetV1:
    return DatasetV1(
        dataset_id=dataset.id,
        name=dataset.name,
        provenance=dataset.provenance,
        status=DatasetStatus(dataset.status),
        indicators=dataset.indicators,
        vintages=dataset.vintages,
        values=dataset.values,
        summary=dataset.summary,
        created_at=dataset.created_at,
        created_by=dataset.created_by,
        published_at=dataset.published_at,
        published_by=dataset.published_by,
        access=DatasetAccess(dataset.access),
        blocked=datasets.publication_blocker(dataset) or "",
        grants=tuple(
            GrantV1(
                partner=g.partner,
                agreement=g.agreement,
                starts_on=g.starts_on,
                ends_on=g.ends_on,
                granted_by=g.granted_by,
            )
            for g in grants
        ),
    )


def not_found(dataset_id: uuid.UUID) -> NotFound:
    return NotFound("Jeu de données introuvable.", dataset_id=str(dataset_id))


def _listed(problems: Sequence[ingest.RowError]) -> tuple[tuple[ProblemV1, ...], int]:
    """The first problems whose JSON fits in the budget, and how many are left out."""
    budget = ERRORS_LISTED_BYTES
    listed: list[ProblemV1] = []
    for problem in problems:
        budget -= len(json.dumps(problem.reason)) + 32
        if budget < 0:
            break
        listed.append(ProblemV1(line=problem.line, reason=problem.reason))
    return tuple(listed), len(problems) - len(listed)
