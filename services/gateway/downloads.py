"""Exports of filtered lists as file downloads: the service writes the file into the object
store and answers its name; the gateway streams it to the client (never holding it whole) and
deletes it once sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import anyio
from fastapi import Request
from fastapi.responses import StreamingResponse

from contracts.base import Query
from contracts.members import ExportedFileV1, ExportFormat
from services.gateway.settings import GatewaySettings
from services.runtime.files import Files
from services.runtime.rpc import RpcClient

PARIS = ZoneInfo("Europe/Paris")

MEDIA_TYPES: dict[ExportFormat, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment named after the list and today's date.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
"""OpenAPI of an export route's answer."""


async def download(
    request: Request, rpc: RpcClient, files: Files, query: Query, *, format: ExportFormat, stem: str
) -> StreamingResponse:
    """Ask for the export, then stream the file it wrote as ``<stem>-AAAA-MM-JJ.<format>``.

    The file is deleted once sent, or when the client goes away; the bucket's TTL removes it if
    the gateway stops meanwhile, or when the service finishes after the gateway gave up waiting
    (``RESO_GATEWAY_EXPORT_TIMEOUT_SECONDS``).
    """
    settings: GatewaySettings = request.app.state.settings
    exported = await rpc.call(query, ExportedFileV1, timeout=settings.export_timeout_seconds)
    today = datetime.now(PARIS).date().isoformat()
    return await stored_file_response(
        files,
        exported.file,
        size=exported.size,
        media_type=MEDIA_TYPES[format],
        filename=f"{stem}-{today}.{format}",
    )


async def stored_file_response(
    files: Files, name: str, *, size: int, media_type: str, filename: str
) -> StreamingResponse:
    """Stream the object-store file ``name`` as an attachment ``filename`` (ASCII), deleting it
    once sent or when the client goes away."""
    chunks = files.stream(name)
    try:
        first = await anext(chunks, b"")  # a file already gone is an error answer, not a body
    except BaseException:
        await files.delete(name)
        raise

    async def body() -> AsyncIterator[bytes]:
        try:
            yield first
            async for chunk in chunks:
                yield chunk
        finally:
            with anyio.CancelScope(shield=True):  # also when the client went away
                await chunks.aclose()
                await files.delete(name)

    return StreamingResponse(
        body(),
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Length": str(size),
        },
    )
