"""Sending issues: freezing the audience, claiming deliveries in batches, sending them, settling
their outcomes; staff's control and the progress of a send; bounces.

Nothing here holds a transaction while the SMTP server answers: a batch is claimed (leased) in
one short unit of work, sent, then settled in another.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import aiosmtplib

from contracts.newsletters import (
    BounceReportV1,
    ControlSendV1,
    GetSendProgressV1,
    IssueStatus,
    SendProgressV1,
    SendStatus,
    StartSendV1,
)
from services.newsletters.domain import email_key
from services.newsletters.domain.bounces import read_dsn
from services.newsletters.domain.issues import Issue
from services.newsletters.domain.sending import (
    Delivery,
    DeliveryFailed,
    DeliveryState,
    IssueSent,
    Outcome,
    OutgoingMessage,
    Recipient,
    Renderer,
    Send,
    retry_after,
)
from services.newsletters.handlers.common import UowFactory, log
from services.newsletters.handlers.issues import (
    StartSend,
    end_cancelled_send,
    issue_audience,
    live_content,
)
from services.newsletters.store import NewslettersUnitOfWork
from services.runtime.errors import InvalidInput, NotFound

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class WireMessage:
    """A delivery's message as the SMTP server receives it: the envelope and the MIME bytes
    (CRLF line ends), built once per attempt without an ``EmailMessage`` object tree."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes
    message_id: str


class Transport(Protocol):
    """Sends one message over SMTP (``issue_mail.SmtpPool``); raises aiosmtplib's errors."""

    async def send(self, message: WireMessage) -> None: ...


Compose = Callable[[Delivery, OutgoingMessage], WireMessage]
"""Builds a delivery's MIME message from its rendered content (``issue_mail.issue_composer``)."""

Audience = Callable[[NewslettersUnitOfWork, Issue], Awaitable[list[Recipient]]]
"""Who an issue goes to, read in the transaction that freezes it (``issue_recipients``)."""

Limiter = Callable[[Send], AbstractAsyncContextManager[object]]
"""The per-second limiter of a send (``async with limiter(send): …`` before each message)."""


@dataclass(frozen=True)
class SendingRules:
    batch_size: int = 100
    lease: timedelta = timedelta(minutes=5)
    retry_base: timedelta = timedelta(minutes=1)
    max_attempts: int = 8
    pause_after_errors: int = 20
    concurrency: int = 4
    default_rate_per_second: float = 50.0
    default_rate_per_hour: int = 100_000


# --- starting a send --------------------------------------------------------------------------


async def start_send(
    work: NewslettersUnitOfWork,
    *,
    issue_id: uuid.UUID,
    letter: str | None,
    recipients: Iterable[Recipient],
    rate_per_second: float,
    rate_per_hour: int,
    by: str,
    now: datetime,
) -> Send:
    """Freeze the audience of an issue: one pending delivery per recipient (unique in the
    database), undeliverable addresses left out. An issue already started answers its send,
    unchanged. The caller commits."""
    existing = await work.sends.of_issue(issue_id)
    if existing is not None:
        return existing
    send = Send(
        id=uuid.uuid4(),
        issue_id=issue_id,
        letter=letter,
        status=SendStatus.SENDING,
        total=0,
        rate_per_second=rate_per_second,
        rate_per_hour=rate_per_hour,
        started_at=now,
        started_by=by,
    )
    if not await work.sends.add(send):  # another replica started it meanwhile
        winner = await work.sends.of_issue(issue_id)
        assert winner is not None
        return winner
    audience = list(recipients)
    blocked = await work.sends.undeliverable(email_key(r.email) for r in audience)
    send.total = await work.sends.freeze(
        send.id, (r for r in audience if email_key(r.email) not in blocked), now
    )
    if send.total == 0:
        await finish(work, send, now)
    await work.sends.save(send)
    log.info("send started", send_id=str(send.id), issue_id=str(issue_id), total=send.total)
    return send


async def finish(work: NewslettersUnitOfWork, send: Send, now: datetime) -> None:
    """Mark ``send`` done (when it is sending) and its issue ``sent`` (it then appears in the
    public archive), recording ``IssueSent`` with the counts, in ``work``'s transaction."""
    if send.status is not SendStatus.SENDING:
        return
    send.finish(now)
    issue = await work.issues.get(send.issue_id, lock=True)
    if issue is None or issue.status is not IssueStatus.SENDING:
        return
    issue.mark_sent(now)
    await work.issues.save(issue)
    counts = await work.sends.counts(send.id, now)
    work.record(
        IssueSent(
            issue_id=issue.id,
            send_id=send.id,
            letter=issue.letter,
            number=issue.number,
            subject=issue.subject,
            at=now,
            recipients=send.total,
            sent=counts.get(DeliveryState.SENT),
            failed=counts.get(DeliveryState.FAILED),
            cancelled=counts.get(DeliveryState.CANCELLED),
        )
    )
    log.info("issue sent", issue=str(issue.id), send_id=str(send.id), recipients=send.total)


