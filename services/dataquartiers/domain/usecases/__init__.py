"""Use cases of the Pôle Data et Quartiers: computations whose results become datasets.

Each module is pure (no I/O): it takes published values (the heatwave index) or the bytes of a
documented input file (residential flows, employment and mobility) and returns a
:class:`UseCaseResult`: raw result values, as an upload would, plus French notes. The handler
keeps them as a draft dataset; publishing it goes through statistical secrecy like any other
dataset. Method notes (French): ``docs/usecases/``.

Shares computed from individual records (profiles) are protected here first, within the
profile, by :func:`profile_shares`: publication applies secrecy table by table (one indicator
and vintage) and cannot see that the shares of one profile sum to 100 %.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from services.dataquartiers.domain.ingest import RowError, Value
from services.dataquartiers.domain.secrecy import Cell, Relation, SecrecyRule, protect

SMALL_COUNTS = SecrecyRule.count(11)
"""The rule the profiles of individual records follow: fewer than 11 people → hidden."""

_TOTAL = "total"


@dataclass
class UseCaseResult:
    """What a use case computed: result values (raw, to be kept as a draft) and French notes
    (inputs missing or hidden, rows refused). ``refused``: nothing could be computed."""

    values: list[Value] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    read: int = 0
    refused: bool = False

    @property
    def indicators(self) -> list[str]:
        return sorted({value.indicator for value in self.values})

    @property
    def vintages(self) -> list[int]:
        return sorted({value.vintage for value in self.values})

    @property
    def territories(self) -> int:
        return len({value.territory for value in self.values})


@dataclass(frozen=True, slots=True)
class Share:
    """A share (%) of a profile and the count to publish it with: ``base`` is the category's
    count when it may be shown or is hidden by the primary rule, None when the secondary
    suppression of the profile hides it (publication then hides it "par précaution")."""

    category: str
    percent: float
    base: float | None


def profile_shares(
    total: int, partitions: Sequence[Mapping[str, int]], rule: SecrecyRule = SMALL_COUNTS
) -> dict[str, Share]:
    """Shares of ``total`` by category, each partition (age bands, activity…) summing to it.

    Secrecy within the profile, through :func:`.secrecy.protect`: a category below the rule's
    threshold is hidden (primary), and each partition is a complete relation ``total = sum of
    its categories`` (the total is published), so a second category is hidden when one alone
    would be recomputable (secondary).
    """
    cells = [Cell(_TOTAL, float(total), base=float(total))]
    relations = []
    for partition in partitions:
        cells += [Cell(key, float(count), base=float(count)) for key, count in partition.items()]
        relations.append(Relation(_TOTAL, tuple(partition), complete=True))
    disclosed = protect(cells, relations, rule, additive=True)
    shares: dict[str, Share] = {}
    for partition in partitions:
        for key, count in partition.items():
            percent = 100.0 * count / total if total else 0.0
            disclosure = disclosed[key]
            base = float(count) if not disclosure.suppressed or disclosure.primary else None
            shares[key] = Share(key, round(percent, 2), base)
    return shares


def records(data: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]], str] | str:
    """A CSV file's header (column keys) and its records with their line numbers, or the French
    reason it cannot be read. UTF-8 or Windows-1252, ``;`` or ``,``; lines starting with ``#``
    (the « données synthétiques » label) and blank lines are skipped."""
    for encoding in ("utf-8-sig", "windows-1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - windows-1252 decodes nearly anything
        return "encodage non reconnu : enregistrez le fichier en CSV UTF-8"
    lines = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        return "fichier vide"
    first = lines[0][1]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    header = [key.strip().lower() for key in next(csv.reader([first], delimiter=delimiter))]

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, line in lines[1:]:
            record = next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
            yield number, [cell.strip() for cell in record]

    return header, rows(), delimiter


def missing_columns(header: Sequence[str], required: Sequence[str]) -> str | None:
    absent = [name for name in required if name not in header]
    if absent:
        return "colonnes absentes : " + ", ".join(absent) + " (voir le schéma dans la note)"
    return None
