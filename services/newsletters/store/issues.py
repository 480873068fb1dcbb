"""Issues of letters, and the projections their blocks are filled from (agenda, new data)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.base import Theme
from contracts.newsletters import IssueStatus, SubscriptionStatus
from services.newsletters.domain.issues import AgendaItem, DataItem, Issue, Recipient
from services.newsletters.store.schema import (
    agenda_items,
    data_items,
    issues,
    network_members,
    person_addresses,
    subscribers,
    subscriptions,
)
from services.runtime.store import utcnow


def _issue(row: Any) -> Issue:
    return Issue(
        id=uuid.UUID(row.id),
        letter=row.letter,
        number=row.number,
        subject=row.subject,
        preheader=row.preheader,
        blocks=json.loads(row.blocks),
        audience=json.loads(row.audience),
        status=IssueStatus(row.status),
        frozen=json.loads(row.frozen) if row.frozen else None,
        scheduled_at=row.scheduled_at,
        sent_at=row.sent_at,
        scheduled_by=row.scheduled_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _values(issue: Issue) -> dict[str, Any]:
    return {
        "subject": issue.subject,
        "preheader": issue.preheader,
        "status": issue.status.value,
        "blocks": json.dumps(issue.blocks, ensure_ascii=False),
        "audience": json.dumps(issue.audience, ensure_ascii=False),
        "frozen": json.dumps(issue.frozen, ensure_ascii=False) if issue.frozen else None,
        "scheduled_at": issue.scheduled_at,
        "sent_at": issue.sent_at,
        "scheduled_by": issue.scheduled_by,
        "updated_at": utcnow(),
    }


class IssueRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def next_number(self, letter: str) -> int:
        found = await self._session.execute(
            select(func.max(issues.c.number)).where(issues.c.letter == letter)
        )
        return int(found.scalar_one() or 0) + 1

    async def add(self, issue: Issue, by: str) -> None:
        now = utcnow()
        issue.created_at = issue.updated_at = now
        await self._session.execute(
            issues.insert().values(
                id=str(issue.id),
                letter=issue.letter,
                number=issue.number,
                created_by=by,
                created_at=now,
                **_values(issue),
            )
        )

    async def get(self, issue_id: uuid.UUID, *, lock: bool = False) -> Issue | None:
        statement = select(issues).where(issues.c.id == str(issue_id))
        if lock and self._session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        return _issue(row) if row else None

    async def by_number(self, letter: str, number: int) -> Issue | None:
        row = (
            await self._session.execute(
                select(issues).where(issues.c.letter == letter, issues.c.number == number)
            )
        ).first()
        return _issue(row) if row else None

    async def save(self, issue: Issue) -> None:
        values = _values(issue)
        issue.updated_at = values["updated_at"]
        await self._session.execute(
            update(issues).where(issues.c.id == str(issue.id)).values(**values)
        )

    async def of_letter(self, letter: str, *, status: IssueStatus | None = None) -> list[Issue]:
        statement = select(issues).where(issues.c.letter == letter)
        if status is not None:
            statement = statement.where(issues.c.status == status.value)
        rows = await self._session.execute(statement.order_by(issues.c.number.desc()))
        return [_issue(row) for row in rows]

    async def due(self, now: datetime) -> list[uuid.UUID]:
        """Scheduled issues whose time has come, oldest first."""
        rows = await self._session.execute(
            select(issues.c.id)
            .where(
                issues.c.status == IssueStatus.SCHEDULED.value,
                issues.c.scheduled_at <= now,
            )
            .order_by(issues.c.scheduled_at)
        )
        return [uuid.UUID(row.id) for row in rows]

    async def audience(
        self,
        letter: str,
        departments: Iterable[str],
        communes: Iterable[str],
        networks: Iterable[str] = (),
    ) -> list[Recipient]:
        """The letter's active subscribers, narrowed to those living in one of ``departments``
        (their department, or their commune's) or ``communes``, or who is (by the person
        members linked them to, or by address) a person currently in one of ``networks``
        (union); nothing given: all of them."""
        departments, communes = sorted(set(departments)), sorted(set(communes))
        networks = sorted(set(networks))
        statement = (
            select(
                subscribers.c.id,
                subscribers.c.email,
                subscribers.c.first_name,
                subscribers.c.last_name,
                subscriptions.c.id.label("subscription_id"),
            )
            .join(subscriptions, subscriptions.c.subscriber_id == subscribers.c.id)
            .where(
                subscriptions.c.letter == letter,
                subscriptions.c.status == SubscriptionStatus.ACTIVE.value,
            )
            .order_by(subscribers.c.email_key)
        )
        if departments or communes or networks:
            members = select(network_members.c.person_id).where(
                network_members.c.network_slug.in_(networks), network_members.c.member
            )
            in_networks = select(person_addresses.c.email_key).where(
                person_addresses.c.person_id.in_(members)
            )
            statement = statement.where(
                or_(
                    subscribers.c.department.in_(departments),
                    func.substr(subscribers.c.commune, 1, 2).in_(departments),
                    func.substr(subscribers.c.commune, 1, 3).in_(departments),
                    subscribers.c.commune.in_(communes),
                    subscribers.c.email_key.in_(in_networks),
                    subscribers.c.person_id.in_(members),
                )
            )
        return [
            Recipient(
                subscriber_id=uuid.UUID(row.id),
                email=row.email,
                first_name=row.first_name,
                last_name=row.last_name,
                subscription_id=uuid.UUID(row.subscription_id),
                letter=letter,
            )
            for row in await self._session.execute(statement)
        ]


class AgendaRepository:
    """Coming events, projected from events' facts (the latest fact wins)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def apply(
        self, item: AgendaItem, *, cancelled: bool, fact_at: datetime, keep_summary: bool = False
    ) -> None:
        """Insert or update the event; a fact older than the one applied, or any fact after
        a cancellation, changes nothing. ``keep_summary``: the fact carries none."""
        key = str(item.event_id)
        values = {
            "title": item.title[:200],
            "summary": item.summary,
            "themes": json.dumps([t.value for t in item.themes]),
            "starts_at": item.starts_at,
            "ends_at": item.ends_at,
            "place": item.place,
            "url": item.url,
            "cancelled": cancelled,
            "fact_at": fact_at,
        }
        current = (
            await self._session.execute(
                select(agenda_items.c.fact_at, agenda_items.c.cancelled).where(
                    agenda_items.c.event_id == key
                )
            )
        ).first()
        if current is None:
            await self._session.execute(agenda_items.insert().values(event_id=key, **values))
        elif current.fact_at <= fact_at and not current.cancelled:
            if keep_summary:
                del values["summary"]
            await self._session.execute(
                update(agenda_items).where(agenda_items.c.event_id == key).values(**values)
            )

    async def forget(self, event_id: uuid.UUID) -> None:
        await self._session.execute(
            delete(agenda_items).where(agenda_items.c.event_id == str(event_id))
        )

    async def coming(self, themes: frozenset[Theme], now: datetime, limit: int) -> list[AgendaItem]:
        """Events not cancelled that start after ``now``, soonest first, sharing a theme with
        ``themes`` (no themes: every event)."""
        rows = await self._session.execute(
            select(agenda_items)
            .where(agenda_items.c.cancelled.is_(False), agenda_items.c.starts_at > now)
            .order_by(agenda_items.c.starts_at)
        )
        found: list[AgendaItem] = []
        for row in rows:
            item_themes = tuple(Theme(t) for t in json.loads(row.themes))
            if themes and not themes.intersection(item_themes):
                continue
            found.append(
                AgendaItem(
                    event_id=uuid.UUID(row.event_id),
                    title=row.title,
                    summary=row.summary,
                    themes=item_themes,
                    starts_at=row.starts_at,
                    ends_at=row.ends_at,
                    place=row.place,
                    url=row.url,
                )
            )
            if len(found) >= limit:
                break
        return found


