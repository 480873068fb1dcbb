"""Letters and their lists: subscribers, subscriptions and consent records."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.base import Theme
from contracts.newsletters import Cadence, SubscriberProfile, SubscriptionStatus
from services.newsletters.domain import Consent, Letter, Subscriber, Subscription
from services.newsletters.domain.sending import Recipient
from services.newsletters.store.schema import (
    consents,
    letters,
    person_addresses,
    subscribers,
    subscriptions,
)
from services.runtime.store import utcnow


def _letter(row: Any) -> Letter:
    return Letter(
        id=uuid.UUID(row.id),
        slug=row.slug,
        name=row.name,
        description=row.description,
        themes=tuple(Theme(t) for t in json.loads(row.themes)),
        cadence=Cadence(row.cadence),
        sender_name=row.sender_name,
        sender_email=row.sender_email,
        template_set=row.template_set,
        active=row.active,
        created_at=row.created_at,
    )


def _letter_values(letter: Letter) -> dict[str, Any]:
    return {
        "slug": letter.slug,
        "name": letter.name,
        "description": letter.description,
        "themes": json.dumps([t.value for t in letter.themes]),
        "cadence": letter.cadence.value,
        "sender_name": letter.sender_name,
        "sender_email": letter.sender_email,
        "template_set": letter.template_set,
        "active": letter.active,
        "updated_at": utcnow(),
    }


class LetterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def all(self, *, include_inactive: bool) -> list[Letter]:
        statement = select(letters).order_by(letters.c.created_at, letters.c.slug)
        if not include_inactive:
            statement = statement.where(letters.c.active.is_(True))
        return [_letter(row) for row in await self._session.execute(statement)]

    async def get(self, slug: str) -> Letter | None:
        row = (await self._session.execute(select(letters).where(letters.c.slug == slug))).first()
        return _letter(row) if row else None

    async def add(self, letter: Letter) -> None:
        now = utcnow()
        await self._session.execute(
            letters.insert().values(id=str(letter.id), created_at=now, **_letter_values(letter))
        )

    async def save(self, letter: Letter) -> None:
        await self._session.execute(
            update(letters).where(letters.c.slug == letter.slug).values(**_letter_values(letter))
        )


def _subscriber(row: Any) -> Subscriber:
    return Subscriber(
        id=uuid.UUID(row.id),
        email=row.email,
        created_at=row.created_at,
        last_activity_at=row.last_activity_at,
        profile=SubscriberProfile(
            first_name=row.first_name,
            last_name=row.last_name,
            organisation=row.organisation,
            department=row.department,
            commune=row.commune,
        ),
        person_id=uuid.UUID(row.person_id) if row.person_id else None,
        flagged_inactive_at=row.flagged_inactive_at,
    )


def _subscription(row: Any) -> Subscription:
    return Subscription(
        id=uuid.UUID(row.id),
        subscriber_id=uuid.UUID(row.subscriber_id),
        letter=row.letter,
        status=SubscriptionStatus(row.status),
        requested_at=row.requested_at,
        confirmed_at=row.confirmed_at,
        ended_at=row.ended_at,
    )


class SubscriberRepository:
    """Subscribers with their subscriptions, and the consent records they rest on."""

    def __init__(self, session: AsyncSession, outbox: Table) -> None:
        self._session = session
        self._outbox = outbox

    async def get(self, subscriber_id: uuid.UUID, *, lock: bool = False) -> Subscriber | None:
        statement = select(subscribers).where(subscribers.c.id == str(subscriber_id))
        if lock and self._dialect == "postgresql":
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        return _subscriber(row) if row else None

    async def by_email(self, email_key: str) -> Subscriber | None:
        row = (
            await self._session.execute(
                select(subscribers).where(subscribers.c.email_key == email_key)
            )
        ).first()
        return _subscriber(row) if row else None

    async def add(self, subscriber: Subscriber, email_key: str) -> None:
        """Insert the subscriber, tied to the person whose current address it is, if members
        told of one (``person_addresses``)."""
        if subscriber.person_id is None:
            person = await self._session.scalar(
                select(person_addresses.c.person_id)
                .where(person_addresses.c.email_key == email_key)
                .order_by(person_addresses.c.as_of.desc())
                .limit(1)
            )
            subscriber.person_id = uuid.UUID(person) if person else None
        await self._session.execute(
            subscribers.insert().values(
                id=str(subscriber.id),
                email=subscriber.email,
                email_key=email_key,
                person_id=str(subscriber.person_id) if subscriber.person_id else None,
                created_at=subscriber.created_at,
                **self._mutable(subscriber),
            )
        )

    async def link_person(self, email_key: str, person_id: uuid.UUID, *, current: bool) -> int:
        """Tie the subscriber of the address to the person members says it belongs to:
        ``current`` (the person's latest address) ties it even if it was another's; an older
        address only ties a subscriber tied to no one. How many subscribers changed."""
        statement = update(subscribers).where(subscribers.c.email_key == email_key)
        if current:
            statement = statement.where(
                or_(subscribers.c.person_id.is_(None), subscribers.c.person_id != str(person_id))
            )
        else:
            statement = statement.where(subscribers.c.person_id.is_(None))
        result = await self._session.execute(statement.values(person_id=str(person_id)))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def save(self, subscriber: Subscriber) -> None:
        await self._session.execute(
            update(subscribers)
            .where(subscribers.c.id == str(subscriber.id))
            .values(**self._mutable(subscriber))
        )

    @staticmethod
    def _mutable(subscriber: Subscriber) -> dict[str, Any]:
        profile = subscriber.profile
        return {
            "first_name": profile.first_name,
            "last_name": profile.last_name,
            "organisation": profile.organisation,
            "department": profile.department,
            "commune": profile.commune,
            "last_activity_at": subscriber.last_activity_at,
            "flagged_inactive_at": subscriber.flagged_inactive_at,
        }

    async def subscriptions_of(self, subscriber_id: uuid.UUID) -> dict[str, Subscription]:
        rows = await self._session.execute(
            select(subscriptions).where(subscriptions.c.subscriber_id == str(subscriber_id))
        )
        return {row.letter: _subscription(row) for row in rows}

    async def audience(self, letter: str) -> list[Recipient]:
        """The active subscribers of a letter, as recipients of an issue."""
        rows = await self._session.execute(
            select(
                subscribers.c.id,
                subscribers.c.email,
                subscribers.c.first_name,
                subscribers.c.last_name,
            )
            .join(subscriptions, subscriptions.c.subscriber_id == subscribers.c.id)
            .where(subscriptions.c.letter == letter)
            .where(subscriptions.c.status == SubscriptionStatus.ACTIVE.value)
            .order_by(subscribers.c.id)
        )
        return [
            Recipient(uuid.UUID(row.id), row.email, row.first_name, row.last_name) for row in rows
        ]

    async def add_subscription(self, subscription: Subscription) -> None:
        await self._session.execute(
            subscriptions.insert().values(
                id=str(subscription.id),
                subscriber_id=str(subscription.subscriber_id),
                letter=subscription.letter,
                **self._subscription_state(subscription),
            )
        )

    async def save_subscription(self, subscription: Subscription) -> None:
        await self._session.execute(
            update(subscriptions)
            .where(subscriptions.c.id == str(subscription.id))
            .values(**self._subscription_state(subscription))
        )

    @staticmethod
    def _subscription_state(subscription: Subscription) -> dict[str, Any]:
        return {
            "status": subscription.status.value,
            "requested_at": subscription.requested_at,
            "confirmed_at": subscription.confirmed_at,
            "ended_at": subscription.ended_at,
        }

    async def add_consent(self, consent: Consent) -> None:
        await self._session.execute(
            consents.insert().values(
                id=str(consent.id),
                subscriber_id=str(consent.subscriber_id),
                subscription_id=str(consent.subscription_id),
                letter=consent.letter,
                granted=consent.granted,
                at=consent.at,
                source=consent.source.value,
                wording=consent.wording,
                wording_version=consent.wording_version,
                provenance=consent.provenance,
            )
        )

    async def consents_of(self, subscriber_id: uuid.UUID) -> list[dict[str, Any]]:
        rows = await self._session.execute(
            select(consents)
            .where(consents.c.subscriber_id == str(subscriber_id))
            .order_by(consents.c.at)
        )
        return [dict(row._mapping) for row in rows]

    async def search(
        self,
        *,
        letter: str | None,
        status: SubscriptionStatus | None,
        email_contains: str | None,
        flagged_inactive: bool,
        limit: int,
        offset: int,
    ) -> tuple[int, list[tuple[Subscriber, list[Subscription]]]]:
        """A page of subscribers (oldest first) matching every filter given, and the total."""
        conditions: list[ColumnElement[bool]] = []
        if letter is not None or status is not None:
            matching: list[ColumnElement[bool]] = [
                subscriptions.c.subscriber_id == subscribers.c.id
            ]
            if letter is not None:
                matching.append(subscriptions.c.letter == letter)
            if status is not None:
                matching.append(subscriptions.c.status == status.value)
            conditions.append(exists().where(and_(*matching)))
        if email_contains:
            conditions.append(
                subscribers.c.email_key.contains(email_contains.strip().casefold(), autoescape=True)
            )
        if flagged_inactive:
            conditions.append(subscribers.c.flagged_inactive_at.is_not(None))
        total = (
            await self._session.execute(
                select(func.count()).select_from(subscribers).where(*conditions)
            )
        ).scalar_one()
        rows = await self._session.execute(
            select(subscribers)
            .where(*conditions)
            .order_by(subscribers.c.created_at, subscribers.c.id)
            .limit(limit)
            .offset(offset)
        )
        found = [_subscriber(row) for row in rows]
        by_id: dict[str, list[Subscription]] = {str(s.id): [] for s in found}
        if found:
            subs = await self._session.execute(
                select(subscriptions)
                .where(subscriptions.c.subscriber_id.in_(list(by_id)))
                .order_by(subscriptions.c.letter)
            )
            for row in subs:
                by_id[row.subscriber_id].append(_subscription(row))
        return int(total), [(s, by_id[str(s.id)]) for s in found]

    async def flag_inactive(self, before: datetime, now: datetime) -> int:
        """Flag every subscriber with an active subscription and no sign of activity since
        ``before``; returns how many were newly flagged."""
        has_active = exists().where(
            subscriptions.c.subscriber_id == subscribers.c.id,
            subscriptions.c.status == SubscriptionStatus.ACTIVE.value,
        )
        result = await self._session.execute(
            update(subscribers)
            .where(
                subscribers.c.last_activity_at <= before,
                subscribers.c.flagged_inactive_at.is_(None),
                has_active,
            )
            .values(flagged_inactive_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def never_confirmed(self, before: datetime) -> list[Subscriber]:
        """Subscribers who never confirmed anything, whose last request was before ``before``:
        every subscription of theirs pending, none asked for since."""
        settled_or_recent = exists().where(
            subscriptions.c.subscriber_id == subscribers.c.id,
            (subscriptions.c.status != SubscriptionStatus.PENDING.value)
            | (subscriptions.c.requested_at > before),
        )
        rows = await self._session.execute(
            select(subscribers).where(subscribers.c.created_at <= before, ~settled_or_recent)
        )
        return [_subscriber(row) for row in rows]

    async def of_person(self, person_id: uuid.UUID) -> list[Subscriber]:
        rows = await self._session.execute(
            select(subscribers).where(subscribers.c.person_id == str(person_id))
        )
        return [_subscriber(row) for row in rows]

    async def erase(self, subscriber: Subscriber, addresses: Iterable[str] = ()) -> None:
        """Delete the subscriber, their subscriptions and consents, and every outbox row that
        carries their address (published copies and pending events alike: an event about an
        erased address must not spread it)."""
        key = str(subscriber.id)
        await self._session.execute(delete(consents).where(consents.c.subscriber_id == key))
        await self._session.execute(
            delete(subscriptions).where(subscriptions.c.subscriber_id == key)
        )
        await self._session.execute(delete(subscribers).where(subscribers.c.id == key))
        await self.forget_in_outbox([subscriber.email, *addresses])

    async def forget_in_outbox(self, addresses: Iterable[str]) -> None:
        outbox = self._outbox
        for address in {a.strip().lower() for a in addresses if a.strip()}:
            # Quoted as in the JSON payload: "a@x.org" must not match "ba@x.org".
            carries = func.lower(outbox.c.payload).contains(f'"{address}"', autoescape=True)
            await self._session.execute(delete(outbox).where(carries))

    @property
    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name
