"""Use cases of the events service: plain async functions over a unit of work."""

from __future__ import annotations

from collections.abc import Callable

from services.events.store import EventsUnitOfWork

UowFactory = Callable[[], EventsUnitOfWork]
