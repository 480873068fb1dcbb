"""One issue to 20,000 recipients through the sending engine into a local SMTP sink.

- **reso**: the engine's worker loop as the service runs it (``handlers.sending.send_issue_batch``
  with ``SmtpPool``, ``issue_composer``, ``SharedRate``, ``IssueRenderer`` and the rules built
  from ``NewslettersSettings``): batches claimed under a lease in SQLite, personalised messages
  (name, signed unsubscribe links, List-* headers), sent over ``send_connections`` reused
  connections, outcomes settled per batch; until the send is ``done``.
- **baseline**: the same messages, pre-rendered before the clock starts, sent by a bare
  aiosmtplib loop over the same number of reused connections.
- **physical limit**: Postfix's ``smtp-source`` against the same sink, same number of sessions.

The sink is Postfix's ``smtp-sink`` (``make bench`` extracts it from Debian's ``postfix``
package into ``var/postfix`` without running a mail daemon); without it, the project's aiosmtpd
sink runs in a child process (it caps near 2,600 msg/s). Each path runs in a fresh child process
so that its peak RSS (``ru_maxrss``) is its own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench.common import Figures, quiet_logging

POSTFIX = Path(os.environ.get("RESO_BENCH_POSTFIX", "var/postfix"))
CONNECTIONS = 4
RATE = 1_000_000.0  # the engine's limiter stays on, far above what the machine does


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postfix_tool(name: str) -> Path | None:
    tool = POSTFIX / "usr" / "sbin" / name
    return tool if tool.exists() else None


def _postfix_env() -> dict[str, str]:
    return os.environ | {"LD_LIBRARY_PATH": str(POSTFIX / "usr" / "lib" / "postfix")}


@contextmanager
def smtp_sink(folder: Path) -> Iterator[tuple[int, str]]:
    """A local SMTP sink in a child process: Postfix's smtp-sink if extracted, else aiosmtpd."""
    port = _free_port()
    sink = _postfix_tool("smtp-sink")
    if sink is not None:
        command = [str(sink), "-u", "nobody", f"127.0.0.1:{port}", "1024"]
        if os.geteuid() != 0:
            command = [str(sink), f"127.0.0.1:{port}", "1024"]
        name, env = "postfix smtp-sink", _postfix_env()
    else:
        command = [sys.executable, "-m", "services.cli", "mailsink", "--dir", str(folder / "mail")]
        command += ["--port", str(port)]
        name, env = "aiosmtpd sink (reso mailsink)", dict(os.environ)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield port, name
    finally:
        process.terminate()
        process.wait(10)


def _settings(database_url: str, port: int) -> Any:
    from pydantic import SecretStr

    from services.newsletters.settings import NewslettersSettings
    from services.runtime.settings import CentreSettings

    return NewslettersSettings(
        database_url=database_url,
        smtp_port=port,
        send_connections=CONNECTIONS,
        send_rate_per_second=RATE,
        secret_key=SecretStr("reso-bench-newsletters-secret-0123456789"),
        centre=CentreSettings(
            slug="crpv-bench",
            name="Centre de ressources politique de la ville",
            email="bonjour@crpv-bench.example.org",
            public_url="https://crpv-bench.example.org",
        ),
    )


def _recipients(n: int) -> list[Any]:
    from services.newsletters.domain.sending import Recipient

    names = ["Zoé", "Mathéo", "Inès", "Léa", "Rayan", "Chloé", "Noé", "Aïcha"]
    return [
        Recipient(uuid.UUID(int=i + 1), f"lecteur{i}@quartier{i % 40}.example.org",
                  names[i % len(names)], f"Nom{i}")
        for i in range(n)
    ]  # fmt: skip


def _issue() -> Any:
    """A numéro of La Minute Pop, already ``sending`` (its content frozen)."""
    from contracts.newsletters import IssueStatus
    from services.newsletters.domain.issues import Issue

    editorial = {"type": "editorial", "title": "Édito", "markdown": "Bonne lecture."}
    return Issue(
        id=uuid.uuid4(), letter="la-minute-pop", number=1, subject="La Minute Pop n° 1",
        preheader="", blocks=[editorial], audience={}, status=IssueStatus.SENDING,
        frozen={"events": [], "data": []},
    )  # fmt: skip


def _letter() -> Any:
    from contracts.newsletters import Cadence
    from services.newsletters.domain import Letter

    return Letter(
        id=uuid.uuid4(), slug="la-minute-pop", name="La Minute Pop", description="",
        themes=(), cadence=next(iter(Cadence)), sender_name="CRPV",
        sender_email="lettre@crpv.example.org",
    )  # fmt: skip


