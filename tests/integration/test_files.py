"""Files larger than a NATS message through the JetStream object store (``runtime/files.py``):
streamed in, read back whole by any NATS client or streamed out chunk by chunk, deleted once
taken, and a bucket that forgets what nobody took."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import nats
import pytest

from services.runtime.bus import Bus, provision_streams
from services.runtime.errors import NotFound, TooLarge
from services.runtime.files import FILES_BUCKET
from tests.support.services import nats_settings, stored_files

DATA = os.urandom(3 * 1024 * 1024 + 12_345)  # three times NATS's message limit, odd size


async def _pieces(data: bytes, size: int = 65_537) -> AsyncIterator[bytes]:
    """As an HTTP body arrives: pieces of any size, unrelated to the store's chunks."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.fixture
async def bus(nats_server):
    await provision_streams(nats_settings(nats_server.url))
    bus = Bus("gateway", nats_settings(nats_server.url))
    await bus.broker.start()
    try:
        yield bus
    finally:
        await bus.broker.stop()


class TestFiles:
    async def test_a_streamed_file_reads_back_whole_with_nats_py_then_is_gone_once_taken(
        self, bus, nats_server
    ):
        stored = await bus.files.put(_pieces(DATA), max_bytes=10_000_000)
        connection = await nats.connect(nats_server.url)
        try:
            store = await connection.jetstream().object_store(FILES_BUCKET)
            read_by_nats_py = (await store.get(stored.name)).data  # checks the digest too
        finally:
            await connection.close()
        taken = await bus.files.take(stored.name)

        assert stored.size == len(DATA)
        assert read_by_nats_py == DATA and taken == DATA
        assert await stored_files(nats_server.url) == []
        with pytest.raises(NotFound, match="envoyez-le de nouveau"):
            await bus.files.take(stored.name)

    async def test_streams_a_file_back_a_chunk_at_a_time_as_it_is_read(self, bus, nats_server):
        stored = await bus.files.put(_pieces(DATA), max_bytes=10_000_000)
        empty = await bus.files.put(_pieces(b""), max_bytes=10)

        chunks = [chunk async for chunk in bus.files.stream(stored.name)]
        nothing = [chunk async for chunk in bus.files.stream(empty.name)]
        await bus.files.delete(stored.name)

        assert b"".join(chunks) == DATA
        assert max(len(chunk) for chunk in chunks) == 128 * 1024
        assert nothing == []
        with pytest.raises(NotFound, match="n'est plus disponible"):
            await anext(bus.files.stream(stored.name))

    async def test_refuses_more_than_the_limit_and_leaves_nothing_behind(self, bus, nats_server):
        with pytest.raises(TooLarge, match=r"taille maximale acceptée \(1,0 Mo\)"):
            await bus.files.put(_pieces(DATA), max_bytes=1_000_000)

        connection = await nats.connect(nats_server.url)
        try:
            info = await connection.jetstream().stream_info(f"OBJ_{FILES_BUCKET}")
        finally:
            await connection.close()
        assert info.state.messages == 0


class TestProvisionFiles:
    async def test_creates_the_bucket_once_and_applies_a_new_ttl(self, nats_server):
        await provision_streams(nats_settings(nats_server.url))
        await provision_streams(nats_settings(nats_server.url, files_ttl_seconds=600))

        connection = await nats.connect(nats_server.url)
        try:
            info = await connection.jetstream().stream_info(f"OBJ_{FILES_BUCKET}")
        finally:
            await connection.close()
        assert info.config.max_age == 600
        assert info.config.num_replicas == 1