async def issue_recipients(work: NewslettersUnitOfWork, issue: Issue) -> list[Recipient]:
    """The issue's audience (``issue_audience``: the letter's active subscribers, narrowed by
    territory), as the engine freezes it."""
    return [
        Recipient(r.subscriber_id, r.email, r.first_name, r.last_name)
        for r in await issue_audience(work, issue)
    ]


async def _start_issue(
    work: NewslettersUnitOfWork,
    issue: Issue,
    audience: Audience,
    *,
    rate_per_second: float,
    rate_per_hour: int,
    by: str,
    now: datetime,
) -> Send:
    return await start_send(
        work,
        issue_id=issue.id,
        letter=issue.letter,
        recipients=await audience(work, issue),
        rate_per_second=rate_per_second,
        rate_per_hour=rate_per_hour,
        by=by,
        now=now,
    )


def issue_starter(
    rules: SendingRules, clock: Callable[[], datetime], audience: Audience = issue_recipients
) -> StartSend:
    """What "send now" and the scheduler call once the issue is ``sending``: freeze its
    audience into deliveries at the default rates, in the same transaction."""

    async def start(work: NewslettersUnitOfWork, issue_id: uuid.UUID, by: str) -> None:
        issue = await work.issues.get(issue_id)
        if issue is None:
            raise NotFound("Aucun numéro avec cet identifiant.")
        await _start_issue(
            work,
            issue,
            audience,
            rate_per_second=rules.default_rate_per_second,
            rate_per_hour=rules.default_rate_per_hour,
            by=by,  # who sent it now, or who scheduled it
            now=clock(),
        )

    return start


async def start_send_command(
    command: StartSendV1, uow: UowFactory, audience: Audience, rules: SendingRules, now: datetime
) -> SendProgressV1:
    """Send an issue with chosen rates: a draft or scheduled issue is frozen and moved to
    ``sending`` as by "send now", in the transaction that freezes its audience; an issue
    already started answers its send."""
    async with uow() as work:
        send = await work.sends.of_issue(command.issue_id)
        if send is None:
            issue = await work.issues.get(command.issue_id, lock=True)
            if issue is None:
                raise NotFound("Aucun numéro avec cet identifiant.")
            if command.letter is not None and command.letter != issue.letter:
                raise InvalidInput("Ce numéro n'appartient pas à cette lettre.")
            if issue.status is not IssueStatus.SENDING:
                letter = await work.letters.get(issue.letter)
                assert letter is not None  # a foreign key
                issue.start_sending(await live_content(work, issue, letter, now))
                await work.issues.save(issue)
            send = await _start_issue(
                work,
                issue,
                audience,
                rate_per_second=command.rate_per_second or rules.default_rate_per_second,
                rate_per_hour=command.rate_per_hour or rules.default_rate_per_hour,
                by=command.by,
                now=now,
            )
        await work.commit()
    return await send_progress(GetSendProgressV1(send_id=send.id), uow, now)


# --- staff's control and progress -------------------------------------------------------------


async def control_send(command: ControlSendV1, uow: UowFactory, now: datetime) -> SendProgressV1:
    async with uow() as work:
        send = await work.sends.get(command.send_id, lock=True)
        if send is None:
            raise NotFound("Cet envoi n'existe pas.")
        if command.action == "pause":
            send.pause("mis en pause par " + command.by)
        elif command.action == "resume":
            send.resume()
        else:
            send.cancel(now, command.by)
            await work.sends.cancel_unsent(send.id, now)
            await end_cancelled_send(work, send.issue_id)
        await work.sends.save(send)
        await work.commit()
    log.info("send " + command.action, send_id=str(command.send_id), by=command.by)
    return await send_progress(GetSendProgressV1(send_id=command.send_id), uow, now)


