"""Composition root of the dataquartiers service."""

from __future__ import annotations

from reference import territories
from services.dataquartiers import bus as dataquartiers_bus
from services.dataquartiers.domain.catalogue import load_catalogue
from services.dataquartiers.handlers import Reference
from services.dataquartiers.settings import DataquartiersSettings
from services.dataquartiers.store import DataquartiersUnitOfWork, contract_mapper, reliability
from services.runtime.health import register_health
from services.runtime.logging import configure_logging
from services.runtime.service import ServiceApp, foundation, run


def build_app(settings: DataquartiersSettings) -> ServiceApp:
    base = foundation("dataquartiers", settings, reliability)
    uow = base.units_of_work(DataquartiersUnitOfWork, contract_mapper(settings.centre))
    reference = Reference(load_catalogue(settings.catalogue_file), territories())

    dataquartiers_bus.register(base.bus, uow, reference)
    register_health(base.bus, base.engine)
    return ServiceApp("dataquartiers", settings, base.engine, base.bus, base.relay)


def main() -> None:
    settings = DataquartiersSettings()
    configure_logging(settings.log, service="dataquartiers")
    run(build_app(settings))
