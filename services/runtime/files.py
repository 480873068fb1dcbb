"""Files larger than a NATS message, passed between processes through a JetStream object store.

The sender streams the bytes into the bucket ``RESO_FILES`` and sends the object's name in its
request; the receiver reads the object, then deletes it. The bucket's TTL
(``RESO_NATS_FILES_TTL_SECONDS``) removes what nobody deleted, e.g. after a crash, so uploads
do not pile up. Objects are written in the object store's own format (128 KiB chunks, a SHA-256
digest, a meta message), so any NATS client, nats-py's ``ObjectStore`` included, reads them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import uuid
from collections.abc import AsyncGenerator, AsyncIterable
from dataclasses import dataclass
from datetime import UTC, datetime

import nats.errors
from faststream.exceptions import FastStreamException
from faststream.nats import NatsBroker
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError, ObjectNotFoundError
from nats.js.kv import MSG_ROLLUP_SUBJECT
from nats.js.object_store import (
    OBJ_CHUNKS_PRE_TEMPLATE,
    OBJ_DIGEST_TEMPLATE,
    OBJ_META_PRE_TEMPLATE,
    OBJ_STREAM_TEMPLATE,
)

from services.runtime.errors import NotFound, TooLarge, Unavailable
from services.runtime.logging import get_logger
from services.runtime.settings import NatsSettings

log = get_logger("reso.files")

FILES_BUCKET = "RESO_FILES"
CHUNK_SIZE = 128 * 1024  # nats-py's default chunk, well under NATS's 1 MB payload limit
READ_TIMEOUT_SECONDS = 120  # a read that stalls (chunks expired meanwhile) must not hang
STREAM_BATCH = 8  # chunks a stream fetches at a time (1 MiB): what it holds in memory


@dataclass(frozen=True)
class StoredFile:
    name: str
    size: int


async def provision_files(js: JetStreamContext, settings: NatsSettings) -> None:
    """Create the files bucket, or update its TTL and replicas (idempotent)."""
    stream = OBJ_STREAM_TEMPLATE.format(bucket=FILES_BUCKET)
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        await js.create_object_store(
            FILES_BUCKET,
            api.ObjectStoreConfig(
                description="Uploaded files on their way to a service (deleted once read).",
                ttl=settings.files_ttl_seconds,
                replicas=settings.stream_replicas,
            ),
        )
        return
    config = info.config
    config.max_age = settings.files_ttl_seconds
    config.num_replicas = settings.stream_replicas
    await js.update_stream(config)


class Files:
    """The files bucket, reached through a FastStream NATS broker's connection once it is up."""

    def __init__(self, broker: NatsBroker, bucket: str = FILES_BUCKET) -> None:
        self._broker = broker
        self._bucket = bucket

    async def put(self, chunks: AsyncIterable[bytes], *, max_bytes: int) -> StoredFile:
        """Stream ``chunks`` into a new object as they come, one message per 128 KiB.

        More than ``max_bytes`` raises :class:`TooLarge`; then, as on any failure, what was
        already written is purged.
        """
        js = self._jetstream()
        name, nuid = uuid.uuid4().hex, uuid.uuid4().hex
        chunk_subject = OBJ_CHUNKS_PRE_TEMPLATE.format(bucket=self._bucket, obj=nuid)
        digest = hashlib.sha256()
        size = sent = 0
        pending = bytearray()
        try:
            async for piece in chunks:
                size += len(piece)
                if size > max_bytes:
                    raise too_large(max_bytes)
                pending += piece
                while len(pending) >= CHUNK_SIZE:
                    chunk = bytes(pending[:CHUNK_SIZE])
                    del pending[:CHUNK_SIZE]
                    digest.update(chunk)
                    await js.publish(chunk_subject, chunk)
                    sent += 1
            if pending:
                digest.update(pending)
                await js.publish(chunk_subject, bytes(pending))
                sent += 1
            info = api.ObjectInfo(
                name=name,
                bucket=self._bucket,
                nuid=nuid,
                size=size,
                chunks=sent,
                digest=OBJ_DIGEST_TEMPLATE.format(
                    digest=base64.urlsafe_b64encode(digest.digest()).decode()
                ),
                mtime=datetime.now(UTC).isoformat(),
                options=api.ObjectMetaOptions(max_chunk_size=CHUNK_SIZE),
            )
            await js.publish(
                self._meta_subject(name),
                json.dumps(info.as_dict()).encode(),
                headers={api.Header.ROLLUP: MSG_ROLLUP_SUBJECT},
            )
        except BaseException as error:
            await self._purge(js, chunk_subject)
            if isinstance(error, nats.errors.Error):
                raise Unavailable(f"object store write failed: {error!r}") from error
            raise
        return StoredFile(name, size)

    async def read(self, name: str) -> bytes:
        """The object's bytes, its size and digest checked; :class:`NotFound` when it is gone.

        The chunks are fetched in batches through an ephemeral pull consumer: nats-py's
        ``ObjectStore.get`` reads them through an ordered push consumer, about twenty times
        slower (0.27 s against 15 ms for 4.4 MB on one machine).
        """
        js = self._jetstream()
        try:
            async with asyncio.timeout(READ_TIMEOUT_SECONDS):
                store = await js.object_store(self._bucket)
                info = await store.get_info(name)
                data = await self._fetch_chunks(js, info) if info.size else b""
        except ObjectNotFoundError as error:
            raise NotFound(
                "Le fichier envoyé n'est plus disponible : envoyez-le de nouveau.", file=name
            ) from error
        except (nats.errors.Error, TimeoutError) as error:
            raise Unavailable(f"object store read failed: {error!r}") from error
        return data

    async def _fetch_chunks(self, js: JetStreamContext, info: api.ObjectInfo) -> bytes:
        chunks = info.chunks or 0
        subscription = await js.pull_subscribe(
            OBJ_CHUNKS_PRE_TEMPLATE.format(bucket=self._bucket, obj=info.nuid),
            stream=OBJ_STREAM_TEMPLATE.format(bucket=self._bucket),
            config=api.ConsumerConfig(
                ack_policy=api.AckPolicy.NONE,
                deliver_policy=api.DeliverPolicy.ALL,
                inactive_threshold=READ_TIMEOUT_SECONDS,
            ),
        )
        parts: list[bytes] = []
        try:
            while len(parts) < chunks:
                messages = await subscription.fetch(chunks - len(parts), timeout=10)
                parts.extend(message.data for message in messages)
        finally:
            await subscription.unsubscribe()
        data = b"".join(parts)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode()
        if len(data) != info.size or OBJ_DIGEST_TEMPLATE.format(digest=digest) != info.digest:
            raise Unavailable(f"file {info.name} read back damaged (size or digest)")
        return data

    async def stream(self, name: str) -> AsyncGenerator[bytes, None]:
        """The object's bytes as they are fetched, a few chunks at a time, so a file of any size
        is never held whole, and the next chunks are fetched only when the reader wants them.

        :class:`NotFound` when the object is gone (on the first iteration). Size and digest are
        checked at the end: a damaged object raises :class:`Unavailable` after its bytes were
        given out, so the reader must not treat what it got as complete before the end.
        """
        js = self._jetstream()
        try:
            async with asyncio.timeout(READ_TIMEOUT_SECONDS):
                info = await (await js.object_store(self._bucket)).get_info(name)
        except ObjectNotFoundError as error:
            raise NotFound("Le fichier demandé n'est plus disponible.", file=name) from error
        except (nats.errors.Error, TimeoutError) as error:
            raise Unavailable(f"object store read failed: {error!r}") from error
        remaining = (info.chunks or 0) if info.size else 0
        digest, size = hashlib.sha256(), 0
        if remaining:
            subscription = await js.pull_subscribe(
                OBJ_CHUNKS_PRE_TEMPLATE.format(bucket=self._bucket, obj=info.nuid),
                stream=OBJ_STREAM_TEMPLATE.format(bucket=self._bucket),
                config=api.ConsumerConfig(
                    ack_policy=api.AckPolicy.NONE,
                    deliver_policy=api.DeliverPolicy.ALL,
                    inactive_threshold=READ_TIMEOUT_SECONDS,
                ),
            )
            try:
                while remaining:
                    try:
                        messages = await subscription.fetch(
                            min(STREAM_BATCH, remaining), timeout=10
                        )
                    except (nats.errors.Error, TimeoutError) as error:
                        raise Unavailable(f"object store read failed: {error!r}") from error
                    for message in messages:
                        remaining -= 1
                        size += len(message.data)
                        digest.update(message.data)
                        yield message.data
            finally:
                with contextlib.suppress(Exception):  # the consumer expires anyway
                    await subscription.unsubscribe()
        encoded = base64.urlsafe_b64encode(digest.digest()).decode()
        if size != info.size or OBJ_DIGEST_TEMPLATE.format(digest=encoded) != info.digest:
            raise Unavailable(f"file {info.name} read back damaged (size or digest)")

    async def delete(self, name: str) -> None:
        """Delete the object; one already gone is fine. A failure is only logged: the bucket's
        TTL removes the object anyway."""
        try:
            store = await self._jetstream().object_store(self._bucket)
            await store.delete(name)
        except ObjectNotFoundError:
            pass
        except (nats.errors.Error, Unavailable) as error:
            log.warning("could not delete a file, its TTL will", file=name, error=repr(error))

    async def take(self, name: str) -> bytes:
        """Read the object, then delete it."""
        data = await self.read(name)
        await self.delete(name)
        return data

    def _jetstream(self) -> JetStreamContext:
        try:
            return self._broker.connection.jetstream()
        except FastStreamException as error:  # not connected (yet)
            raise Unavailable("NATS is not connected") from error

    def _meta_subject(self, name: str) -> str:
        encoded = base64.urlsafe_b64encode(name.encode()).decode()
        return OBJ_META_PRE_TEMPLATE.format(bucket=self._bucket, obj=encoded)

    async def _purge(self, js: JetStreamContext, chunk_subject: str) -> None:
        stream = OBJ_STREAM_TEMPLATE.format(bucket=self._bucket)
        try:
            await js.purge_stream(stream, subject=chunk_subject)
        except Exception as error:  # NATS gone: the bucket's TTL removes the chunks
            log.warning("could not purge a partial file", error=repr(error))


def too_large(max_bytes: int) -> TooLarge:
    """The error for a file above ``max_bytes``, in French."""
    return TooLarge(
        f"Le fichier dépasse la taille maximale acceptée ({_megabytes(max_bytes)}).",
        max_bytes=max_bytes,
    )


def _megabytes(size: int) -> str:
    megabytes = size / 1_000_000
    shown = f"{megabytes:.0f}" if megabytes >= 10 else f"{megabytes:.1f}".replace(".", ",")
    return f"{shown} Mo"
