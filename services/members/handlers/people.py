"""Use cases about people: sign-up, the register staff keep (create, update, archive, search),
reading, erasure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from contracts.members import (
    AffiliationV1,
    ArchivePersonV1,
    College,
    CreatePersonV1,
    ErasePersonV1,
    GetPersonV1,
    PeoplePageV1,
    PersonErasureReplyV1,
    PersonKind,
    PersonRegisteredReplyV1,
    PersonSummaryV1,
    PersonV1,
    RegisterPersonV1,
    RestorePersonV1,
    SearchPeopleV1,
    Territory,
    UpdatePersonV1,
)
from services.members import domain
from services.members.domain import audit, consents, people
from services.members.domain.access import THROTTLE, AccessLinkRequested, LinkSigner, Purpose
from services.members.domain.memberships import Affiliation
from services.members.domain.organisations import TerritoryCodes
from services.members.handlers.correspondents import end_appointments_of
from services.members.store import MembersUnitOfWork, UowFactory, territory_contract
from services.runtime.errors import Conflict, NotFound
from services.runtime.logging import get_logger

log = get_logger("reso.members")

EMAIL_TAKEN = "Cette adresse e-mail est déjà celle d'une autre personne du registre."


async def register_person(
    command: RegisterPersonV1, uow: UowFactory, links: LinkSigner
) -> PersonRegisteredReplyV1:
    """Store a new, unconfirmed person with the sign-up consent and emit MemberRegistered with
    the confirmation link. A known address changes nothing, except that an address still to
    confirm gets its confirmation link again (at most once a minute)."""
    now = datetime.now(UTC)
    async with uow() as work:
        existing = await work.people.get_by_email(command.email)
        if existing is not None:
            if existing.confirmed_at is None and existing.erased_at is None:
                existing = await work.people.get(existing.id, lock=True) or existing
                if await mail_link(work, links, existing, Purpose.CONFIRM_SIGNUP, now):
                    await work.commit()
            return PersonRegisteredReplyV1(person_id=existing.id)
        person = domain.register(command.first_name, command.last_name, command.email, now)
        link = links.issue(Purpose.CONFIRM_SIGNUP, person.id, now, email_key=person.email_key)
        try:
            await work.people.add(person)
            await work.links.add(link, now)
            await work.consents.add(consents.signup_consent(person.id, now))
            await work.audit.add(
                audit.entry(
                    "person", person.id, "signed_up", at=now, by="self", after=person.snapshot()
                )
            )
            work.record(domain.MemberRegistered(person, (link.url, link.expires_at)))
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


async def mail_link(
    work: MembersUnitOfWork,
    links: LinkSigner,
    person: people.Person,
    purpose: Purpose,
    now: datetime,
    *,
    to: str | None = None,
) -> bool:
    """Record a personal link and ask for it to be mailed (to ``to``, or the person's address),
    unless one of that purpose went out within the throttle. True if one will be mailed."""
    last = await work.links.last_issued(person.id, purpose)
    if last is not None and now - last < THROTTLE:
        return False
    link = links.issue(
        purpose,
        person.id,
        now,
        email_key=person.email_key if purpose is Purpose.CONFIRM_SIGNUP else None,
        new_email=to if purpose is Purpose.CONFIRM_EMAIL else None,
    )
    await work.links.add(link, now)
    work.record(
        AccessLinkRequested(link, to or person.email, person.first_name, person.last_name, now)
    )
    return True


async def create_person(command: CreatePersonV1, uow: UowFactory) -> PersonV1:
    """Staff add a person: confirmed at once, one person per address."""
    now = datetime.now(UTC)
    person, changed = people.create(
        first_name=command.first_name,
        last_name=command.last_name,
        email=command.email,
        now=now,
        source="staff",
        phone=command.phone,
        title=command.title,
        kind=command.kind.value,
        college=command.college.value if command.college else None,
        territory=territory_codes(command.territory),
    )
    async with uow() as work:
        if await work.people.get_by_email(command.email) is not None:
            raise Conflict(EMAIL_TAKEN, field="email")
        try:
            await work.people.add(person)
            await work.audit.add(
                audit.entry(
                    "person", person.id, "created", at=now, by=command.by, after=person.snapshot()
                )
            )
            work.record(changed)
            await work.commit()
        except IntegrityError as error:  # the same address added concurrently
            raise Conflict(EMAIL_TAKEN, field="email") from error
    return person_reply(person, [], {})


async def update_person(command: UpdatePersonV1, uow: UowFactory) -> PersonV1:
    now = datetime.now(UTC)
    profile = people.Profile(
        first_name=command.first_name,
        last_name=command.last_name,
        email=str(command.email) if command.email is not None else None,
        phone=command.phone,
        title=command.title,
        kind=command.kind.value if command.kind else None,
        college=command.college.value if command.college else None,
        territory=territory_codes(command.territory) if command.territory is not None else None,
        keep_college=command.by == "self",
    )
    async with uow() as work:
        person = await _person(work, command.person_id, lock=True)
        if command.email is not None:
            owner = await work.people.get_by_email(command.email)
            if owner is not None and owner.id != person.id:
                raise Conflict(EMAIL_TAKEN, field="email")
        before = person.snapshot()
        changed = person.change(profile, now)
        if changed is not None:
            await work.people.save(person)
            await work.audit.add(
                audit.entry(
                    "person",
                    person.id,
                    "updated",
                    at=now,
                    by=command.by,
                    before=before,
                    after=person.snapshot(),
                )
            )
            work.record(changed)
            try:
                await work.commit()
            except IntegrityError as error:  # the address was taken meanwhile
                raise Conflict(EMAIL_TAKEN, field="email") from error
        return await _reply(work, person)


async def archive_person(command: ArchivePersonV1, uow: UowFactory) -> PersonV1:
    return await _set_archived(command.person_id, True, command.by, uow)


async def restore_person(command: RestorePersonV1, uow: UowFactory) -> PersonV1:
    return await _set_archived(command.person_id, False, command.by, uow)


async def _set_archived(person_id: uuid.UUID, archived: bool, by: str, uow: UowFactory) -> PersonV1:
    now = datetime.now(UTC)
    async with uow() as work:
        person = await _person(work, person_id, lock=True)
        before = person.snapshot()
        changed = person.archive(now) if archived else person.restore(now)
        await work.people.save(person)
        action = "archived" if archived else "restored"
        await work.audit.add(
            audit.entry(
                "person", person.id, action, at=now, by=by, before=before, after=person.snapshot()
            )
        )
        work.record(changed)
        await work.commit()
        return await _reply(work, person)


async def get_person(query: GetPersonV1, uow: UowFactory) -> PersonV1:
    async with uow() as work:
        person = await _person(work, query.person_id)
        return await _reply(work, person)


async def search_people(query: SearchPeopleV1, uow: UowFactory) -> PeoplePageV1:
    async with uow() as work:
        total, found = await work.people.search(
            query.filter, today=datetime.now(UTC).date(), limit=query.limit, offset=query.offset
        )
    return PeoplePageV1(
        total=total,
        offset=query.offset,
        items=tuple(
            PersonSummaryV1(
                person_id=p.id,
                first_name=p.first_name,
                last_name=p.last_name,
                email=p.email,
                phone=p.phone,
                title=p.title,
                kind=PersonKind(p.kind),
                college=College(p.college),
                territory=territory_contract(p.territory),
                confirmed=p.confirmed_at is not None,
                archived_at=p.archived_at,
            )
            for p in found
        ),
    )


async def erase_person(command: ErasePersonV1, uow: UowFactory) -> PersonErasureReplyV1:
    """Anonymise the person, redact the audit log's values about them, delete members' copies
    of their events, emit PersonErased."""
    async with uow() as work:
        person = await work.people.get(command.person_id, lock=True)
        if person is None:
            raise NotFound("Personne introuvable.", person_id=str(command.person_id))
        now = datetime.now(UTC)
        erased = person.erase(now)
        if erased is not None:
            await work.people.save_erasure(person)
            await work.links.forget_person(person.id)
            await end_appointments_of(work, person.id, now.date(), by=command.requested_by)
            ended, withdrawn = await work.governance.end_all(person.id, now.date())
            for mandate in ended:
                await work.audit.add(
                    audit.entry(
                        "mandate",
                        mandate.id,
                        "ended",
                        at=now,
                        by=command.requested_by,
                        before={"end": mandate.end},
                        after={"end": now.date()},
                    )
                )
            for mandate in withdrawn:
                await work.audit.add(
                    audit.entry(
                        "mandate",
                        mandate.id,
                        "withdrawn",
                        at=now,
                        by=command.requested_by,
                        before={"start": mandate.start, "end": mandate.end},
                    )
                )
            await work.consents.forget_person(person.id)
            await work.audit.redact("person", str(person.id))
            await work.audit.add(
                audit.entry("person", person.id, "erased", at=now, by=command.requested_by)
            )
            work.record(erased)
            await work.commit()
            log.info("person erased", person_id=str(person.id), requested_by=command.requested_by)
    return PersonErasureReplyV1(person_id=command.person_id)


async def _person(
    work: MembersUnitOfWork, person_id: uuid.UUID, *, lock: bool = False
) -> people.Person:
    person = await work.people.get(person_id, lock=lock)
    if person is None or person.erased_at is not None:
        raise NotFound("Personne introuvable.", person_id=str(person_id))
    return person


async def _reply(work: MembersUnitOfWork, person: people.Person) -> PersonV1:
    ties = await work.affiliations.of_person(person.id)
    names = await work.organisations.names([tie.organisation_id for tie in ties])
    return person_reply(person, ties, names)


def person_reply(
    person: people.Person, ties: list[Affiliation], names: dict[uuid.UUID, str]
) -> PersonV1:
    return PersonV1(
        person_id=person.id,
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        registered_at=person.registered_at.isoformat(),
        phone=person.phone,
        title=person.title,
        kind=PersonKind(person.kind),
        college=College(person.college),
        territory=territory_contract(person.territory),
        source=person.source,  # type: ignore[arg-type]
        confirmed_at=person.confirmed_at,
        archived_at=person.archived_at,
        updated_at=person.updated_at,
        affiliations=tuple(affiliation_reply(tie, names.get(tie.organisation_id)) for tie in ties),
    )


def affiliation_reply(tie: Affiliation, organisation_name: str | None) -> AffiliationV1:
    return AffiliationV1(
        affiliation_id=tie.id,
        person_id=tie.person_id,
        organisation_id=tie.organisation_id,
        organisation_name=organisation_name,
        role=tie.role,
        start=tie.start,
        end=tie.end,
        contact=tie.contact,
        verified=tie.verified,
    )


def territory_codes(territory: Territory) -> TerritoryCodes:
    return TerritoryCodes(
        territory.region,
        territory.department,
        territory.commune,
        territory.epci,
        tuple(territory.qpvs),
    )
