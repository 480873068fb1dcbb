"""« Emploi et mobilité » on a small hand-counted file (docs/usecases/emploi_mobilite.md)."""

from __future__ import annotations

from reference import territories
from services.dataquartiers.domain.territories import Level, TerritoryRef
from services.dataquartiers.domain.usecases.employment import employment_mobility, tally

QPV, NANTES = "QN04406M", "44109"

HEADER = (
    "id_personne;annee;qpv;commune;age;statut_activite;demandeur_emploi;"
    "distance_domicile_travail_km\n"
)


def _file(rows: list[str]) -> bytes:
    return ("# données synthétiques\n" + HEADER + "".join(r + "\n" for r in rows)).encode()


ROWS = [
    f"a1;2023;{QPV};{NANTES};30;emploi;non;3,5",
    f"a2;2023;{QPV};{NANTES};40;chomage;oui;",
    f"a3;2023;{QPV};{NANTES};22;emploi;oui;25",
    f"a4;2023;{QPV};{NANTES};70;retraite;non;",  # outside 15-64
    f"a5;2023;;{NANTES};50;emploi;non;8",
    f"a6;2023;;{NANTES};35;etudes;non;",
]


def test_counts_per_qpv_and_commune_with_the_qpv_inside_the_commune() -> None:
    found = tally(_file(ROWS), territories())
    assert not isinstance(found, str)
    tallies, errors, read, out_of_range = found
    assert (errors, read, out_of_range) == ([], 6, 1)
    qpv = tallies[(2023, TerritoryRef(Level.QPV, QPV))]
    commune = tallies[(2023, TerritoryRef(Level.COMMUNE, NANTES))]
    assert (qpv.people, qpv.employed, qpv.jobseekers) == (3, 2, 2)
    assert qpv.bands == {"moins_5km": 1, "5_20km": 0, "20km_plus": 1}
    assert (commune.people, commune.employed, commune.jobseekers) == (5, 3, 2)
    assert commune.bands == {"moins_5km": 1, "5_20km": 1, "20km_plus": 1}


def test_results_are_rates_with_their_counts_for_secrecy() -> None:
    result = employment_mobility(_file(ROWS), territories())
    values = {(v.territory.key, v.indicator): (v.value, v.base) for v in result.values}
    assert values[(f"qpv:{QPV}", "em_taux_emploi")] == (66.67, 2)
    assert values[(f"commune:{NANTES}", "em_taux_emploi")] == (60.0, 3)
    assert values[(f"commune:{NANTES}", "em_population_15_64")] == (5, 5)
    assert result.notes == ["1 personne(s) hors des 15-64 ans, non comptées"]


def test_refuses_rows_with_a_qpv_outside_its_commune() -> None:
    result = employment_mobility(_file([f"b1;2023;{QPV};35238;30;emploi;non;2"]), territories())
    assert result.refused
    assert [e.reason for e in result.errors] == [f"le QPV {QPV} n'est pas dans la commune 35238"]
