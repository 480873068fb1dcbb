"""Composition root of the events service."""

from __future__ import annotations

from services.events import bus as events_bus
from services.events.settings import EventsSettings
from services.events.store import EventsUnitOfWork, contract_mapper, reliability
from services.runtime.bus import Bus
from services.runtime.db import create_engine, session_factory
from services.runtime.health import register_health
from services.runtime.logging import configure_logging
from services.runtime.outbox import OutboxRelay
from services.runtime.service import ServiceApp, run


def build_app(settings: EventsSettings) -> ServiceApp:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    bus = Bus("events", settings.nats)
    relay = OutboxRelay(
        engine,
        reliability,
        bus.publishers,
        service="events",
        poll_seconds=settings.outbox_poll_seconds,
    )
    to_contract = contract_mapper(settings.centre)

    def uow() -> EventsUnitOfWork:
        return EventsUnitOfWork(
            sessions, reliability, to_contract=to_contract, on_commit=relay.notify
        )

    events_bus.register(bus, uow)
    register_health(bus, engine)
    return ServiceApp("events", settings, engine, bus, relay)


def main() -> None:
    settings = EventsSettings()
    configure_logging(settings.log, service="events")
    run(build_app(settings))
