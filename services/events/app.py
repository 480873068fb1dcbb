"""Composition root of the events service."""

from __future__ import annotations

from services.events import bus as events_bus
from services.events.directory import MembersDirectory
from services.events.domain.calls import Clock, system_clock
from services.events.handlers.calls import Directory
from services.events.settings import EventsSettings
from services.events.store import EventsUnitOfWork, contract_mapper, reliability
from services.runtime.health import register_health
from services.runtime.logging import configure_logging
from services.runtime.rpc import RpcClient
from services.runtime.service import ServiceApp, foundation, run


def build_app(
    settings: EventsSettings, *, clock: Clock = system_clock, directory: Directory | None = None
) -> ServiceApp:
    """``clock`` and ``directory`` (organisations and people; members by RPC by default) are
    replaced in tests."""
    base = foundation("events", settings, reliability)
    uow = base.units_of_work(EventsUnitOfWork, contract_mapper(settings.centre))
    if directory is None:
        rpc = RpcClient(base.bus.broker, timeout=settings.nats.rpc_timeout_seconds)
        directory = MembersDirectory(rpc, clock)

    events_bus.register(base.bus, uow)
    events_bus.register_calls(base.bus, uow, directory, clock)
    register_health(base.bus, base.engine)
    return ServiceApp("events", settings, base.engine, base.bus, base.relay)


def main() -> None:
    settings = EventsSettings()
    configure_logging(settings.log, service="events")
    run(build_app(settings))
