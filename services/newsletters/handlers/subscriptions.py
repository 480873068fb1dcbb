"""Subscribers and their subscriptions: the double opt-in, the preferences page, one-click
unsubscribe, imports, the inactivity review and erasure.

Every answer a person gets without a link (a subscription request, a preferences-link
request) is the same whether the address is known or not.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from contracts.members import ImportProblemV1
from contracts.newsletters import (
    AcceptedV1,
    ConfirmSubscriptionV1,
    ConsentSource,
    DescribeUnsubscribeV1,
    EraseSubscriberV1,
    GetPreferencesV1,
    ImportSubscribersV1,
    MailUnsubscribeV1,
    PreferencesV1,
    RequestPreferencesLinkV1,
    RequestSubscriptionV1,
    SearchSubscribersV1,
    SubscriberErasureV1,
    SubscribersImportReportV1,
    SubscribersPageV1,
    SubscriberV1,
    SubscriptionStatus,
    SubscriptionV1,
    UnsubscribeTargetV1,
    UnsubscribeV1,
    UpdatePreferencesV1,
)
from services.newsletters.domain import (
    ACCEPTED,
    CONSENT_WORDING_VERSION,
    INACTIVITY,
    LINK_SENT,
    UNSUBSCRIBED,
    Consent,
    Letter,
    LinkGone,
    MailKind,
    Subscriber,
    Subscription,
    SubscriptionCancelled,
    SubscriptionConfirmed,
    SubscriptionLinks,
    TransactionalMail,
    checked_profile,
    confirm_mail_key,
    email_key,
    preferences_mail_key,
)
from services.newsletters.domain.imports import parse_subscribers
from services.newsletters.domain.unsubscribe_requests import read_unsubscribe_request
from services.newsletters.handlers.common import UowFactory, log
from services.newsletters.store import NewslettersUnitOfWork
from services.runtime.errors import InvalidInput, NotFound
from services.runtime.files import Files

MAX_LISTED = 200
"""Problems listed in an import report; the others are counted (the reply fits one message)."""


def _check_version(version: str) -> None:
    if version != CONSENT_WORDING_VERSION:
        raise InvalidInput(
            "Le texte de consentement a changé depuis l'affichage du formulaire : rechargez la "
            "page et vérifiez-le avant de valider.",
            expected=CONSENT_WORDING_VERSION,
        )


async def _letters(
    work: NewslettersUnitOfWork, slugs: Iterable[str], *, open_only: bool
) -> dict[str, Letter]:
    found: dict[str, Letter] = {}
    for slug in dict.fromkeys(slugs):
        letter = await work.letters.get(slug)
        if letter is None or (open_only and not letter.active):
            raise InvalidInput(f"Lettre inconnue ou fermée aux abonnements : « {slug} ».")
        found[slug] = letter
    return found


def _activate(
    work: NewslettersUnitOfWork,
    subscriber: Subscriber,
    subscription: Subscription,
    letter: Letter,
    source: ConsentSource,
    at: datetime,
    *,
    wording: str | None = None,
    wording_version: str = CONSENT_WORDING_VERSION,
    provenance: str = "",
) -> Consent:
    """The subscription becomes active: its consent record, and the fact members keeps."""
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.confirmed_at = at
    subscription.ended_at = None
    consent = Consent(
        id=uuid.uuid4(),
        subscriber_id=subscriber.id,
        subscription_id=subscription.id,
        letter=letter.slug,
        granted=True,
        at=at,
        source=source,
        wording=wording if wording is not None else letter.consent_wording(),
        wording_version=wording_version,
        provenance=provenance,
    )
    work.record(
        SubscriptionConfirmed(
            subscription_id=subscription.id,
            letter=letter.slug,
            letter_name=letter.name,
            email=subscriber.email,
            person_id=subscriber.person_id,
            wording=consent.wording,
            wording_version=consent.wording_version,
            source=source,
            at=at,
        )
    )
    return consent


def _end(
    work: NewslettersUnitOfWork,
    subscriber: Subscriber,
    subscription: Subscription,
    letter: Letter,
    reason: str,
    source: ConsentSource,
    at: datetime,
) -> Consent | None:
    """The subscription ends; an active one leaves a withdrawal record and the fact."""
    was_active = subscription.status is SubscriptionStatus.ACTIVE
    subscription.status = SubscriptionStatus.UNSUBSCRIBED
    subscription.ended_at = at
    if not was_active:
        return None
    work.record(
        SubscriptionCancelled(
            subscription_id=subscription.id,
            letter=letter.slug,
            letter_name=letter.name,
            email=subscriber.email,
            person_id=subscriber.person_id,
            reason=reason,
            at=at,
        )
    )
    return Consent(
        id=uuid.uuid4(),
        subscriber_id=subscriber.id,
        subscription_id=subscription.id,
        letter=letter.slug,
        granted=False,
        at=at,
        source=source,
        wording=f"{letter.name} : désabonnement ({reason}).",
        wording_version="",
    )


# --- double opt-in ----------------------------------------------------------------------------


async def request_subscription(
    command: RequestSubscriptionV1, uow: UowFactory, links: SubscriptionLinks, now: datetime
) -> AcceptedV1:
    """Each letter not already active becomes pending, and one confirmation mail carries the
    link (at most one per subscriber, letters and 10 minutes). A known address keeps what it
    told before: a form anyone can fill in changes nobody's details."""
    _check_version(command.consent_wording_version)
    profile = checked_profile(command.profile)
    for attempt in range(2):
        try:
            async with uow() as work:
                chosen = await _letters(work, command.letters, open_only=True)
                key = email_key(str(command.email))
                subscriber = await work.subscribers.by_email(key)
                if subscriber is None:
                    subscriber = Subscriber(
                        id=uuid.uuid4(),
                        email=str(command.email),
                        created_at=now,
                        last_activity_at=now,
                        profile=profile,
                    )
                    await work.subscribers.add(subscriber, key)
                current = await work.subscribers.subscriptions_of(subscriber.id)
                waiting: list[Letter] = []
                for slug, letter in chosen.items():
                    subscription = current.get(slug)
                    if subscription is None:
                        subscription = Subscription(
                            uuid.uuid4(), subscriber.id, slug, SubscriptionStatus.PENDING, now
                        )
                        await work.subscribers.add_subscription(subscription)
                    elif subscription.status is SubscriptionStatus.ACTIVE:
                        continue
                    else:
                        subscription.status = SubscriptionStatus.PENDING
                        subscription.requested_at = now
                        await work.subscribers.save_subscription(subscription)
                    waiting.append(letter)
                if waiting:
                    slugs = [letter.slug for letter in waiting]
                    await work.mails.add(
                        TransactionalMail(
                            id=uuid.uuid4(),
                            kind=MailKind.SUBSCRIPTION_CONFIRM,
                            dedupe_key=confirm_mail_key(subscriber.id, slugs, now),
                            email=subscriber.email,
                            name=_name(subscriber),
                            person_id=None,
                            data={
                                "url": links.confirm_url(subscriber.id, slugs),
                                "letters": [letter.name for letter in waiting],
                            },
                            next_attempt_at=now,
                            expires_at=now + links.durations.confirm,
                        )
                    )
                await work.commit()
            break
        except IntegrityError:  # the same address asked twice at once: the second sees the first
            if attempt:
                raise
    return AcceptedV1(message=ACCEPTED)


