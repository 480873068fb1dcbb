"""Composition root of the newsletters service."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from services.newsletters import bus as newsletters_bus
from services.newsletters import handlers
from services.newsletters.domain import LinkDurations, SubscriptionLinks
from services.newsletters.mailer import Mailer, Send, SmtpSender, Templates
from services.newsletters.metrics import measure_mails
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
    start_send: handlers.StartSend | None = None,
) -> ServiceApp:
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

    start = start_send or handlers.start_send

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
        workers=[mail_sender, subscribers_review, scheduled_issues],
        gauges=[lambda: measure_mails(base.engine)],
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
