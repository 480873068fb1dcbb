"""Use cases of the events service: plain async functions over a unit of work, one module per
area; every use case is re-exported here."""

from __future__ import annotations

from services.events.store import UowFactory

__all__ = ["UowFactory"]