async def confirm_subscription(
    command: ConfirmSubscriptionV1, uow: UowFactory, links: SubscriptionLinks, now: datetime
) -> PreferencesV1:
    """The letters the link names that are still pending become active, each with its consent
    record and ``subscription.confirmed.v1``. Following it again changes nothing; a letter left
    since (unsubscribed) is not taken back by an old link."""
    subscriber_id, slugs = links.read_confirm(command.token)
    async with uow() as work:
        subscriber = await work.subscribers.get(subscriber_id, lock=True)
        if subscriber is None:
            raise LinkGone(
                "Ce lien ne correspond plus à aucune demande : inscrivez-vous de nouveau."
            )
        current = await work.subscribers.subscriptions_of(subscriber.id)
        confirmed = 0
        for slug in slugs:
            subscription = current.get(slug)
            letter = await work.letters.get(slug)
            if subscription is None or letter is None:
                continue
            if subscription.status is not SubscriptionStatus.PENDING:
                continue
            consent = _activate(work, subscriber, subscription, letter, ConsentSource.FORM, now)
            await work.subscribers.save_subscription(subscription)
            await work.subscribers.add_consent(consent)
            confirmed += 1
        if confirmed:
            subscriber.active(now)
            await work.subscribers.save(subscriber)
        await work.commit()
        view = await _preferences(work, subscriber)
    if confirmed:
        log.info("subscription confirmed", subscriber_id=str(subscriber.id), letters=confirmed)
    return view


