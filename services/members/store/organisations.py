"""Repository of organisations."""

from __future__ import annotations

import uuid
import zlib

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.domain import Organisation, PostalAddress, TerritoryCodes
from services.members.store.schema import organisation_qpvs, organisations

_IMPORT_LOCK = zlib.crc32(b"reso-members-organisations-import")


class OrganisationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def siren_taken(self, siren: str) -> bool:
        found = await self._session.execute(
            select(organisations.c.id).where(organisations.c.siren == siren)
        )
        return found.first() is not None

    async def add(self, organisation: Organisation) -> None:
        await self.add_many([organisation])

    async def add_many(self, added: list[Organisation]) -> None:
        if not added:
            return
        await self._session.execute(insert(organisations), [_row(o) for o in added])
        qpvs = [
            {"organisation_id": str(o.id), "qpv_code": code}
            for o in added
            for code in o.territory.qpvs
        ]
        if qpvs:
            await self._session.execute(insert(organisation_qpvs), qpvs)

    async def lock_for_import(self) -> None:
        """One import of organisations at a time on PostgreSQL, until this transaction ends: no
        unique key holds name and commune, so two concurrent imports could both add one
        (SQLite serialises units of work anyway)."""
        if self._session.get_bind().dialect.name == "postgresql":
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORT_LOCK}
            )

    async def known_sirens(self, sirens: list[str]) -> set[str]:
        """Which of ``sirens`` already belong to an organisation."""
        found: set[str] = set()
        for start in range(0, len(sirens), 1000):
            chunk = sirens[start : start + 1000]
            rows = await self._session.execute(
                select(organisations.c.siren).where(organisations.c.siren.in_(chunk))
            )
            found.update(siren for siren in rows.scalars() if siren)
        return found

    async def names_and_places(self) -> list[tuple[str, str | None, str]]:
        """Every organisation's name, commune and city: what recognises one without a SIREN."""
        rows = await self._session.execute(
            select(organisations.c.name, organisations.c.commune, organisations.c.city)
        )
        return [(row.name, row.commune, row.city) for row in rows]

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


def _row(organisation: Organisation) -> dict[str, object]:
    territory, address = organisation.territory, organisation.address
    return {
        "id": str(organisation.id),
        "kind": organisation.kind,
        "name": organisation.name,
        "siren": organisation.siren,
        "street": address.street,
        "postcode": address.postcode,
        "city": address.city,
        "region": territory.region,
        "department": territory.department,
        "commune": territory.commune,
        "epci": territory.epci,
        "college": organisation.college,
        "created_at": organisation.created_at,
        "created_by": organisation.created_by,
    }
