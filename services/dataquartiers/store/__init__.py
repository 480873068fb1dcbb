"""Tables, repositories and the unit of work of the dataquartiers service."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData

from contracts.base import Event
from services.runtime.settings import CentreSettings
from services.runtime.store import ReliabilityTables, UnitOfWork

metadata = MetaData()
reliability = ReliabilityTables(metadata)


def contract_mapper(centre: CentreSettings) -> Any:
    def to_contract(domain_event: object) -> Event:
        raise TypeError(f"no contract for {type(domain_event).__name__}")

    return to_contract


class DataquartiersUnitOfWork(UnitOfWork):
    pass
