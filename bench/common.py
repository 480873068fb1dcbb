"""What every benchmark shares: a throwaway nats-server, quiet logs, statistics, the output line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import socket
import statistics
import tempfile
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from services.runtime.logging import configure_logging
from services.runtime.nats_server import EmbeddedNats
from services.runtime.settings import LogSettings


def quiet_logging() -> None:
    """Log warnings and errors only, so nothing is printed per message."""
    configure_logging(LogSettings(level="WARNING"), service="bench")


@contextlib.contextmanager
def nats_server() -> Iterator[str]:
    """Run a nats-server with JetStream in a temporary directory; yield its URL.

    Started from the main thread on purpose: the server is tied to the thread that starts it
    (``PR_SET_PDEATHSIG``), so starting it from a worker thread would stop it with that thread.
    """
    with tempfile.TemporaryDirectory(prefix="reso-bench-nats-") as store:
        server = EmbeddedNats(Path(store))
        url = server.start()
        try:
            yield url
        finally:
            server.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serving(app: FastAPI, port: int) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1:``port`` (its lifespan included); yield its URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # raises why the server could not start
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, nearest-rank method."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Figure:
    """One reported figure: the project's value and the baseline's, one pair per round."""

    name: str
    unit: str
    project: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)

    def add(self, project: float, baseline: float) -> None:
        self.project.append(project)
        self.baseline.append(baseline)

    def line(self) -> str:
        """``<name>: <value> <unit> (baseline <value>, ratio <r>)`` with medians over rounds."""
        value = statistics.median(self.project)
        base = statistics.median(self.baseline)
        ratio = value / base if base else math.nan
        return (
            f"{self.name}: {_number(value)} {self.unit} "
            f"(baseline {_number(base)}, ratio {ratio:.2f})"
        )


class Figures:
    """The figures of one benchmark, printed in the order they were declared."""

    def __init__(self) -> None:
        self._figures: dict[str, Figure] = {}

    def add(self, name: str, unit: str, project: float, baseline: float) -> None:
        figure = self._figures.setdefault(name, Figure(name, unit))
        figure.add(project, baseline)

    def print(self) -> None:
        for figure in self._figures.values():
            print(figure.line(), flush=True)


def _number(value: float) -> str:
    """Three significant figures or so, never in scientific notation."""
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def arguments(description: str, *, default_n: int, default_rounds: int = 5) -> argparse.Namespace:
    """Parse ``--n`` (work per round) and ``--rounds`` for a benchmark run on its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, default=default_n, help="work items per round")
    parser.add_argument("--rounds", type=int, default=default_rounds, help="rounds (median)")
    return parser.parse_args()
