"""Reading the register page by page for a resync (``reso members republish``): each record with
when it last changed, in a stable order with a cursor (no OFFSET: pages stay cheap deep down)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.domain import Person
from services.members.domain.memberships import Affiliation, MemberRef, MembershipStatus
from services.members.domain.networks import NetworkMembershipStatus
from services.members.domain.organisations import Organisation
from services.members.store.memberships import _affiliation
from services.members.store.organisations import _organisation
from services.members.store.people import _person
from services.members.store.schema import (
    affiliations,
    audit_log,
    membership_history,
    memberships,
    network_history,
    network_memberships,
    organisation_qpvs,
    organisations,
    people,
    person_qpvs,
)


def _latest(*moments: datetime | None) -> datetime:
    return max(moment for moment in moments if moment is not None)


class RepublishRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _qpvs(self, table: Any, key: str, ids: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        if ids:
            rows = await self._session.execute(
                select(table.c[key], table.c.qpv_code)
                .where(table.c[key].in_(ids))
                .order_by(table.c.qpv_code)
            )
            for owner, code in rows:
                found.setdefault(owner, []).append(code)
        return found

    async def people(self, after: str | None, limit: int) -> list[tuple[Person, datetime]]:
        """People by id, erased ones included (their anonymised row): each with when their record
        last changed (their erasure, for an erased person)."""
        statement = select(people).order_by(people.c.id).limit(limit)
        if after is not None:
            statement = statement.where(people.c.id > after)
        rows = (await self._session.execute(statement)).all()
        qpvs = await self._qpvs(person_qpvs, "person_id", [row.id for row in rows])
        found = []
        for row in rows:
            person = _person(row, qpvs.get(row.id, ()))
            changed = row.erased_at or _latest(row.registered_at, row.updated_at, row.archived_at)
            found.append((person, changed))
        return found

    async def organisations(
        self, after: str | None, limit: int
    ) -> list[tuple[Organisation, datetime]]:
        statement = select(organisations).order_by(organisations.c.id).limit(limit)
        if after is not None:
            statement = statement.where(organisations.c.id > after)
        rows = (await self._session.execute(statement)).all()
        qpvs = await self._qpvs(organisation_qpvs, "organisation_id", [row.id for row in rows])
        return [
            (
                _organisation(row, qpvs.get(row.id, ())),
                _latest(row.created_at, row.updated_at, row.archived_at),
            )
            for row in rows
        ]

    async def affiliations(
        self, after: int | None, limit: int
    ) -> list[tuple[Affiliation, datetime | None]]:
        """Affiliations of people not erased, by id, with their latest audit entry's time (None
        when the log has none)."""
        changed = (
            select(func.max(audit_log.c.at))
            .where(
                audit_log.c.record_type == "affiliation",
                audit_log.c.record_id == cast(affiliations.c.id, String),
            )
            .scalar_subquery()
        )
        statement = (
            select(affiliations, changed.label("changed_at"))
            .join(people, people.c.id == affiliations.c.person_id)
            .where(people.c.erased_at.is_(None))
            .order_by(affiliations.c.id)
            .limit(limit)
        )
        if after is not None:
            statement = statement.where(affiliations.c.id > after)
        rows = (await self._session.execute(statement)).all()
        return [(_affiliation(row), row.changed_at) for row in rows]

    async def memberships(
        self, after: str | None, limit: int
    ) -> list[tuple[uuid.UUID, MemberRef, int, MembershipStatus, datetime | None]]:
        """Memberships by id: id, member, year, status and the time of their latest status
        change (None without history)."""
        changed = (
            select(func.max(membership_history.c.at))
            .where(membership_history.c.membership_id == memberships.c.id)
            .scalar_subquery()
        )
        statement = (
            select(
                memberships.c.id,
                memberships.c.member_type,
                memberships.c.member_id,
                memberships.c.year,
                memberships.c.status,
                changed.label("changed_at"),
            )
            .order_by(memberships.c.id)
            .limit(limit)
        )
        if after is not None:
            statement = statement.where(memberships.c.id > after)
        rows = (await self._session.execute(statement)).all()
        return [
            (
                uuid.UUID(row.id),
                MemberRef(row.member_type, uuid.UUID(row.member_id)),
                row.year,
                MembershipStatus(row.status),
                row.changed_at,
            )
            for row in rows
        ]

    async def networks(
        self, after: tuple[str, str] | None, limit: int
    ) -> list[tuple[uuid.UUID, str, NetworkMembershipStatus, datetime | None]]:
        """Network memberships of people not erased, by person then network: person, network,
        status and the time of the latest change (None without history)."""
        changed = (
            select(func.max(network_history.c.at))
            .where(
                network_history.c.network_slug == network_memberships.c.network_slug,
                network_history.c.person_id == network_memberships.c.person_id,
            )
            .scalar_subquery()
        )
        statement = (
            select(
                network_memberships.c.person_id,
                network_memberships.c.network_slug,
                network_memberships.c.status,
                changed.label("changed_at"),
            )
            .join(people, people.c.id == network_memberships.c.person_id)
            .where(people.c.erased_at.is_(None))
            .order_by(network_memberships.c.person_id, network_memberships.c.network_slug)
            .limit(limit)
        )
        if after is not None:
            statement = statement.where(
                tuple_(network_memberships.c.person_id, network_memberships.c.network_slug)
                > tuple_(*after)
            )
        rows = (await self._session.execute(statement)).all()
        return [
            (
                uuid.UUID(row.person_id),
                row.network_slug,
                NetworkMembershipStatus(row.status),
                row.changed_at,
            )
            for row in rows
        ]
