"""Composition root of the dataquartiers service."""

from __future__ import annotations

from services.dataquartiers import bus as dataquartiers_bus
from services.dataquartiers.settings import DataquartiersSettings
from services.dataquartiers.store import DataquartiersUnitOfWork, contract_mapper, reliability
from services.runtime.bus import Bus
from services.runtime.db import create_engine, session_factory
from services.runtime.health import register_health
from services.runtime.logging import configure_logging
from services.runtime.outbox import OutboxRelay
from services.runtime.service import ServiceApp, run


def build_app(settings: DataquartiersSettings) -> ServiceApp:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    bus = Bus("dataquartiers", settings.nats)
    relay = OutboxRelay(
        engine,
        reliability,
        bus.publishers,
        service="dataquartiers",
        poll_seconds=settings.outbox_poll_seconds,
    )
    to_contract = contract_mapper(settings.centre)

    def uow() -> DataquartiersUnitOfWork:
        return DataquartiersUnitOfWork(
            sessions, reliability, to_contract=to_contract, on_commit=relay.notify
        )

    dataquartiers_bus.register(bus, uow)
    register_health(bus, engine)
    return ServiceApp("dataquartiers", settings, engine, bus, relay)


def main() -> None:
    settings = DataquartiersSettings()
    configure_logging(settings.log, service="dataquartiers")
    run(build_app(settings))
