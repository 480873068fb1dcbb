"""The events service's tables (one metadata for Alembic)."""

from __future__ import annotations

from sqlalchemy import MetaData

from services.runtime.store import ReliabilityTables

metadata = MetaData()
reliability = ReliabilityTables(metadata)
