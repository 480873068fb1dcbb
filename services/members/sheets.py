"""Spreadsheet files of exported lists, written to a temporary file so memory stays bounded.

- **CSV** as French offices open it: UTF-8 with a BOM (so Excel reads the accents), ``;``
  between fields, CRLF line ends, dates ``JJ/MM/AAAA``, amounts with a decimal comma.
- **XLSX** through XlsxWriter in ``constant_memory`` mode (each row goes to disk once written):
  text cells are always written as text, dates as date cells, amounts as numbers in euros.

A value that a spreadsheet would take for a formula (starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return) gets a leading apostrophe in a CSV, as OWASP advises; XLSX text cells
are never formulas, so they keep the value as it is.

Blocking: run these methods in a worker thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Literal, Protocol

import xlsxwriter

from services.members.domain.exports import Cell, Column

SheetFormat = Literal["csv", "xlsx"]

MEDIA_TYPES: dict[SheetFormat, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CENT = Decimal("0.01")


def csv_safe(value: str) -> str:
    """``value``, with a leading apostrophe if a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def csv_text(cell: Cell) -> str:
    """A cell as a French CSV holds it."""
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return f"{cell.quantize(_CENT, rounding=ROUND_HALF_UP)}".replace(".", ",")
    if isinstance(cell, date):
        return cell.strftime("%d/%m/%Y")
    return csv_safe(cell)


class _Writer(Protocol):
    def add(self, row: Sequence[Cell]) -> None: ...

    def close(self) -> None: ...


class SheetFile:
    """A spreadsheet being written into a temporary file; read it back once finished.

    ``add`` rows, ``finish``, then ``read`` the bytes; ``close`` removes the file.
    """

    def __init__(self, format: SheetFormat, title: str, columns: Sequence[Column]) -> None:
        self.format = format
        self.rows = 0
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close)
        self._writer: _Writer = (
            _CsvWriter(self._file, columns)
            if format == "csv"
            else _XlsxWriter(self._file, title, columns)
        )

    def add(self, rows: Iterable[Sequence[Cell]]) -> None:
        for row in rows:
            self._writer.add(row)
            self.rows += 1

    def finish(self) -> int:
        """Complete the file (XLSX: assemble the workbook); returns its size in bytes."""
        self._writer.close()
        size = self._file.seek(0, io.SEEK_END)
        self._file.seek(0)
        return size

    def read(self, size: int) -> bytes:
        return self._file.read(size)

    def close(self) -> None:
        self._file.close()


class _CsvWriter:
    def __init__(self, file: IO[bytes], columns: Sequence[Column]) -> None:
        # utf-8-sig writes the BOM first; the wrapper is detached at the end, not closed.
        self._text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="", write_through=False)
        self._csv = csv.writer(self._text, delimiter=";", lineterminator="\r\n")
        self._csv.writerow(csv_safe(column.header) for column in columns)

    def add(self, row: Sequence[Cell]) -> None:
        self._csv.writerow(csv_text(cell) for cell in row)

    def close(self) -> None:
        self._text.flush()
        self._text.detach()


class _XlsxWriter:
    def __init__(self, file: IO[bytes], title: str, columns: Sequence[Column]) -> None:
        self._workbook = xlsxwriter.Workbook(
            file,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self._sheet = self._workbook.add_worksheet(title)
        self._date = self._workbook.add_format({"num_format": "dd/mm/yyyy"})
        self._euros = self._workbook.add_format({"num_format": '#,##0.00 "€"'})
        header = self._workbook.add_format({"bold": True})
        for index, column in enumerate(columns):
            self._sheet.set_column(index, index, column.width)
            self._sheet.write_string(0, index, column.header, header)
        self._sheet.freeze_panes(1, 0)
        self._width = len(columns)
        self._row = 0

    def add(self, row: Sequence[Cell]) -> None:
        self._row += 1
        for index, cell in enumerate(row):
            if cell is None or cell == "":
                continue
            if isinstance(cell, Decimal):
                self._sheet.write_number(self._row, index, float(cell), self._euros)
            elif isinstance(cell, date):
                self._sheet.write_datetime(self._row, index, cell, self._date)
            else:
                self._sheet.write_string(self._row, index, cell)

    def close(self) -> None:
        self._sheet.autofilter(0, 0, self._row, self._width - 1)
        self._workbook.close()
