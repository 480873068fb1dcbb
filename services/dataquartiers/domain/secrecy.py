"""Statistical secrecy: which values of a table may leave the service, and why the others may not.

Pure: a table of raw cells (one indicator, one vintage, many territories) and the additive
relations between its territories go in; what may be published comes out, each hidden cell as
``"s"`` with its reason in French. Nothing else in the service publishes a value.

**Primary suppression** (the rule is part of the indicator's catalogue entry):

- ``fiscal``: a cell whose count of households behind it is below ``min_count`` (11);
- ``business``: fewer than ``min_count`` units (3), or one unit above ``dominance`` (85 %) of
  the total;
- ``count``: a cell whose underlying count is below ``min_count`` (e.g. small counts of
  recipients);
- ``none``: open data published as is (population counts, social housing stock).

A cell whose underlying count is unknown when the rule needs it is hidden too (precaution).

**Secondary suppression** (additive indicators only; rates and medians are not additive, so the
primary rule on their underlying count is all they get). A relation says ``total = parts +
rest``: a commune and its QPV, an EPCI and its communes, a department and its communes, a region
and its departments. ``rest`` is the part of the total that is not among the parts (the commune
outside its QPV); it is never published, but it is taken as **known to anyone** (other
publications give "hors QPV" figures) unless it is itself sensitive under the primary rule, in
which case it must be protected like a suppressed cell. The algorithm, deterministic:

1. Fixpoint: while a relation has exactly one hidden cell (suppressed, or a sensitive rest), or
   its published total pins hidden parts that sum to zero (values are never negative, so they
   would all be 0), hide one more cell of that relation: the smallest non-zero part, else the
   smallest part, else the total (parts first: hiding a total spreads up the hierarchy). Ties
   go to the smaller key.
2. Check: solve the linear system of every relation over the hidden cells (exact rational
   arithmetic). A hidden cell is recomputable when it is fixed by the published values, i.e.
   when its unit vector lies in the row space of the system. For each such cell, hide the
   smallest published cell of a relation it is in, and go back to 1.

What this guarantees, and no more: no hidden value is the unique solution of the published
relations, and no relation pins hidden cells to zero. It does not guarantee a protection
interval: combined with "no value is negative", a hidden value may still be bounded (a hidden
part is at most its published total minus the other parts). Relations not given here (other
datasets, other vintages, rates combined with their counts) are outside what it can see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

SUPPRESSED = "s"
"""What a hidden cell shows instead of its value."""


class RuleKind(StrEnum):
    NONE = "none"
    FISCAL = "fiscal"
    BUSINESS = "business"
    COUNT = "count"


@dataclass(frozen=True, slots=True)
class SecrecyRule:
    """The primary rule of an indicator: ``kind``, the minimum count, and for business data the
    largest share one unit may hold."""

    kind: RuleKind
    min_count: int = 0
    dominance: float | None = None

    @classmethod
    def fiscal(cls, min_households: int = 11) -> SecrecyRule:
        return cls(RuleKind.FISCAL, min_households)

    @classmethod
    def business(cls, min_units: int = 3, dominance: float = 0.85) -> SecrecyRule:
        return cls(RuleKind.BUSINESS, min_units, dominance)

    @classmethod
    def count(cls, min_count: int) -> SecrecyRule:
        return cls(RuleKind.COUNT, min_count)

    @classmethod
    def none(cls) -> SecrecyRule:
        return cls(RuleKind.NONE)

    def describe(self) -> str:
        """The rule in French, as the catalogue shows it."""
        if self.kind is RuleKind.FISCAL:
            return f"secret fiscal : masqué sous {self.min_count} ménages"
        if self.kind is RuleKind.BUSINESS:
            share = round((self.dominance or 0) * 100)
            return (
                f"secret des affaires : masqué sous {self.min_count} unités ou si une unité "
                f"dépasse {share} % du total"
            )
        if self.kind is RuleKind.COUNT:
            return f"petits effectifs : masqué sous {self.min_count}"
        return "aucun secret statistique (donnée publiée en l'état)"


@dataclass(frozen=True, slots=True)
class Cell:
    """A raw value of one territory.

    ``base`` is the count behind the value (households for fiscal data, units for business
    data, the count for a rate); ``largest`` is the largest unit's contribution to ``value``
    (business data).
    """

    key: str
    value: float
    base: float | None = None
    largest: float | None = None


@dataclass(frozen=True, slots=True)
class Relation:
    """``total = sum(parts) + rest``; ``complete`` when the parts cover the total (no rest)."""

    total: str
    parts: tuple[str, ...]
    complete: bool = False

    @property
    def rest(self) -> str:
        return rest_key(self.total)


@dataclass(frozen=True, slots=True)
class Disclosure:
    """What may leave the service about one cell: its value, or ``"s"`` and the reason."""

    key: str
    value: float | None
    reason: str = ""
    primary: bool = False

    @property
    def shown(self) -> float | str:
        return SUPPRESSED if self.value is None else self.value

    @property
    def suppressed(self) -> bool:
        return self.value is None


def rest_key(total: str) -> str:
    """The key of the unpublished rest of ``total`` (``commune:44109~reste``)."""
    return f"{total}~reste"


def primary_reason(cell: Cell, rule: SecrecyRule) -> str | None:
    """Why ``cell`` must be hidden under ``rule`` (French), or None if it may be published."""
    if rule.kind is RuleKind.NONE:
        return None
    if cell.base is None:
        return "secret statistique : effectif sous-jacent inconnu, valeur masquée par précaution"
    if rule.kind is RuleKind.FISCAL and cell.base < rule.min_count:
        return f"secret statistique (primaire) : moins de {rule.min_count} ménages"
    if rule.kind is RuleKind.COUNT and cell.base < rule.min_count:
        return f"secret statistique (primaire) : effectif inférieur à {rule.min_count}"
    if rule.kind is RuleKind.BUSINESS:
        if cell.base < rule.min_count:
            return f"secret statistique (primaire) : moins de {rule.min_count} unités"
        if (
            rule.dominance is not None
            and cell.largest is not None
            and cell.value > 0
            and cell.largest > rule.dominance * cell.value
        ):
            share = round(rule.dominance * 100)
            return (
                f"secret statistique (primaire) : une unité représente plus de {share} % du total"
            )
    return None


def protect(
    cells: Iterable[Cell],
    relations: Iterable[Relation],
    rule: SecrecyRule,
    *,
    additive: bool,
    describe: Callable[[str], str] = str,
) -> dict[str, Disclosure]:
    """Apply primary then (additive indicators) secondary suppression; one disclosure per cell.

    ``describe`` names a cell in the reasons (French), e.g. ``qpv:QN04407I`` as "le QPV
    QN04407I".

    Relations are reduced to the cells present: a missing part moves into the rest; a relation
    whose total is missing, or with no part present, is dropped (nothing to compute from).
    """
    table = {cell.key: cell for cell in cells}
    keys = sorted(table)
    hidden: dict[str, str] = {}
    primary: set[str] = set()
    for key in keys:
        reason = primary_reason(table[key], rule)
        if reason is not None:
            hidden[key] = reason
            primary.add(key)
    if additive and rule.kind is not RuleKind.NONE:
        _secondary(table, _present(relations, table), rule, hidden, describe)
    return {
        key: Disclosure(key, None, hidden[key], key in primary)
        if key in hidden
        else Disclosure(key, table[key].value)
        for key in keys
    }


# --- secondary suppression --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Equation:
    """``total - sum(parts) - rest = 0`` over the cells it names."""

    total: str
    parts: tuple[str, ...]
    rest: str | None  # None: complete relation, or a rest known to everyone

    @property
    def cells(self) -> tuple[str, ...]:
        return (self.total, *self.parts, *((self.rest,) if self.rest else ()))


def _present(relations: Iterable[Relation], table: Mapping[str, Cell]) -> list[Relation]:
    kept: list[Relation] = []
    for relation in relations:
        if relation.total not in table:
            continue
        parts = tuple(sorted(part for part in set(relation.parts) if part in table))
        complete = relation.complete and len(parts) == len(set(relation.parts))
        if parts:  # without parts the "rest" is the total itself: nothing to compute from
            kept.append(Relation(relation.total, parts, complete))
    return sorted(kept, key=lambda r: r.total)


def _secondary(
    table: dict[str, Cell],
    relations: Sequence[Relation],
    rule: SecrecyRule,
    hidden: dict[str, str],
    describe: Callable[[str], str],
) -> None:
    equations: list[_Equation] = []
    for relation in relations:
        rest = None
        if not relation.complete:
            total = table[relation.total]
            parts = [table[key] for key in relation.parts]
            bases = [c.base for c in (total, *parts)]
            base = (
                None
                if any(b is None for b in bases)
                else (bases[0] or 0) - sum(b or 0 for b in bases[1:])
            )
            value = total.value - sum(p.value for p in parts)
            reason = primary_reason(Cell(relation.rest, value, base), rule)
            if reason is not None:
                # A sensitive rest: never published, and protected like a suppressed cell.
                table[relation.rest] = Cell(relation.rest, value, base)
                hidden[relation.rest] = reason
                rest = relation.rest
        equations.append(_Equation(relation.total, relation.parts, rest))

    while True:
        _fixpoint(table, equations, hidden, describe)
        exposed = recomputable(equations_matrix(equations), set(hidden))
        if not exposed:
            return
        if not _hide_near(sorted(exposed)[0], table, equations, hidden, describe):
            return  # nothing left to hide around it; cannot happen with a published total


def _fixpoint(
    table: Mapping[str, Cell],
    equations: Sequence[_Equation],
    hidden: dict[str, str],
    describe: Callable[[str], str],
) -> None:
    changed = True
    while changed:
        changed = False
        for equation in equations:
            inside = [key for key in equation.cells if key in hidden]
            if not inside:
                continue
            hidden_parts = [key for key in inside if key != equation.total]
            pinned_to_zero = (
                equation.total not in hidden
                and hidden_parts
                and sum(table[key].value for key in hidden_parts) == 0
            )
            if len(inside) == 1 or pinned_to_zero:
                choice = _candidate(table, equation, hidden)
                if choice is not None:
                    hidden[choice] = _protects(inside[0], describe)
                    changed = True


def _candidate(
    table: Mapping[str, Cell], equation: _Equation, hidden: Mapping[str, str]
) -> str | None:
    """The cell to hide next in ``equation``: smallest non-zero part, smallest part, the total."""
    parts = [key for key in equation.parts if key not in hidden]
    if parts:
        return min(parts, key=lambda key: (table[key].value == 0, table[key].value, key))
    return None if equation.total in hidden else equation.total


def _hide_near(
    exposed: str,
    table: Mapping[str, Cell],
    equations: Sequence[_Equation],
    hidden: dict[str, str],
    describe: Callable[[str], str],
) -> bool:
    """Hide the smallest published cell of an equation that holds ``exposed``; when all their
    cells are hidden already, of the equations one hidden cell further, and so on."""
    reached, frontier = {exposed}, {exposed}
    while frontier:
        touching = [e for e in equations if any(key in frontier for key in e.cells)]
        options = {key for e in touching for key in e.cells if key not in hidden and key in table}
        if options:
            choice = min(options, key=lambda key: (table[key].value == 0, table[key].value, key))
            hidden[choice] = _protects(exposed, describe)
            return True
        frontier = {key for e in touching for key in e.cells} - reached
        reached |= frontier
    return False


def _protects(key: str, describe: Callable[[str], str]) -> str:
    if key.endswith("~reste"):
        what = f"le reste de {describe(key.removesuffix('~reste'))} (hors parties publiées)"
    else:
        what = describe(key)
    return f"secret statistique (secondaire) : empêche de recalculer {what}"


# --- linear reasoning -------------------------------------------------------------------------

Row = dict[str, int]
"""One linear equation: coefficient per cell key (the right-hand side is not needed)."""


def equations_matrix(equations: Iterable[_Equation]) -> list[Row]:
    rows: list[Row] = []
    for equation in equations:
        row: Row = {equation.total: 1}
        for part in equation.parts:
            row[part] = row.get(part, 0) - 1
        if equation.rest:
            row[equation.rest] = -1
        rows.append(row)
    return rows


def recomputable(rows: Iterable[Row], unknown: set[str]) -> set[str]:
    """The unknown cells fixed by the equations once every other cell is known.

    Restricts each equation to the unknowns (known cells move to the right-hand side), reduces
    the system to row echelon form over the rationals, and reports each unknown whose unit
    vector is in the row space: the ones some combination of equations isolates.
    """
    restricted = [
        {key: Fraction(c) for key, c in row.items() if key in unknown and c} for row in rows
    ]
    restricted = [row for row in restricted if row]
    if not restricted:
        return set()
    order = {key: index for index, key in enumerate(sorted({k for row in restricted for k in row}))}
    echelon: list[tuple[str, dict[str, Fraction]]] = []  # (pivot, reduced row)
    for row in restricted:
        current = dict(row)
        for pivot, reduced in echelon:
            factor = current.get(pivot)
            if factor:
                for key, value in reduced.items():
                    updated = current.get(key, Fraction(0)) - factor * value
                    if updated:
                        current[key] = updated
                    else:
                        current.pop(key, None)
        if not current:
            continue
        pivot = min(current, key=order.__getitem__)
        scale = current[pivot]
        current = {key: value / scale for key, value in current.items()}
        for index, (other_pivot, other) in enumerate(echelon):
            factor = other.get(pivot)
            if factor:
                for key, value in current.items():
                    updated = other.get(key, Fraction(0)) - factor * value
                    if updated:
                        other[key] = updated
                    else:
                        other.pop(key, None)
                echelon[index] = (other_pivot, other)
        echelon.append((pivot, current))
    # Fully reduced (every pivot column is zero in the other rows): a unit vector is in the row
    # space exactly when some reduced row is that unit vector.
    return {pivot for pivot, reduced in echelon if len(reduced) == 1}
