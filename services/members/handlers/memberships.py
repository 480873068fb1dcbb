"""Use cases about memberships, payments, affiliations and the yearly calendar."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
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
    RemoveAffiliationV1,
    RenewalReplyV1,
    RenewMembershipsV1,
    StatusChangeV1,
    UpdateAffiliationV1,
    WaiveMembershipV1,
)
from services.members.domain import audit
from services.members.domain.fees import FeeSchedule
from services.members.domain.memberships import (
    Affiliation,
    AffiliationChanged,
    MemberRef,
    Membership,
    MembershipRenewed,
    MembershipStatus,
    PaymentMethod,
    Recipient,
    is_covered,
    renewal_of,
)
from services.members.domain.organisations import population_of
from services.members.handlers.people import affiliation_reply
from services.members.store import MembersUnitOfWork, UowFactory
from services.runtime.errors import Conflict, DomainError, InvalidInput, NotFound
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
        await _audit(work, membership, "opened", command.by, None)
        for event in events:
            work.record(event)
        try:
            await work.commit()
        except IntegrityError as error:  # opened concurrently
            raise Conflict(f"Une adhésion {command.year} existe déjà pour ce membre.") from error
    return membership_reply(membership)


async def _audit(
    work: MembersUnitOfWork,
    membership: Membership,
    action: str,
    by: str | None,
    before: dict[str, object] | None,
) -> None:
    await work.audit.add(
        audit.entry(
            "membership",
            membership.id,
            action,
            at=datetime.now(UTC),
            by=by,
            before=before,
            after=membership.snapshot(),
        )
    )


async def _member_kind(
    work: MembersUnitOfWork, member: MemberRef, population: int | None
) -> tuple[str, int | None]:
    if member.kind == "organisation":
        organisation = await work.organisations.get(member.id)
        if organisation is None:
            raise NotFound("Organisation introuvable.", organisation_id=str(member.id))
        if population is None:
            population = population_of(organisation.kind, organisation.territory)
        return organisation.kind, population
    person = await work.people.get(member.id)
    if person is None or person.erased_at is not None:
        raise NotFound("Personne introuvable.", person_id=str(member.id))
    return person.kind, population


async def record_payment(command: RecordPaymentV1, uow: UowFactory) -> MembershipV1:
    async with uow() as work:
        membership = await _membership(work, command.membership_id)
        before = membership.snapshot()
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
        await _audit(work, membership, "paid", command.by, before)
        if event is not None:
            work.record(event)
        await work.commit()
    return membership_reply(membership)


async def waive_membership(command: WaiveMembershipV1, uow: UowFactory) -> MembershipV1:
    async with uow() as work:
        membership = await _membership(work, command.membership_id)
        before = membership.snapshot()
        work.record(membership.waive(command.reason, datetime.now(UTC), command.by))
        await work.memberships.save(membership)
        await _audit(work, membership, "waived", command.by, before)
        await work.commit()
    return membership_reply(membership)


async def override_membership(command: OverrideMembershipV1, uow: UowFactory) -> MembershipV1:
    async with uow() as work:
        membership = await _membership(work, command.membership_id)
        before = membership.snapshot()
        event = membership.override(
            MembershipStatus(command.status), command.reason, datetime.now(UTC), command.by
        )
        await work.memberships.save(membership)
        await _audit(work, membership, "overridden", command.by, before)
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
    """Tie a person to an organisation; a tie the person declares (``by`` 'self') is not
    verified until staff check it."""
    by = command.by or "inconnu"
    now = datetime.now(UTC)
    tie = Affiliation(
        person_id=command.person_id,
        organisation_id=command.organisation_id,
        role=command.role,
        start=command.start,
        end=command.end,
        contact=command.contact,
        verified=by != "self",
    )
    async with uow() as work:
        person = await work.people.get(command.person_id)
        if person is None or person.erased_at is not None:
            raise NotFound("Personne introuvable.", person_id=str(command.person_id))
        organisation = await work.organisations.get(command.organisation_id)
        if organisation is None:
            raise NotFound(
                "Organisation introuvable.", organisation_id=str(command.organisation_id)
            )
        tie = await work.affiliations.add(tie)
        await _audit_tie(work, tie, "created", by, None, now)
        work.record(AffiliationChanged(tie, now))
        await work.commit()
    return affiliation_reply(tie, organisation.name)


async def update_affiliation(command: UpdateAffiliationV1, uow: UowFactory) -> AffiliationV1:
    """Change role, end date, contact flag; staff verify a declared tie. The person may change
    their own ties (``person_id`` given), but not verify them."""
    now = datetime.now(UTC)
    async with uow() as work:
        tie = await _affiliation(work, command.affiliation_id, command.person_id)
        if command.verified is not None and command.by == "self":
            raise InvalidInput(
                "Seule l'équipe du centre vérifie une affiliation.", field="verified"
            )
        changes: dict[str, object] = {}
        if command.role is not None:
            changes["role"] = command.role.strip()
        if command.clear_end:
            changes["end"] = None
        elif command.end is not None:
            changes["end"] = command.end
        if command.contact is not None:
            changes["contact"] = command.contact
        if command.verified is not None:
            changes["verified"] = command.verified
        updated = replace(tie, **changes)  # type: ignore[arg-type]
        if updated != tie:
            await work.affiliations.save(updated)
            await _audit_tie(work, updated, "updated", command.by, tie, now)
            work.record(AffiliationChanged(updated, now))
            await work.commit()
        names = await work.organisations.names([updated.organisation_id])
    return affiliation_reply(updated, names.get(updated.organisation_id))


async def remove_affiliation(command: RemoveAffiliationV1, uow: UowFactory) -> AffiliationV1:
    now = datetime.now(UTC)
    async with uow() as work:
        tie = await _affiliation(work, command.affiliation_id, command.person_id)
        if command.by == "self" and tie.verified:
            raise Conflict(
                "Une affiliation vérifiée par le centre ne se retire pas : indiquez sa date de "
                "fin.",
                affiliation_id=command.affiliation_id,
            )
        names = await work.organisations.names([tie.organisation_id])
        await work.affiliations.remove(command.affiliation_id)
        await work.audit.add(
            audit.entry(
                "affiliation", tie.id, "removed", at=now, by=command.by, before=tie.snapshot()
            )
        )
        work.record(AffiliationChanged(tie, now, removed=True))
        await work.commit()
    return affiliation_reply(tie, names.get(tie.organisation_id))


async def _affiliation(
    work: MembersUnitOfWork, affiliation_id: int, person_id: uuid.UUID | None
) -> Affiliation:
    tie = await work.affiliations.get(affiliation_id)
    if tie is None or (person_id is not None and tie.person_id != person_id):
        raise NotFound("Affiliation introuvable.", affiliation_id=affiliation_id)
    return tie


async def _audit_tie(
    work: MembersUnitOfWork,
    tie: Affiliation,
    action: str,
    by: str,
    before: Affiliation | None,
    now: datetime,
) -> None:
    await work.audit.add(
        audit.entry(
            "affiliation",
            tie.id,
            action,
            at=now,
            by=by,
            before=before.snapshot() if before else None,
            after=tie.snapshot(),
        )
    )


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
    skipped: list[str] = []
    unreachable: list[str] = []
    for previous in previous_year:
        async with uow() as work:
            if await work.memberships.for_member_year(previous.member, command.year):
                already_open += 1
                continue
            name, recipients, left = await _renewal_contacts(work, previous.member)
            label = f"{_member_label(previous.member)} {previous.member.id}"
            if name:
                label += f" ({name})"
            if left:
                skipped.append(f"{label} : a quitté le registre (archivé ou effacé)")
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
                failed.append(f"{label} : {error.message}")
                continue
            await work.memberships.add(membership)
            await _audit(work, membership, "opened", command.by, None)
            for event in events:
                if isinstance(event, MembershipRenewed):
                    event = replace(event, member_name=name, recipients=recipients)
                work.record(event)
            try:
                await work.commit()
            except IntegrityError:  # opened meanwhile by staff or another run
                already_open += 1
                continue
            opened += 1
            if not recipients:
                unreachable.append(f"{label} : aucune adresse à qui envoyer l'appel à cotisation")
    log.info(
        "memberships renewed",
        year=command.year,
        opened=opened,
        already_open=already_open,
        failed=len(failed),
        skipped=len(skipped),
        unreachable=len(unreachable),
    )
    return RenewalReplyV1(
        year=command.year,
        opened=opened,
        already_open=already_open,
        failed=tuple(failed),
        skipped=tuple(skipped),
        unreachable=tuple(unreachable),
    )


def _member_label(member: MemberRef) -> str:
    return "organisation" if member.kind == "organisation" else "personne"


async def _renewal_contacts(
    work: MembersUnitOfWork, member: MemberRef
) -> tuple[str | None, tuple[Recipient, ...], bool]:
    """The member's name, who to mail the call for dues to, and whether they left the register
    (archived or erased). An organisation's calls go to its own address and to the people
    flagged as its contacts; a person's to them."""
    if member.kind == "person":
        person = await work.people.get(member.id)
        if person is None or person.erased_at is not None:
            return None, (), True
        name = f"{person.first_name} {person.last_name}"
        if person.archived_at is not None:
            return name, (), True
        return name, (Recipient(person.id, name, person.email),), False
    organisation = await work.organisations.get(member.id)
    if organisation is None:
        return None, (), True
    if organisation.archived_at is not None:
        return organisation.name, (), True
    recipients: list[Recipient] = []
    if organisation.email:
        recipients.append(Recipient(None, organisation.name, organisation.email))
    today = datetime.now(UTC).date()
    for tie in await work.affiliations.contacts_of(organisation.id):
        person = await work.people.get(tie.person_id)
        if not (tie.holds_on(today) and person is not None and person.active):
            continue
        if all(r.email.casefold() != person.email.casefold() for r in recipients):
            name = f"{person.first_name} {person.last_name}"
            recipients.append(Recipient(person.id, name, person.email))
    return organisation.name, tuple(recipients), False


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
            before = membership.snapshot()
            event = membership.advance(now, rules.grace_end(membership.year))
            if event is None:
                continue
            await work.memberships.save(membership)
            await _audit(work, membership, "calendar", None, before)
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
