"""Use cases about thematic networks."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.members import (
    DecideNetworkRequestV1,
    GetRosterV1,
    JoinNetworkV1,
    LeaveNetworkV1,
    NetworkMembershipV1,
    NetworksV1,
    NetworkV1,
    RosterEntryV1,
    RosterV1,
)
from services.members.domain import audit, networks
from services.members.handlers.correspondents import end_appointments_of
from services.members.store import MembersUnitOfWork, UowFactory
from services.runtime.errors import NotFound


def list_networks() -> NetworksV1:
    return NetworksV1(
        networks=tuple(
            NetworkV1(slug=n.slug, name=n.name, description=n.description, open=n.open)
            for n in networks.SEEDED_NETWORKS
        )
    )


async def join_network(command: JoinNetworkV1, uow: UowFactory) -> NetworkMembershipV1:
    network = networks.seeded_network(command.network_slug)
    async with uow() as work:
        person = await work.people.get(command.person_id)
        if person is None or person.erased_at is not None:
            raise NotFound("Personne introuvable.", person_id=str(command.person_id))
        current = await work.networks.get(network.slug, command.person_id)
        before = current.status if current else None
        membership, event = networks.join(
            network, command.person_id, datetime.now(UTC), current=current, by=command.by
        )
        if event is not None:
            await work.networks.save(membership)
            await _audit(work, membership, "joined", command.by, before)
            work.record(event)
            await work.commit()
    return _network_reply(membership)


async def decide_network_request(
    command: DecideNetworkRequestV1, uow: UowFactory
) -> NetworkMembershipV1:
    network = networks.seeded_network(command.network_slug)
    async with uow() as work:
        membership = await work.networks.get(network.slug, command.person_id)
        if membership is None:
            raise NotFound("Aucune demande d'adhésion à ce réseau.", network=network.slug)
        now = datetime.now(UTC)
        before = membership.status
        event = (
            membership.approve(command.by, now)
            if command.approve
            else membership.refuse(command.by, command.reason or "", now)
        )
        await work.networks.save(membership)
        action = "approved" if command.approve else "refused"
        await _audit(work, membership, action, command.by, before, command.reason)
        work.record(event)
        await work.commit()
    return _network_reply(membership)


async def leave_network(command: LeaveNetworkV1, uow: UowFactory) -> NetworkMembershipV1:
    network = networks.seeded_network(command.network_slug)
    async with uow() as work:
        await work.correspondents.lock_member(network.slug, command.person_id)
        membership = await work.networks.get(network.slug, command.person_id)
        if membership is None:
            raise NotFound("Cette personne n'est pas dans ce réseau.", network=network.slug)
        status_before = membership.status
        now = datetime.now(UTC)
        event = membership.leave(now, by=command.by)
        if membership.status is not status_before:
            await work.networks.save(membership)
            await _audit(work, membership, "left", command.by, status_before)
            if event is not None:
                work.record(event)
            await end_appointments_of(
                work, command.person_id, now.date(), network_slug=network.slug, by=command.by
            )
            await work.commit()
    return _network_reply(membership)


async def network_roster(query: GetRosterV1, uow: UowFactory) -> RosterV1:
    network = networks.seeded_network(query.network_slug)
    async with uow() as work:
        members = await work.networks.roster(network.slug)
    ordered = sorted(members, key=lambda entry: (entry[0].since, str(entry[0].person_id)))
    return RosterV1(
        network_slug=network.slug,
        members=tuple(
            RosterEntryV1(person_id=m.person_id, first_name=first, last_name=last, since=m.since)
            for m, first, last in ordered
        ),
    )


async def _audit(
    work: MembersUnitOfWork,
    membership: networks.NetworkMembership,
    action: str,
    by: str | None,
    before: networks.NetworkMembershipStatus | None,
    reason: str | None = None,
) -> None:
    """One line per change of a person's place in a network, filed under the person (their
    network memberships are one record); ``by`` None: the person acted."""
    slug = membership.network_slug
    after: dict[str, object] = {slug: membership.status}
    if reason:
        after["reason"] = reason
    await work.audit.add(
        audit.entry(
            "network_membership",
            membership.person_id,
            action,
            at=datetime.now(UTC),
            by=by or "self",
            before={slug: before} if before else None,
            after=after,
        )
    )


def _network_reply(membership: networks.NetworkMembership) -> NetworkMembershipV1:
    return NetworkMembershipV1(
        network_slug=membership.network_slug,
        person_id=membership.person_id,
        status=membership.status.value,
    )
