"""Publishing events on a real JetStream as a producer's outbox relay does, and watching a
durable consumer work through them."""

from __future__ import annotations

import asyncio

import nats

from contracts.base import Event
from contracts.subjects import durable_name, owner_of, stream_name


async def publish(nats_url: str, event: Event, *, msg_id: str | None = None) -> None:
    """Publish ``event`` on its subject with ``Nats-Msg-Id`` = its event id, as the relay does.

    Another ``msg_id`` stores a second copy (JetStream drops a repeated id within its duplicate
    window): the same event seen again later, as a redelivery looks to a consumer.
    """
    connection = await nats.connect(nats_url)
    try:
        await connection.jetstream().publish(
            event.subject,
            event.model_dump_json().encode(),
            headers={
                "Nats-Msg-Id": msg_id or str(event.event_id),
                "content-type": "application/json",
            },
        )
    finally:
        await connection.close()


async def consumed(nats_url: str, service: str, subject: str, *, timeout: float = 30) -> None:
    """Wait until ``service``'s durable consumer of ``subject`` has acked every message."""
    durable = durable_name(service, subject)
    stream = stream_name(owner_of(subject))
    connection = await nats.connect(nats_url)
    try:
        async with asyncio.timeout(timeout):
            while True:
                try:
                    info = await connection.jetstream().consumer_info(stream, durable)
                except nats.js.errors.NotFoundError:
                    info = None
                if info is not None and info.num_pending == 0 and info.num_ack_pending == 0:
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise TimeoutError(f"{durable} did not ack every message of {stream}") from None
    finally:
        await connection.close()
