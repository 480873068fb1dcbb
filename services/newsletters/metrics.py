"""The mail sender's progress, for Prometheus (read from the database at each scrape).

- ``reso_newsletters_mails_due{status}``: mails still to send (``pending``) or being sent
  (``sending``, claimed by a sender);
- ``reso_newsletters_oldest_due_seconds``: how long the oldest of them has waited (0 when none).

Both read only the due rows, through the partial index the sender uses.

- ``reso_newsletters_send_deliveries{send,letter,status}``: the deliveries of each send still
  going on (sending or paused), by status (``pending``, ``sending``, ``sent``, ``failed``, ...):
  a letter's sending progress. A send that is done or cancelled leaves the gauge.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import Gauge
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.newsletters.domain import DeliveryStatus
from services.newsletters.store import DUE, transactional_mails
from services.newsletters.store.schema import issue_deliveries, sends

MAILS_DUE = Gauge(
    "reso_newsletters_mails_due", "Mails still to send (pending) or being sent.", ["status"]
)
OLDEST_DUE = Gauge(
    "reso_newsletters_oldest_due_seconds", "How long the oldest mail still to send has waited."
)

SEND_DELIVERIES = Gauge(
    "reso_newsletters_send_deliveries",
    "Deliveries of each send in progress (sending or paused), by status.",
    ["send", "letter", "status"],
)
PROGRESS_STATUSES = ("pending", "sending", "sent", "failed")
"""Always shown for a send in progress (0 when none), so a dashboard can plot each of them."""
ACTIVE_SENDS = ("sending", "paused")


async def measure_sends(engine: AsyncEngine) -> None:
    query = (
        select(sends.c.id, sends.c.letter, issue_deliveries.c.status, func.count())
        .select_from(sends.join(issue_deliveries, issue_deliveries.c.send_id == sends.c.id))
        .where(sends.c.status.in_(ACTIVE_SENDS))
        .group_by(sends.c.id, sends.c.letter, issue_deliveries.c.status)
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for send_id, letter, status, count in rows:
        per_status = counts.setdefault(
            (str(send_id), letter or ""), dict.fromkeys(PROGRESS_STATUSES, 0)
        )
        per_status[str(status)] = int(count)
    SEND_DELIVERIES.clear()  # finished sends leave the gauge
    for (send_id, letter), per_status in counts.items():
        for status, count in per_status.items():
            SEND_DELIVERIES.labels(send_id, letter, status).set(count)


async def measure_mails(engine: AsyncEngine) -> None:
    table = transactional_mails
    query = (
        select(table.c.status, func.count(), func.min(table.c.created_at))
        .where(text(DUE))
        .group_by(table.c.status)
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    counts = {status: 0 for status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING)}
    oldest: datetime | None = None
    for status, count, created_at in rows:
        counts[DeliveryStatus(status)] = int(count)
        if created_at is not None:
            created_at = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
            oldest = created_at if oldest is None else min(oldest, created_at)
    for status, count in counts.items():
        MAILS_DUE.labels(status.value).set(count)
    waited = 0.0 if oldest is None else (datetime.now(UTC) - oldest).total_seconds()
    OLDEST_DUE.set(max(0.0, waited))
