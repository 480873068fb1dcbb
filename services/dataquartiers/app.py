"""Composition root of the dataquartiers service."""

from __future__ import annotations

from services.dataquartiers import bus as dataquartiers_bus
from services.dataquartiers.settings import DataquartiersSettings
from services.dataquartiers.store import DataquartiersUnitOfWork, contract_mapper, reliability
from services.runtime.health import register_health
from services.runtime.logging import configure_logging
from services.runtime.service import ServiceApp, foundation, run


def build_app(settings: DataquartiersSettings) -> ServiceApp:
    base = foundation("dataquartiers", settings, reliability)
    uow = base.units_of_work(DataquartiersUnitOfWork, contract_mapper(settings.centre))

    dataquartiers_bus.register(base.bus, uow)
    register_health(base.bus, base.engine)
    return ServiceApp("dataquartiers", settings, base.engine, base.bus, base.relay)


def main() -> None:
    settings = DataquartiersSettings()
    configure_logging(settings.log, service="dataquartiers")
    run(build_app(settings))
