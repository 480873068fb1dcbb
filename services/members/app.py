"""Composition root of the members service."""

from __future__ import annotations

from services.members import bus as members_bus
from services.members.settings import MembersSettings
from services.members.store import MembersUnitOfWork, contract_mapper, reliability
from services.runtime.bus import Bus
from services.runtime.db import create_engine, session_factory
from services.runtime.health import register_health
from services.runtime.logging import configure_logging
from services.runtime.outbox import OutboxRelay
from services.runtime.service import ServiceApp, run


def build_app(settings: MembersSettings) -> ServiceApp:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    bus = Bus("members", settings.nats)
    relay = OutboxRelay(
        engine,
        reliability,
        bus.publishers,
        service="members",
        poll_seconds=settings.outbox_poll_seconds,
    )
    to_contract = contract_mapper(settings.centre)

    def uow() -> MembersUnitOfWork:
        return MembersUnitOfWork(
            sessions, reliability, to_contract=to_contract, on_commit=relay.notify
        )

    members_bus.register(bus, uow)
    register_health(bus, engine)
    return ServiceApp("members", settings, engine, bus, relay)


def main() -> None:
    settings = MembersSettings()
    configure_logging(settings.log, service="members")
    run(build_app(settings))
