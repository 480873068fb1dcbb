"""Composition root of the events service."""

from __future__ import annotations

from services.events import bus as events_bus
from services.events.settings import EventsSettings
from services.events.store import EventsUnitOfWork, contract_mapper, reliability
from services.runtime.health import register_health
from services.runtime.logging import configure_logging
from services.runtime.service import ServiceApp, foundation, run


def build_app(settings: EventsSettings) -> ServiceApp:
    base = foundation("events", settings, reliability)
    uow = base.units_of_work(EventsUnitOfWork, contract_mapper(settings.centre))

    events_bus.register(base.bus, uow)
    register_health(base.bus, base.engine)
    return ServiceApp("events", settings, base.engine, base.bus, base.relay)


def main() -> None:
    settings = EventsSettings()
    configure_logging(settings.log, service="events")
    run(build_app(settings))
