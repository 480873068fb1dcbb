"""Statistical secrecy of Data & Quartiers: primary and secondary suppression, and an attack.

The hand-checked cases use counts of households (the value is its own base). The attack test
builds random hierarchies (a region, its departments, communes spread over EPCI that cross
departments, QPV inside communes, some communes left out of the table), publishes them, then
plays an attacker who knows every published value and every relation, and every "rest" (the
commune outside its QPV…) that is not itself sensitive. It solves that linear system with its
own exact elimination and fails if any hidden value is fixed by it, or if a published total pins
hidden cells to zero (values are never negative). A second attack does the same on random parts of
the real geography of Bretagne and Pays de la Loire, with the relations the service builds (two
QPV there span two communes).

What it proves: no hidden cell is recomputable exactly from the published relations. What it
does not: that hidden values stay in a wide interval (with "never negative", a hidden part is
still bounded by its published total), nor anything about relations it is not given.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference import territories
from services.dataquartiers.domain.secrecy import (
    Cell,
    Relation,
    SecrecyRule,
    primary_reason,
    protect,
    rest_key,
)
from services.dataquartiers.domain.territories import Level, TerritoryRef, relations

FISCAL = SecrecyRule.fiscal()


def households(**values: float) -> list[Cell]:
    return [Cell(key, value, base=value) for key, value in values.items()]


class TestPrimarySuppression:
    def test_hides_a_cell_of_fewer_than_eleven_households_and_says_why(self) -> None:
        published = protect(households(a=10, b=11), [], FISCAL, additive=True)
        assert published["a"].shown == "s"
        assert published["a"].reason == "secret statistique (primaire) : moins de 11 ménages"
        assert published["a"].primary
        assert published["b"].shown == 11

    def test_hides_business_data_of_fewer_than_three_units(self) -> None:
        rule = SecrecyRule.business()
        published = protect(
            [Cell("a", 500.0, base=2, largest=300), Cell("b", 500.0, base=3, largest=300)],
            [],
            rule,
            additive=False,
        )
        assert published["a"].reason == "secret statistique (primaire) : moins de 3 unités"
        assert published["b"].shown == 500.0

    def test_hides_business_data_when_one_unit_holds_more_than_85_percent(self) -> None:
        rule = SecrecyRule.business()
        published = protect(
            [Cell("a", 1000.0, base=12, largest=851), Cell("b", 1000.0, base=12, largest=850)],
            [],
            rule,
            additive=False,
        )
        assert published["a"].reason == (
            "secret statistique (primaire) : une unité représente plus de 85 % du total"
        )
        assert published["b"].shown == 1000.0

    def test_hides_a_rate_whose_underlying_count_is_too_small_and_nothing_else(self) -> None:
        rates = [Cell("qpv:A", 41.5, base=9), Cell("qpv:B", 38.0, base=240)]
        published = protect(
            rates, [Relation("commune:C", ("qpv:A", "qpv:B"))], FISCAL, additive=False
        )
        assert published["qpv:A"].shown == "s"
        assert published["qpv:B"].shown == 38.0

    def test_hides_a_value_whose_underlying_count_is_unknown(self) -> None:
        published = protect([Cell("a", 40.0)], [], FISCAL, additive=False)
        assert published["a"].reason.startswith("secret statistique : effectif sous-jacent inconnu")

    def test_open_data_is_published_as_is(self) -> None:
        published = protect(households(a=2), [], SecrecyRule.none(), additive=True)
        assert published["a"].shown == 2


class TestSecondarySuppression:
    def test_hides_the_smallest_other_qpv_of_a_commune_whose_total_is_published(self) -> None:
        # Nantes = A + B + rest (52, not sensitive, so taken as known): A (8) is primary; with
        # the commune published, B would give A away, so B (the only other part) goes too.
        cells = households(**{"commune:C": 100, "qpv:A": 8, "qpv:B": 40})
        relation = Relation("commune:C", ("qpv:A", "qpv:B"))
        published = protect(cells, [relation], FISCAL, additive=True)
        assert published["qpv:A"].shown == "s"
        assert published["qpv:B"].shown == "s"
        assert published["qpv:B"].reason == (
            "secret statistique (secondaire) : empêche de recalculer qpv:A"
        )
        assert not published["qpv:B"].primary
        assert published["commune:C"].shown == 100

    def test_picks_the_smallest_other_part_among_several(self) -> None:
        cells = households(**{"commune:C": 300, "qpv:A": 5, "qpv:B": 90, "qpv:D": 30, "qpv:E": 12})
        relation = Relation("commune:C", ("qpv:A", "qpv:B", "qpv:D", "qpv:E"))
        published = protect(cells, [relation], FISCAL, additive=True)
        assert sorted(key for key, cell in published.items() if cell.suppressed) == [
            "qpv:A",
            "qpv:E",
        ]

    def test_two_primary_cells_of_one_relation_protect_each_other(self) -> None:
        # A + E = 5 is all one learns: neither is fixed, nothing else needs hiding.
        cells = households(**{"commune:C": 300, "qpv:A": 5, "qpv:B": 90, "qpv:E": 0})
        relation = Relation("commune:C", ("qpv:A", "qpv:B", "qpv:E"))
        published = protect(cells, [relation], FISCAL, additive=True)
        assert sorted(key for key, cell in published.items() if cell.suppressed) == [
            "qpv:A",
            "qpv:E",
        ]

    def test_protects_the_commune_outside_its_qpv_when_it_is_itself_too_small(self) -> None:
        # rest = 50 - 20 - 25 = 5 households: never published, but publishing A, B and C would
        # give it away, so the smallest part hides with it.
        cells = households(**{"commune:C": 50, "qpv:A": 20, "qpv:B": 25})
        published = protect(
            cells, [Relation("commune:C", ("qpv:A", "qpv:B"))], FISCAL, additive=True
        )
        assert published["qpv:A"].shown == "s"
        assert published["qpv:A"].reason == (
            "secret statistique (secondaire) : empêche de recalculer le reste de commune:C "
            "(hors parties publiées)"
        )
        assert published["qpv:B"].shown == 25
        assert rest_key("commune:C") not in published

    def test_a_primary_commune_hides_a_sibling_in_its_epci(self) -> None:
        cells = households(**{"epci:E": 500, "commune:1": 7, "commune:2": 493})
        relation = Relation("epci:E", ("commune:1", "commune:2"), complete=True)
        published = protect(cells, [relation], FISCAL, additive=True)
        assert [k for k, c in published.items() if c.suppressed] == ["commune:1", "commune:2"]

    def test_a_zero_hidden_next_to_a_zero_hides_the_total(self) -> None:
        # A and B both have 0 households and the rest (30) is known: publishing C = 30 would
        # show that A + B = 0, hence both 0. Only hiding C protects them.
        cells = households(**{"commune:C": 30, "qpv:A": 0, "qpv:B": 0})
        published = protect(
            cells, [Relation("commune:C", ("qpv:A", "qpv:B"))], FISCAL, additive=True
        )
        assert published["commune:C"].shown == "s"

    def test_a_value_that_three_relations_give_away_together_is_protected(self) -> None:
        # x is primary; the fixpoint hides y (T1 = x + y) then z (T2 = y + z). Each relation
        # then has two hidden cells, yet T1, T2 and T3 = x + z together solve x, y, z: the exact
        # check notices and hides one more cell.
        cells = households(x=5, y=20, z=30, T1=25, T2=50, T3=35)
        relations = [
            Relation("T1", ("x", "y"), complete=True),
            Relation("T2", ("y", "z"), complete=True),
            Relation("T3", ("x", "z"), complete=True),
        ]
        published = protect(cells, relations, FISCAL, additive=True)
        hidden = {key for key, cell in published.items() if cell.suppressed}
        assert {"x", "y", "z"} < hidden
        assert _recoverable(_attack(cells, relations, published), hidden) == set()

    def test_a_value_that_two_published_aggregates_differ_by_is_protected(self) -> None:
        # The EPCI holds communes 1 and 2 (department D) and commune 3 of another department:
        # EPCI - D = commune 3, whatever is hidden inside. The fixpoint hides 1 then 2; the
        # exact check sees the difference and hides the EPCI too.
        cells = households(**{"epci:E": 230, "dep:D": 200, "com:1": 90, "com:2": 110, "com:3": 7})
        relations = [
            Relation("epci:E", ("com:1", "com:2", "com:3"), complete=True),
            Relation("dep:D", ("com:1", "com:2"), complete=True),
        ]
        published = protect(cells, relations, FISCAL, additive=True)
        hidden = sorted(key for key, cell in published.items() if cell.suppressed)
        assert hidden == ["com:1", "com:2", "com:3", "epci:E"]
        assert published["epci:E"].reason == (
            "secret statistique (secondaire) : empêche de recalculer com:3"
        )
        assert published["dep:D"].shown == 200

    def test_the_same_table_always_gives_the_same_answer(self) -> None:
        cells = households(**{"commune:C": 100, "qpv:A": 8, "qpv:B": 40, "qpv:D": 40})
        relation = [Relation("commune:C", ("qpv:A", "qpv:B", "qpv:D"))]
        first = protect(cells, relation, FISCAL, additive=True)
        assert all(protect(cells, relation, FISCAL, additive=True) == first for _ in range(5))
        assert first["qpv:B"].shown == "s"  # equal values: the smaller key
        assert first["qpv:D"].shown == 40


# --- the attack -------------------------------------------------------------------------------


@dataclass
class Attack:
    """What an attacker has: equations over unknowns (hidden values), and the raw totals."""

    equations: list[tuple[dict[str, Fraction], Fraction]]
    unknown: set[str]
    zero_pinned: list[str]


def _attack(cells: list[Cell], relations: list[Relation], published: dict[str, object]) -> Attack:
    raw = {cell.key: cell for cell in cells}
    shown = {key: d.shown for key, d in published.items()}  # type: ignore[attr-defined]
    unknown = {key for key, value in shown.items() if value == "s"}
    equations: list[tuple[dict[str, Fraction], Fraction]] = []
    zero_pinned: list[str] = []
    for relation in relations:
        if relation.total not in raw:
            continue
        parts = [part for part in relation.parts if part in raw]
        if not parts:
            continue  # the "rest" would be the total itself: nobody knows it
        complete = relation.complete and len(parts) == len(relation.parts)
        terms: dict[str, Fraction] = {}
        constant = Fraction(0)  # sum of known terms of total - parts - rest
        for key, sign in [(relation.total, 1), *((part, -1) for part in parts)]:
            if key in unknown:
                terms[key] = terms.get(key, Fraction(0)) + sign
            else:
                constant += sign * Fraction(shown[key])  # type: ignore[arg-type]
        if not complete:
            rest_value = raw[relation.total].value - sum(raw[p].value for p in parts)
            rest = Cell(rest_key(relation.total), rest_value, base=rest_value)
            if primary_reason(rest, FISCAL) is None:
                constant -= Fraction(rest_value)  # known to the attacker
            else:
                terms[rest.key] = Fraction(-1)
                unknown.add(rest.key)
        if terms:
            equations.append((terms, -constant))
            hidden_parts = [key for key in terms if key != relation.total]
            hidden_sum = sum(raw[key].value if key in raw else rest_value for key in hidden_parts)
            if relation.total not in unknown and hidden_parts and hidden_sum == 0:
                zero_pinned.append(relation.total)
    return Attack(equations, unknown, zero_pinned)


def _rank(rows: list[dict[str, Fraction]]) -> int:
    """Rank by plain Gaussian elimination (independent of the module's own solver)."""
    matrix = [dict(row) for row in rows if row]
    rank = 0
    columns = sorted({key for row in matrix for key in row})
    for column in columns:
        pivot = next((i for i in range(rank, len(matrix)) if matrix[i].get(column)), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        head = matrix[rank]
        for i in range(len(matrix)):
            if i != rank and matrix[i].get(column):
                factor = matrix[i][column] / head[column]
                for key, value in head.items():
                    matrix[i][key] = matrix[i].get(key, Fraction(0)) - factor * value
        rank += 1
    return rank


def _recoverable(attack: Attack, hidden: set[str]) -> set[str]:
    """Unknowns whose unit vector is in the row space: solvable from the published system."""
    rows = [terms for terms, _ in attack.equations]
    base = _rank(rows)
    return {key for key in sorted(attack.unknown) if _rank([*rows, {key: Fraction(1)}]) == base}


@dataclass
class World:
    cells: list[Cell]
    relations: list[Relation]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    """A region, 1-3 departments of 1-4 communes each, communes in 1-3 EPCI across departments,
    0-3 QPV per commune, households 0-60 (many under 11); some communes are left out."""
    values: dict[str, int] = {}
    relations: list[Relation] = []
    departments: list[str] = []
    epcis: dict[str, list[str]] = {}
    present: set[str] = set()
    n_epci = draw(st.integers(1, 3))
    commune_number = 0
    for d in range(draw(st.integers(1, 3))):
        department = f"dep:{d}"
        departments.append(department)
        communes = []
        for _ in range(draw(st.integers(1, 4))):
            commune_number += 1
            commune = f"com:{commune_number}"
            communes.append(commune)
            qpvs = [f"qpv:{commune_number}.{q}" for q in range(draw(st.integers(0, 3)))]
            for qpv in qpvs:
                values[qpv] = draw(st.integers(0, 60))
                present.add(qpv)
            values[commune] = sum(values[q] for q in qpvs) + draw(st.integers(0, 60))
            if draw(st.booleans()) or draw(st.booleans()):
                present.add(commune)
            relations.append(Relation(commune, tuple(qpvs)))
            epcis.setdefault(f"epci:{draw(st.integers(0, n_epci - 1))}", []).append(commune)
        values[department] = sum(values[c] for c in communes)
        relations.append(Relation(department, tuple(communes), complete=True))
        present.add(department)
    for epci, members in epcis.items():
        values[epci] = sum(values[c] for c in members)
        relations.append(Relation(epci, tuple(members), complete=True))
        present.add(epci)
    values["reg:R"] = sum(values[d] for d in departments)
    relations.append(Relation("reg:R", tuple(departments), complete=True))
    present.add("reg:R")
    cells = [Cell(key, float(values[key]), base=values[key]) for key in sorted(present)]
    return World(cells, relations)


class TestAttack:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(worlds())
    def test_no_hidden_value_can_be_recomputed_from_what_is_published(self, world: World) -> None:
        published = protect(world.cells, world.relations, FISCAL, additive=True)
        for cell in world.cells:
            if primary_reason(cell, FISCAL):
                assert published[cell.key].shown == "s"
            elif not published[cell.key].suppressed:
                assert published[cell.key].shown == cell.value
        attack = _attack(world.cells, world.relations, published)
        assert _recoverable(attack, attack.unknown) == set()
        assert attack.zero_pinned == []

    def test_the_attacker_does_recover_a_value_left_unprotected(self) -> None:
        # The attack must be able to fail: publish everything but the primary cell by hand.
        cells = households(**{"commune:C": 100, "qpv:A": 8, "qpv:B": 40})
        relation = [Relation("commune:C", ("qpv:A", "qpv:B"))]
        primary_only = protect(cells, [], FISCAL, additive=True)
        attack = _attack(cells, relation, primary_only)  # type: ignore[arg-type]
        assert _recoverable(attack, attack.unknown) == {"qpv:A"}


@st.composite
def real_tables(draw: st.DrawFn) -> World:
    """Households on a random part of Bretagne and Pays de la Loire's real geography: QPV
    (Bellevue and Bellevue-Carnac span two communes), their communes, EPCI, departments and
    regions, with relations as the service builds them."""
    ref = territories()
    qpvs = sorted(q.code for q in ref.qpvs.values() if q.region_code in ("52", "53"))
    chosen = draw(st.lists(st.sampled_from(qpvs), min_size=1, max_size=12, unique=True))
    present: set[TerritoryRef] = set()
    for code in chosen:
        qpv = ref.qpvs[code]
        present.add(TerritoryRef(Level.QPV, code))
        for commune in qpv.commune_codes:
            if draw(st.booleans()):
                present.add(TerritoryRef(Level.COMMUNE, commune))
        for siren in qpv.epci_sirens:
            if draw(st.booleans()):
                present.add(TerritoryRef(Level.EPCI, siren))
        if draw(st.booleans()):
            present.add(TerritoryRef(Level.DEPARTMENT, qpv.department_code))
        if qpv.region_code and draw(st.booleans()):
            present.add(TerritoryRef(Level.REGION, qpv.region_code))
    # Consistent values: each QPV drawn, each larger unit its QPV plus a drawn remainder.
    leaf = {t: draw(st.integers(0, 60)) for t in sorted(present) if t.level is Level.QPV}
    found = relations(ref, present)
    values: dict[str, int] = {t.key: v for t, v in leaf.items()}
    contained = {r.total: r.parts for r in found}

    def value(key: str) -> int:
        if key not in values:
            parts = contained.get(key, ())
            values[key] = sum(value(p) for p in parts) + draw(st.integers(0, 60))
        return values[key]

    cells = [Cell(t.key, float(value(t.key)), base=value(t.key)) for t in sorted(present)]
    return World(cells, found)


class TestAttackOnRealGeography:
    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(real_tables())
    def test_no_hidden_value_can_be_recomputed(self, world: World) -> None:
        published = protect(world.cells, world.relations, FISCAL, additive=True)
        attack = _attack(world.cells, world.relations, published)
        assert _recoverable(attack, attack.unknown) == set()
        assert attack.zero_pinned == []
