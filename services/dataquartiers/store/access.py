"""Repository of restricted datasets: grants to partners, their published values, the read log."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.dataquartiers.domain.access import Grant, Reader
from services.dataquartiers.domain.secrecy import Disclosure
from services.dataquartiers.domain.territories import TerritoryRef
from services.dataquartiers.store.schema import dataset_grants, dataset_reads, restricted_values

BATCH = 20_000


class AccessRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def grants(self, dataset_id: uuid.UUID) -> list[Grant]:
        rows = await self.session.execute(
            select(dataset_grants)
            .where(dataset_grants.c.dataset_id == str(dataset_id))
            .order_by(dataset_grants.c.partner)
        )
        return [
            Grant(
                dataset_id=uuid.UUID(row.dataset_id),
                partner=row.partner,
                agreement=row.agreement,
                starts_on=row.starts_on,
                ends_on=row.ends_on,
                granted_at=row.granted_at,
                granted_by=row.granted_by,
            )
            for row in rows
        ]

    async def share(self, grant: Grant) -> None:
        """Add the grant, replacing the partner's previous one for the dataset."""
        await self.session.execute(
            delete(dataset_grants).where(
                dataset_grants.c.dataset_id == str(grant.dataset_id),
                func.lower(dataset_grants.c.partner) == grant.partner.lower(),
            )
        )
        await self.session.execute(
            insert(dataset_grants).values(
                dataset_id=str(grant.dataset_id),
                partner=grant.partner,
                agreement=grant.agreement,
                starts_on=grant.starts_on,
                ends_on=grant.ends_on,
                granted_at=grant.granted_at,
                granted_by=grant.granted_by,
            )
        )

    async def replace_restricted(
        self,
        dataset_id: uuid.UUID,
        indicator: str,
        vintage: int,
        published: Mapping[TerritoryRef, Disclosure],
    ) -> None:
        key = str(dataset_id)
        await self.session.execute(
            delete(restricted_values).where(
                restricted_values.c.dataset_id == key,
                restricted_values.c.indicator == indicator,
                restricted_values.c.vintage == vintage,
            )
        )
        rows = [
            {
                "dataset_id": key,
                "indicator": indicator,
                "vintage": vintage,
                "level": str(territory.level),
                "code": territory.code,
                "value": disclosure.value,
                "reason": disclosure.reason,
                "primary_secret": disclosure.primary,
            }
            for territory, disclosure in sorted(published.items())
        ]
        for start in range(0, len(rows), BATCH):
            await self.session.execute(insert(restricted_values), rows[start : start + BATCH])

    async def restricted(
        self, dataset_id: uuid.UUID, indicator: str | None, vintage: int | None
    ) -> list[Any]:
        """Published (secrecy-applied) values of a restricted dataset."""
        query = select(
            restricted_values.c.indicator,
            restricted_values.c.vintage,
            restricted_values.c.level,
            restricted_values.c.code,
            restricted_values.c.value,
            restricted_values.c.reason,
        ).where(restricted_values.c.dataset_id == str(dataset_id))
        if indicator is not None:
            query = query.where(restricted_values.c.indicator == indicator)
        if vintage is not None:
            query = query.where(restricted_values.c.vintage == vintage)
        order = (
            restricted_values.c.indicator,
            restricted_values.c.vintage,
            restricted_values.c.level,
            restricted_values.c.code,
        )
        return list(await self.session.execute(query.order_by(*order)))

    async def log_read(
        self,
        dataset_id: uuid.UUID,
        reader: Reader | None,
        query: str,
        *,
        allowed: bool,
        values: int,
        at: datetime,
    ) -> None:
        await self.session.execute(
            insert(dataset_reads).values(
                at=at,
                reader=reader.email if reader else "anonyme",
                role=reader.role if reader else "",
                partner=reader.partner if reader else None,
                dataset_id=str(dataset_id),
                query=query,
                allowed=allowed,
                value_count=values,
            )
        )

    async def reads(
        self, dataset_id: uuid.UUID | None, limit: int, offset: int
    ) -> tuple[int, list[Any]]:
        where = [] if dataset_id is None else [dataset_reads.c.dataset_id == str(dataset_id)]
        total = await self.session.scalar(
            select(func.count()).select_from(dataset_reads).where(*where)
        )
        rows = await self.session.execute(
            select(dataset_reads)
            .where(*where)
            .order_by(dataset_reads.c.at.desc(), dataset_reads.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return int(total or 0), list(rows)
