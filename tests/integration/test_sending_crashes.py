"""The sender as a real process (``python -m services.newsletters``), killed in the middle of a
send, on both lanes, against the real SMTP sink slowed down so a send lasts long enough.

SIGTERM: the batch in flight is finished and settled, the rest waits for the restart: no
duplicate, nothing lost. ``kill -9``: after the restart, the batch the dead process held is sent
again once its lease runs out: nothing lost, duplicates at most that batch. Two replicas at
once never send one delivery twice. Copies are counted in the sink by Message-ID."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from services.newsletters.store import issue_deliveries
from services.runtime.mailsink import MailSink
from services.runtime.migrations import upgrade
from services.runtime.processes import die_with_parent
from tests.support.sending import by_message_id, freeze, newsletters_db, recipients
from tests.support.services import CENTRE, wait_until

BATCH = 10
AUDIENCE = 200


def _env(database_url: str, nats_url: str, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESO_")}
    env |= {
        "RESO_NATS_URL": nats_url,
        "RESO_NEWSLETTERS_DATABASE_URL": database_url,
        "RESO_NEWSLETTERS_SMTP_PORT": str(smtp_port),
        "RESO_NEWSLETTERS_SECRET_KEY": "reso-tests-newsletters-secret-0123456789",
        "RESO_NEWSLETTERS_SEND_BATCH_SIZE": str(BATCH),
        "RESO_NEWSLETTERS_SEND_CONNECTIONS": "2",
        "RESO_NEWSLETTERS_ISSUE_LEASE_SECONDS": "3",
        "RESO_NEWSLETTERS_SEND_POLL_SECONDS": "0.2",
        "RESO_NEWSLETTERS_OUTBOX_POLL_SECONDS": "0.2",
        "RESO_CENTRE_SLUG": CENTRE.slug,
        "RESO_CENTRE_NAME": CENTRE.name,
        "RESO_CENTRE_EMAIL": CENTRE.email,
        "RESO_CENTRE_PUBLIC_URL": CENTRE.public_url,
        "RESO_LOG_LEVEL": "WARNING",
    }
    return env


async def _sender(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.newsletters", env=env,
        stdout=log.open("ab"), stderr=asyncio.subprocess.STDOUT, preexec_fn=die_with_parent,
    )  # fmt: skip


@asynccontextmanager
async def _slow_sink(directory: Path) -> AsyncIterator[MailSink]:
    sink = MailSink(directory, delay=0.03)
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


async def _states(uow: Any) -> dict[str, int]:
    async with uow() as work:
        rows = await work.session.execute(
            select(issue_deliveries.c.status, func.count()).group_by(issue_deliveries.c.status)
        )
        return {status: int(n) for status, n in rows}


def _copies(directory: Path) -> list[int]:
    return list(by_message_id(directory).values())


@pytest.mark.timeout(180)
class TestSenderCrashes:
    async def test_sigterm_finishes_the_batch_in_flight_and_the_restart_sends_the_rest(
        self, database, nats_server, tmp_path: Path
    ):
        url = database("newsletters")
        await upgrade("newsletters", url)
        async with _slow_sink(tmp_path / "mail") as sink, newsletters_db(url) as uow:
            env = _env(url, nats_server.url, sink.port)
            send = await freeze(uow, recipients(AUDIENCE))
            process = await _sender(env, tmp_path / "sender.log")
            await wait_until(lambda: len(sink.messages()) >= 3 * BATCH, timeout=60)
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 60) == 0

            stopped = await _states(uow)
            assert stopped.get("sending", 0) == 0  # nothing left half-done
            assert 0 < stopped["sent"] < AUDIENCE
            assert len(sink.messages()) == stopped["sent"]  # what the sink holds was recorded

            process = await _sender(env, tmp_path / "sender.log")
            try:
                final = await wait_until(lambda: _done(uow), timeout=120)
            finally:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 60)
        assert final == {"sent": AUDIENCE}
        copies = _copies(sink.directory)
        assert len(copies) == AUDIENCE and set(copies) == {1}  # 0 lost, 0 duplicates
        assert send.total == AUDIENCE

    async def test_kill_9_loses_nothing_and_resends_at_most_the_batch_in_flight(
        self, database, nats_server, tmp_path: Path
    ):
        url = database("newsletters")
        await upgrade("newsletters", url)
        async with _slow_sink(tmp_path / "mail") as sink, newsletters_db(url) as uow:
            env = _env(url, nats_server.url, sink.port)
            await freeze(uow, recipients(AUDIENCE))
            process = await _sender(env, tmp_path / "sender.log")
            await wait_until(lambda: len(sink.messages()) >= 3 * BATCH + 3, timeout=60)
            process.kill()
            await process.wait()

            process = await _sender(env, tmp_path / "sender.log")
            try:
                final = await wait_until(lambda: _done(uow), timeout=120)
            finally:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 60)
        assert final == {"sent": AUDIENCE}  # every recipient in exactly one final state
        copies = _copies(sink.directory)
        assert len(copies) == AUDIENCE  # 0 lost
        assert sum(copies) - AUDIENCE <= BATCH  # duplicates: at most the batch in flight

    async def test_two_replicas_never_send_one_delivery_twice(
        self, database, nats_server, tmp_path: Path
    ):
        url = database("newsletters")
        await upgrade("newsletters", url)
        async with _slow_sink(tmp_path / "mail") as sink, newsletters_db(url) as uow:
            env = _env(url, nats_server.url, sink.port)
            await freeze(uow, recipients(AUDIENCE))
            replicas = [await _sender(env, tmp_path / f"sender{i}.log") for i in range(2)]
            try:
                final = await wait_until(lambda: _done(uow), timeout=120)
            finally:
                for process in replicas:
                    process.send_signal(signal.SIGTERM)
                for process in replicas:
                    assert await asyncio.wait_for(process.wait(), 60) == 0
        assert final == {"sent": AUDIENCE}
        copies = _copies(sink.directory)
        assert len(copies) == AUDIENCE and set(copies) == {1}


async def _done(uow: Any) -> dict[str, int] | None:
    states = await _states(uow)
    return states if not states.get("pending") and not states.get("sending") else None
