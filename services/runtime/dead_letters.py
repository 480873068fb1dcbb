"""Reading and replaying dead letters (the ``DLQ`` stream), for ``reso dead-letters``.

A consumer that gives up on a message publishes a :class:`~contracts.base.DeadLetterV1` on
``dlq.<service>.<original subject>`` (see :mod:`services.runtime.bus`) and acks the original. Once
the cause is fixed (a bug, a missing record), replaying puts the original payload and headers
back on the original subject, so the owner's stream delivers it again to every consumer of that
subject: the one that gave up processes it, the others recognise its ``event_id`` in their
inbox and do nothing. The replayed letter is then deleted from ``DLQ``; if the message fails
again, a new letter is written.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import nats
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from contracts import subjects
from contracts.base import DeadLetterV1
from services.runtime.settings import NatsSettings


@dataclass(frozen=True)
class StoredDeadLetter:
    sequence: int
    letter: DeadLetterV1


@asynccontextmanager
async def _jetstream(settings: NatsSettings) -> AsyncIterator[JetStreamContext]:
    connection = await nats.connect(
        settings.servers,
        user=settings.user,
        password=settings.password.get_secret_value() if settings.password else None,
        connect_timeout=5,
        max_reconnect_attempts=3,
    )
    try:
        yield connection.jetstream(timeout=settings.publish_timeout_seconds)
    finally:
        await connection.close()


async def list_dead_letters(
    settings: NatsSettings, *, service: str | None = None, limit: int = 100
) -> list[StoredDeadLetter]:
    """The oldest ``limit`` dead letters still in ``DLQ`` (of one consumer service if given)."""
    filter_subject = f"dlq.{service}.>" if service else "dlq.>"
    found: list[StoredDeadLetter] = []
    async with _jetstream(settings) as js:
        sequence = 1
        while len(found) < limit:
            try:
                raw = await js.get_msg(
                    subjects.DLQ_STREAM, seq=sequence, subject=filter_subject, next=True
                )
            except NotFoundError:
                break
            letter = DeadLetterV1.model_validate_json(raw.data or b"")
            found.append(StoredDeadLetter(raw.seq or sequence, letter))
            sequence = (raw.seq or sequence) + 1
    return found


async def replay_dead_letter(settings: NatsSettings, sequence: int) -> DeadLetterV1:
    """Publish the dead letter at ``sequence`` again on its original subject, then delete it.

    Raises ``LookupError`` when ``DLQ`` holds no letter at that sequence.
    """
    async with _jetstream(settings) as js:
        try:
            raw = await js.get_msg(subjects.DLQ_STREAM, seq=sequence)
        except NotFoundError:
            raise LookupError(f"no dead letter at sequence {sequence}") from None
        letter = DeadLetterV1.model_validate_json(raw.data or b"")
        headers = dict(letter.original_headers)
        # The original id would be dropped as a duplicate if the original is less than two
        # minutes old; a replay id keeps a second replay of the same letter from doubling it.
        headers["Nats-Msg-Id"] = f"replay-{subjects.DLQ_STREAM}-{sequence}"
        await js.publish(
            letter.subject,
            base64.b64decode(letter.original_payload_b64),
            stream=subjects.stream_name(subjects.owner_of(letter.subject)),
            headers=headers,
        )
        await js.delete_msg(subjects.DLQ_STREAM, sequence)
    return letter
