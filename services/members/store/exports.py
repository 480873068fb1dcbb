"""What exports read: the records matching a filter, one page at a time, with what their rows
show alongside them (current ties, the membership of the year, networks).

Pages follow the search's order and are read by key (the last row's sort key and id), so each
page is one short transaction whatever the list's length, and none is read twice or skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.members import OrganisationsFilter, PeopleFilter
from services.members.domain.exports import (
    MembershipFacts,
    OrganisationLine,
    PersonLine,
    Tie,
)
from services.members.store.filters import organisation_conditions, people_conditions
from services.members.store.organisations import _organisation
from services.members.store.people import _person
from services.members.store.schema import (
    affiliations,
    membership_payments,
    memberships,
    network_memberships,
    organisation_qpvs,
    organisations,
    people,
    person_qpvs,
)

Cursor = tuple[str, str]
"""Where the next page starts: the last row's sort key (``search_text``) and id."""


class ExportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def count_people(self, wanted: PeopleFilter, *, today: date) -> int:
        conditions = people_conditions(wanted, today)
        statement = select(func.count()).select_from(people).where(*conditions)
        return int((await self._session.execute(statement)).scalar_one())

    async def count_organisations(self, wanted: OrganisationsFilter, *, today: date) -> int:
        conditions = organisation_conditions(wanted, today)
        statement = select(func.count()).select_from(organisations).where(*conditions)
        return int((await self._session.execute(statement)).scalar_one())

    async def people_page(
        self, wanted: PeopleFilter, *, today: date, year: int, after: Cursor | None, limit: int
    ) -> tuple[list[PersonLine], Cursor | None]:
        """Up to ``limit`` people after ``after``, by last then first name, and where the next
        page starts (None after the last)."""
        rows = await self._page(people, people_conditions(wanted, today), after, limit)
        ids = [row.id for row in rows]
        qpvs = await self._codes(person_qpvs, "person_id", ids)
        ties = await self._ties(ids, today)
        held = await self._memberships("person", ids, year)
        networks = await self._networks(ids)
        lines = [
            PersonLine(
                person=_person(row, qpvs.get(row.id, ())),
                ties=tuple(ties.get(row.id, ())),
                membership=held.get(row.id),
                networks=tuple(networks.get(row.id, ())),
            )
            for row in rows
        ]
        return lines, _next(rows, limit)

    async def organisations_page(
        self,
        wanted: OrganisationsFilter,
        *,
        today: date,
        year: int,
        after: Cursor | None,
        limit: int,
    ) -> tuple[list[OrganisationLine], Cursor | None]:
        """Up to ``limit`` organisations after ``after``, by name, and where the next page
        starts (None after the last)."""
        conditions = organisation_conditions(wanted, today)
        rows = await self._page(organisations, conditions, after, limit)
        ids = [row.id for row in rows]
        qpvs = await self._codes(organisation_qpvs, "organisation_id", ids)
        held = await self._memberships("organisation", ids, year)
        lines = [
            OrganisationLine(_organisation(row, qpvs.get(row.id, ())), held.get(row.id))
            for row in rows
        ]
        return lines, _next(rows, limit)

    async def _page(
        self, table: Table, conditions: list[Any], after: Cursor | None, limit: int
    ) -> Sequence[Any]:
        statement = select(table).where(*conditions)
        if after is not None:
            statement = statement.where(tuple_(table.c.search_text, table.c.id) > tuple_(*after))
        statement = statement.order_by(table.c.search_text, table.c.id).limit(limit)
        return (await self._session.execute(statement)).all()

    async def _codes(self, links: Table, column: str, ids: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        if ids:
            rows = await self._session.execute(
                select(links.c[column], links.c.qpv_code)
                .where(links.c[column].in_(ids))
                .order_by(links.c.qpv_code)
            )
            for owner, code in rows:
                found.setdefault(owner, []).append(code)
        return found

    async def _ties(self, person_ids: list[str], today: date) -> dict[str, list[Tie]]:
        """Each person's affiliations holding ``today``, by organisation name."""
        found: dict[str, list[Tie]] = {}
        if person_ids:
            rows = await self._session.execute(
                select(
                    affiliations.c.person_id,
                    organisations.c.name,
                    affiliations.c.role,
                    affiliations.c.verified,
                )
                .join(organisations, organisations.c.id == affiliations.c.organisation_id)
                .where(
                    affiliations.c.person_id.in_(person_ids),
                    affiliations.c.start <= today,
                    or_(affiliations.c.end.is_(None), affiliations.c.end >= today),
                )
                .order_by(organisations.c.search_text, affiliations.c.id)
            )
            for person_id, name, role, verified in rows:
                found.setdefault(person_id, []).append(Tie(name, role, verified))
        return found

    async def _memberships(
        self, member_type: str, ids: list[str], year: int
    ) -> dict[str, MembershipFacts]:
        """The membership of ``year`` of each member that has one, with what was paid."""
        if not ids:
            return {}
        paid = (
            select(func.sum(membership_payments.c.amount))
            .where(membership_payments.c.membership_id == memberships.c.id)
            .scalar_subquery()
        )
        rows = await self._session.execute(
            select(
                memberships.c.member_id,
                memberships.c.status,
                memberships.c.waived,
                memberships.c.dues,
                memberships.c.receipt_number,
                paid.label("paid"),
            ).where(
                memberships.c.member_type == member_type,
                memberships.c.year == year,
                memberships.c.member_id.in_(ids),
            )
        )
        return {
            row.member_id: MembershipFacts(
                status=row.status,
                waived=row.waived,
                dues=_euros(row.dues),
                paid=_euros(row.paid),
                receipt_number=row.receipt_number,
            )
            for row in rows
        }

    async def _networks(self, person_ids: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        if person_ids:
            rows = await self._session.execute(
                select(network_memberships.c.person_id, network_memberships.c.network_slug).where(
                    network_memberships.c.person_id.in_(person_ids),
                    network_memberships.c.status == "member",
                )
            )
            for person_id, slug in rows:
                found.setdefault(person_id, []).append(slug)
        return found


def _next(rows: Sequence[Any], limit: int) -> Cursor | None:
    if len(rows) < limit:
        return None
    last = rows[-1]
    return (last.search_text, last.id)


def _euros(amount: Any) -> Decimal:
    """An amount read back, to the cent (SQLite keeps numerics as floating point)."""
    return Decimal(str(amount or 0)).quantize(Decimal("0.01"))
