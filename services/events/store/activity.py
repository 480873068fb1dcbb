"""What the attendance documents and the activity report read: registrants with their
organisation's name, and registrations with what members told us of the people behind them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.events.domain import report
from services.events.domain.registrations import Registration
from services.events.store.events import event_of
from services.events.store.registrations import registration_of
from services.events.store.schema import (
    events,
    member_networks,
    member_organisations,
    member_people,
    registrations,
)


@dataclass(frozen=True)
class Attendee:
    registration: Registration
    organisation: str
    """The organisation's name, as members knows it ("" when unknown)."""


class ActivityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- networks (projection of members' network facts) ----------------------------------------

    async def set_network(
        self, person_id: uuid.UUID, slug: str, *, member: bool, as_of: datetime
    ) -> None:
        """Record a join (``member``) or a leave, unless a later fact is already recorded."""
        key = (member_networks.c.person_id == str(person_id)) & (
            member_networks.c.network_slug == slug
        )
        found = (await self._session.execute(select(member_networks.c.as_of).where(key))).first()
        if found is None:
            await self._session.execute(
                insert(member_networks).values(
                    person_id=str(person_id), network_slug=slug, member=member, as_of=as_of
                )
            )
        elif found.as_of <= as_of:
            await self._session.execute(
                update(member_networks).where(key).values(member=member, as_of=as_of)
            )

    async def forget_networks(self, person_id: uuid.UUID) -> None:
        await self._session.execute(
            delete(member_networks).where(member_networks.c.person_id == str(person_id))
        )

    # --- attendance ---------------------------------------------------------------------------

    async def attendees(self, event_id: uuid.UUID) -> list[Attendee]:
        """The event's confirmed registrations and any checked in, erased people aside."""
        statement = (
            select(registrations, member_organisations.c.name.label("organisation_name"))
            .outerjoin(
                member_organisations,
                member_organisations.c.organisation_id == registrations.c.organisation_id,
            )
            .where(
                registrations.c.event_id == str(event_id),
                registrations.c.erased_at.is_(None),
                (registrations.c.status == "confirmed") | registrations.c.attended_at.is_not(None),
            )
        )
        return [
            Attendee(registration_of(row), row.organisation_name or "")
            for row in await self._session.execute(statement)
        ]

    # --- the activity report ----------------------------------------------------------------

    async def report_records(
        self, start: datetime, end: datetime
    ) -> tuple[list[report.EventRecord], list[report.RegistrationRecord]]:
        """Events starting in [start, end) (UTC bounds wide enough for the Paris period; the
        report filters by Paris date) and their registrations, described from the projections.

        Per registration: organisation kind from its organisation; college and department from
        the person's record, else the organisation's; networks from the person's memberships;
        works in a QPV: yes when the person's or the organisation's territory lists a QPV, no
        when members described the person (their territory) without one, else unknown.
        """
        found = [
            event_of(row)
            for row in await self._session.execute(
                select(events).where(events.c.starts_at >= start, events.c.starts_at < end)
            )
        ]
        event_records = [
            report.EventRecord(
                id=event.id,
                type=event.draft.type,
                themes=tuple(event.draft.themes),
                starts_at=event.draft.starts_at,
                status=event.status.value,  # type: ignore[arg-type]
            )
            for event in found
        ]
        if not found:
            return event_records, []
        people = member_people.alias("people")
        organisations = member_organisations.alias("organisations")
        statement = (
            select(
                registrations.c.event_id,
                registrations.c.status,
                registrations.c.attended_at,
                registrations.c.person_id,
                people.c.kind.label("person_kind"),
                people.c.college.label("person_college"),
                people.c.department.label("person_department"),
                people.c.qpvs.label("person_qpvs"),
                organisations.c.kind.label("organisation_kind"),
                organisations.c.college.label("organisation_college"),
                organisations.c.department.label("organisation_department"),
                organisations.c.qpvs.label("organisation_qpvs"),
            )
            .outerjoin(people, people.c.person_id == registrations.c.person_id)
            .outerjoin(
                organisations,
                organisations.c.organisation_id == registrations.c.organisation_id,
            )
            .where(registrations.c.event_id.in_([str(event.id) for event in found]))
        )
        rows = list(await self._session.execute(statement))
        person_ids = sorted({row.person_id for row in rows if row.person_id})
        networks: dict[str, list[str]] = defaultdict(list)
        for start_at in range(0, len(person_ids), 500):
            for person_id, slug in await self._session.execute(
                select(member_networks.c.person_id, member_networks.c.network_slug).where(
                    member_networks.c.person_id.in_(person_ids[start_at : start_at + 500]),
                    member_networks.c.member.is_(True),
                )
            ):
                networks[person_id].append(slug)
        records = [
            report.RegistrationRecord(
                event_id=row.event_id,
                status=row.status,
                attended=row.attended_at is not None,
                organisation_kind=row.organisation_kind,
                college=row.person_college or row.organisation_college,
                department=row.person_department or row.organisation_department,
                networks=tuple(sorted(networks.get(row.person_id or "", ()))),
                works_in_qpv=_works_in_qpv(row),
            )
            for row in rows
        ]
        return event_records, records


def _works_in_qpv(row: object) -> bool | None:
    person_qpvs = getattr(row, "person_qpvs", None) or []
    organisation_qpvs = getattr(row, "organisation_qpvs", None) or []
    if person_qpvs or organisation_qpvs:
        return True
    if getattr(row, "person_kind", None) is not None:
        return False  # members described where the person works, without a QPV
    return None
