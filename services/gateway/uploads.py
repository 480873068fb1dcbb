"""Imports of CSV files: the request body is streamed into the object store (never held whole
in memory), the service is asked by RPC with the file's name and answers a report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from contracts.base import Command, Reply
from contracts.members import ImportReportV1
from services.gateway.errors import ApiError
from services.gateway.settings import GatewaySettings
from services.runtime.files import Files, too_large
from services.runtime.rpc import RpcClient, RpcError

MB = 1_000_000
BASE_TIMEOUT_SECONDS = 60

CSV_BODY = {
    "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
}
"""OpenAPI of an import route's body: the CSV file itself."""


def _files(request: Request) -> Files:
    files: Files = request.app.state.files
    return files


R = TypeVar("R", bound=Reply)

UploadedFiles = Annotated[Files, Depends(_files)]
"""A route parameter of this type gets the object store of uploaded files."""


def import_timeout(size: int, settings: GatewaySettings) -> float:
    """How long to wait for an import's report: 60 s plus ``import_seconds_per_mb`` per MB."""
    return BASE_TIMEOUT_SECONDS + settings.import_seconds_per_mb * size / MB


async def import_file(
    request: Request,
    rpc: RpcClient,
    files: Files,
    command: Callable[[str], Command],
    reply: type[R] = ImportReportV1,  # type: ignore[assignment]
) -> R:
    """Store the request body as a file, send ``command(file name)``, return the report.

    413 above ``RESO_GATEWAY_UPLOAD_MAX_BYTES`` (at once when the request declares its length),
    422 for an empty body. When the service cannot be reached the file is deleted at once;
    otherwise the service deletes it, and the bucket's TTL catches what is left.
    """
    settings: GatewaySettings = request.app.state.settings
    limit = settings.upload_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    stored = await files.put(request.stream(), max_bytes=limit)
    if stored.size == 0:
        await files.delete(stored.name)
        raise ApiError(422, "invalid", "Le fichier est vide.")
    try:
        return await rpc.call(
            command(stored.name), reply, timeout=import_timeout(stored.size, settings)
        )
    except RpcError as error:
        if error.error.code == "unavailable":
            await files.delete(stored.name)
        raise
