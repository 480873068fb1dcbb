"""Mails the members service's facts call for (welcome, personal links, calls for dues), and
erasure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from contracts.members import (
    AccessLinkRequestedV1,
    MemberRegisteredV1,
    MembershipRenewedV1,
    PersonErasedV1,
)
from services.newsletters.domain import (
    MailKind,
    TransactionalMail,
    access_link_key,
    checked_link,
    renewal_key,
    welcome_key,
)
from services.newsletters.handlers.common import UowFactory, log, owe
from services.newsletters.handlers.subscriptions import erase_subscribers_of_person

CONSUMER_WELCOME = "newsletters.welcome"
CONSUMER_ACCESS_LINK = "newsletters.access_link"
CONSUMER_RENEWAL = "newsletters.renewal"
CONSUMER_ERASURE = "newsletters.erasure"


async def on_member_registered(event: MemberRegisteredV1, uow: UowFactory) -> bool:
    """Owe the new person a welcome e-mail (once, whatever the redeliveries). True if new.

    With a confirmation link, the welcome asks the person to confirm their address before the
    link expires; past that, it is not sent.
    """
    data: dict[str, str] = {"first_name": event.first_name, "last_name": event.last_name}
    expires_at = None
    if event.confirmation_url:
        data["confirmation_url"] = checked_link(event.confirmation_url)
        expires_at = event.confirmation_expires_at
    mail = TransactionalMail(
        id=uuid.uuid4(),
        kind=MailKind.WELCOME,
        dedupe_key=welcome_key(event.person_id),
        email=str(event.email),
        name=f"{event.first_name} {event.last_name}",
        person_id=event.person_id,
        data=data,
        next_attempt_at=datetime.now(UTC),
        expires_at=expires_at,
    )
    return await owe(CONSUMER_WELCOME, event.event_id, [mail], uow) == 1


async def on_access_link_requested(event: AccessLinkRequestedV1, uow: UowFactory) -> bool:
    """Owe the person the e-mail carrying their personal link (one per request). True if new."""
    mail = TransactionalMail(
        id=uuid.uuid4(),
        kind=MailKind(event.purpose),
        dedupe_key=access_link_key(event.event_id),
        email=str(event.email),
        name=f"{event.first_name} {event.last_name}",
        person_id=event.person_id,
        data={
            "first_name": event.first_name,
            "last_name": event.last_name,
            "url": checked_link(event.url),
        },
        next_attempt_at=datetime.now(UTC),
        expires_at=event.expires_at,
    )
    return await owe(CONSUMER_ACCESS_LINK, event.event_id, [mail], uow) == 1


async def on_membership_renewed(event: MembershipRenewedV1, uow: UowFactory) -> int:
    """Owe each recipient the call for next year's dues (one per membership and address).

    Returns how many mails are newly owed. A person member's own address is tied to the person
    even when members sent it without their id, so erasing the person erases the mail.
    """
    now = datetime.now(UTC)
    own_id = event.member_id if event.member_type == "person" else None
    mails = [
        TransactionalMail(
            id=uuid.uuid4(),
            kind=MailKind.MEMBERSHIP_RENEWAL,
            dedupe_key=renewal_key(event.membership_id, str(recipient.email)),
            email=str(recipient.email),
            name=recipient.name,
            person_id=recipient.person_id or own_id,
            data={
                "membership_id": str(event.membership_id),
                "member_type": event.member_type,
                "member_name": event.member_name,
                "year": event.year,
                "dues": str(event.dues),
            },
            next_attempt_at=now,
        )
        for recipient in event.recipients
    ]
    if not mails:
        log.info(
            "renewal call has no recipient",
            membership_id=str(event.membership_id),
            year=event.year,
        )
    return await owe(CONSUMER_RENEWAL, event.event_id, mails, uow)


async def on_person_erased(event: PersonErasedV1, uow: UowFactory) -> int:
    """Erase what newsletters holds on the person (once): their subscriptions (found by their id,
    or by the addresses newsletters mailed them at, since the event carries no address), with
    the consents, mails and outbox rows carrying those addresses, and every mail row of theirs,
    whatever its kind. Returns how many mail rows were deleted."""
    async with uow() as work:
        if not await work.claim(CONSUMER_ERASURE, str(event.event_id)):
            return 0
        subscribers = await erase_subscribers_of_person(work, event.person_id)
        await work.networks.forget_person(event.person_id)
        deleted = await work.mails.erase_person(event.person_id)
        await work.commit()
    log.info("person erased", person_id=str(event.person_id), rows=deleted, subscribers=subscribers)
    return deleted
