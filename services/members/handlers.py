"""Use cases of the members service: plain async functions over a unit of work."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.exc import IntegrityError

from contracts.members import (
    AccessV1,
    AddAffiliationV1,
    Address,
    AffiliationV1,
    CheckAccessV1,
    College,
    CreateOrganisationV1,
    DecideNetworkRequestV1,
    ErasePersonV1,
    GetMembershipV1,
    GetOrganisationV1,
    GetPersonV1,
    GetRosterV1,
    ImportPeopleV1,
    ImportProblemV1,
    ImportReportV1,
    JoinNetworkV1,
    LeaveNetworkV1,
    MembershipV1,
    NetworkMembershipV1,
    NetworksV1,
    NetworkV1,
    OpenMembershipV1,
    OrganisationKind,
    OrganisationV1,
    OverrideMembershipV1,
    PaymentV1,
    PersonErasureReplyV1,
    PersonRegisteredReplyV1,
    PersonV1,
    RecordPaymentV1,
    RegisterPersonV1,
    RenewalReplyV1,
    RenewMembershipsV1,
    RosterEntryV1,
    RosterV1,
    StatusChangeV1,
    WaiveMembershipV1,
)
from reference import territories
from services.members import domain
from services.members.domain import imports, networks, organisations
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
from services.members.store import MembersUnitOfWork, territory_contract
from services.runtime.errors import Conflict, DomainError, InvalidInput, NotFound
from services.runtime.logging import get_logger

log = get_logger("reso.members")

UowFactory = Callable[[], MembersUnitOfWork]


async def register_person(command: RegisterPersonV1, uow: UowFactory) -> PersonRegisteredReplyV1:
    """Store a new person and emit MemberRegistered; a known address changes nothing."""
    async with uow() as work:
        existing = await work.people.get_by_email(command.email)
        if existing is not None:
            return PersonRegisteredReplyV1(person_id=existing.id)
        person = domain.register(
            command.first_name, command.last_name, command.email, datetime.now(UTC)
        )
        try:
            await work.people.add(person)
            work.record(domain.MemberRegistered(person))
            await work.commit()
        except IntegrityError:
            pass  # the same address signed up concurrently: answer as for a known address
        else:
            return PersonRegisteredReplyV1(person_id=person.id)
    async with uow() as work:
        winner = await work.people.get_by_email(command.email)
        if winner is None:  # pragma: no cover - the unique key said it exists
            raise RuntimeError("integrity error without a conflicting row")
        return PersonRegisteredReplyV1(person_id=winner.id)


async def get_person(query: GetPersonV1, uow: UowFactory) -> PersonV1:
    async with uow() as work:
        person = await work.people.get(query.person_id)
    if person is None or person.erased_at is not None:
        raise NotFound("Personne introuvable.", person_id=str(query.person_id))
    return PersonV1(
        person_id=person.id,
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        registered_at=person.registered_at.isoformat(),
    )


async def erase_person(command: ErasePersonV1, uow: UowFactory) -> PersonErasureReplyV1:
    """Anonymise the person, delete members' copies of their events, emit PersonErased."""
    async with uow() as work:
        person = await work.people.get(command.person_id)
        if person is None:
            raise NotFound("Personne introuvable.", person_id=str(command.person_id))
        erased = person.erase(datetime.now(UTC))
        if erased is not None:
            await work.people.save_erasure(person)
            work.record(erased)
            await work.commit()
            log.info("person erased", person_id=str(person.id), requested_by=command.requested_by)
    return PersonErasureReplyV1(person_id=command.person_id)


async def create_organisation(command: CreateOrganisationV1, uow: UowFactory) -> OrganisationV1:
    """Add an organisation whose territory the reference data confirms; one per SIREN."""
    address = command.address
    territory = command.territory
    async with uow() as work:
        if command.siren and await work.organisations.siren_taken(command.siren):
            raise Conflict("Une organisation avec ce SIREN existe déjà.", siren=command.siren)
        organisation, created = organisations.create(
            kind=command.kind.value,
            name=command.name,
            siren=command.siren,
            address=domain.PostalAddress(address.street, address.postcode, address.city),
            territory=domain.TerritoryCodes(
                territory.region,
                territory.department,
                territory.commune,
                territory.epci,
                tuple(territory.qpvs),
            ),
            college=command.college.value if command.college else None,
            now=datetime.now(UTC),
            by=command.created_by,
        )
        try:
            await work.organisations.add(organisation)
            work.record(created)
            await work.commit()
        except IntegrityError as error:  # the same SIREN created concurrently
            raise Conflict(
                "Une organisation avec ce SIREN existe déjà.", siren=command.siren
            ) from error
    return organisation_reply(organisation)


