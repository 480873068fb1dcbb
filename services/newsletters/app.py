"""Composition root of the newsletters service."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from services.newsletters import bus as newsletters_bus
from services.newsletters import handlers
from services.newsletters.bounce_mailbox import read_bounce_mailbox
from services.newsletters.domain import LinkDurations, SubscriptionLinks
from services.newsletters.domain.sending import Renderer
from services.newsletters.handlers import sending
from services.newsletters.issue_mail import IssueRenderer, SmtpPool, issue_composer
from services.newsletters.mailer import Mailer, Send, SmtpSender, Templates
from services.newsletters.metrics import measure_mails, measure_sends
from services.newsletters.send_rate import SharedRate
from services.newsletters.settings import NewslettersSettings
from services.newsletters.store import NewslettersUnitOfWork, contract_mapper, reliability
from services.runtime.health import register_health
from services.runtime.logging import configure_logging, get_logger
from services.runtime.service import ServiceApp, foundation, run

log = get_logger("reso.newsletters")


def build_app(
    settings: NewslettersSettings,
    *,
    send: Send | None = None,
    clock: Callable[[], datetime] | None = None,
    renderer: Renderer | None = None,
    audience: sending.Audience | None = None,
    start_send: handlers.StartSend | None = None,
) -> ServiceApp:
    """The newsletters service. ``renderer``, ``audience`` and ``start_send`` replace how the
    engine renders an issue, whom it goes to and how a send starts (default: the issue's own
    templates, ``issue_audience`` and the engine)."""
    base = foundation("newsletters", settings, reliability)
    uow = base.units_of_work(NewslettersUnitOfWork, contract_mapper(settings.centre))

    mailer = Mailer(
        Templates(), settings.centre, dues_payment_instructions=settings.dues_payment_instructions
    )
    deliver = send or SmtpSender(settings).send

    async def mail_sender(stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                sent = await handlers.send_next_mail(
                    uow,
                    deliver,
                    mailer,
                    max_attempts=settings.send_max_attempts,
                    lease=timedelta(seconds=settings.send_lease_seconds),
                )
            except Exception as error:  # database down: wait, then try again
                log.warning("mail sender failed", error=repr(error))
                sent = False
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), settings.send_poll_seconds)

    now = clock or (lambda: datetime.now(UTC))

    links = subscription_links(settings)

    async def subscribers_review(stopping: asyncio.Event) -> None:
        """Once a day by default: flag subscribers with no sign of activity for 3 years, and
        erase the addresses that never confirmed before their link expired."""
        while not stopping.is_set():
            try:
                await handlers.flag_inactive_subscribers(uow, now())
                await handlers.purge_never_confirmed(uow, links, now())
            except Exception as error:  # database down: try again at the next tick
                log.warning("inactivity review failed", error=repr(error))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), settings.inactivity_check_hours * 3600)

    rules = sending_rules(settings)
    issue_renderer = renderer or IssueRenderer(uow, links, settings.centre)
    compose_issue = issue_composer(settings.centre)
    # The per-second rate, held across replicas.
    limiters = SharedRate(uow, reserve_at_most=2 * settings.send_connections)

    async def issue_sender(stopping: asyncio.Event) -> None:
        """Claims batches of deliveries, sends them over reused SMTP connections and settles
        them. On SIGTERM the batch in flight is finished and settled, then it stops."""
        pool = SmtpPool(settings, settings.send_connections)
        try:
            while not stopping.is_set():
                try:
                    handled = await sending.send_issue_batch(
                        uow,
                        renderer=issue_renderer,
                        compose=compose_issue,
                        transport=pool,
                        limiter=limiters,
                        rules=rules,
                        clock=now,
                    )
                except Exception as error:  # database down: wait, then try again
                    log.warning("issue sender failed", error=repr(error))
                    handled = 0
                if not handled:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stopping.wait(), settings.send_poll_seconds)
        finally:
            await pool.close()

    async def bounce_reader(stopping: asyncio.Event) -> None:
        """Reads the delivery status notifications dropped in the bounce mailbox."""
        mailbox = settings.bounce_mailbox
        while mailbox and not stopping.is_set():
            try:
                await read_bounce_mailbox(
                    mailbox,
                    lambda raw: sending.report_bounce(
                        raw, uow, soft_threshold=settings.bounce_soft_threshold, now=now()
                    ),
                )
            except Exception as error:
                log.warning("bounce mailbox cannot be read", error=repr(error))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), settings.bounce_poll_seconds)

    newsletters_bus.register_sending(
        base.bus,
        uow,
        audience=audience or sending.issue_recipients,
        rules=rules,
        soft_threshold=settings.bounce_soft_threshold,
        clock=now,
    )

    start = start_send or sending.issue_starter(rules, now)

    async def scheduled_issues(stopping: asyncio.Event) -> None:
        """Every few seconds: hand the scheduled issues whose time has come to the engine."""
        while not stopping.is_set():
            try:
                await handlers.send_due_issues(uow, now(), start)
            except Exception as error:  # database down: try again at the next tick
                log.warning("scheduled issues check failed", error=repr(error))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), settings.schedule_check_seconds)

    newsletters_bus.register(base.bus, uow, links, now, settings.centre, start)
    register_health(base.bus, base.engine)
    return ServiceApp(
        "newsletters",
        settings,
        base.engine,
        base.bus,
        base.relay,
        workers=[mail_sender, subscribers_review, scheduled_issues, issue_sender, bounce_reader],
        gauges=[lambda: measure_mails(base.engine), lambda: measure_sends(base.engine)],
    )


def sending_rules(settings: NewslettersSettings) -> sending.SendingRules:
    return sending.SendingRules(
        batch_size=settings.send_batch_size,
        lease=timedelta(seconds=settings.issue_lease_seconds),
        retry_base=timedelta(seconds=settings.send_retry_base_seconds),
        max_attempts=settings.send_max_attempts,
        pause_after_errors=settings.send_pause_after_errors,
        concurrency=settings.send_connections,
        default_rate_per_second=settings.send_rate_per_second,
        default_rate_per_hour=settings.send_rate_per_hour,
    )


def subscription_links(settings: NewslettersSettings) -> SubscriptionLinks:
    """The signer of subscribers' links (secret, durations and mailbox from the settings)."""
    if settings.secret_key is None:
        log.warning(
            "RESO_NEWSLETTERS_SECRET_KEY is not set: subscribers' links are signed with a random "
            "key and stop working when newsletters restarts; set it (the same on every replica)"
        )
        secret = secrets.token_urlsafe(32)
    else:
        secret = settings.secret_key.get_secret_value()
    return SubscriptionLinks(
        secret,
        settings.centre.public_url,
        settings.unsubscribe_mailbox or settings.centre.email,
        LinkDurations(
            confirm=timedelta(days=settings.confirmation_days),
            preferences=timedelta(days=settings.preferences_days),
        ),
    )


def main() -> None:
    settings = NewslettersSettings()
    configure_logging(settings.log, service="newsletters")
    run(build_app(settings))
