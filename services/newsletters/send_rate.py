"""The per-second rate of a send, held across every replica of the sender.

Each send has a next free slot in the database (``sends.next_slot_at``). A replica about to
send reserves the next few slots of the send at once, in one short transaction that locks the
send's row, and each message then waits for its own slot. Slots are ``1 / rate_per_second``
apart whoever holds them, so the replicas together never go faster than the rate, however many
they are, and need not know of each other.

How many at once: a quarter of a second's worth at the rate, but no more than twice the
replica's SMTP connections (what it can use at once). Reserving more than a replica can send
would hand it a stretch of time the others cannot use: at a rate above what one replica can
do, the replicas would take turns instead of adding up. The price is one reservation (a
transaction) per that many messages.

A slot is a time on the replicas' clocks (kept in sync by NTP, as the leases already assume).
A slot already past by more than ``LATE`` (left over from a batch that ended, or missed while
the replica was busy, even while waiting for it) is dropped rather than used late: a dropped
slot only makes the send slower, a late one could make it faster than the rate for a moment.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.newsletters.domain.sending import Send
from services.newsletters.handlers.common import UowFactory

RESERVE_SECONDS = 0.25
"""How much of the rate a replica reserves at once: four short transactions a second per
sending replica, whatever the rate."""

LATE = timedelta(milliseconds=100)
"""A slot this far in the past is dropped, not used."""


@dataclass
class _Slots:
    times: deque[datetime] = field(default_factory=deque)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SharedRate:
    """The engine's ``Limiter`` (``async with rate(send): …`` before each message): waits for a
    slot of the send's rate reserved in the database, shared by every replica. ``clock`` is
    the wall clock (a rate is physical time, whatever the service's clock says)."""

    def __init__(
        self,
        uow: UowFactory,
        *,
        reserve_at_most: int = 8,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._uow = uow
        self._reserve_at_most = max(1, reserve_at_most)
        self._clock = clock
        self._sends: dict[uuid.UUID, _Slots] = {}

    def __call__(self, send: Send) -> AbstractAsyncContextManager[object]:
        return self._wait_for_slot(send)

    @asynccontextmanager
    async def _wait_for_slot(self, send: Send) -> AsyncIterator[object]:
        while True:
            slot = await self._take(send)
            delay = (slot - self._clock()).total_seconds()
            if delay > 0:
                await asyncio.sleep(delay)
            if self._clock() - slot <= LATE:  # else woken too late (a busy process): another
                break
        yield slot

    async def _take(self, send: Send) -> datetime:
        slots = self._sends.get(send.id)
        if slots is None:
            if len(self._sends) >= 32:  # sends are few at a time; forget the oldest
                self._sends.pop(next(iter(self._sends)))
            slots = self._sends[send.id] = _Slots()
        async with slots.lock:
            now = self._clock()
            while slots.times and slots.times[0] < now - LATE:
                slots.times.popleft()
            if not slots.times:  # the first slot reserved is ``now`` at the earliest
                await self._reserve(send, slots, now)
            return slots.times.popleft()

    async def _reserve(self, send: Send, slots: _Slots, now: datetime) -> None:
        wanted = math.ceil(send.rate_per_second * RESERVE_SECONDS)
        count = max(1, min(wanted, self._reserve_at_most))
        async with self._uow() as work:
            reserved = await work.sends.reserve_slots(send.id, count, now)
            await work.commit()
        if reserved is None:  # the send is gone (erased): go at its rate, alone
            start, rate = now, send.rate_per_second
        else:
            start, rate = reserved
        step = timedelta(seconds=1 / rate)
        slots.times.extend(start + i * step for i in range(count))
