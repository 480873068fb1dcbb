"""Use cases about who reads what: listing datasets, sharing a restricted dataset with a
partner, reading a dataset's published values (restricted reads logged), the read log, and the
preview of what secrecy would hide before publishing."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from contracts.dataquartiers import (
    DatasetAccess,
    DatasetReadsV1,
    DatasetReadV1,
    DatasetsV1,
    DatasetV1,
    DatasetValuesV1,
    DatasetValueV1,
    GetDatasetValuesV1,
    HiddenCellV1,
    ListDatasetReadsV1,
    ListDatasetsV1,
    PreviewDatasetV1,
    ReasonCountV1,
    SecrecyPreviewV1,
    ShareDatasetV1,
    TablePreviewV1,
)
from services.dataquartiers.domain import access
from services.dataquartiers.domain.access import Forbidden, Grant, Reader
from services.dataquartiers.domain.datasets import PUBLISHED, RESTRICTED
from services.dataquartiers.domain.secrecy import SUPPRESSED
from services.dataquartiers.domain.territories import TerritoryRef, name_of
from services.dataquartiers.handlers.datasets import (
    Reference,
    dataset_contract,
    not_found,
    published_table,
)
from services.dataquartiers.store import UowFactory
from services.runtime.errors import Conflict
from services.runtime.logging import get_logger

log = get_logger("reso.dataquartiers")

HIDDEN_LISTED_BYTES = 512 * 1024
"""The preview goes back in one NATS message: hidden cells are listed up to this size (JSON)."""


async def list_datasets(query: ListDatasetsV1, uow: UowFactory) -> DatasetsV1:
    async with uow() as work:
        found = await work.datasets.all()
        return DatasetsV1(
            datasets=tuple([dataset_contract(d, await work.access.grants(d.id)) for d in found])
        )


async def share_dataset(command: ShareDatasetV1, uow: UowFactory) -> DatasetV1:
    async with uow() as work:
        dataset = await work.datasets.get(command.dataset_id, for_update=True)
        if dataset is None:
            raise not_found(command.dataset_id)
        access.check_shareable(dataset, command.starts_on, command.ends_on)
        await work.access.share(
            Grant(
                dataset_id=dataset.id,
                partner=" ".join(command.partner.split()),
                agreement=command.agreement.strip(),
                starts_on=command.starts_on,
                ends_on=command.ends_on,
                granted_at=datetime.now(UTC),
                granted_by=command.by,
            )
        )
        await work.commit()
        grants = await work.access.grants(dataset.id)
    log.info("dataset shared", dataset=str(dataset.id), partner=command.partner, by=command.by)
    return dataset_contract(dataset, grants)


async def dataset_values(
    query: GetDatasetValuesV1, uow: UowFactory, reference: Reference, *, today: date | None = None
) -> DatasetValuesV1:
    """The published values of one dataset. A restricted dataset's read is logged (who, when,
    what was asked, allowed or not) in the transaction that reads it."""
    now = datetime.now(UTC)
    reader = (
        Reader(query.reader.email, query.reader.role, query.reader.partner)
        if query.reader
        else None
    )
    asked = json.dumps(
        {
            "indicator": query.indicator,
            "vintage": query.vintage,
            "territories": list(query.territories),
        },
        ensure_ascii=False,
    )
    async with uow() as work:
        dataset = await work.datasets.get(query.dataset_id)
        if dataset is None:
            raise not_found(query.dataset_id)
        restricted = dataset.access == RESTRICTED
        grants = await work.access.grants(dataset.id) if restricted else []
        allowed = access.may_read(dataset, reader, grants, today or now.date())
        if not allowed:
            await work.access.log_read(dataset.id, reader, asked, allowed=False, values=0, at=now)
            await work.commit()
            raise Forbidden(
                "Ce jeu de données est réservé aux partenaires de la convention qui le "
                "partage : votre compte n'y a pas accès."
            )
        access.check_readable(dataset)
        found: list[tuple[str, Any]] = []
        if restricted:
            for row in await work.access.restricted(dataset.id, query.indicator, query.vintage):
                found.append((row.indicator, row))
        else:
            for indicator, vintage in await work.datasets.tables(dataset.id):
                if query.indicator in (None, indicator) and query.vintage in (None, vintage):
                    # The table as published now, where this dataset gave a value.
                    own = await work.datasets.territories_of(dataset.id, indicator, vintage)
                    found += [
                        (indicator, row)
                        for row in await work.datasets.published(indicator, vintage)
                        if (row.level, row.code) in own
                    ]
        if query.territories:
            wanted = set(query.territories)
            found = [item for item in found if f"{item[1].level}:{item[1].code}" in wanted]
        if restricted:
            await work.access.log_read(
                dataset.id, reader, asked, allowed=True, values=len(found), at=now
            )
            await work.commit()
    return DatasetValuesV1(
        dataset_id=dataset.id,
        name=dataset.name,
        provenance=dataset.provenance,
        access=DatasetAccess(dataset.access),
        values=tuple(
            DatasetValueV1(
                indicator=indicator,
                territory=f"{row.level}:{row.code}",
                vintage=row.vintage,
                value=row.value,
                shown=SUPPRESSED if row.value is None else row.value,
                reason=row.reason,
            )
            for indicator, row in found
        ),
    )


async def list_reads(query: ListDatasetReadsV1, uow: UowFactory) -> DatasetReadsV1:
    async with uow() as work:
        total, rows = await work.access.reads(query.dataset_id, query.limit, query.offset)
    return DatasetReadsV1(
        total=total,
        items=tuple(
            DatasetReadV1(
                at=row.at,
                reader=row.reader,
                role=row.role,
                partner=row.partner,
                dataset_id=row.dataset_id,
                query=row.query,
                allowed=row.allowed,
                values=row.value_count,
            )
            for row in rows
        ),
    )


async def preview_dataset(
    query: PreviewDatasetV1, uow: UowFactory, reference: Reference
) -> SecrecyPreviewV1:
    """What publishing the draft would hide, table by table: counts, reasons and the hidden
    cells (territory and reason, primary first) up to :data:`HIDDEN_LISTED_BYTES`; no value."""
    tables: list[TablePreviewV1] = []
    budget = HIDDEN_LISTED_BYTES
    async with uow() as work:
        dataset = await work.datasets.get(query.dataset_id)
        if dataset is None:
            raise not_found(query.dataset_id)
        if dataset.status == PUBLISHED:
            raise Conflict("Ce jeu de données est déjà publié.")
        for indicator_id, vintage in await work.datasets.tables(dataset.id):
            indicator = reference.catalogue.get(indicator_id)
            if indicator is None:
                continue
            published = await published_table(work, reference, dataset, indicator, vintage)
            hidden = sorted(
                (d for d in published.values() if d.value is None),
                key=lambda d: (not d.primary, d.key),
            )
            reasons = Counter(_reason_kind(d.reason) for d in hidden)
            listed: list[HiddenCellV1] = []
            for disclosure in hidden:
                territory = TerritoryRef.from_key(disclosure.key)
                cell = HiddenCellV1(
                    territory=disclosure.key,
                    name=name_of(reference.territories, territory),
                    primary=disclosure.primary,
                    reason=disclosure.reason,
                )
                budget -= len(cell.model_dump_json()) + 8
                if budget < 0:
                    break
                listed.append(cell)
            tables.append(
                TablePreviewV1(
                    indicator=indicator_id,
                    vintage=vintage,
                    cells=len(published),
                    hidden=len(hidden),
                    hidden_primary=sum(1 for d in hidden if d.primary),
                    hidden_secondary=sum(1 for d in hidden if not d.primary),
                    reasons=tuple(
                        ReasonCountV1(reason=reason, cells=count)
                        for reason, count in sorted(reasons.items())
                    ),
                    label=indicator.label,
                    hidden_cells=tuple(listed),
                    hidden_not_listed=len(hidden) - len(listed),
                )
            )
    return SecrecyPreviewV1(dataset_id=dataset.id, tables=tuple(tables))


def _reason_kind(reason: str) -> str:
    """Secondary reasons name the cell they protect: grouped, they read as one kind."""
    if reason.startswith("secret statistique (secondaire)"):
        return "secret statistique (secondaire) : empêche de recalculer une valeur masquée"
    return reason