class DataRepository:
    """New data, projected from dataquartiers' publications."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def apply(self, item: DataItem) -> None:
        values = {
            "label": item.label,
            "theme": item.theme.value,
            "vintage": item.vintage,
            "territories": item.territories,
            "url": item.url,
            "published_at": item.published_at,
        }
        exists = (
            await self._session.execute(
                select(data_items.c.key).where(data_items.c.key == item.key)
            )
        ).first()
        if exists is None:
            await self._session.execute(data_items.insert().values(key=item.key, **values))
        else:
            await self._session.execute(
                update(data_items).where(data_items.c.key == item.key).values(**values)
            )

    async def latest(self, themes: frozenset[Theme], limit: int) -> list[DataItem]:
        statement = select(data_items).order_by(data_items.c.published_at.desc())
        if themes:
            statement = statement.where(data_items.c.theme.in_(sorted(t.value for t in themes)))
        rows = await self._session.execute(statement.limit(limit))
        return [
            DataItem(
                key=row.key,
                label=row.label,
                theme=Theme(row.theme),
                vintage=row.vintage,
                territories=row.territories,
                url=row.url,
                published_at=row.published_at,
            )
            for row in rows
        ]


class NetworkRepository:
    """Networks' members and people's addresses, projected from members' facts."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def set_network(
        self, person_id: uuid.UUID, slug: str, *, member: bool, as_of: datetime
    ) -> None:
        """Record a join (``member``) or a leave, unless a later fact is already recorded."""
        key = (network_members.c.person_id == str(person_id)) & (
            network_members.c.network_slug == slug
        )
        found = (await self._session.execute(select(network_members.c.as_of).where(key))).first()
        if found is None:
            await self._session.execute(
                insert(network_members).values(
                    person_id=str(person_id), network_slug=slug, member=member, as_of=as_of
                )
            )
        elif found.as_of <= as_of:
            await self._session.execute(
                update(network_members).where(key).values(member=member, as_of=as_of)
            )

    async def set_address(self, person_id: uuid.UUID, email_key: str, as_of: datetime) -> bool:
        """Record the person's address, unless a later one is already recorded; True if it is
        now their current address."""
        key = person_addresses.c.person_id == str(person_id)
        found = (await self._session.execute(select(person_addresses.c.as_of).where(key))).first()
        if found is None:
            await self._session.execute(
                insert(person_addresses).values(
                    person_id=str(person_id), email_key=email_key, as_of=as_of
                )
            )
        elif found.as_of <= as_of:
            await self._session.execute(
                update(person_addresses).where(key).values(email_key=email_key, as_of=as_of)
            )
        else:
            return False
        return True

    async def forget_person(self, person_id: uuid.UUID) -> None:
        """Erasure: the person's address and network memberships go."""
        await self._session.execute(
            delete(network_members).where(network_members.c.person_id == str(person_id))
        )
        await self._session.execute(
            delete(person_addresses).where(person_addresses.c.person_id == str(person_id))
        )