async def get_organisation(query: GetOrganisationV1, uow: UowFactory) -> OrganisationV1:
    async with uow() as work:
        organisation = await work.organisations.get(query.organisation_id)
    if organisation is None:
        raise NotFound("Organisation introuvable.", organisation_id=str(query.organisation_id))
    return organisation_reply(organisation)


def organisation_reply(organisation: domain.Organisation) -> OrganisationV1:
    address = organisation.address
    return OrganisationV1(
        organisation_id=organisation.id,
        kind=OrganisationKind(organisation.kind),
        name=organisation.name,
        siren=organisation.siren,
        address=Address(street=address.street, postcode=address.postcode, city=address.city),
        territory=territory_contract(organisation.territory),
        college=College(organisation.college),
        created_at=organisation.created_at.isoformat(),
    )


# --- memberships --------------------------------------------------------------------------------


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


# --- networks -----------------------------------------------------------------------------------


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
        membership, event = networks.join(
            network, command.person_id, datetime.now(UTC), current=current, by=command.by
        )
        if event is not None:
            await work.networks.save(membership)
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
        event = (
            membership.approve(command.by, now)
            if command.approve
            else membership.refuse(command.by, command.reason or "", now)
        )
        await work.networks.save(membership)
        work.record(event)
        await work.commit()
    return _network_reply(membership)


async def leave_network(command: LeaveNetworkV1, uow: UowFactory) -> NetworkMembershipV1:
    network = networks.seeded_network(command.network_slug)
    async with uow() as work:
        membership = await work.networks.get(network.slug, command.person_id)
        if membership is None:
            raise NotFound("Cette personne n'est pas dans ce réseau.", network=network.slug)
        status_before = membership.status
        event = membership.leave(datetime.now(UTC), by=command.by)
        if membership.status is not status_before:
            await work.networks.save(membership)
            if event is not None:
                work.record(event)
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


def _network_reply(membership: networks.NetworkMembership) -> NetworkMembershipV1:
    return NetworkMembershipV1(
        network_slug=membership.network_slug,
        person_id=membership.person_id,
        status=membership.status.value,
    )


# --- import -------------------------------------------------------------------------------------


async def import_people(command: ImportPeopleV1, uow: UowFactory) -> ImportReportV1:
    """Parse and check the file; unless it is a dry run, add the people not known yet, in one
    transaction (all or nothing)."""
    try:
        data = base64.b64decode(command.csv_base64, validate=True)
    except binascii.Error as error:
        raise InvalidInput("Le fichier n'est pas encodé en base64.") from error
    report = imports.parse_people(data)
    created = already_known = 0
    if not command.dry_run and not report.refused and report.rows:
        now = datetime.now(UTC)
        async with uow() as work:
            known = await work.people.known_email_keys([row.key for row in report.rows])
            new = [
                domain.register(row.first_name, row.last_name, row.email, now)
                for row in report.rows
                if row.key not in known
            ]
            await work.people.add_many(new)
            await work.commit()
        created, already_known = len(new), len(report.rows) - len(new)
        log.info("people imported", created=created, already_known=already_known, by=command.by)
    return ImportReportV1(
        summary=report.summary(),
        encoding=report.encoding,
        delimiter=report.delimiter,
        read=report.read,
        valid=len(report.rows),
        refused=report.refused,
        errors=tuple(ImportProblemV1(line=e.line, reason=e.reason) for e in report.errors),
        warnings=tuple(ImportProblemV1(line=w.line, reason=w.reason) for w in report.warnings),
        notices=tuple(report.notices),
        dry_run=command.dry_run,
        created=created,
        already_known=already_known,
    )