# --- preferences ------------------------------------------------------------------------------


async def _subscriber_of_link(work: NewslettersUnitOfWork, subscriber_id: uuid.UUID) -> Subscriber:
    subscriber = await work.subscribers.get(subscriber_id, lock=True)
    if subscriber is None:
        raise LinkGone("Ce lien ne correspond plus à aucun abonnement.")
    return subscriber


async def _preferences(work: NewslettersUnitOfWork, subscriber: Subscriber) -> PreferencesV1:
    """Every open letter, and every letter the subscriber has a subscription to."""
    current = await work.subscribers.subscriptions_of(subscriber.id)
    views = []
    for letter in await work.letters.all(include_inactive=True):
        subscription = current.get(letter.slug)
        if subscription is None and not letter.active:
            continue
        views.append(
            SubscriptionV1(
                letter=letter.slug,
                letter_name=letter.name,
                status=subscription.status if subscription else SubscriptionStatus.UNSUBSCRIBED,
                since=subscription.since if subscription else None,
            )
        )
    return PreferencesV1(
        email=subscriber.email,
        profile=subscriber.profile,
        subscriptions=tuple(views),
        consent_wording_version=CONSENT_WORDING_VERSION,
    )


async def get_preferences(
    query: GetPreferencesV1, uow: UowFactory, links: SubscriptionLinks
) -> PreferencesV1:
    subscriber_id = links.read_preferences(query.token)
    async with uow() as work:
        return await _preferences(work, await _subscriber_of_link(work, subscriber_id))


async def update_preferences(
    command: UpdatePreferencesV1, uow: UowFactory, links: SubscriptionLinks, now: datetime
) -> PreferencesV1:
    """``letters`` is the whole set wanted. A letter chosen here is active at once (the link
    proved the address), with a consent record of source ``preferences``; a letter left ends
    with ``subscription.cancelled.v1``. The details given replace the former ones."""
    subscriber_id = links.read_preferences(command.token)
    _check_version(command.consent_wording_version)
    profile = checked_profile(command.profile) if command.profile is not None else None
    async with uow() as work:
        subscriber = await _subscriber_of_link(work, subscriber_id)
        wanted = await _letters(work, command.letters, open_only=False)
        current = await work.subscribers.subscriptions_of(subscriber.id)
        for slug, letter in wanted.items():
            subscription = current.get(slug)
            if subscription is not None and subscription.status is SubscriptionStatus.ACTIVE:
                continue
            if not letter.active:
                raise InvalidInput(f"La lettre « {letter.name} » ne prend plus d'abonnements.")
            if subscription is None:
                subscription = Subscription(
                    uuid.uuid4(), subscriber.id, slug, SubscriptionStatus.PENDING, now
                )
                await work.subscribers.add_subscription(subscription)
            consent = _activate(
                work, subscriber, subscription, letter, ConsentSource.PREFERENCES, now
            )
            await work.subscribers.save_subscription(subscription)
            await work.subscribers.add_consent(consent)
        for slug, subscription in current.items():
            if slug in wanted or subscription.status is SubscriptionStatus.UNSUBSCRIBED:
                continue
            left = await work.letters.get(slug)
            if left is None:
                continue
            withdrawal = _end(
                work,
                subscriber,
                subscription,
                left,
                "unsubscribed",
                ConsentSource.PREFERENCES,
                now,
            )
            await work.subscribers.save_subscription(subscription)
            if withdrawal is not None:
                await work.subscribers.add_consent(withdrawal)
        if profile is not None:
            subscriber.profile = profile
        subscriber.active(now)
        await work.subscribers.save(subscriber)
        await work.commit()
        return await _preferences(work, subscriber)


