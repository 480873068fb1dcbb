"""Search filters as SQL conditions (the same on SQLite and PostgreSQL).

Territory filters match the stored levels, which the domain completes from the reference when a
record is saved (a commune brings its EPCI, department and region), so a filter at any level
finds everything inside it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, exists, or_, select

from contracts.members import OrganisationsFilter, PeopleFilter
from services.members.domain.imports import fold
from services.members.store.schema import (
    affiliations,
    memberships,
    network_memberships,
    organisation_qpvs,
    organisations,
    people,
    person_qpvs,
)


def people_conditions(wanted: PeopleFilter, today: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [people.c.erased_at.is_(None)]
    conditions += _common(wanted, people, person_qpvs, "person_id", "person", today)
    if wanted.kind:
        conditions.append(people.c.kind.in_([kind.value for kind in wanted.kind]))
    if wanted.network:
        conditions.append(
            exists().where(
                network_memberships.c.person_id == people.c.id,
                network_memberships.c.network_slug == wanted.network,
                network_memberships.c.status == "member",
            )
        )
    if wanted.organisation_id:
        conditions.append(
            exists().where(
                affiliations.c.person_id == people.c.id,
                affiliations.c.organisation_id == str(wanted.organisation_id),
                affiliations.c.start <= today,
                or_(affiliations.c.end.is_(None), affiliations.c.end >= today),
            )
        )
    if wanted.confirmed is not None:
        column = people.c.confirmed_at
        conditions.append(column.is_not(None) if wanted.confirmed else column.is_(None))
    return conditions


def organisation_conditions(wanted: OrganisationsFilter, today: date) -> list[ColumnElement[bool]]:
    conditions = _common(
        wanted, organisations, organisation_qpvs, "organisation_id", "organisation", today
    )
    if wanted.kind:
        conditions.append(organisations.c.kind.in_([kind.value for kind in wanted.kind]))
    return conditions


def _common(
    wanted: PeopleFilter | OrganisationsFilter,
    table: Table,
    qpv_links: Table,
    link_column: str,
    member_type: str,
    today: date,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.archived == "exclude":
        conditions.append(table.c.archived_at.is_(None))
    elif wanted.archived == "only":
        conditions.append(table.c.archived_at.is_not(None))
    for term in fold(wanted.q or "").split():
        conditions.append(table.c.search_text.contains(term, autoescape=True))
    if wanted.college:
        conditions.append(table.c.college == wanted.college.value)
    for level in ("region", "department", "commune", "epci"):
        code: str | None = getattr(wanted, level)
        if code:
            conditions.append(table.c[level] == _code(code, level))
    if wanted.qpv:
        conditions.append(
            exists().where(
                qpv_links.c[link_column] == table.c.id,
                qpv_links.c.qpv_code == wanted.qpv.strip().upper(),
            )
        )
    if wanted.membership_year is not None or wanted.membership_status is not None:
        year = wanted.membership_year or today.year
        held: Any = select(memberships.c.id).where(
            memberships.c.member_type == member_type,
            memberships.c.member_id == table.c.id,
            memberships.c.year == year,
        )
        if wanted.membership_status == "none":
            conditions.append(~exists(held))
        elif wanted.membership_status is not None:
            conditions.append(exists(held.where(memberships.c.status == wanted.membership_status)))
        else:
            conditions.append(exists(held))
    return [and_(*conditions)] if conditions else []


def _code(code: str, level: str) -> str:
    """A territory code as stored: upper case, the leading zero Excel drops put back."""
    code = "".join(code.split()).upper()
    if level == "department" and len(code) == 1 and code.isdigit():
        return "0" + code
    if level == "commune" and len(code) == 4 and code.isdigit():
        return "0" + code
    return code
