"""Repositories of memberships (with payments, history, receipt numbers) and affiliations."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.domain.memberships import (
    COVERING,
    Affiliation,
    MemberRef,
    Membership,
    MembershipStatus,
    Payment,
    PaymentMethod,
    StatusChange,
)
from services.members.store.schema import (
    affiliations,
    membership_history,
    membership_payments,
    memberships,
    receipt_counters,
)


class MembershipRepository:
    """Loads and saves whole memberships; new payments and history lines are appended on save."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._loaded: dict[uuid.UUID, tuple[int, int]] = {}

    async def add(self, membership: Membership) -> None:
        await self._session.execute(
            insert(memberships).values(
                id=str(membership.id),
                member_type=membership.member.kind,
                member_id=str(membership.member.id),
                year=membership.year,
                dues=membership.dues,
                status=membership.status.value,
                waived=membership.waived,
                receipt_number=membership.receipt_number,
            )
        )
        self._loaded[membership.id] = (0, 0)
        await self.save(membership)

    async def save(self, membership: Membership) -> None:
        known_payments, known_history = self._loaded.get(membership.id, (0, 0))
        await self._session.execute(
            update(memberships)
            .where(memberships.c.id == str(membership.id))
            .values(
                status=membership.status.value,
                waived=membership.waived,
                receipt_number=membership.receipt_number,
            )
        )
        new_payments = membership.payments[known_payments:]
        if new_payments:
            await self._session.execute(
                insert(membership_payments),
                [
                    {
                        "membership_id": str(membership.id),
                        "amount": payment.amount,
                        "paid_on": payment.paid_on,
                        "method": payment.method.value,
                        "reference": payment.reference,
                        "recorded_at": payment.recorded_at,
                        "recorded_by": payment.recorded_by,
                    }
                    for payment in new_payments
                ],
            )
        new_history = membership.history[known_history:]
        if new_history:
            await self._session.execute(
                insert(membership_history),
                [
                    {
                        "membership_id": str(membership.id),
                        "at": change.at,
                        "from_status": change.from_status.value if change.from_status else None,
                        "to_status": change.to_status.value,
                        "reason": change.reason,
                        "by": change.by,
                    }
                    for change in new_history
                ],
            )
        self._loaded[membership.id] = (len(membership.payments), len(membership.history))

    async def get(self, membership_id: uuid.UUID) -> Membership | None:
        """The membership, locked for this transaction on PostgreSQL (SQLite serialises units
        of work anyway), so two payments or calendar runs never interleave."""
        statement = select(memberships).where(memberships.c.id == str(membership_id))
        if self._session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        return await self._load(row) if row else None

    async def for_member_year(self, member: MemberRef, year: int) -> Membership | None:
        row = (
            await self._session.execute(
                select(memberships).where(
                    memberships.c.member_type == member.kind,
                    memberships.c.member_id == str(member.id),
                    memberships.c.year == year,
                )
            )
        ).first()
        return await self._load(row) if row else None

    async def of_member(self, member: MemberRef) -> list[Membership]:
        """Every membership of the member, latest year first."""
        rows = (
            await self._session.execute(
                select(memberships)
                .where(
                    memberships.c.member_type == member.kind,
                    memberships.c.member_id == str(member.id),
                )
                .order_by(memberships.c.year.desc())
            )
        ).all()
        return [await self._load(row) for row in rows]

    async def covering_any(self, members: Iterable[MemberRef]) -> list[Membership]:
        """The active or in-grace memberships of any of ``members``."""
        refs = list(members)
        if not refs:
            return []
        rows = (
            await self._session.execute(
                select(memberships).where(
                    memberships.c.member_id.in_([str(ref.id) for ref in refs]),
                    memberships.c.status.in_([status.value for status in COVERING]),
                )
            )
        ).all()
        wanted = set(refs)
        loaded = [await self._load(row) for row in rows]
        return [membership for membership in loaded if membership.member in wanted]

    async def covering_in_year(self, year: int) -> list[Membership]:
        """Memberships of ``year`` that are active or in grace (the ones to renew)."""
        rows = (
            await self._session.execute(
                select(memberships).where(
                    memberships.c.year == year,
                    memberships.c.status.in_([status.value for status in COVERING]),
                )
            )
        ).all()
        return [await self._load(row) for row in rows]

    async def unsettled_before(self, year: int) -> list[Membership]:
        """Memberships of earlier years not yet lapsed: the calendar may move them on."""
        rows = (
            await self._session.execute(
                select(memberships).where(
                    memberships.c.year < year,
                    memberships.c.status != MembershipStatus.LAPSED.value,
                )
            )
        ).all()
        return [await self._load(row) for row in rows]

    async def next_receipt_sequence(self, year: int) -> int:
        """The next free receipt number of ``year`` (taken only by :meth:`take_receipt`).

        The year's counter row is created first if needed, then locked, so two transactions
        never get the same number (the first receipt of a year included)."""
        dialect_insert = (
            pg_insert if self._session.get_bind().dialect.name == "postgresql" else None
        )
        create: Any = (dialect_insert or sqlite_insert)(receipt_counters).values(year=year, last=0)
        await self._session.execute(create.on_conflict_do_nothing(index_elements=["year"]))
        statement = select(receipt_counters.c.last).where(receipt_counters.c.year == year)
        if self._session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update()
        last = (await self._session.execute(statement)).scalar()
        return (last or 0) + 1

    async def take_receipt(self, year: int, sequence: int) -> None:
        insert_for = pg_insert if self._session.get_bind().dialect.name == "postgresql" else None
        statement: Any = (insert_for or sqlite_insert)(receipt_counters).values(
            year=year, last=sequence
        )
        statement = statement.on_conflict_do_update(
            index_elements=["year"], set_={"last": sequence}
        )
        await self._session.execute(statement)

    async def _load(self, row: Any) -> Membership:
        membership_id = uuid.UUID(row.id)
        payment_rows = (
            await self._session.execute(
                select(membership_payments)
                .where(membership_payments.c.membership_id == row.id)
                .order_by(membership_payments.c.id)
            )
        ).all()
        history_rows = (
            await self._session.execute(
                select(membership_history)
                .where(membership_history.c.membership_id == row.id)
                .order_by(membership_history.c.id)
            )
        ).all()
        membership = Membership(
            id=membership_id,
            member=MemberRef(row.member_type, uuid.UUID(row.member_id)),
            year=row.year,
            dues=row.dues,
            status=MembershipStatus(row.status),
            waived=row.waived,
            receipt_number=row.receipt_number,
            payments=[
                Payment(
                    amount=p.amount,
                    paid_on=p.paid_on,
                    method=PaymentMethod(p.method),
                    reference=p.reference,
                    recorded_at=p.recorded_at,
                    recorded_by=p.recorded_by,
                )
                for p in payment_rows
            ],
            history=[
                StatusChange(
                    at=h.at,
                    from_status=MembershipStatus(h.from_status) if h.from_status else None,
                    to_status=MembershipStatus(h.to_status),
                    reason=h.reason,
                    by=h.by,
                )
                for h in history_rows
            ],
        )
        self._loaded[membership_id] = (len(payment_rows), len(history_rows))
        return membership


