"""Use cases of the self-service: personal links, the personal space, the export of everything
members holds about a person, and the clean-up of sign-ups never confirmed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.base import ExportPersonDataV1, PersonDataV1
from contracts.members import (
    AccessLinkReplyV1,
    ConsentV1,
    ErasePersonV1,
    GetPersonSpaceV1,
    PersonNetworkV1,
    PersonSpaceV1,
    RedeemAccessLinkV1,
    RedeemedLinkV1,
    RequestAccessLinkV1,
    RequestEmailChangeV1,
)
from services.members.domain import audit, consents, networks, people
from services.members.domain.access import (
    USED,
    LinkGone,
    LinkSigner,
    Purpose,
)
from services.members.domain.audit import plain
from services.members.domain.memberships import MemberRef
from services.members.handlers.governance import mandate_reply
from services.members.handlers.memberships import membership_reply
from services.members.handlers.people import _reply as person_space_reply
from services.members.handlers.people import erase_person, mail_link
from services.members.store import MembersUnitOfWork, UowFactory
from services.runtime.errors import NotFound
from services.runtime.logging import get_logger

log = get_logger("reso.members")

LINK_SENT = (
    "Si cette adresse est inscrite, un lien vient d'y être envoyé. Il est valable peu de temps "
    "et ne sert qu'une fois."
)
EMAIL_LINK_SENT = (
    "Si cette adresse peut être utilisée, un lien de confirmation vient d'y être envoyé. Votre "
    "adresse changera quand vous l'aurez suivi."
)


@dataclass(frozen=True)
class SelfService:
    """What the self-service needs from the composition root."""

    links: LinkSigner
    unconfirmed_retention: timedelta = timedelta(days=30)


async def request_access_link(
    command: RequestAccessLinkV1, uow: UowFactory, service: SelfService
) -> AccessLinkReplyV1:
    now = datetime.now(UTC)
    async with uow() as work:
        person = await work.people.get_by_email(command.email)
        if person is not None and person.erased_at is None:
            person = await work.people.get(person.id, lock=True)  # one request at a time
        if person is not None and person.erased_at is None:
            purpose = Purpose.SIGN_IN if person.confirmed_at else Purpose.CONFIRM_SIGNUP
            if await mail_link(work, service.links, person, purpose, now):
                await work.commit()
    return AccessLinkReplyV1(message=LINK_SENT)


async def redeem_access_link(
    command: RedeemAccessLinkV1, uow: UowFactory, service: SelfService
) -> RedeemedLinkV1:
    purpose = Purpose(command.purpose)
    claims = service.links.read(purpose, command.token)
    now = datetime.now(UTC)
    async with uow() as work:
        person = await work.people.get(claims.person_id, lock=True)
        if person is None or person.erased_at is not None:
            raise LinkGone("Ce lien ne correspond plus à aucune inscription.")
        if purpose is Purpose.CONFIRM_SIGNUP and claims.email_key != person.email_key:
            raise LinkGone("Ce lien a été envoyé à une adresse qui n'est plus la vôtre.")
        if claims.nonce is not None and not await work.links.use(claims.nonce, person.id, now):
            raise LinkGone(USED)
        before = person.snapshot()
        if purpose is Purpose.CONFIRM_EMAIL and claims.new_email:
            owner = await work.people.get_by_email(claims.new_email)
            if owner is not None and owner.id != person.id:
                raise LinkGone("Cette adresse est désormais utilisée par une autre inscription.")
            changed = person.change(people.Profile(email=claims.new_email), now)
            if changed is not None:
                work.record(changed)
        confirmed = person.confirm(now)  # following any link proves the address
        if confirmed is not None:
            work.record(confirmed)
        if person.snapshot() != before:
            await work.people.save(person)
            action = "email_changed" if purpose is Purpose.CONFIRM_EMAIL else "confirmed"
            await work.audit.add(
                audit.entry(
                    "person",
                    person.id,
                    action,
                    at=now,
                    by="self",
                    before=before,
                    after=person.snapshot(),
                )
            )
        await work.commit()
    return RedeemedLinkV1(purpose=purpose.value, person_id=person.id, first_name=person.first_name)


async def request_email_change(
    command: RequestEmailChangeV1, uow: UowFactory, service: SelfService
) -> AccessLinkReplyV1:
    now = datetime.now(UTC)
    async with uow() as work:
        person = await _living(work, command.person_id, lock=True)
        owner = await work.people.get_by_email(command.email)
        if owner is None and await mail_link(
            work, service.links, person, Purpose.CONFIRM_EMAIL, now, to=str(command.email)
        ):
            await work.commit()
    return AccessLinkReplyV1(message=EMAIL_LINK_SENT)


async def person_space(query: GetPersonSpaceV1, uow: UowFactory) -> PersonSpaceV1:
    async with uow() as work:
        person = await _living(work, query.person_id)
        profile = await person_space_reply(work, person)
        held = await work.memberships.of_member(MemberRef("person", person.id))
        places = {
            n.slug: await work.networks.get(n.slug, person.id) for n in networks.SEEDED_NETWORKS
        }
        records = await work.consents.of_person(person.id)
        mandates = await work.governance.held(person_id=person.id)
    return PersonSpaceV1(
        person=profile,
        memberships=tuple(membership_reply(m) for m in held),
        networks=tuple(
            PersonNetworkV1(
                slug=network.slug,
                name=network.name,
                open=network.open,
                status=place.status.value if (place := places[network.slug]) else None,
                since=place.since if place else None,
            )
            for network in networks.SEEDED_NETWORKS
        ),
        consents=tuple(_consent(c) for c in consents.current(records)),
        mandates=tuple(mandate_reply(m) for m in mandates),
    )


async def export_person_data(query: ExportPersonDataV1, uow: UowFactory) -> PersonDataV1:
    """Everything members holds about the person, as JSON: the record, ties, memberships with
    payments, networks with their history, mandates, every consent given or withdrawn, the
    audit log of their record, and the personal links mailed to them (never the links)."""
    space = await person_space(GetPersonSpaceV1(person_id=query.person_id), uow)
    async with uow() as work:
        records = await work.consents.of_person(query.person_id)
        history = await work.audit.for_record("person", str(query.person_id))
        links = await work.links.of_person(query.person_id)
        network_history = {
            n.slug: place.history
            for n in networks.SEEDED_NETWORKS
            if (place := await work.networks.get(n.slug, query.person_id))
        }
    data: dict[str, Any] = space.model_dump(mode="json")
    data["consents"] = [_consent(c).model_dump(mode="json") for c in records]
    data["network_history"] = {
        slug: [
            {
                "at": plain(change.at),
                "from": plain(change.from_status),
                "to": plain(change.to_status),
                "reason": change.reason,
            }
            for change in changes
        ]
        for slug, changes in network_history.items()
    }
    data["audit_log"] = [
        {
            "at": plain(entry.at),
            "by": entry.by,
            "action": entry.action,
            "changes": {name: list(pair) for name, pair in entry.changes.items()},
        }
        for entry in history
    ]
    data["links_mailed"] = [{key: plain(value) for key, value in row.items()} for row in links]
    return PersonDataV1(service="members", data=data)


async def purge_unconfirmed(uow: UowFactory, service: SelfService, now: datetime) -> int:
    """Erase sign-ups still unconfirmed after the retention period (minimum data: an address
    nobody confirmed is not kept). Returns how many."""
    async with uow() as work:
        stale = await work.people.unconfirmed_before(now - service.unconfirmed_retention)
    for person_id in stale:
        await erase_person(
            ErasePersonV1(person_id=person_id, requested_by="système (inscription non confirmée)"),
            uow,
        )
    if stale:
        log.info("unconfirmed sign-ups erased", count=len(stale))
    return len(stale)


async def _living(
    work: MembersUnitOfWork, person_id: uuid.UUID, *, lock: bool = False
) -> people.Person:
    person = await work.people.get(person_id, lock=lock)
    if person is None or person.erased_at is not None:
        raise NotFound("Personne introuvable.", person_id=str(person_id))
    return person


def _consent(record: consents.Consent) -> ConsentV1:
    return ConsentV1(
        purpose=record.purpose,
        granted=record.granted,
        at=record.at,
        wording=record.wording,
        version=record.version,
        source=record.source,
    )
