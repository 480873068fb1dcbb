"""Composition root of the newsletters service."""

from __future__ import annotations

import asyncio
import contextlib

from services.newsletters import bus as newsletters_bus
from services.newsletters import handlers
from services.newsletters.mailer import Send, SmtpSender, Templates
from services.newsletters.settings import NewslettersSettings
from services.newsletters.store import NewslettersUnitOfWork, contract_mapper, reliability
from services.runtime.bus import Bus
from services.runtime.db import create_engine, session_factory
from services.runtime.health import register_health
from services.runtime.logging import configure_logging, get_logger
from services.runtime.outbox import OutboxRelay
from services.runtime.service import ServiceApp, run

log = get_logger("reso.newsletters")


def build_app(settings: NewslettersSettings, *, send: Send | None = None) -> ServiceApp:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    bus = Bus("newsletters", settings.nats)
    relay = OutboxRelay(
        engine,
        reliability,
        bus.publishers,
        service="newsletters",
        poll_seconds=settings.outbox_poll_seconds,
    )
    to_contract = contract_mapper(settings.centre)

    def uow() -> NewslettersUnitOfWork:
        return NewslettersUnitOfWork(
            sessions, reliability, to_contract=to_contract, on_commit=relay.notify
        )

    templates = Templates()
    deliver = send or SmtpSender(settings).send

    async def welcome_sender(stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                sent = await handlers.send_next_welcome(
                    uow,
                    deliver,
                    templates,
                    settings.centre,
                    max_attempts=settings.send_max_attempts,
                )
            except Exception as error:  # database down: wait, then try again
                log.warning("welcome sender failed", error=repr(error))
                sent = False
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), settings.send_poll_seconds)

    newsletters_bus.register(bus, uow)
    register_health(bus, engine)
    return ServiceApp("newsletters", settings, engine, bus, relay, workers=[welcome_sender])


def main() -> None:
    settings = NewslettersSettings()
    configure_logging(settings.log, service="newsletters")
    run(build_app(settings))
