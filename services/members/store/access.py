"""Repositories of personal links and consents."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.domain.access import IssuedLink, Purpose
from services.members.domain.consents import Consent
from services.members.store.schema import access_links, consents


class AccessLinkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, link: IssuedLink, now: datetime) -> None:
        await self._session.execute(
            insert(access_links).values(
                person_id=str(link.person_id),
                purpose=link.purpose.value,
                nonce=link.nonce,
                created_at=now,
                expires_at=link.expires_at,
            )
        )

    async def last_issued(self, person_id: uuid.UUID, purpose: Purpose) -> datetime | None:
        found: datetime | None = (
            await self._session.execute(
                select(access_links.c.created_at)
                .where(
                    access_links.c.person_id == str(person_id),
                    access_links.c.purpose == purpose.value,
                )
                .order_by(access_links.c.created_at.desc())
                .limit(1)
            )
        ).scalar()
        return found

    async def use(self, nonce: str, person_id: uuid.UUID, now: datetime) -> bool:
        """Mark the single-use link used; False when it was already (or is not this person's).
        The conditional update makes two simultaneous uses impossible."""
        result = await self._session.execute(
            update(access_links)
            .where(
                access_links.c.nonce == nonce,
                access_links.c.person_id == str(person_id),
                access_links.c.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def of_person(self, person_id: uuid.UUID) -> list[dict[str, Any]]:
        rows = await self._session.execute(
            select(
                access_links.c.purpose,
                access_links.c.created_at,
                access_links.c.expires_at,
                access_links.c.used_at,
            )
            .where(access_links.c.person_id == str(person_id))
            .order_by(access_links.c.id)
        )
        return [dict(row._mapping) for row in rows]

    async def forget_person(self, person_id: uuid.UUID) -> None:
        await self._session.execute(
            delete(access_links).where(access_links.c.person_id == str(person_id))
        )


class ConsentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, consent: Consent) -> None:
        await self._session.execute(
            insert(consents).values(
                person_id=str(consent.person_id),
                purpose=consent.purpose,
                granted=consent.granted,
                at=consent.at,
                wording=consent.wording,
                version=consent.version,
                source=consent.source,
            )
        )

    async def forget_person(self, person_id: uuid.UUID) -> None:
        await self._session.execute(delete(consents).where(consents.c.person_id == str(person_id)))

    async def of_person(self, person_id: uuid.UUID) -> list[Consent]:
        rows = await self._session.execute(
            select(consents)
            .where(consents.c.person_id == str(person_id))
            .order_by(consents.c.at, consents.c.id)
        )
        return [
            Consent(
                person_id=uuid.UUID(row.person_id),
                purpose=row.purpose,
                granted=row.granted,
                at=row.at,
                wording=row.wording,
                version=row.version,
                source=row.source,
            )
            for row in rows
        ]