async def send_progress(query: GetSendProgressV1, uow: UowFactory, now: datetime) -> SendProgressV1:
    async with uow() as work:
        send = await work.sends.get(query.send_id)
        if send is None:
            raise NotFound("Cet envoi n'existe pas.")
        counts = await work.sends.counts(send.id, now)
    pending = counts.get(DeliveryState.PENDING) + counts.get(DeliveryState.SENDING)
    rate = counts.sent_last_minute / 60
    eta = None
    if pending and send.status is SendStatus.SENDING:
        speed = rate or min(send.rate_per_second, send.rate_per_hour / 3600)
        eta = pending / speed if speed else None
    return SendProgressV1(
        send_id=send.id,
        issue_id=send.issue_id,
        status=send.status,
        paused_reason=send.paused_reason,
        total=send.total,
        sent=counts.get(DeliveryState.SENT),
        failed=counts.get(DeliveryState.FAILED),
        cancelled=counts.get(DeliveryState.CANCELLED),
        pending=pending,
        rate_per_second=round(rate, 2),
        eta_seconds=round(eta, 1) if eta is not None else None,
        started_at=send.started_at,
        finished_at=send.finished_at,
        started_by=send.started_by,
        cancelled_by=send.cancelled_by,
    )


# --- the workers' batches ---------------------------------------------------------------------


async def claim_batch(
    uow: UowFactory, rules: SendingRules, now: datetime
) -> tuple[Send, list[Delivery]] | None:
    """Lease the next batch of due deliveries, oldest send first, within each send's hourly
    budget; deliveries to an address that became undeliverable are cancelled instead. A send
    with nothing left is marked done."""
    async with uow() as work:
        for stale in await work.sends.cancelled_sends_with_stale_leases(now):
            await work.sends.cancel_unsent(stale, now)
        for send in await work.sends.active():
            if send.rate_per_hour - send.total >= rules.batch_size:
                budget = rules.batch_size  # the hourly budget cannot bind: not counted
            else:
                budget = send.rate_per_hour - await work.sends.in_window(send.id, now - HOUR)
            room = await _lease_room(work, send, rules.lease, now)
            claimed = await work.sends.claim(
                send.id, now, rules.lease, min(rules.batch_size, budget, room)
            )
            if claimed:
                blocked = await work.sends.undeliverable(
                    email_key(d.recipient.email) for d in claimed
                )
                if blocked:
                    dropped = [d for d in claimed if email_key(d.recipient.email) in blocked]
                    for delivery in dropped:
                        delivery.state = DeliveryState.CANCELLED
                        delivery.last_error = "adresse non distribuable (retour permanent)"
                    await work.sends.settle(dropped, now)
                    claimed = [d for d in claimed if d.state is DeliveryState.SENDING]
                if claimed:
                    await work.commit()
                    return send, claimed
            elif budget > 0 and not await work.sends.has_unsettled(send.id):
                await finish(work, send, now)
                await work.sends.save(send)
                log.info("send done", send_id=str(send.id))
        await work.commit()
    return None


async def _lease_room(
    work: NewslettersUnitOfWork, send: Send, lease: timedelta, now: datetime
) -> int:
    """How many more deliveries may be leased so that every one leased (by any replica) can
    leave within half a lease at the send's rate, which the replicas share: past that, a
    lease could run out before its slot comes, and another replica send it again."""
    within = int(send.rate_per_second * lease.total_seconds() / 2)
    return max(1, within) - await work.sends.leased(send.id, now)


@dataclass
class Result:
    delivery: Delivery
    outcome: Outcome
    error: str | None = None
    message_id: str | None = None


async def deliver(
    send: Send,
    deliveries: Sequence[Delivery],
    *,
    renderer: Renderer,
    compose: Compose,
    transport: Transport,
    limiter: Limiter,
    concurrency: int,
) -> list[Result]:
    """Render and send each delivery (``concurrency`` at once, within the send's rate); the
    results in the order they came back."""
    queue: asyncio.Queue[Delivery] = asyncio.Queue()
    for delivery in deliveries:
        queue.put_nowait(delivery)
    results: list[Result] = []

    async def worker() -> None:
        while not queue.empty():
            delivery = queue.get_nowait()
            results.append(
                await _deliver_one(send, delivery, renderer, compose, transport, limiter)
            )

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(deliveries))))))
    return results


async def _deliver_one(
    send: Send,
    delivery: Delivery,
    renderer: Renderer,
    compose: Compose,
    transport: Transport,
    limiter: Limiter,
) -> Result:
    try:
        message = compose(delivery, await renderer.render(send.ref, delivery.recipient))
    except Exception as error:  # a template or an address that cannot be built: never sendable
        log.error("issue message cannot be built", delivery_id=str(delivery.id), error=repr(error))
        return Result(delivery, Outcome.FAILED, f"message impossible à construire : {error!r}")
    try:
        async with limiter(send):  # the rate holds when messages leave, however long rendering
            await transport.send(message)
    except aiosmtplib.SMTPRecipientsRefused as error:
        refused = error.recipients[0] if error.recipients else None
        code = refused.code if refused else 550
        text = f"{code} {refused.message}" if refused else str(error)
        return Result(delivery, Outcome.FAILED if code >= 500 else Outcome.RETRY, text)
    except aiosmtplib.SMTPResponseException as error:
        text = f"{error.code} {error.message}"
        return Result(delivery, Outcome.FAILED if error.code >= 500 else Outcome.RETRY, text)
    except aiosmtplib.SMTPNotSupported as error:
        return Result(delivery, Outcome.FAILED, f"refusé par le serveur SMTP : {error}")
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        return Result(delivery, Outcome.RETRY, repr(error))
    return Result(delivery, Outcome.SENT, message_id=message.message_id)


