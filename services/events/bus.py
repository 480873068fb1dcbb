"""FastStream adapters of the events service."""

from __future__ import annotations

from services.events import handlers
from services.runtime.bus import Bus


def register(bus: Bus, uow: handlers.UowFactory) -> None:
    """Declare the service's RPC handlers, consumers and publishers (none yet)."""
