"""Use cases about memberships, payments, affiliations and the yearly calendar."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.exc import IntegrityError

from contracts.members import (
    AccessV1,
    AddAffiliationV1,
    AffiliationV1,
    CheckAccessV1,
    GetMembershipV1,
    MembershipV1,
    OpenMembershipV1,
    OverrideMembershipV1,
    PaymentV1,
    RecordPaymentV1,
    RenewalReplyV1,
    RenewMembershipsV1,
    StatusChangeV1,
    WaiveMembershipV1,
)
from reference import territories
from services.members.domain.fees import FeeSchedule
from services.members.domain.memberships import (
    Affiliation,
    MemberRef,
    Membership,
    MembershipStatus,
    PaymentMethod,
    is_covered,
    renewal_of,
)
from services.members.store import MembersUnitOfWork, UowFactory
from services.runtime.errors import Conflict, DomainError, NotFound
from services.runtime.logging import get_logger

log = get_logger("reso.members")


@dataclass(frozen=True)
class MembershipRules:
    """What the centre configured: its fee schedule and the end of the grace period (MM-DD)."""

    schedule: FeeSchedule
    grace_until: str = "03-31"

    def grace_end(self, year: int) -> date:
        month, day = (int(part) for part in self.grace_until.split("-"))
        return date(year + 1, month, day)


async def open_membership(
    command: OpenMembershipV1, uow: UowFactory, rules: MembershipRules
) -> MembershipV1:
    member = MemberRef(command.member_type, command.member_id)
    async with uow() as work:
        kind, population = await _member_kind(work, member, command.population)
        if await work.memberships.for_member_year(member, command.year) is not None:
            raise Conflict(
                f"Une adhésion {command.year} existe déjà pour ce membre.", year=command.year
            )
        membership, events = Membership.open(
            member=member,
            member_kind=kind,
            population=population,
            year=command.year,
            schedule=rules.schedule,
            now=datetime.now(UTC),
            by=command.by,
        )
        await work.memberships.add(membership)
        for event in events:
            work.record(event)
        try:
            await work.commit()
        except IntegrityError as error:  # opened concurrently
            raise Conflict(f"Une adhésion {command.year} existe déjà pour ce membre.") from error
    return membership_reply(membership)


async def _member_kind(
    work: MembersUnitOfWork, member: MemberRef, population: int | None
) -> tuple[str, int | None]:
    if member.kind == "organisation":
        organisation = await work.organisations.get(member.id)
        if organisation is None:
            raise NotFound("Organisation introuvable.", organisation_id=str(member.id))
        if population is None and organisation.territory.commune:
            commune = territories().commune(organisation.territory.commune)
            population = commune.population if commune else None
        return organisation.kind, population
    person = await work.people.get(member.id)
    if person is None or person.erased_at is not None:
        raise NotFound("Personne introuvable.", person_id=str(member.id))
    return "other", population


async def record_payment(command: RecordPaymentV1, uow: UowFactory) -> MembershipV1:
    async with uow() as work:
        membership = await _membership(work, command.membership_id)
        sequence = await work.memberships.next_receipt_sequence(membership.year)
        event = membership.record_payment(
            amount=command.amount,
            paid_on=command.paid_on,
            method=PaymentMethod(command.method),
            reference=command.reference,
            receipt_sequence=sequence,
            now=datetime.now(UTC),
            by=command.by,
        )
        if membership.receipt_number is not None and membership.receipt_number.endswith(
            f"-{sequence:06d}"
        ):
            await work.memberships.take_receipt(membership.year, sequence)
        await work.memberships.save(membership)
        if event is not None:
            work.record(event)
        await work.commit()
    return membership_reply(membership)


async def waive_membership(command: WaiveMembershipV1, uow: UowFactory) -> MembershipV1:
    async with uow() as work:
        membership = await _membership(work, command.membership_id)
        work.record(membership.waive(command.reason, datetime.now(UTC), command.by))
        await work.memberships.save(membership)
        await work.commit()
    return membership_reply(membership)


async def override_membership(command: OverrideMembershipV1, uow: UowFactory) -> MembershipV1:
    async with uow() as work:
        membership = await _membership(work, command.membership_id)
        event = membership.override(
            MembershipStatus(command.status), command.reason, datetime.now(UTC), command.by
        )
        await work.memberships.save(membership)
        work.record(event)
        await work.commit()
    return membership_reply(membership)


async def get_membership(query: GetMembershipV1, uow: UowFactory) -> MembershipV1:
    async with uow() as work:
        membership = await _membership(work, query.membership_id)
    return membership_reply(membership)


async def _membership(work: MembersUnitOfWork, membership_id: uuid.UUID) -> Membership:
    membership = await work.memberships.get(membership_id)
    if membership is None:
        raise NotFound("Adhésion introuvable.", membership_id=str(membership_id))
    return membership


async def add_affiliation(command: AddAffiliationV1, uow: UowFactory) -> AffiliationV1:
    affiliation = Affiliation(
        person_id=command.person_id,
        organisation_id=command.organisation_id,
        role=command.role,
        start=command.start,
        end=command.end,
    )
    async with uow() as work:
        person = await work.people.get(command.person_id)
        if person is None or person.erased_at is not None:
            raise NotFound("Personne introuvable.", person_id=str(command.person_id))
        if await work.organisations.get(command.organisation_id) is None:
            raise NotFound(
                "Organisation introuvable.", organisation_id=str(command.organisation_id)
            )
        await work.affiliations.add(affiliation)
        await work.commit()
    return AffiliationV1(**command.model_dump())


async def check_access(query: CheckAccessV1, uow: UowFactory) -> AccessV1:
    async with uow() as work:
        held = await work.affiliations.of_person(query.person_id)
        holders = [MemberRef("person", query.person_id)] + [
            MemberRef("organisation", a.organisation_id) for a in held
        ]
        covering = await work.memberships.covering_any(holders)
    member = is_covered(query.person_id, query.on, covering, held)
    return AccessV1(person_id=query.person_id, on=query.on, member=member)


async def renew_memberships(
    command: RenewMembershipsV1, uow: UowFactory, rules: MembershipRules
) -> RenewalReplyV1:
    """Open ``year`` for each member covered in ``year - 1``; one transaction per member."""
    async with uow() as work:
        previous_year = await work.memberships.covering_in_year(command.year - 1)
    opened = already_open = 0
    failed: list[str] = []
    for previous in previous_year:
        async with uow() as work:
            if await work.memberships.for_member_year(previous.member, command.year):
                already_open += 1
                continue
            try:
                kind, population = await _member_kind(work, previous.member, None)
                membership, events = renewal_of(
                    previous,
                    member_kind=kind,
                    population=population,
                    schedule=rules.schedule,
                    now=datetime.now(UTC),
                    by=command.by,
                )
            except DomainError as error:  # e.g. a local authority with no known population
                failed.append(f"{previous.member.kind} {previous.member.id} : {error.message}")
                continue
            await work.memberships.add(membership)
            for event in events:
                work.record(event)
            try:
                await work.commit()
            except IntegrityError:  # opened meanwhile by staff or another run
                already_open += 1
                continue
            opened += 1
    log.info(
        "memberships renewed",
        year=command.year,
        opened=opened,
        already_open=already_open,
        failed=len(failed),
    )
    return RenewalReplyV1(
        year=command.year, opened=opened, already_open=already_open, failed=tuple(failed)
    )


async def advance_memberships(uow: UowFactory, rules: MembershipRules, now: datetime) -> int:
    """Let the calendar move memberships of past years on (grace, then lapsed); returns how many
    changed. Idempotent: run it as often as you like."""
    async with uow() as work:
        candidates = await work.memberships.unsettled_before(now.year)
    changed = 0
    for candidate in candidates:
        async with uow() as work:
            membership = await work.memberships.get(candidate.id)
            if membership is None:
                continue
            event = membership.advance(now, rules.grace_end(membership.year))
            if event is None:
                continue
            await work.memberships.save(membership)
            work.record(event)
            await work.commit()
            changed += 1
    return changed


def membership_reply(membership: Membership) -> MembershipV1:
    return MembershipV1(
        membership_id=membership.id,
        member_type=membership.member.kind,
        member_id=membership.member.id,
        year=membership.year,
        dues=membership.dues,
        paid=membership.paid,
        status=membership.status.value,
        waived=membership.waived,
        receipt_number=membership.receipt_number,
        payments=tuple(
            PaymentV1(
                amount=p.amount,
                paid_on=p.paid_on,
                method=p.method.value,
                reference=p.reference,
                recorded_by=p.recorded_by,
            )
            for p in membership.payments
        ),
        history=tuple(
            StatusChangeV1(
                at=h.at,
                from_status=h.from_status.value if h.from_status else None,
                to_status=h.to_status.value,
                reason=h.reason,
                by=h.by,
            )
            for h in membership.history
        ),
    )
