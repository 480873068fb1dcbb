"""Use cases about exports of filtered lists of people and organisations as CSV or XLSX files.

The list is read page by page, each page in a short unit of work of its own (SQLite serialises
units of work: one long one would hold up every write for the whole export), in the search's
order. Rows are built and written in a worker thread into a temporary file, so memory stays
bounded and the service keeps answering; the finished file is streamed into the object store,
and the reply names it. Whoever asked reads it and deletes it; the bucket's TTL removes it
otherwise.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from contracts.members import ExportedFileV1, ExportOrganisationsV1, ExportPeopleV1
from services.members.domain import exports
from services.members.domain.exports import Cell, Column
from services.members.sheets import SheetFile, SheetFormat
from services.members.store import UowFactory
from services.members.store.exports import Cursor
from services.runtime.errors import DomainError
from services.runtime.files import CHUNK_SIZE, StoredFile
from services.runtime.logging import get_logger

log = get_logger("reso.members")

PAGE_ROWS = 5000
"""Records read per unit of work: each page sorts the matching records again (keyset, no
index on the sort key), so larger pages mean fewer passes; 5,000 lines stay a few MB."""

L = TypeVar("L")


class FileSink(Protocol):
    """Where finished files wait for their reader (``services.runtime.files.Files``)."""

    async def put(self, chunks: AsyncIterable[bytes], *, max_bytes: int) -> StoredFile:
        """Store ``chunks`` as a new file; returns its name and size."""
        ...


async def export_people(
    query: ExportPeopleV1, uow: UowFactory, files: FileSink, *, max_rows: int
) -> ExportedFileV1:
    """Write every person the filter matches (erased people never; archived ones only when the
    filter asks) with their current ties, membership of the filter's year (else this year)
    and networks."""
    today = datetime.now(UTC).date()
    year = query.filter.membership_year or today.year
    async with uow() as work:
        total = await work.exports.count_people(query.filter, today=today)
    _check_length(total, max_rows)

    async def page(after: Cursor | None) -> tuple[list[exports.PersonLine], Cursor | None]:
        async with uow() as work:
            return await work.exports.people_page(
                query.filter, today=today, year=year, after=after, limit=PAGE_ROWS
            )

    columns = exports.people_columns(year)
    exported = await _export(
        query.format, "Personnes", columns, _pages(page), exports.person_row, files
    )
    log.info("people exported", rows=exported.rows, format=query.format, by=query.by)
    return exported


async def export_organisations(
    query: ExportOrganisationsV1, uow: UowFactory, files: FileSink, *, max_rows: int
) -> ExportedFileV1:
    """Write every organisation the filter matches (archived ones only when the filter asks)
    with its membership of the filter's year (else this year): status, dues, paid, receipt."""
    today = datetime.now(UTC).date()
    year = query.filter.membership_year or today.year
    async with uow() as work:
        total = await work.exports.count_organisations(query.filter, today=today)
    _check_length(total, max_rows)

    async def page(after: Cursor | None) -> tuple[list[exports.OrganisationLine], Cursor | None]:
        async with uow() as work:
            return await work.exports.organisations_page(
                query.filter, today=today, year=year, after=after, limit=PAGE_ROWS
            )

    columns = exports.organisations_columns(year)
    exported = await _export(
        query.format, "Organisations", columns, _pages(page), exports.organisation_row, files
    )
    log.info("organisations exported", rows=exported.rows, format=query.format, by=query.by)
    return exported


def _check_length(total: int, max_rows: int) -> None:
    if total > max_rows:
        raise DomainError(
            f"La liste compte {_number(total)} lignes, au-delà des {_number(max_rows)} qu'un "
            "export peut contenir : affinez le filtre (territoire, type, adhésion…).",
            rows=total,
            max_rows=max_rows,
        )


async def _pages(
    page: Callable[[Cursor | None], Awaitable[tuple[list[L], Cursor | None]]],
) -> AsyncIterator[list[L]]:
    after: Cursor | None = None
    while True:
        lines, after = await page(after)
        if lines:
            yield lines
        if after is None:
            return


async def _export(
    format: SheetFormat,
    title: str,
    columns: Sequence[Column],
    pages: AsyncIterator[list[L]],
    row: Callable[[L], list[Cell]],
    files: FileSink,
) -> ExportedFileV1:
    """Write the rows into a temporary file (in a worker thread), then stream it into the
    object store."""
    sheet = await asyncio.to_thread(SheetFile, format, title, columns)
    try:
        async for lines in pages:
            await asyncio.to_thread(_add, sheet, lines, row)
        await asyncio.to_thread(sheet.finish)

        async def chunks() -> AsyncIterator[bytes]:
            while chunk := await asyncio.to_thread(sheet.read, CHUNK_SIZE):
                yield chunk

        stored = await files.put(chunks(), max_bytes=sys.maxsize)
    finally:
        sheet.close()
    return ExportedFileV1(file=stored.name, format=format, size=stored.size, rows=sheet.rows)


def _add(sheet: SheetFile, lines: list[L], row: Callable[[L], list[Cell]]) -> None:
    sheet.add(row(line) for line in lines)


def _number(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")  # French thousands: a narrow no-break space