async def request_preferences_link(
    command: RequestPreferencesLinkV1, uow: UowFactory, links: SubscriptionLinks, now: datetime
) -> AcceptedV1:
    """Mail the link to the preferences page when the address is a subscriber's (at most one
    per 10 minutes); the answer is the same either way."""
    async with uow() as work:
        subscriber = await work.subscribers.by_email(email_key(str(command.email)))
        if subscriber is not None:
            await work.mails.add(
                TransactionalMail(
                    id=uuid.uuid4(),
                    kind=MailKind.PREFERENCES_LINK,
                    dedupe_key=preferences_mail_key(subscriber.id, now),
                    email=subscriber.email,
                    name=_name(subscriber),
                    person_id=None,
                    data={"url": links.preferences_url(subscriber.id)},
                    next_attempt_at=now,
                    expires_at=now + links.durations.preferences,
                )
            )
            await work.commit()
    return AcceptedV1(message=LINK_SENT)


# --- unsubscribe (RFC 8058) -------------------------------------------------------------------


async def describe_unsubscribe(
    query: DescribeUnsubscribeV1, uow: UowFactory, links: SubscriptionLinks
) -> UnsubscribeTargetV1:
    """What the unsubscribe URL's GET shows: the letter, and how to confirm. Changes nothing."""
    _, slug = links.read_unsubscribe(query.token)
    async with uow() as work:
        letter = await work.letters.get(slug)
    if letter is None:
        raise NotFound("Cette lettre n'existe plus.")
    return UnsubscribeTargetV1(
        letter=letter.slug,
        letter_name=letter.name,
        message=f"Pour ne plus recevoir « {letter.name} », confirmez votre désabonnement.",
    )


async def unsubscribe(
    command: UnsubscribeV1, uow: UowFactory, links: SubscriptionLinks, now: datetime
) -> UnsubscribeTargetV1:
    """End the subscription the link names (``subscription.cancelled.v1``, reason
    ``one_click`` for a mail client's RFC 8058 POST). Leaving again, or a link whose subscriber
    is gone, answers the same and changes nothing."""
    subscriber_id, slug = links.read_unsubscribe(command.token)
    reason = "one_click" if command.one_click else "unsubscribed"
    letter, _ = await _leave(uow, subscriber_id, slug, reason, ConsentSource.FORM, now)
    return UnsubscribeTargetV1(
        letter=letter.slug,
        letter_name=letter.name,
        message=UNSUBSCRIBED.format(letter=letter.name),
    )


async def _leave(
    uow: UowFactory,
    subscriber_id: uuid.UUID,
    slug: str,
    reason: str,
    source: ConsentSource,
    now: datetime,
) -> tuple[Letter, bool]:
    """End one subscription named by a signed token; the letter, and whether it ended now."""
    async with uow() as work:
        letter = await work.letters.get(slug)
        if letter is None:
            raise NotFound("Cette lettre n'existe plus.")
        subscriber = await work.subscribers.get(subscriber_id, lock=True)
        subscription = (
            (await work.subscribers.subscriptions_of(subscriber.id)).get(slug)
            if subscriber is not None
            else None
        )
        if (
            subscriber is None
            or subscription is None
            or subscription.status is SubscriptionStatus.UNSUBSCRIBED
        ):
            return letter, False
        withdrawal = _end(work, subscriber, subscription, letter, reason, source, now)
        await work.subscribers.save_subscription(subscription)
        if withdrawal is not None:
            await work.subscribers.add_consent(withdrawal)
        subscriber.active(now)
        await work.subscribers.save(subscriber)
        await work.commit()
    log.info("unsubscribed", subscriber_id=str(subscriber.id), letter=slug, why=reason)
    return letter, True


NO_TOKEN = "Aucun jeton de désabonnement valide dans ce message : rien n'a été fait."


