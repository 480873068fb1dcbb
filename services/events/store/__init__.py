"""Tables, repositories and the unit of work of the events service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.base import Event
from services.events.store.schema import metadata, reliability
from services.runtime.settings import CentreSettings
from services.runtime.store import UnitOfWork

__all__ = ["EventsUnitOfWork", "UowFactory", "contract_mapper", "metadata", "reliability"]


def contract_mapper(centre: CentreSettings) -> Any:
    """Turn the events service's domain events into contract events (for the outbox)."""

    def to_contract(domain_event: object) -> Event | None:
        raise TypeError(f"no contract for {type(domain_event).__name__}")

    return to_contract


class EventsUnitOfWork(UnitOfWork):
    def _open(self) -> None:
        """Repositories come with the domain."""


UowFactory = Callable[[], EventsUnitOfWork]