def _affiliation(row: Any) -> Affiliation:
    return Affiliation(
        person_id=uuid.UUID(row.person_id),
        organisation_id=uuid.UUID(row.organisation_id),
        role=row.role,
        start=row.start,
        end=row.end,
        contact=row.contact,
        verified=row.verified,
        id=row.id,
    )


class AffiliationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, affiliation: Affiliation) -> Affiliation:
        """Insert the affiliation; returns it with the id the database gave it."""
        result = await self._session.execute(
            insert(affiliations)
            .values(
                person_id=str(affiliation.person_id),
                organisation_id=str(affiliation.organisation_id),
                role=affiliation.role,
                start=affiliation.start,
                end=affiliation.end,
                contact=affiliation.contact,
                verified=affiliation.verified,
            )
            .returning(affiliations.c.id)
        )
        return replace(affiliation, id=result.scalar_one())

    async def get(self, affiliation_id: int) -> Affiliation | None:
        statement = select(affiliations).where(affiliations.c.id == affiliation_id)
        if self._session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        return _affiliation(row) if row else None

    async def save(self, affiliation: Affiliation) -> None:
        await self._session.execute(
            update(affiliations)
            .where(affiliations.c.id == affiliation.id)
            .values(
                role=affiliation.role,
                end=affiliation.end,
                contact=affiliation.contact,
                verified=affiliation.verified,
            )
        )

    async def remove(self, affiliation_id: int) -> None:
        await self._session.execute(delete(affiliations).where(affiliations.c.id == affiliation_id))

    async def of_person(self, person_id: uuid.UUID) -> list[Affiliation]:
        rows = (
            await self._session.execute(
                select(affiliations)
                .where(affiliations.c.person_id == str(person_id))
                .order_by(affiliations.c.start, affiliations.c.id)
            )
        ).all()
        return [_affiliation(r) for r in rows]

    async def contacts_of(self, organisation_id: uuid.UUID) -> list[Affiliation]:
        """The verified ties flagged as the organisation's contact for its membership."""
        rows = (
            await self._session.execute(
                select(affiliations)
                .where(
                    affiliations.c.organisation_id == str(organisation_id),
                    affiliations.c.contact.is_(True),
                    affiliations.c.verified.is_(True),
                )
                .order_by(affiliations.c.id)
            )
        ).all()
        return [_affiliation(r) for r in rows]
