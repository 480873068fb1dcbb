"""Every service's migrations build exactly the schema its code declares, on both lanes."""

from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.runtime.db import create_engine
from services.runtime.migrations import upgrade

SERVICES = ["members", "events", "newsletters", "dataquartiers", "gateway"]


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_apply_twice_and_match_the_declared_tables(service, database):
    url = database(service)
    await upgrade(service, url)
    await upgrade(service, url)  # a second start finds nothing to do
    metadata = importlib.import_module(f"services.{service}.store").metadata
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync,
                        opts={
                            "compare_type": True,
                            "version_table": f"alembic_version_{service}",
                        },
                    ),
                    metadata,
                )
            )
    finally:
        await engine.dispose()
    assert differences == []
