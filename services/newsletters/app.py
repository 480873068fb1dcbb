"""Composition root of the newsletters service."""

from __future__ import annotations

import asyncio
import contextlib

from services.newsletters import bus as newsletters_bus
from services.newsletters import handlers
from services.newsletters.mailer import Mailer, Send, SmtpSender, Templates
from services.newsletters.metrics import measure_mails
from services.newsletters.settings import NewslettersSettings
from services.newsletters.store import NewslettersUnitOfWork, contract_mapper, reliability
from services.runtime.health import register_health
from services.runtime.logging import configure_logging, get_logger
from services.runtime.service import ServiceApp, foundation, run

log = get_logger("reso.newsletters")


def build_app(settings: NewslettersSettings, *, send: Send | None = None) -> ServiceApp:
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
                    uow, deliver, mailer, max_attempts=settings.send_max_attempts
                )
            except Exception as error:  # database down: wait, then try again
                log.warning("mail sender failed", error=repr(error))
                sent = False
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), settings.send_poll_seconds)

    newsletters_bus.register(base.bus, uow)
    register_health(base.bus, base.engine)
    return ServiceApp(
        "newsletters",
        settings,
        base.engine,
        base.bus,
        base.relay,
        workers=[mail_sender],
        gauges=[lambda: measure_mails(base.engine)],
    )


def main() -> None:
    settings = NewslettersSettings()
    configure_logging(settings.log, service="newsletters")
    run(build_app(settings))
