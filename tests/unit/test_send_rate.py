"""The per-second rate shared by the replicas (``send_rate.SharedRate``), against a stand-in of
the database's slot ledger: slots a rate apart whoever takes them, never used late."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta

from contracts.newsletters import SendStatus
from services.newsletters.domain.sending import Send
from services.newsletters.send_rate import SharedRate
from tests.support.sending import SlotLedger


def _send(rate: float) -> Send:
    return Send(uuid.uuid4(), uuid.uuid4(), "la-minute-pop", SendStatus.SENDING, 100, rate,
                1_000_000, datetime.now(UTC), "redaction@crpv-test.example.org")  # fmt: skip


async def _take(rate: SharedRate, send: Send, n: int) -> list[datetime]:
    taken: list[datetime] = []

    async def one() -> None:
        async with rate(send) as slot:
            taken.append(slot)  # type: ignore[arg-type]

    await asyncio.gather(*(one() for _ in range(n)))
    return sorted(taken)


class TestSharedRate:
    async def test_two_replicas_on_one_ledger_get_slots_a_rate_apart(self) -> None:
        ledger = SlotLedger(rate=50)
        send = _send(50)
        replicas = [SharedRate(ledger, reserve_at_most=4), SharedRate(ledger, reserve_at_most=4)]

        taken = await asyncio.gather(*(_take(replica, send, 6) for replica in replicas))

        slots = sorted(taken[0] + taken[1])
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(slots)]
        assert len(set(slots)) == 12, "no slot is given twice"
        assert min(gaps) >= 1 / 50 - 1e-6

    async def test_reserves_no_more_than_asked_even_at_a_high_rate(self) -> None:
        ledger = SlotLedger(rate=10_000)

        await _take(SharedRate(ledger, reserve_at_most=8), _send(10_000), 20)

        assert ledger.reservations and max(ledger.reservations) == 8

    async def test_a_slot_left_over_from_earlier_is_dropped_not_used_late(self) -> None:
        now = [datetime(2026, 12, 2, 10, 0, tzinfo=UTC)]
        ledger = SlotLedger(rate=10)
        send = _send(10)
        rate = SharedRate(ledger, reserve_at_most=3, clock=lambda: now[0])
        [first] = await _take(rate, send, 1)  # reserves 10:00:00.0, .1 and .2; uses the first
        now[0] += timedelta(seconds=0.5)  # the two left are now past

        [later] = await _take(rate, send, 1)

        assert first == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
        assert later == now[0], "a new slot, now, rather than one 0.3 s late"
        assert ledger.reservations == [3, 3]
