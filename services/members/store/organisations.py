"""Repository of organisations."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.members import OrganisationsFilter
from services.members.domain import Organisation, PostalAddress, TerritoryCodes
from services.members.domain.imports import fold
from services.members.store.filters import organisation_conditions
from services.members.store.schema import organisation_qpvs, organisations

_IMPORT_LOCK = zlib.crc32(b"reso-members-organisations-import")


def _row(organisation: Organisation) -> dict[str, Any]:
    territory, address = organisation.territory, organisation.address
    return {
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
        "archived_at": organisation.archived_at,
        "email": organisation.email,
        "phone": organisation.phone,
        "updated_at": organisation.updated_at,
        "search_text": fold(f"{organisation.name} {organisation.siren or ''}")[:500],
    }


def _organisation(row: Any, qpvs: Sequence[str]) -> Organisation:
    return Organisation(
        id=uuid.UUID(row.id),
        kind=row.kind,
        name=row.name,
        siren=row.siren,
        address=PostalAddress(row.street, row.postcode, row.city),
        territory=TerritoryCodes(row.region, row.department, row.commune, row.epci, tuple(qpvs)),
        college=row.college,
        created_at=row.created_at,
        created_by=row.created_by,
        archived_at=row.archived_at,
        email=row.email,
        phone=row.phone,
        updated_at=row.updated_at,
    )


class OrganisationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def siren_taken(self, siren: str) -> bool:
        found = await self._session.execute(
            select(organisations.c.id).where(organisations.c.siren == siren)
        )
        return found.first() is not None

    async def siren_owner(self, siren: str) -> uuid.UUID | None:
        found = (
            await self._session.execute(
                select(organisations.c.id).where(organisations.c.siren == siren)
            )
        ).scalar()
        return uuid.UUID(found) if found else None

    async def add(self, organisation: Organisation) -> None:
        await self.add_many([organisation])

    async def add_many(self, added: list[Organisation]) -> None:
        if not added:
            return
        await self._session.execute(
            insert(organisations), [{"id": str(o.id), **_row(o)} for o in added]
        )
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

    async def ids_by_siren(self, sirens: list[str]) -> dict[str, uuid.UUID]:
        """The organisations of the register among ``sirens``, by SIREN."""
        found: dict[str, uuid.UUID] = {}
        for start in range(0, len(sirens), 1000):
            rows = await self._session.execute(
                select(organisations.c.siren, organisations.c.id).where(
                    organisations.c.siren.in_(sirens[start : start + 1000])
                )
            )
            found.update({row.siren: uuid.UUID(row.id) for row in rows})
        return found

    async def names_and_places(self) -> list[tuple[str, str | None, str]]:
        """Every organisation's name, commune and city: what recognises one without a SIREN."""
        rows = await self._session.execute(
            select(organisations.c.name, organisations.c.commune, organisations.c.city)
        )
        return [(row.name, row.commune, row.city) for row in rows]

    async def save(self, organisation: Organisation) -> None:
        await self._session.execute(
            update(organisations)
            .where(organisations.c.id == str(organisation.id))
            .values(**_row(organisation))
        )
        await self._save_qpvs(organisation)

    async def _save_qpvs(self, organisation: Organisation, *, new: bool = False) -> None:
        if not new:
            await self._session.execute(
                delete(organisation_qpvs).where(
                    organisation_qpvs.c.organisation_id == str(organisation.id)
                )
            )
        if organisation.territory.qpvs:
            await self._session.execute(
                insert(organisation_qpvs),
                [
                    {"organisation_id": str(organisation.id), "qpv_code": code}
                    for code in organisation.territory.qpvs
                ],
            )

    async def get(self, organisation_id: uuid.UUID, *, lock: bool = False) -> Organisation | None:
        statement = select(organisations).where(organisations.c.id == str(organisation_id))
        if lock and self._session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        if row is None:
            return None
        qpvs = await self._qpvs_of([row.id])
        return _organisation(row, qpvs.get(row.id, ()))

    async def names(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not ids:
            return {}
        rows = await self._session.execute(
            select(organisations.c.id, organisations.c.name).where(
                organisations.c.id.in_([str(i) for i in ids])
            )
        )
        return {uuid.UUID(row.id): row.name for row in rows}

    async def search(
        self, wanted: OrganisationsFilter, *, today: date, limit: int, offset: int
    ) -> tuple[int, list[Organisation]]:
        conditions = organisation_conditions(wanted, today)
        total = (
            await self._session.execute(
                select(func.count()).select_from(organisations).where(*conditions)
            )
        ).scalar_one()
        rows = (
            await self._session.execute(
                select(organisations)
                .where(*conditions)
                .order_by(organisations.c.search_text, organisations.c.id)
                .limit(limit)
                .offset(offset)
            )
        ).all()
        qpvs = await self._qpvs_of([row.id for row in rows])
        return total, [_organisation(row, qpvs.get(row.id, ())) for row in rows]

    async def _qpvs_of(self, ids: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        if ids:
            rows = await self._session.execute(
                select(organisation_qpvs.c.organisation_id, organisation_qpvs.c.qpv_code)
                .where(organisation_qpvs.c.organisation_id.in_(ids))
                .order_by(organisation_qpvs.c.qpv_code)
            )
            for organisation_id, code in rows:
                found.setdefault(organisation_id, []).append(code)
        return found
