"""Repository of organisations."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.domain import Organisation, PostalAddress, TerritoryCodes
from services.members.store.schema import organisation_qpvs, organisations


class OrganisationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def siren_taken(self, siren: str) -> bool:
        found = await self._session.execute(
            select(organisations.c.id).where(organisations.c.siren == siren)
        )
        return found.first() is not None

    async def add(self, organisation: Organisation) -> None:
        territory, address = organisation.territory, organisation.address
        await self._session.execute(
            insert(organisations).values(
                id=str(organisation.id),
                kind=organisation.kind,
                name=organisation.name,
                siren=organisation.siren,
                street=address.street,
                postcode=address.postcode,
                city=address.city,
                region=territory.region,
                department=territory.department,
                commune=territory.commune,
                epci=territory.epci,
                college=organisation.college,
                created_at=organisation.created_at,
                created_by=organisation.created_by,
            )
        )
        if territory.qpvs:
            await self._session.execute(
                insert(organisation_qpvs),
                [
                    {"organisation_id": str(organisation.id), "qpv_code": code}
                    for code in territory.qpvs
                ],
            )

    async def get(self, organisation_id: uuid.UUID) -> Organisation | None:
        row = (
            await self._session.execute(
                select(organisations).where(organisations.c.id == str(organisation_id))
            )
        ).first()
        if row is None:
            return None
        qpvs = (
            await self._session.execute(
                select(organisation_qpvs.c.qpv_code)
                .where(organisation_qpvs.c.organisation_id == row.id)
                .order_by(organisation_qpvs.c.qpv_code)
            )
        ).scalars()
        return Organisation(
            id=uuid.UUID(row.id),
            kind=row.kind,
            name=row.name,
            siren=row.siren,
            address=PostalAddress(row.street, row.postcode, row.city),
            territory=TerritoryCodes(
                row.region, row.department, row.commune, row.epci, tuple(qpvs)
            ),
            college=row.college,
            created_at=row.created_at,
            created_by=row.created_by,
            archived_at=row.archived_at,
        )
