"""The sending engine driven from tests: freezing an audience straight into a newsletters
database, an SMTP sink that refuses some recipients, and what the sink received."""

from __future__ import annotations

import bisect
import email
import email.policy
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import Envelope, Session

from contracts.newsletters import IssueStatus
from services.newsletters.domain.issues import Issue
from services.newsletters.domain.sending import Recipient, Send
from services.newsletters.handlers import sending
from services.newsletters.store import NewslettersUnitOfWork, contract_mapper, reliability
from services.runtime.db import create_engine, session_factory
from services.runtime.mailsink import Store
from tests.support.factories import unique_email
from tests.support.services import CENTRE

UowFactory = Callable[[], NewslettersUnitOfWork]


@asynccontextmanager
async def newsletters_db(database_url: str) -> AsyncIterator[UowFactory]:
    """Units of work on a (migrated) newsletters database, outside any running service."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        yield lambda: NewslettersUnitOfWork(
            sessions, reliability, to_contract=contract_mapper(CENTRE)
        )
    finally:
        await engine.dispose()


def recipients(n: int, prefix: str = "lecteur") -> list[Recipient]:
    return [
        Recipient(uuid.uuid4(), unique_email(f"{prefix}{i}"), f"Prénom{i}", f"Nom{i}")
        for i in range(n)
    ]


async def an_issue(
    work: NewslettersUnitOfWork,
    letter: str = "la-minute-pop",
    status: IssueStatus = IssueStatus.SENDING,
) -> Issue:
    """A numéro of ``letter`` with one editorial block, already ``sending`` by default (as
    "send now" leaves it before the engine freezes its audience). The caller commits."""
    number = await work.issues.next_number(letter)
    issue = Issue(
        id=uuid.uuid4(),
        letter=letter,
        number=number,
        subject=f"La Minute Pop n° {number}",
        preheader="",
        blocks=[{"type": "editorial", "title": "Édito", "markdown": "Bonne **lecture** !"}],
        audience={},
        status=status,
        frozen={"events": [], "data": []} if status is IssueStatus.SENDING else None,
    )
    await work.issues.add(issue, "redaction@crpv-test.example.org")
    return issue


async def freeze(
    uow: UowFactory,
    audience: list[Recipient],
    *,
    letter: str = "la-minute-pop",
    rate_per_second: float = 1000,
    rate_per_hour: int = 1_000_000,
) -> Send:
    """A send of a new issue of ``letter`` to ``audience``, as the engine starts it."""
    async with uow() as work:
        issue = await an_issue(work, letter)
        send = await sending.start_send(
            work,
            issue_id=issue.id,
            letter=letter,
            recipients=audience,
            rate_per_second=rate_per_second,
            rate_per_hour=rate_per_hour,
            by="redaction@crpv-test.example.org",
            now=datetime.now(UTC),
        )
        await work.commit()
    return send


class PickyStore(Store):
    """The sink, refusing recipients by the start of their address: ``refuse…`` gets a 550,
    ``busy…`` a 451 on its first ``busy_times`` tries (greylisting), ``down…`` always a 451."""

    def __init__(self, directory: Path, busy_times: int = 1) -> None:
        super().__init__(directory)
        self.busy_times = busy_times
        self.tries: Counter[str] = Counter()

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        self.tries[address] += 1
        if address.startswith("refuse"):
            return "550 5.1.1 Adresse inconnue"
        if address.startswith("down") or (
            address.startswith("busy") and self.tries[address] <= self.busy_times
        ):
            return "451 4.7.1 Réessayez plus tard"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class TimedStore(Store):
    """The sink, noting when each message arrived (``time.time()``, at the end of DATA)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.arrivals: list[float] = []

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.arrivals.append(time.time())
        return await super().handle_DATA(server, session, envelope)


def busiest_second(arrivals: list[float]) -> int:
    """The most messages that arrived within any one second."""
    times = sorted(arrivals)
    return max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


def sink_messages(directory: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(directory.glob("*.eml"), key=lambda p: int(p.stem)):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        found.append(parsed)
    return found


def by_message_id(directory: Path) -> Counter[str]:
    """How many copies of each Message-ID the sink holds."""
    return Counter(str(m["Message-ID"]).strip() for m in sink_messages(directory))


class SlotLedger:
    """Stands in for the database's ``sends.next_slot_at`` behind ``SharedRate``: a unit-of-work
    factory whose ``sends.reserve_slots`` hands out slots as the repository does, and notes how
    many each reservation asked for."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.next_slot: datetime | None = None
        self.reservations: list[int] = []

    def __call__(self) -> Any:
        return _LedgerWork(self)


class _LedgerWork:
    def __init__(self, ledger: SlotLedger) -> None:
        self.sends = self
        self._ledger = ledger

    async def __aenter__(self) -> _LedgerWork:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        return None

    async def reserve_slots(
        self, send_id: uuid.UUID, count: int, now: datetime
    ) -> tuple[datetime, float]:
        from datetime import timedelta

        ledger = self._ledger
        start = max(now, ledger.next_slot) if ledger.next_slot else now
        ledger.next_slot = start + timedelta(seconds=count / ledger.rate)
        ledger.reservations.append(count)
        return start, ledger.rate