async def _engine(database_url: str, port: int, n: int) -> float:
    from services.newsletters.app import sending_rules, subscription_links
    from services.newsletters.handlers import sending
    from services.newsletters.issue_mail import IssueRenderer, SmtpPool, issue_composer
    from services.newsletters.send_rate import SharedRate
    from services.newsletters.store import NewslettersUnitOfWork, contract_mapper, reliability
    from services.runtime.db import create_engine, session_factory
    from services.runtime.migrations import upgrade

    settings = _settings(database_url, port)
    await upgrade("newsletters", database_url)
    engine = create_engine(database_url)
    sessions = session_factory(engine)

    def uow() -> NewslettersUnitOfWork:
        return NewslettersUnitOfWork(
            sessions, reliability, to_contract=contract_mapper(settings.centre)
        )

    async with uow() as work:
        issue = _issue()
        await work.issues.add(issue, "bench")
        send = await sending.start_send(
            work, issue_id=issue.id, letter="la-minute-pop", recipients=_recipients(n),
            rate_per_second=RATE, rate_per_hour=10 * n, by="bench", now=datetime.now(UTC),
        )  # fmt: skip
        await work.commit()
    renderer = IssueRenderer(uow, subscription_links(settings), settings.centre)
    pool = SmtpPool(settings, settings.send_connections)
    rules, compose = sending_rules(settings), issue_composer(settings.centre)
    limiters = SharedRate(uow, reserve_at_most=2 * settings.send_connections)  # as app.py does
    begun = time.perf_counter()
    while await sending.send_issue_batch(
        uow, renderer=renderer, compose=compose, transport=pool, limiter=limiters,
        rules=rules, clock=lambda: datetime.now(UTC),
    ):  # fmt: skip
        pass
    elapsed = time.perf_counter() - begun
    await pool.close()
    progress = await sending.send_progress(
        sending.GetSendProgressV1(send_id=send.id), uow, datetime.now(UTC)
    )
    await engine.dispose()
    if (progress.status.value, progress.sent) != ("done", n):
        raise RuntimeError(f"the send did not complete: {progress}")
    return elapsed


async def _baseline(port: int, n: int) -> float:
    import aiosmtplib

    from services.newsletters.domain.sending import Delivery, DeliveryState
    from services.newsletters.issue_mail import IssueRenderer, issue_composer

    settings = _settings("sqlite+aiosqlite://", port)
    from services.newsletters.app import subscription_links

    renderer = IssueRenderer(lambda: None, subscription_links(settings), settings.centre)  # type: ignore[arg-type, return-value]
    issue = _issue()
    renderer._issues[issue.id] = (issue, _letter())  # rendered without a database
    compose = issue_composer(settings.centre)
    from services.newsletters.domain.sending import SendRef

    ref = SendRef(uuid.uuid4(), issue.id, "la-minute-pop")
    messages = []
    for recipient in _recipients(n):
        delivery = Delivery(uuid.uuid4(), ref.send_id, recipient, DeliveryState.SENDING, 1,
                            datetime.now(UTC))  # fmt: skip
        message = compose(delivery, await renderer.render(ref, recipient))
        messages.append((message.sender, list(message.recipients), message.data))
    queue = list(reversed(messages))

    async def connection() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
        await client.connect()
        while queue:
            sender, to, data = queue.pop()
            await client.sendmail(sender, to, data)
        await client.quit()

    begun = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
    return time.perf_counter() - begun


def _child(kind: str, database_url: str, port: int, n: int) -> tuple[float, float]:
    """Run one path in this (fresh) process: seconds, peak RSS in MiB."""
    quiet_logging()
    if kind == "engine":
        seconds = asyncio.run(_engine(database_url, port, n))
    else:
        seconds = asyncio.run(_baseline(port, n))
    return seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _in_child(kind: str, database_url: str, port: int, n: int) -> tuple[float, float]:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_child, kind, database_url, port, n).result()


def _smtp_source(port: int, n: int, size: int) -> float | None:
    source = _postfix_tool("smtp-source")
    if source is None:
        return None
    begun = time.perf_counter()
    subprocess.run(
        [str(source), "-d", "-s", str(CONNECTIONS), "-m", str(n), "-l", str(size),
         f"127.0.0.1:{port}"],
        env=_postfix_env(), check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return n / (time.perf_counter() - begun)


def main(*, n: int = 20_000, rounds: int = 1) -> None:
    quiet_logging()
    figures = Figures()
    limits: list[float] = []
    with tempfile.TemporaryDirectory(prefix="reso-bench-send-") as folder:
        with smtp_sink(Path(folder)) as (port, sink_name):
            for round_number in range(rounds):
                database_url = f"sqlite+aiosqlite:///{folder}/newsletters-{round_number}.db"
                engine_s, engine_mib = _in_child("engine", database_url, port, n)
                baseline_s, baseline_mib = _in_child("baseline", database_url, port, n)
                figures.add("send_throughput", "msgs/s", n / engine_s, n / baseline_s)
                figures.add("send_peak_rss", "MiB", engine_mib, baseline_mib)
                limit = _smtp_source(port, n, 3000)
                if limit is not None:
                    limits.append(limit)
        shutil.rmtree(Path(folder) / "mail", ignore_errors=True)
    figures.print()
    if limits:
        limits.sort()
        print(f"send_smtp_source_limit: {limits[len(limits) // 2]:.0f} msgs/s ({sink_name})")
    else:
        print(f"send_sink: {sink_name} (no smtp-source: run `make bench` to extract Postfix)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000, help="recipients of the issue")
    parser.add_argument("--rounds", type=int, default=1, help="rounds (median)")
    args = parser.parse_args()
    main(n=args.n, rounds=args.rounds)