async def settle_batch(
    uow: UowFactory, send_id: uuid.UUID, results: Sequence[Result], rules: SendingRules,
    now: datetime,
) -> Send | None:  # fmt: skip
    """Save each outcome: sent; failed for good (5xx, retries used up) with
    ``DeliveryFailedV1``; or back to pending after a back-off (cancelled if the send was
    cancelled meanwhile). Too many errors in a row pause the send."""
    async with uow() as work:
        send = await work.sends.get(send_id, lock=True)
        if send is None:  # erased meanwhile
            return None
        for result in results:
            delivery = result.delivery
            delivery.last_error = result.error
            if result.outcome is Outcome.SENT:
                delivery.state = DeliveryState.SENT
                delivery.message_id = result.message_id
                continue
            permanent = result.outcome is Outcome.FAILED
            if permanent or delivery.attempts >= rules.max_attempts:
                delivery.state = DeliveryState.FAILED
                work.record(
                    DeliveryFailed(
                        delivery_id=delivery.id,
                        send_id=send.id,
                        issue_id=send.issue_id,
                        subscriber_id=delivery.recipient.subscriber_id,
                        email=delivery.recipient.email,
                        attempts=delivery.attempts,
                        error=result.error or "",
                        permanent=permanent,
                    )
                )
            elif send.status is SendStatus.CANCELLED:
                delivery.state = DeliveryState.CANCELLED
            else:
                delivery.state = DeliveryState.PENDING
                delivery.next_attempt_at = now + retry_after(delivery.attempts, rules.retry_base)
        await work.sends.settle([r.delivery for r in results], now)
        was = send.status
        send.count_outcomes([r.error for r in results], rules.pause_after_errors)
        if send.status is SendStatus.PAUSED and was is SendStatus.SENDING:
            log.warning(
                "send paused automatically", send_id=str(send.id), reason=send.paused_reason
            )
        if send.status is SendStatus.SENDING and not await work.sends.has_unsettled(send.id):
            await finish(work, send, now)
            log.info("send done", send_id=str(send.id))
        await work.sends.save(send)
        await work.commit()
    return send


async def send_issue_batch(
    uow: UowFactory,
    *,
    renderer: Renderer,
    compose: Compose,
    transport: Transport,
    limiter: Limiter,
    rules: SendingRules,
    clock: Callable[[], datetime],
) -> int:
    """Claim, send and settle one batch; how many deliveries it held (0: nothing due)."""
    claimed = await claim_batch(uow, rules, clock())
    if claimed is None:
        return 0
    send, deliveries = claimed
    results = await deliver(
        send,
        deliveries,
        renderer=renderer,
        compose=compose,
        transport=transport,
        limiter=limiter,
        concurrency=rules.concurrency,
    )
    await settle_batch(uow, send.id, results, rules, clock())
    return len(deliveries)


# --- bounces ----------------------------------------------------------------------------------


async def report_bounce(
    raw: bytes, uow: UowFactory, *, soft_threshold: int, now: datetime
) -> BounceReportV1:
    """Read a DSN: a hard bounce makes its address undeliverable (left out of later sends, and
    of the deliveries not sent yet); soft bounces count until ``soft_threshold``. A report read
    before (same Message-ID) changes nothing."""
    notice = read_dsn(raw)
    if notice is None:
        return BounceReportV1(ignored=True)
    hard: list[str] = []
    soft: list[str] = []
    async with uow() as work:
        if not await work.sends.first_report(notice.report_id, now):
            return BounceReportV1(ignored=True)
        for bounce in notice.bounces:
            await work.sends.bounce(
                email_key(bounce.email),
                hard=bounce.hard,
                status=bounce.status,
                diagnostic=bounce.diagnostic,
                soft_threshold=soft_threshold,
                now=now,
            )
            (hard if bounce.hard else soft).append(bounce.email)
        await work.commit()
    log.info("bounce report read", hard=len(hard), soft=len(soft))
    return BounceReportV1(hard=hard, soft=soft)
