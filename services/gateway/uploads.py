"""Imports of CSV files: the request body (API) or the form's file (back-office pages) is
streamed into the object store (never held whole in memory), the service is asked by RPC with
the file's name and answers a report."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import Depends, Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from contracts.base import Command, Reply
from contracts.members import ImportReportV1
from services.gateway.errors import ApiError
from services.gateway.settings import GatewaySettings
from services.runtime.errors import TooLarge
from services.runtime.files import Files, StoredFile, too_large
from services.runtime.rpc import RpcClient, RpcError

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

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


# --- files sent by a form of the back office (multipart/form-data) ----------------------------

FORM_FIELD_MAX_BYTES = 10_000
"""Largest text field of an upload form: the form's fields are held in memory, its file not."""
FORM_FIELDS_MAX = 20
FORM_OVERHEAD_BYTES = 64 * 1024
"""What a form may add to its file (fields, part headers) before its length alone refuses it."""


class UploadRefused(Exception):
    """A form's file (or the form itself) refused before reaching the service: ``field`` is the
    form field the French ``message`` belongs to; ``status`` the HTTP status to answer."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


@dataclass(frozen=True)
class FormUpload:
    """A form's text fields and its file, streamed into the object store as it came."""

    fields: dict[str, str]
    file: StoredFile
    filename: str


FileCheck = Callable[[str, str], str | None]
"""``(file name, content type) -> French refusal or None``, checked before any byte is kept."""


async def form_upload(
    request: Request,
    files: Files,
    *,
    file_field: str,
    max_bytes: int,
    check: FileCheck | None = None,
) -> FormUpload:
    """Read a ``multipart/form-data`` request: its text fields (small, in memory) and the file of
    ``file_field`` streamed into the object store chunk by chunk as the body arrives, never
    held whole. The caller sends the file's name to a service, which deletes it once read.

    Raises :class:`UploadRefused` (tied to ``file_field`` unless the form itself is bad) for a
    body declared too large, a file above ``max_bytes`` (413), a file ``check`` refuses, no
    file or an empty one; what was stored is then purged.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + FORM_OVERHEAD_BYTES:
        raise UploadRefused(file_field, str(too_large(max_bytes)), 413)
    _, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if not boundary:
        raise UploadRefused("", "Formulaire illisible : envoyez-le de nouveau.")
    form = _FormReader(file_field, check)
    parser = MultipartParser(boundary, form.callbacks())

    async def file_chunks() -> AsyncIterator[bytes]:
        async for chunk in request.stream():
            try:
                parser.write(chunk)
            except FormParserError:
                raise UploadRefused("", "Formulaire illisible : envoyez-le de nouveau.") from None
            if form.refusal is not None:
                raise form.refusal
            if form.pending:
                data, form.pending = bytes(form.pending), bytearray()
                yield data
        parser.finalize()

    try:
        stored = await files.put(file_chunks(), max_bytes=max_bytes)
    except TooLarge as error:
        raise UploadRefused(file_field, str(error), 413) from None
    if not form.seen_file or stored.size == 0:
        await files.delete(stored.name)
        message = "Le fichier choisi est vide." if form.filename else "Choisissez un fichier."
        raise UploadRefused(file_field, message)
    return FormUpload(form.fields, stored, form.filename)


class _FormReader:
    """python-multipart callbacks: text fields into ``fields``, the file's bytes into
    ``pending`` (drained after each chunk of the body)."""

    def __init__(self, file_field: str, check: FileCheck | None) -> None:
        self.file_field = file_field
        self.check = check
        self.fields: dict[str, str] = {}
        self.pending = bytearray()
        self.filename = ""
        self.seen_file = False
        self.refusal: UploadRefused | None = None
        self._name = ""
        self._is_file = False
        self._data = bytearray()
        self._header = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}
        self._parts = 0

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._begin,
            "on_part_data": self._part_data,
            "on_part_end": self._end,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
        }

    def _refuse(self, field: str, message: str) -> None:
        if self.refusal is None:
            self.refusal = UploadRefused(field, message)

    def _begin(self) -> None:
        self._headers, self._data, self._is_file = {}, bytearray(), False
        self._parts += 1
        if self._parts > FORM_FIELDS_MAX:
            self._refuse("", "Formulaire illisible : trop de champs.")

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header.lower()] = self._value
        self._header = self._value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        self._is_file = self._name == self.file_field and b"filename" in options
        if not self._is_file:
            return
        if self.seen_file:
            self._refuse(self.file_field, "Envoyez un seul fichier à la fois.")
            return
        self.seen_file = True
        self.filename = options[b"filename"].decode("utf-8", "replace")
        content_type = self._headers.get(b"content-type", b"").decode("latin-1").strip()
        refusal = self.check(self.filename, content_type) if self.check and self.filename else None
        if refusal is not None:
            self._refuse(self.file_field, refusal)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.pending += data[start:end]
            return
        self._data += data[start:end]
        if len(self._data) > FORM_FIELD_MAX_BYTES:
            self._refuse(self._name, "Ce champ est trop long.")

    def _end(self) -> None:
        if not self._is_file and self._name:
            self.fields[self._name] = self._data.decode("utf-8", "replace")
