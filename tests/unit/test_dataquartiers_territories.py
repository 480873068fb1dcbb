"""Territories of Data & Quartiers on the shipped reference: codes, levels and the additive
relations statistical secrecy works on. Every code is real (QPV 2024, COG 2026)."""

from __future__ import annotations

import pytest

from reference import SupersededQpvCode, Territories, UnknownTerritory, qpv_outlines, territories
from services.dataquartiers.domain.secrecy import Relation
from services.dataquartiers.domain.territories import (
    Level,
    TerritoryRef,
    describe_key,
    enclosing,
    name_of,
    relations,
    resolve,
)

NANTES, SAINT_HERBLAIN, NANTES_METROPOLE = "44109", "44162", "244400404"
BELLEVUE = "QN04405M"


@pytest.fixture(scope="module")
def ref() -> Territories:
    return territories()


def t(level: Level, code: str) -> TerritoryRef:
    return TerritoryRef(level, code)


class TestResolve:
    def test_knows_bellevue_spans_nantes_and_saint_herblain(self, ref: Territories) -> None:
        around = enclosing(ref, BELLEVUE)
        assert around == [
            t(Level.COMMUNE, NANTES),
            t(Level.COMMUNE, SAINT_HERBLAIN),
            t(Level.EPCI, NANTES_METROPOLE),
            t(Level.DEPARTMENT, "44"),
            t(Level.REGION, "52"),
        ]
        assert [name_of(ref, unit) for unit in around[:2]] == ["Nantes", "Saint-Herblain"]
        assert name_of(ref, t(Level.QPV, BELLEVUE)) == "Bellevue"

    def test_guesses_the_level_of_a_bare_code(self, ref: Territories) -> None:
        assert resolve(ref, " qn04405m ") == t(Level.QPV, BELLEVUE)
        assert resolve(ref, "35238") == t(Level.COMMUNE, "35238")
        assert resolve(ref, "243500139") == t(Level.EPCI, "243500139")
        assert resolve(ref, "35") == t(Level.DEPARTMENT, "35")
        assert resolve(ref, "53", Level.REGION) == t(Level.REGION, "53")

    def test_restores_the_leading_zero_a_spreadsheet_dropped(self, ref: Territories) -> None:
        with pytest.raises(UnknownTerritory, match=r"commune inconnue .* : 01053"):
            resolve(ref, "1053")  # Bourg-en-Bresse: outside the two regions, but read right
        assert resolve(ref, "5", Level.DEPARTMENT) == t(Level.DEPARTMENT, "05")

    def test_names_a_territory_in_french(self) -> None:
        assert describe_key("qpv:QN04407I") == "le QPV QN04407I"
        assert describe_key("epci:244400404") == "l'EPCI 244400404"
        assert describe_key("x~reste") == "x~reste"

    def test_reports_a_2015_qpv_code_as_superseded(self, ref: Territories) -> None:
        with pytest.raises(SupersededQpvCode) as caught:
            resolve(ref, "QP035001")
        assert "génération 2015" in str(caught.value)
        assert caught.value.code == "superseded_qpv_code"

    def test_reports_an_unknown_code(self, ref: Territories) -> None:
        with pytest.raises(UnknownTerritory, match="code de territoire non reconnu : ABC"):
            resolve(ref, "abc")
        with pytest.raises(UnknownTerritory, match="code QPV inconnu"):
            resolve(ref, "QN99999Z")

    def test_has_an_outline_for_each_qpv_of_the_two_regions(self, ref: Territories) -> None:
        outlines = qpv_outlines()
        assert len(outlines) == 79
        assert outlines[BELLEVUE]["type"] == "MultiPolygon"
        assert {q.code for q in ref.qpvs.values() if q.region_code in ("52", "53")} == set(outlines)


class TestRelations:
    def test_a_commune_is_its_qpv_plus_a_rest_and_bellevue_belongs_to_neither_commune(
        self, ref: Territories
    ) -> None:
        nantes_qpvs = [q.code for q in ref.qpvs_in_commune(NANTES)]
        given = [
            t(Level.COMMUNE, NANTES),
            t(Level.COMMUNE, SAINT_HERBLAIN),
            *(t(Level.QPV, code) for code in nantes_qpvs),
        ]
        found = {r.total: r for r in relations(ref, given)}
        nantes = found[f"commune:{NANTES}"]
        assert f"qpv:{BELLEVUE}" not in nantes.parts
        assert len(nantes.parts) == len(nantes_qpvs) - 1
        assert not nantes.complete
        assert f"commune:{SAINT_HERBLAIN}" not in found  # Bellevue is its only QPV

    def test_an_epci_with_all_its_communes_is_complete_and_takes_no_qpv(
        self, ref: Territories
    ) -> None:
        members = [c.code for c in ref.communes_in_epci(NANTES_METROPOLE)]
        given = [
            t(Level.EPCI, NANTES_METROPOLE),
            t(Level.QPV, BELLEVUE),
            *(t(Level.COMMUNE, c) for c in members),
        ]
        (epci,) = [r for r in relations(ref, given) if r.total.startswith("epci:")]
        assert sorted(epci.parts) == sorted(f"commune:{c}" for c in members)
        assert epci.complete

    def test_an_epci_without_its_communes_is_its_qpv_plus_a_rest(self, ref: Territories) -> None:
        given = [t(Level.EPCI, NANTES_METROPOLE), t(Level.QPV, BELLEVUE)]
        assert relations(ref, given) == [
            Relation(f"epci:{NANTES_METROPOLE}", (f"qpv:{BELLEVUE}",), complete=False)
        ]

    def test_a_region_with_all_its_departments_is_complete(self, ref: Territories) -> None:
        departments = ["44", "49", "53", "72", "85"]
        given = [t(Level.REGION, "52"), *(t(Level.DEPARTMENT, d) for d in departments)]
        assert relations(ref, given) == [
            Relation("region:52", tuple(f"departement:{d}" for d in departments), complete=True)
        ]
        partial = relations(ref, given[:-1])
        assert not partial[0].complete
