"""Repository of datasets, their raw values and the published (secrecy-applied) values."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.dataquartiers.domain.datasets import OPEN, PUBLISHED, Dataset, RawValue
from services.dataquartiers.domain.ingest import Value
from services.dataquartiers.domain.secrecy import Disclosure
from services.dataquartiers.domain.territories import Level, TerritoryRef
from services.dataquartiers.store.schema import (
    VALUE_COLUMNS,
    datasets,
    indicator_values,
    published_values,
)

BATCH = 20_000
"""Values per COPY (PostgreSQL) or executemany (SQLite) call: one progress step."""

Progress = Callable[[int], None]


def _dataset(row: Any) -> Dataset:
    return Dataset(
        id=uuid.UUID(row.id),
        name=row.name,
        provenance=row.provenance,
        status=row.status,
        indicators=tuple(json.loads(row.indicators)),
        vintages=tuple(json.loads(row.vintages)),
        values=row.value_count,
        summary=row.summary,
        created_at=row.created_at,
        created_by=row.created_by,
        published_at=row.published_at,
        published_by=row.published_by,
        access=row.access,
    )


class DatasetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    async def add(self, dataset: Dataset) -> None:
        await self.session.execute(
            insert(datasets).values(
                id=str(dataset.id),
                name=dataset.name,
                provenance=dataset.provenance,
                status=dataset.status,
                indicators=json.dumps(list(dataset.indicators)),
                vintages=json.dumps(list(dataset.vintages)),
                value_count=dataset.values,
                summary=dataset.summary,
                created_at=dataset.created_at,
                created_by=dataset.created_by,
                access=dataset.access,
            )
        )

    async def get(self, dataset_id: uuid.UUID, *, for_update: bool = False) -> Dataset | None:
        query = select(datasets).where(datasets.c.id == str(dataset_id))
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return _dataset(row) if row else None

    async def update_contents(self, dataset: Dataset) -> None:
        """Record what a draft holds once its values are loaded (an upload streams its values
        into a draft added beforehand)."""
        await self.session.execute(
            update(datasets)
            .where(datasets.c.id == str(dataset.id))
            .values(
                indicators=json.dumps(list(dataset.indicators)),
                vintages=json.dumps(list(dataset.vintages)),
                value_count=dataset.values,
                summary=dataset.summary,
            )
        )

    async def lock_publication(self) -> None:
        """Serialise publications (PostgreSQL; SQLite serialises every write already): two
        datasets of the same table published at once would each miss the other's values."""
        if self._dialect == "postgresql":
            await self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('dq-publish'))"))

    async def mark_published(self, dataset_id: uuid.UUID, at: datetime, by: str) -> None:
        await self.session.execute(
            update(datasets)
            .where(datasets.c.id == str(dataset_id))
            .values(status=PUBLISHED, published_at=at, published_by=by)
        )

    async def add_values(
        self, dataset_id: uuid.UUID, values: Sequence[Value], progress: Progress | None = None
    ) -> None:
        """Bulk-load raw values: COPY on PostgreSQL (asyncpg's ``copy_records_to_table`` on
        the transaction's own connection), executemany on SQLite; ``progress`` gets the count
        loaded after each batch."""
        key = str(dataset_id)
        postgres = self._dialect == "postgresql"
        driver: Any = None
        if postgres:
            connection = await self.session.connection()
            driver = (await connection.get_raw_connection()).driver_connection
        for start in range(0, len(values), BATCH):
            batch = values[start : start + BATCH]
            if postgres:
                await driver.copy_records_to_table(
                    indicator_values.name,
                    records=[
                        (
                            key,
                            v.indicator,
                            v.vintage,
                            str(v.territory.level),
                            v.territory.code,
                            v.value,
                            v.base,
                            v.largest,
                        )
                        for v in batch
                    ],
                    columns=list(VALUE_COLUMNS),
                )
            else:
                await self.session.execute(
                    insert(indicator_values),
                    [
                        {
                            "dataset_id": key,
                            "indicator": v.indicator,
                            "vintage": v.vintage,
                            "level": str(v.territory.level),
                            "code": v.territory.code,
                            "value": v.value,
                            "base": v.base,
                            "largest": v.largest,
                        }
                        for v in batch
                    ],
                )
            if progress is not None:
                progress(start + len(batch))

    async def territories_of(
        self, dataset_id: uuid.UUID, indicator: str, vintage: int
    ) -> set[tuple[str, str]]:
        """The (level, code) a dataset gives a value for in one table (not the values)."""
        rows = await self.session.execute(
            select(indicator_values.c.level, indicator_values.c.code).where(
                indicator_values.c.dataset_id == str(dataset_id),
                indicator_values.c.indicator == indicator,
                indicator_values.c.vintage == vintage,
            )
        )
        return {(row.level, row.code) for row in rows}

    async def tables(self, dataset_id: uuid.UUID) -> list[tuple[str, int]]:
        """The (indicator, vintage) pairs a dataset holds values of."""
        rows = await self.session.execute(
            select(indicator_values.c.indicator, indicator_values.c.vintage)
            .where(indicator_values.c.dataset_id == str(dataset_id))
            .distinct()
            .order_by(indicator_values.c.indicator, indicator_values.c.vintage)
        )
        return [(row.indicator, row.vintage) for row in rows]

    async def published_raw(
        self, indicator: str, vintage: int, *, dataset_id: uuid.UUID | None = None
    ) -> dict[TerritoryRef, RawValue]:
        """Raw values of a table over every published open dataset (the latest published wins),
        or, given ``dataset_id``, of that dataset alone (a restricted one is its own table)."""
        scope = (
            datasets.c.id == str(dataset_id)
            if dataset_id is not None
            else (datasets.c.status == PUBLISHED) & (datasets.c.access == OPEN)
        )
        rows = await self.session.execute(
            select(indicator_values)
            .join(datasets, datasets.c.id == indicator_values.c.dataset_id)
            .where(
                scope,
                indicator_values.c.indicator == indicator,
                indicator_values.c.vintage == vintage,
            )
            .order_by(datasets.c.published_at, datasets.c.id)
        )
        table: dict[TerritoryRef, RawValue] = {}
        for row in rows:
            territory = TerritoryRef(Level(row.level), row.code)
            table[territory] = RawValue(territory, row.value, row.base, row.largest)
        return table

    async def replace_published(
        self,
        indicator: str,
        vintage: int,
        published: Mapping[TerritoryRef, Disclosure],
        dataset_id: uuid.UUID,
        at: datetime,
    ) -> None:
        await self.session.execute(
            delete(published_values).where(
                published_values.c.indicator == indicator, published_values.c.vintage == vintage
            )
        )
        rows = [
            {
                "indicator": indicator,
                "vintage": vintage,
                "level": str(territory.level),
                "code": territory.code,
                "value": disclosure.value,
                "reason": disclosure.reason,
                "primary_secret": disclosure.primary,
                "dataset_id": str(dataset_id),
                "published_at": at,
            }
            for territory, disclosure in sorted(published.items())
        ]
        for start in range(0, len(rows), BATCH):
            await self.session.execute(insert(published_values), rows[start : start + BATCH])

    async def published(
        self, indicator: str, vintage: int | None, territories: Iterable[TerritoryRef] = ()
    ) -> list[Any]:
        """Rows of ``published_values``: the only values that may leave the service."""
        query = select(
            published_values.c.vintage,
            published_values.c.level,
            published_values.c.code,
            published_values.c.value,
            published_values.c.reason,
        ).where(published_values.c.indicator == indicator)
        if vintage is not None:
            query = query.where(published_values.c.vintage == vintage)
        wanted = list(territories)
        if wanted:  # narrowed in SQL by code (the primary key's last column), exactly below
            query = query.where(published_values.c.code.in_({t.code for t in wanted}))
        rows = list(
            await self.session.execute(
                query.order_by(
                    published_values.c.vintage, published_values.c.level, published_values.c.code
                )
            )
        )
        if wanted:
            keys = {(str(t.level), t.code) for t in wanted}
            rows = [row for row in rows if (row.level, row.code) in keys]
        return rows

    async def all(self) -> list[Dataset]:
        """Every dataset, newest first (descriptions: no value)."""
        rows = await self.session.execute(
            select(datasets).order_by(datasets.c.created_at.desc(), datasets.c.id)
        )
        return [_dataset(row) for row in rows]

    async def published_in(self, territories: Iterable[TerritoryRef]) -> list[Any]:
        """Every published value of these territories, all indicators and vintages, in one
        query (a territory sheet), with the provenance of the dataset that published it."""
        wanted: dict[str, list[str]] = {}
        for territory in territories:
            wanted.setdefault(str(territory.level), []).append(territory.code)
        if not wanted:
            return []
        condition = or_(
            *(
                (published_values.c.level == level) & published_values.c.code.in_(codes)
                for level, codes in wanted.items()
            )
        )
        rows = await self.session.execute(
            select(
                published_values.c.indicator,
                published_values.c.vintage,
                published_values.c.level,
                published_values.c.code,
                published_values.c.value,
                published_values.c.reason,
                datasets.c.provenance,
            )
            .outerjoin(datasets, datasets.c.id == published_values.c.dataset_id)
            .where(condition)
            .order_by(published_values.c.indicator, published_values.c.vintage.desc())
        )
        return list(rows)