async def unsubscribe_by_mail(
    raw: bytes, uow: UowFactory, links: SubscriptionLinks, now: datetime
) -> MailUnsubscribeV1:
    """A mail to the ``List-Unsubscribe`` mailto: the first valid signed token it carries ends
    that subscription (reason ``mail``, a withdrawal of source ``mail`` in the consent record),
    as the one-click link would. Without a valid token nothing happens; read again, nothing
    more (the subscription has ended)."""
    request = read_unsubscribe_request(raw)
    for candidate in request.candidates:
        try:
            subscriber_id, slug = links.read_unsubscribe(candidate)
        except InvalidInput:
            continue
        try:
            letter, ended = await _leave(uow, subscriber_id, slug, "mail", ConsentSource.MAIL, now)
        except NotFound as gone:
            return MailUnsubscribeV1(
                message_id=request.message_id, valid=True, unsubscribed=False, letter=slug,
                problem=gone.message,
            )  # fmt: skip
        return MailUnsubscribeV1(
            message_id=request.message_id, valid=True, unsubscribed=ended, letter=letter.slug,
            letter_name=letter.name,
        )  # fmt: skip
    log.warning(
        "unsubscribe mail without a valid token",
        message_id=request.message_id,
        candidates=len(request.candidates),
    )
    return MailUnsubscribeV1(
        message_id=request.message_id, valid=False, unsubscribed=False, problem=NO_TOKEN
    )


# --- staff ------------------------------------------------------------------------------------


async def search_subscribers(query: SearchSubscribersV1, uow: UowFactory) -> SubscribersPageV1:
    async with uow() as work:
        total, found = await work.subscribers.search(
            letter=query.letter,
            status=query.status,
            email_contains=query.email_contains,
            flagged_inactive=query.flagged_inactive,
            limit=query.limit,
            offset=query.offset,
        )
        every = await work.letters.all(include_inactive=True)
        names = {letter.slug: letter.name for letter in every}
    return SubscribersPageV1(
        total=total,
        subscribers=tuple(
            SubscriberV1(
                id=subscriber.id,
                email=subscriber.email,
                profile=subscriber.profile,
                subscriptions=tuple(
                    SubscriptionV1(
                        letter=s.letter,
                        letter_name=names.get(s.letter, s.letter),
                        status=s.status,
                        since=s.since,
                    )
                    for s in subscriptions
                ),
                created_at=subscriber.created_at,
                last_activity_at=subscriber.last_activity_at,
                flagged_inactive_at=subscriber.flagged_inactive_at,
            )
            for subscriber, subscriptions in found
        ),
    )


async def import_subscribers(
    command: ImportSubscribersV1, uow: UowFactory, files: Files, now: datetime
) -> SubscribersImportReportV1:
    """Imported subscribers are active at once with a consent record saying how they
    consented (``source``, the wording, the date of each row) and ``subscription.confirmed.v1``
    (source ``import``); no confirmation mail. An address already active changes nothing."""
    data = await files.take(command.file)
    parsed = await asyncio.to_thread(parse_subscribers, data, command.consented_on, now.date())
    created = already = 0
    if not parsed.refused and parsed.rows:
        async with uow() as work:
            letter = (await _letters(work, [command.letter], open_only=False))[command.letter]
            provenance = f"{command.source} (import par {command.by}, le {now.date().isoformat()})"
            for row in parsed.rows:
                subscriber = await work.subscribers.by_email(row.key)
                if subscriber is None:
                    subscriber = Subscriber(
                        id=uuid.uuid4(),
                        email=row.email,
                        created_at=now,
                        last_activity_at=row.consented_at,
                        profile=row.profile,
                    )
                    if not command.dry_run:
                        await work.subscribers.add(subscriber, row.key)
                    current = {}
                else:
                    current = await work.subscribers.subscriptions_of(subscriber.id)
                subscription = current.get(letter.slug)
                if subscription is not None and subscription.status is SubscriptionStatus.ACTIVE:
                    already += 1
                    continue
                created += 1
                if command.dry_run:
                    continue
                if subscription is None:
                    subscription = Subscription(
                        uuid.uuid4(), subscriber.id, letter.slug, SubscriptionStatus.PENDING, now
                    )
                    await work.subscribers.add_subscription(subscription)
                consent = _activate(
                    work,
                    subscriber,
                    subscription,
                    letter,
                    ConsentSource.IMPORT,
                    row.consented_at,
                    wording=command.wording,
                    wording_version="import",
                    provenance=provenance,
                )
                await work.subscribers.save_subscription(subscription)
                await work.subscribers.add_consent(consent)
                if row.consented_at > subscriber.last_activity_at:
                    subscriber.active(row.consented_at)
                    await work.subscribers.save(subscriber)
            if not command.dry_run:
                await work.commit()
    errors = [ImportProblemV1(line=line, reason=reason) for line, reason in parsed.errors]
    warnings = [ImportProblemV1(line=line, reason=reason) for line, reason in parsed.warnings]
    verb = "seraient abonnées" if command.dry_run else "abonnées"
    summary = (
        "Fichier refusé : " + parsed.errors[0][1]
        if parsed.refused
        else f"{parsed.read} ligne(s) lue(s), {len(parsed.rows)} valide(s) ; {created} adresse(s) "
        f"{verb}, {already} déjà abonnée(s), {len(errors)} refusée(s)."
    )
    log.info(
        "subscribers imported",
        letter=command.letter,
        by=command.by,
        dry_run=command.dry_run,
        created=created,
        refused=len(errors),
    )
    return SubscribersImportReportV1(
        summary=summary,
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
        read=parsed.read,
        valid=len(parsed.rows),
        refused=parsed.refused,
        errors=tuple(errors[:MAX_LISTED]),
        warnings=tuple(warnings[:MAX_LISTED]),
        dry_run=command.dry_run,
        created=created,
        already_known=already,
        errors_not_listed=max(0, len(errors) - MAX_LISTED),
        warnings_not_listed=max(0, len(warnings) - MAX_LISTED),
    )


