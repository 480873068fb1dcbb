"""Composition root of the members service."""

from __future__ import annotations

from services.members import bus as members_bus
from services.members.settings import MembersSettings
from services.members.store import MembersUnitOfWork, contract_mapper, reliability
from services.runtime.health import register_health
from services.runtime.logging import configure_logging
from services.runtime.service import ServiceApp, foundation, run


def build_app(settings: MembersSettings) -> ServiceApp:
    base = foundation("members", settings, reliability)
    uow = base.units_of_work(MembersUnitOfWork, contract_mapper(settings.centre))

    members_bus.register(base.bus, uow)
    register_health(base.bus, base.engine)
    return ServiceApp("members", settings, base.engine, base.bus, base.relay)


def main() -> None:
    settings = MembersSettings()
    configure_logging(settings.log, service="members")
    run(build_app(settings))
