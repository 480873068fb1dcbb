"""Who belongs to which thematic network, and each person's address, projected from members'
facts (idempotent per fact: inbox claims), so an issue's audience can narrow to networks."""

from __future__ import annotations

from contracts.members import MemberRegisteredV1, NetworkJoinedV1, NetworkLeftV1, PersonUpdatedV1
from services.newsletters.domain.subscriptions import email_key
from services.newsletters.handlers.common import UowFactory

CONSUMER_NETWORKS = "newsletters.networks"
CONSUMER_ADDRESSES = "newsletters.addresses"


async def on_network_changed(event: NetworkJoinedV1 | NetworkLeftV1, uow: UowFactory) -> None:
    """Record a join or a leave. Joins and leaves come on two subjects, so in any order: the
    latest fact (``occurred_at``) wins."""
    async with uow() as work:
        if not await work.claim(CONSUMER_NETWORKS, str(event.event_id)):
            return
        await work.networks.set_network(
            event.person_id,
            event.network_slug,
            member=isinstance(event, NetworkJoinedV1),
            as_of=event.occurred_at,
        )
        await work.commit()


async def on_person_address(event: MemberRegisteredV1 | PersonUpdatedV1, uow: UowFactory) -> None:
    """Record the person's current address (the latest fact wins); only its case-insensitive
    form is kept, to match the letter's subscribers. The subscriber of that address, if any, is
    tied to the person (``subscribers.person_id``): erasure and network audiences then find
    them by the person, even once the person's address has changed."""
    async with uow() as work:
        if not await work.claim(CONSUMER_ADDRESSES, str(event.event_id)):
            return
        key = email_key(str(event.email))
        current = await work.networks.set_address(event.person_id, key, event.occurred_at)
        await work.subscribers.link_person(key, event.person_id, current=current)
        await work.commit()
