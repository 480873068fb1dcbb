"""Looking for a person's data in every service database (for erasure tests)."""

from __future__ import annotations

import asyncio

from sqlalchemy import String, Text, func, inspect, select
from sqlalchemy import Table as SaTable
from sqlalchemy.engine import Connection
from sqlalchemy.sql.schema import MetaData

from services.runtime.db import create_engine


async def find_text(database_url: str, needle: str) -> list[str]:
    """``table.column`` of every text column, in every table, that contains ``needle``
    (case-insensitive)."""
    engine = create_engine(database_url)
    try:
        async with asyncio.timeout(60), engine.connect() as connection:
            return await connection.run_sync(_scan, needle.lower())
    finally:
        await engine.dispose()


def _scan(connection: Connection, needle: str) -> list[str]:
    found = []
    metadata = MetaData()
    for table_name in inspect(connection).get_table_names():
        table = SaTable(table_name, metadata, autoload_with=connection)
        for column in table.columns:
            if not isinstance(column.type, String | Text):
                continue
            hits = connection.execute(
                select(func.count())
                .select_from(table)
                .where(func.lower(column).contains(needle, autoescape=True))
            ).scalar_one()
            if hits:
                found.append(f"{table_name}.{column.name}")
    return found
