"""Reading indicator files as INSEE and partners send them: the pure part of ingestion.

:func:`parse` reads the bytes of a CSV file and returns an :class:`IngestReport`: the valid
values, typed, and every refused row with its line number and the reason in French. Nothing is
written, so parsing *is* the validation report; the store then bulk-loads ``report.values``, or,
for large files, parse hands the values to a ``sink`` in batches as it goes (the report then
keeps only their count, indicators, vintages and territories), so a million values are never
all in memory at once.

Accepted files:

- encoding: UTF-8 (with or without BOM), else Windows-1252;
- separator: ``;``, ``,`` or tab, guessed from the header line; decimal commas (``12,5``),
  spaces as thousands separators (``1 234``);
- **long layout**, one value per row: a territory column, an indicator column, a value column,
  and optionally vintage, level, unit, base (the count behind the value) and largest (the
  largest unit's contribution, for business data) columns;
- **wide layout**, one row per territory and one column per indicator (columns named as in the
  catalogue: ``popMuniQPV``, ``taux_pauvrete_60%``…), the vintage in a column or given with
  the upload. Other columns (names, department) are ignored, with a notice.

A territory's level is read from a level column (``COM``, ``DEP``, ``REG``…) or guessed from the
code (see :func:`.territories.guess_level`). Line numbers are physical lines, header = 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import astuple, dataclass, field
from typing import TYPE_CHECKING

from reference import Territories, TerritoryError
from services.dataquartiers.domain.catalogue import Catalogue, Indicator, column_key
from services.dataquartiers.domain.territories import LEVEL_ALIASES, TerritoryRef, resolve

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

PROGRESS_EVERY = 10_000
"""Lines between two progress calls."""

SINK_BATCH = 20_000
"""Values per call of a ``sink``."""

_DELIMITERS = (";", ",", "\t")  # on a tie the first wins: French Excel writes ";"
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_MIN_VINTAGE, _MAX_VINTAGE = 1960, 2100


def _names(*aliases: str) -> frozenset[str]:
    return frozenset(column_key(alias) for alias in aliases)


_TERRITORY = _names(
    "territoire", "code_territoire", "codgeo", "code_geo", "code", "code_qp", "code_qpv",
    "qpv", "code_insee", "code_commune", "territory",
)  # fmt: skip
_LEVEL = _names("niveau", "niveau_geo", "niv_geo", "echelon", "échelon", "level", "type_territoire")
_INDICATOR = _names("indicateur", "variable", "indicator", "code_indicateur")
_VINTAGE = _names("millesime", "millésime", "annee", "année", "vintage", "an")
_VALUE = _names("valeur", "value", "val")
_UNIT = _names("unite", "unité", "unit")
_BASE = _names("base", "effectif", "effectif_sous_jacent", "nb_unites", "unites")
_LARGEST = _names("plus_grande_unite", "plus_grande_contribution", "largest", "max_unite")


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with one record; ``line`` is where it starts in the file (header = 1)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"ligne {self.line} : {self.reason}"


@dataclass(frozen=True, slots=True)
class Value:
    """One raw value of an indicator for a territory and a vintage."""

    line: int
    territory: TerritoryRef
    indicator: str
    vintage: int
    value: float
    base: float | None = None
    largest: float | None = None


@dataclass
class IngestReport:
    """What a file holds. ``refused``: a file-level error, no value was read."""

    encoding: str = ""
    delimiter: str = ""
    layout: str = ""  # "long" or "wide"
    read: int = 0
    values: list[Value] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    empty_cells: int = 0
    refused: bool = False
    kept: int = 0
    """Valid values read: ``len(values)``, or what went to the sink."""
    seen_indicators: set[str] = field(default_factory=set, repr=False)
    seen_vintages: set[int] = field(default_factory=set, repr=False)
    seen_territories: set[TerritoryRef] = field(default_factory=set, repr=False)

    @property
    def indicators(self) -> list[str]:
        return sorted(self.seen_indicators)

    @property
    def vintages(self) -> list[int]:
        return sorted(self.seen_vintages)

    @property
    def territories(self) -> int:
        """How many territories the valid values cover."""
        return len(self.seen_territories)

    def summary(self) -> str:
        """One French sentence, e.g. "80 lignes lues, 1 027 valeurs valides, 2 erreurs"."""
        if self.refused:
            return "fichier refusé : " + " ; ".join(error.reason for error in self.errors)
        parts = [
            _count(self.read, "ligne lue", "lignes lues"),
            _count(self.kept, "valeur valide", "valeurs valides"),
            _count(len(self.errors), "erreur", "erreurs"),
        ]
        if self.empty_cells:
            parts.append(_count(self.empty_cells, "case vide", "cases vides"))
        return ", ".join(parts)


Progress = Callable[[int], None]
"""Called with the number of lines read so far, every :data:`PROGRESS_EVERY` lines."""

Sink = Callable[[list[Value]], None]
"""Receives the valid values in batches of :data:`SINK_BATCH` (the last one smaller); an
exception it raises stops the parse and propagates."""


def parse(
    data: bytes,
    catalogue: Catalogue,
    ref: Territories,
    *,
    vintage: int | None = None,
    progress: Progress | None = None,
    sink: Sink | None = None,
) -> IngestReport:
    """Read an indicator file; ``vintage`` applies to rows whose file has no vintage column.

    Without ``sink`` the valid values are in ``report.values``; with one, they go to it in
    batches as they are read and ``report.values`` stays empty (``report.kept`` counts them).
    """
    report = IngestReport()
    if data.startswith(b"PK\x03\x04"):
        return _refuse(report, 1, "classeur Excel ou OpenDocument : enregistrez-le en CSV")
    decoded = _decode(data)
    if decoded is None:
        return _refuse(report, 1, "encodage non reconnu : enregistrez le fichier en CSV UTF-8")
    text, report.encoding = decoded
    first_line = next((line for line in io.StringIO(text) if line.strip()), "")
    delimiter = max(_DELIMITERS, key=lambda d: len(next(csv.reader([first_line], delimiter=d))))
    report.delimiter = delimiter
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    if header is None:
        return _refuse(report, 1, "fichier vide")
    keys = [column_key(title) for title in header]
    reading = _Reading(report, catalogue, ref, vintage, progress, sink)

    def find(names: frozenset[str]) -> int | None:
        return next((i for i, key in enumerate(keys) if key in names), None)

    territory = find(_TERRITORY)
    if territory is None:
        return _refuse(
            report, reader.line_num, "colonne absente : code du territoire (codgeo, code_qp…)"
        )
    level, vintage_column = find(_LEVEL), find(_VINTAGE)
    if vintage_column is None and vintage is None:
        return _refuse(
            report,
            reader.line_num,
            "millésime absent : ajoutez une colonne « millésime » ou indiquez-le à l'envoi",
        )
    indicator, value = find(_INDICATOR), find(_VALUE)
    if indicator is not None and value is not None:
        report.layout = "long"
        columns = _LongColumns(
            territory, level, vintage_column, indicator, value,
            find(_UNIT), find(_BASE), find(_LARGEST),
        )  # fmt: skip
        used: set[int | None] = set(astuple(columns))
        reading.notice_ignored(header, used)
        for line, record in _records(reader, report, progress):
            reading.long_row(line, record, columns)
        reading.flush()
    else:
        report.layout = "wide"
        indicators: dict[int, Indicator] = {}
        for index, title in enumerate(header):
            found = catalogue.by_column(title)
            if found is not None and index not in (territory, level, vintage_column):
                indicators[index] = found
        if not indicators:
            return _refuse(
                report,
                reader.line_num,
                "aucune colonne d'indicateur connue du catalogue, et pas de colonnes "
                "« indicateur » et « valeur » (format long)",
            )
        reading.notice_ignored(header, {territory, level, vintage_column, *indicators})
        for line, record in _records(reader, report, progress):
            reading.wide_row(line, record, territory, level, vintage_column, indicators)
        reading.flush()
    return report


@dataclass(frozen=True, slots=True)
class _LongColumns:
    territory: int
    level: int | None
    vintage: int | None
    indicator: int
    value: int
    unit: int | None
    base: int | None
    largest: int | None


class _Reading:
    """The state of one parse: caches of territories, the duplicates seen so far."""

    def __init__(
        self,
        report: IngestReport,
        catalogue: Catalogue,
        ref: Territories,
        vintage: int | None,
        progress: Progress | None,
        sink: Sink | None = None,
    ) -> None:
        self.report = report
        self.sink = sink
        self.batch: list[Value] = report.values if sink is None else []
        self.catalogue = catalogue
        self.ref = ref
        self.vintage = vintage
        self.progress = progress
        self.territories: dict[tuple[str, str], TerritoryRef | str] = {}
        self.seen: dict[tuple[TerritoryRef, str, int], int] = {}  # long layout: per value
        self.rows: dict[tuple[TerritoryRef, int], int] = {}  # wide layout: per row

    def notice_ignored(self, header: list[str], used: set[int | None]) -> None:
        for index, title in enumerate(header):
            if index not in used and title.strip():
                self.report.notices.append(f"colonne ignorée : « {title.strip()} »")

    def wide_row(
        self,
        line: int,
        record: list[str],
        territory_at: int,
        level_at: int | None,
        vintage_at: int | None,
        indicators: dict[int, Indicator],
    ) -> None:
        problems: list[str] = []
        territory = self.territory(_cell(record, territory_at), _cell(record, level_at), problems)
        vintage = self.vintage_of(_cell(record, vintage_at) if vintage_at is not None else None)
        if isinstance(vintage, str):
            problems.append(vintage)
        if problems:
            self.report.errors.extend(RowError(line, problem) for problem in problems)
            return
        assert territory is not None and isinstance(vintage, int)
        first = self.rows.setdefault((territory, vintage), line)
        if first != line:  # one key per row, not per value: a wide file's values are many
            self.report.errors.append(
                RowError(line, f"doublon : {territory.code} {vintage} déjà donné ligne {first}")
            )
            return
        for index, indicator in indicators.items():
            raw = _cell(record, index)
            if not raw:
                self.report.empty_cells += 1
                continue
            self.add(line, territory, indicator, vintage, raw, None, None, None, per_value=False)

    def long_row(self, line: int, record: list[str], columns: _LongColumns) -> None:
        problems: list[str] = []
        territory = self.territory(
            _cell(record, columns.territory), _cell(record, columns.level), problems
        )
        vintage = self.vintage_of(
            _cell(record, columns.vintage) if columns.vintage is not None else None
        )
        if isinstance(vintage, str):
            problems.append(vintage)
        name = _cell(record, columns.indicator)
        indicator = self.catalogue.by_column(name) if name else None
        if indicator is None:
            problems.append(
                f"indicateur inconnu du catalogue : « {name} »" if name else "indicateur absent"
            )
        raw = _cell(record, columns.value)
        if not raw and not problems:
            self.report.empty_cells += 1
            return
        if problems:
            self.report.errors.extend(RowError(line, problem) for problem in problems)
            return
        assert territory is not None and indicator is not None and isinstance(vintage, int)
        self.add(
            line,
            territory,
            indicator,
            vintage,
            raw,
            _cell(record, columns.unit),
            _cell(record, columns.base),
            _cell(record, columns.largest),
        )

    def add(
        self,
        line: int,
        territory: TerritoryRef,
        indicator: Indicator,
        vintage: int,
        raw: str,
        unit: str | None,
        raw_base: str | None,
        raw_largest: str | None,
        *,
        per_value: bool = True,
    ) -> None:
        """Check and keep one value; ``per_value``: look for duplicates value by value (the
        wide layout checks whole rows instead)."""
        problems: list[str] = []
        value = number(raw)
        if value is None:
            problems.append(f"« {raw} » n'est pas un nombre ({indicator.id})")
        if unit and column_key(unit) != column_key(indicator.unit):
            problems.append(
                f"unité « {unit} » au lieu de « {indicator.unit} » attendue pour {indicator.id}"
            )
        elif value is not None and indicator.is_rate and not 0 <= value <= 100:
            problems.append(
                f"{raw} hors de 0 à 100 : {indicator.id} est en % (une part de 0 à 1 ?)"
            )
        elif value is not None and indicator.additive and value < 0:
            problems.append(f"{raw} négatif : {indicator.id} est un effectif ({indicator.unit})")
        if territory.level not in indicator.levels:
            problems.append(f"{indicator.id} n'existe pas à l'échelon {territory.level.label}")
        base = largest = None
        for raw_extra, label in ((raw_base, "effectif"), (raw_largest, "plus grande unité")):
            if raw_extra:
                extra = number(raw_extra)
                if extra is None or extra < 0:
                    problems.append(f"{label} « {raw_extra} » n'est pas un nombre positif")
                elif label == "effectif":
                    base = extra
                else:
                    largest = extra
        key = (territory, indicator.id, vintage)
        first = self.seen.get(key) if per_value else None
        if first is not None:
            problems.append(
                f"doublon : {indicator.id} {vintage} pour {territory.code} déjà donné ligne {first}"
            )
        if problems:
            self.report.errors.extend(RowError(line, problem) for problem in problems)
            return
        assert value is not None
        if per_value:
            self.seen[key] = line
        self.batch.append(Value(line, territory, indicator.id, vintage, value, base, largest))
        report = self.report
        report.kept += 1
        report.seen_indicators.add(indicator.id)
        report.seen_vintages.add(vintage)
        report.seen_territories.add(territory)
        if self.sink is not None and len(self.batch) >= SINK_BATCH:
            self.flush()

    def flush(self) -> None:
        """Hand the values read since the last call to the sink."""
        if self.sink is not None and self.batch:
            batch, self.batch = self.batch, []
            self.sink(batch)

    def territory(self, code: str, level_name: str, problems: list[str]) -> TerritoryRef | None:
        if not code:
            problems.append("code du territoire absent")
            return None
        cache_key = (code, level_name)
        known = self.territories.get(cache_key)
        if known is None:
            level = None
            if level_name:
                level = LEVEL_ALIASES.get(level_name.strip().lower())
                if level is None:
                    known = f"niveau géographique inconnu : « {level_name} »"
            if known is None:
                try:
                    known = resolve(self.ref, code, level)
                except TerritoryError as error:
                    known = str(error)
            self.territories[cache_key] = known
        if isinstance(known, str):
            problems.append(known)
            return None
        return known

    def vintage_of(self, raw: str | None) -> int | str:
        """The vintage (a year), or the French reason it is not one."""
        if raw is None:
            assert self.vintage is not None
            return self.vintage
        text = raw.strip()
        if not text:
            return "millésime absent"
        if not text.isdigit() or not _MIN_VINTAGE <= int(text) <= _MAX_VINTAGE:
            return f"millésime invalide : « {text} » (une année, ex. 2021)"
        return int(text)


def number(raw: str) -> float | None:
    """A French or English number: ``1 234,5``, ``1234.5``, ``1.234,5``; None if it is not one."""
    text = _SPACES.sub("", raw)
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    else:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _cell(record: list[str], index: int | None) -> str:
    if index is None or index >= len(record):
        return ""
    return record[index].strip()


def _records(
    reader: CsvReader, report: IngestReport, progress: Progress | None
) -> Iterator[tuple[int, list[str]]]:
    """Each record that is not blank, with the line it starts on; unreadable ones are errors."""
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            if progress is not None:
                progress(reader.line_num)
            return
        except csv.Error:
            report.read += 1
            report.errors.append(RowError(line, "guillemets mal placés ou jamais refermés"))
            continue
        if any(cell.strip() for cell in record):
            report.read += 1
            if progress is not None and report.read % PROGRESS_EVERY == 0:
                progress(reader.line_num)
            yield line, record


def _decode(data: bytes) -> tuple[str, str] | None:
    """The text and its encoding: UTF-16 with a BOM, UTF-8 (BOM or not), else Windows-1252."""
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "windows-1252"):
        try:
            return data.decode(encoding), encoding.removesuffix("-sig")
        except UnicodeDecodeError:
            continue
    return None


def _refuse(report: IngestReport, line: int, reason: str) -> IngestReport:
    report.refused = True
    report.errors.append(RowError(line, reason))
    return report


def _count(value: int, one: str, many: str) -> str:
    shown = f"{value:,}".replace(",", "\u202f")
    return f"{shown} {one if value <= 1 else many}"
