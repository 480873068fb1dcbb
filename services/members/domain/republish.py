"""Resync rules: which fact tells each current record again (``reso members republish``).

Only facts whose consumers keep projections are told again: a sign-up is told as the person's
record (person updated), never as "member registered" (it sends the welcome mail); a membership
opened for next year is not told (its fact calls for dues). An erased person is told as erased,
never with their data. ``occurred_at`` is when the record last changed, so a consumer holding a
newer fact keeps it; ``now`` stands in where members kept no time of the change.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from services.members.domain.memberships import (
    Affiliation,
    AffiliationChanged,
    MemberRef,
    MembershipActivated,
    MembershipLapsed,
    MembershipStatus,
    MembershipStatusChanged,
)
from services.members.domain.networks import (
    NetworkEvent,
    NetworkJoined,
    NetworkLeft,
    NetworkMembershipStatus,
)
from services.members.domain.organisations import Organisation, OrganisationChanged
from services.members.domain.people import Person, PersonChanged, PersonErased


def person_fact(person: Person, changed_at: datetime) -> PersonChanged | PersonErased:
    if person.erased_at is not None:
        return PersonErased(person.id, occurred_at=changed_at)
    return PersonChanged(person, changed_at)


def organisation_fact(organisation: Organisation, changed_at: datetime) -> OrganisationChanged:
    return OrganisationChanged(organisation, changed_at)


def affiliation_fact(
    affiliation: Affiliation, changed_at: datetime | None, now: datetime
) -> AffiliationChanged:
    return AffiliationChanged(affiliation, changed_at or now)


def membership_fact(
    membership_id: uuid.UUID,
    member: MemberRef,
    year: int,
    status: MembershipStatus,
    changed_at: datetime | None,
    now: datetime,
) -> MembershipStatusChanged | None:
    """Active or in grace: activated (consumers count it in until it lapses); lapsed: lapsed;
    pending (dues expected): nothing, as nothing was told of it but its renewal call."""
    kinds: dict[MembershipStatus, type[MembershipStatusChanged]] = {
        MembershipStatus.ACTIVE: MembershipActivated,
        MembershipStatus.GRACE: MembershipActivated,
        MembershipStatus.LAPSED: MembershipLapsed,
    }
    kind = kinds.get(status)
    if kind is None:
        return None
    return kind(membership_id, member, year, status, None, changed_at or now)


def network_fact(
    person_id: uuid.UUID,
    network_slug: str,
    status: NetworkMembershipStatus,
    changed_at: datetime | None,
    now: datetime,
) -> NetworkEvent | None:
    """A member: joined; gone: left; a request pending or refused: nothing."""
    if status == NetworkMembershipStatus.MEMBER:
        return NetworkJoined(network_slug, person_id, changed_at or now)
    if status == NetworkMembershipStatus.LEFT:
        return NetworkLeft(network_slug, person_id, changed_at or now)
    return None
