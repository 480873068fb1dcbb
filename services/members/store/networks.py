"""Repository of network memberships (status and history)."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.domain.networks import (
    NetworkMembership,
    NetworkMembershipStatus,
    NetworkStatusChange,
)
from services.members.store.schema import network_history, network_memberships, people


class NetworkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._known: dict[tuple[str, uuid.UUID], int] = {}

    async def get(self, network_slug: str, person_id: uuid.UUID) -> NetworkMembership | None:
        row = (
            await self._session.execute(
                select(network_memberships).where(
                    network_memberships.c.network_slug == network_slug,
                    network_memberships.c.person_id == str(person_id),
                )
            )
        ).first()
        if row is None:
            return None
        history = (
            await self._session.execute(
                select(network_history)
                .where(
                    network_history.c.network_slug == network_slug,
                    network_history.c.person_id == str(person_id),
                )
                .order_by(network_history.c.id)
            )
        ).all()
        self._known[(network_slug, person_id)] = len(history)
        return NetworkMembership(
            network_slug=network_slug,
            person_id=person_id,
            status=NetworkMembershipStatus(row.status),
            history=[
                NetworkStatusChange(
                    at=h.at,
                    from_status=NetworkMembershipStatus(h.from_status) if h.from_status else None,
                    to_status=NetworkMembershipStatus(h.to_status),
                    by=h.by,
                    reason=h.reason,
                )
                for h in history
            ],
        )

    async def save(self, membership: NetworkMembership) -> None:
        key = (membership.network_slug, membership.person_id)
        if key not in self._known:
            await self._session.execute(
                insert(network_memberships).values(
                    network_slug=membership.network_slug,
                    person_id=str(membership.person_id),
                    status=membership.status.value,
                )
            )
            self._known[key] = 0
        else:
            await self._session.execute(
                update(network_memberships)
                .where(
                    network_memberships.c.network_slug == membership.network_slug,
                    network_memberships.c.person_id == str(membership.person_id),
                )
                .values(status=membership.status.value)
            )
        new = membership.history[self._known[key] :]
        if new:
            await self._session.execute(
                insert(network_history),
                [
                    {
                        "network_slug": membership.network_slug,
                        "person_id": str(membership.person_id),
                        "at": change.at,
                        "from_status": change.from_status.value if change.from_status else None,
                        "to_status": change.to_status.value,
                        "by": change.by,
                        "reason": change.reason,
                    }
                    for change in new
                ],
            )
        self._known[key] = len(membership.history)

    async def roster(self, network_slug: str) -> list[tuple[NetworkMembership, str, str]]:
        """Current members with their names (erased people have left every network's roster)."""
        rows = (
            await self._session.execute(
                select(network_memberships.c.person_id, people.c.first_name, people.c.last_name)
                .join(people, people.c.id == network_memberships.c.person_id)
                .where(
                    network_memberships.c.network_slug == network_slug,
                    network_memberships.c.status == NetworkMembershipStatus.MEMBER.value,
                    people.c.erased_at.is_(None),
                )
            )
        ).all()
        result = []
        for row in rows:
            membership = await self.get(network_slug, uuid.UUID(row.person_id))
            if membership is not None:
                result.append((membership, row.first_name, row.last_name))
        return result