async def flag_inactive_subscribers(uow: UowFactory, now: datetime) -> int:
    """Flag for review every subscriber of a letter with no sign of activity for 3 years
    (CNIL guidance: ask them again or let them go). Returns how many were newly flagged."""
    async with uow() as work:
        flagged = await work.subscribers.flag_inactive(now - INACTIVITY, now)
        await work.commit()
    if flagged:
        log.info("subscribers flagged inactive", count=flagged)
    return flagged


async def purge_never_confirmed(uow: UowFactory, links: SubscriptionLinks, now: datetime) -> int:
    """Erase the addresses that asked to subscribe and never followed the link before it
    expired (their confirmation mails with them), as the confirmation mail promises. Returns
    how many were erased."""
    async with uow() as work:
        stale = await work.subscribers.never_confirmed(now - links.durations.confirm)
        for subscriber in stale:
            await work.subscribers.erase(subscriber)
            await work.mails.erase_email(subscriber.email)
            await work.sends.erase_email(subscriber.email)
        await work.commit()
    if stale:
        log.info("never confirmed subscribers erased", count=len(stale))
    return len(stale)


async def erase_subscriber(command: EraseSubscriberV1, uow: UowFactory) -> SubscriberErasureV1:
    """Erase the address from newsletters: subscriber, subscriptions, consents, mails to it and
    outbox rows that carry it. No event: it would carry the address again."""
    async with uow() as work:
        subscriber = await work.subscribers.by_email(email_key(str(command.email)))
        mails = await work.mails.erase_email(str(command.email))
        mails += await work.sends.erase_email(str(command.email))
        if subscriber is not None:
            await work.subscribers.erase(subscriber)
        else:
            await work.subscribers.forget_in_outbox([str(command.email)])
        await work.commit()
    erased = subscriber is not None or mails > 0
    log.info("subscriber erased", by=command.by, found=erased)
    return SubscriberErasureV1(erased=erased)


async def erase_subscribers_of_person(work: NewslettersUnitOfWork, person_id: uuid.UUID) -> int:
    """Within the erasure of a person: every subscriber with their id or with an address
    newsletters mailed them at. Returns how many subscribers were erased."""
    addresses = await work.mails.emails_of_person(person_id)
    found = {s.id: s for s in await work.subscribers.of_person(person_id)}
    for address in addresses:
        subscriber = await work.subscribers.by_email(email_key(address))
        if subscriber is not None:
            found[subscriber.id] = subscriber
    for subscriber in found.values():
        await work.subscribers.erase(subscriber, addresses)
        await work.mails.erase_email(subscriber.email)
        await work.sends.erase_email(subscriber.email)
    for address in addresses:
        await work.sends.erase_email(address)
    if addresses and not found:
        await work.subscribers.forget_in_outbox(addresses)
    return len(found)


def _name(subscriber: Subscriber) -> str:
    profile = subscriber.profile
    return " ".join(part for part in (profile.first_name, profile.last_name) if part)
