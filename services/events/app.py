"""Composition root of the events service."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from datetime import datetime

from services.events import bus as events_bus
from services.events import handlers
from services.events.directory import MembersDirectory
from services.events.domain.attendance import Issuer
from services.events.domain.calls import system_clock
from services.events.domain.links import RegistrationLinks
from services.events.domain.reminders import parse_rules
from services.events.handlers.calls import Directory
from services.events.settings import EventsSettings
from services.events.store import EventsUnitOfWork, calendar_site, contract_mapper, reliability
from services.runtime.health import register_health
from services.runtime.logging import configure_logging, get_logger
from services.runtime.rpc import RpcClient
from services.runtime.service import ServiceApp, foundation, run

log = get_logger("reso.events")


def build_app(
    settings: EventsSettings,
    *,
    clock: Callable[[], datetime] = system_clock,
    directory: Directory | None = None,
) -> ServiceApp:
    """``clock`` and ``directory`` (organisations and people; members by RPC by default) are
    replaced in tests."""
    base = foundation("events", settings, reliability)
    links = links_of(settings)
    uow = base.units_of_work(EventsUnitOfWork, contract_mapper(settings.centre, links))
    context = handlers.Agenda(links=links, site=calendar_site(settings.centre), clock=clock)
    if directory is None:
        rpc = RpcClient(base.bus.broker, timeout=settings.nats.rpc_timeout_seconds)
        directory = MembersDirectory(rpc, clock)

    events_bus.register(base.bus, uow, context)
    events_bus.register_calls(base.bus, uow, directory, clock)
    documents = handlers.Documents(
        files=base.bus.files,
        organiser=settings.centre.name,
        issuer=Issuer(settings.certificate_city, settings.certificate_signatory),
    )
    events_bus.register_attendance(base.bus, uow, context, documents)
    register_health(base.bus, base.engine)

    async def offer_sweep(stopping: asyncio.Event) -> None:
        """Seats offered and not taken in time go to the next in line."""
        while not stopping.is_set():
            try:
                await handlers.expire_offers(uow, context)
            except Exception as error:  # database down: try again at the next tick
                log.warning("offer sweep failed", error=repr(error))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), settings.offer_sweep_seconds)

    rules = parse_rules(settings.reminder_rules)

    async def reminder_scheduler(stopping: asyncio.Event) -> None:
        """Reminders due go out, once per registration and rule (see handlers.reminders)."""
        while not stopping.is_set():
            try:
                await handlers.send_due_reminders(uow, context, rules)
            except Exception as error:  # database down: try again at the next tick
                log.warning("reminder scheduler failed", error=repr(error))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), settings.reminder_sweep_seconds)

    return ServiceApp(
        "events",
        settings,
        base.engine,
        base.bus,
        base.relay,
        workers=[offer_sweep, reminder_scheduler],
    )


def links_of(settings: EventsSettings) -> RegistrationLinks:
    """The signer of registration links (secret from the settings)."""
    if settings.secret_key is None:
        log.warning(
            "RESO_EVENTS_SECRET_KEY is not set: registration links are signed with a random key "
            "and stop working when events restarts; set it (the same on every replica)"
        )
        secret = secrets.token_urlsafe(32)
    else:
        secret = settings.secret_key.get_secret_value()
    return RegistrationLinks(secret, settings.centre.public_url)


def main() -> None:
    settings = EventsSettings()
    configure_logging(settings.log, service="events")
    run(build_app(settings))
