"""Use cases of the dataquartiers service: plain async functions over a unit of work."""

from __future__ import annotations

from collections.abc import Callable

from services.dataquartiers.store import DataquartiersUnitOfWork

UowFactory = Callable[[], DataquartiersUnitOfWork]
