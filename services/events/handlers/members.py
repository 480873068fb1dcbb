"""Projections of members' facts: who is a member (member-only events), and what the activity
report will need of people and organisations. Each consumer is idempotent (inbox claim)."""

from __future__ import annotations

from typing import Any

from contracts.members import (
    AffiliationChangedV1,
    MemberRegisteredV1,
    MembershipActivatedV1,
    MembershipLapsedV1,
    MembershipRenewedV1,
    OrganisationCreatedV1,
    OrganisationUpdatedV1,
    PersonUpdatedV1,
)
from services.events.domain.registrations import email_key
from services.events.store import UowFactory

CONSUMER = "events.members"
"""Inbox consumer of members' facts (event ids are unique whatever the subject)."""


async def on_membership_changed(
    event: MembershipActivatedV1 | MembershipLapsedV1 | MembershipRenewedV1, uow: UowFactory
) -> None:
    """Activated: a member; lapsed: no longer. Renewed: the new year's membership is opened
    (not active until members says it is activated)."""
    async with uow() as work:
        if not await work.claim(CONSUMER, str(event.event_id)):
            return
        values = {
            "membership_id": str(event.membership_id),
            "member_type": event.member_type,
            "member_id": str(event.member_id),
            "year": event.year,
        }
        if isinstance(event, MembershipRenewedV1):
            if not await work.members.membership_known(event.membership_id):
                await work.members.set_membership({**values, "active": False})
        else:
            active = isinstance(event, MembershipActivatedV1)
            await work.members.set_membership({**values, "active": active})
        await work.commit()


async def on_affiliation_changed(event: AffiliationChangedV1, uow: UowFactory) -> None:
    async with uow() as work:
        if not await work.claim(CONSUMER, str(event.event_id)):
            return
        await work.members.upsert_affiliation(
            {
                "affiliation_id": event.affiliation_id,
                "person_id": str(event.person_id),
                "organisation_id": str(event.organisation_id),
                "start": event.start,
                "end": event.end,
                "removed": event.removed,
            }
        )
        await work.commit()


async def on_organisation_changed(
    event: OrganisationCreatedV1 | OrganisationUpdatedV1, uow: UowFactory
) -> None:
    async with uow() as work:
        if not await work.claim(CONSUMER, str(event.event_id)):
            return
        territory = event.territory
        await work.members.upsert_organisation(
            {
                "organisation_id": str(event.organisation_id),
                "name": event.name,
                "kind": event.kind.value,
                "college": event.college.value,
                "region": territory.region,
                "department": territory.department,
                "commune": territory.commune,
                "epci": territory.epci,
                "qpvs": list(territory.qpvs),
                "archived": getattr(event, "archived", False),
            }
        )
        await work.commit()


async def on_person_changed(event: PersonUpdatedV1 | MemberRegisteredV1, uow: UowFactory) -> None:
    """Names and address (to complete a signed-in person's registration, and to recognise a
    member registering with their address), and what the report needs (kind, college,
    territory)."""
    async with uow() as work:
        if not await work.claim(CONSUMER, str(event.event_id)):
            return
        values: dict[str, Any] = {
            "person_id": str(event.person_id),
            "email": str(event.email),
            "email_key": email_key(str(event.email)),
            "first_name": event.first_name,
            "last_name": event.last_name,
        }
        if isinstance(event, PersonUpdatedV1):
            values.update(
                kind=event.kind.value,
                college=event.college.value,
                department=event.territory.department,
                commune=event.territory.commune,
                qpvs=list(event.territory.qpvs),
                archived=event.archived,
            )
            await work.members.upsert_person(values)
        elif await work.members.person(event.person_id) is None:
            # A sign-up: a first record, never over a richer one that arrived first.
            await work.members.upsert_person({**values, "qpvs": [], "archived": False})
        await work.commit()
