"""Replicas that start together run `reso migrate` together (an init container each): on
PostgreSQL they take turns, and every one of them succeeds."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest
from sqlalchemy import text

from services.runtime.db import create_engine


async def _reso_migrate(service: str, url: str) -> tuple[int, str]:
    env = {**os.environ, f"RESO_{service.upper()}_DATABASE_URL": url}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        "migrate",
        service,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return await process.wait(), output.decode(errors="replace")


@pytest.mark.parametrize("lane", ["postgresql"], indirect=True)
@pytest.mark.parametrize("service", ["members", "gateway"])
async def test_three_replicas_migrating_at_once_all_succeed(service, lane, database):
    url = database(service)
    results = await asyncio.gather(*(_reso_migrate(service, url) for _ in range(3)))
    assert [code for code, _ in results] == [0, 0, 0], [output for _, output in results]
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            versions = (
                await connection.execute(text(f"SELECT version_num FROM alembic_version_{service}"))
            ).all()
    finally:
        await engine.dispose()
    assert len(versions) == 1
