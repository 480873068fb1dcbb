"""« Quartiers en flux » on a 10-person sample counted by hand, and the protection of profiles
within themselves (docs/usecases/quartiers_en_flux.md)."""

from __future__ import annotations

from reference import territories
from services.dataquartiers.domain.usecases import profile_shares
from services.dataquartiers.domain.usecases.flows import count_flows, read_moves, residential_flows

Q1, Q2 = "QN04406M", "QN04407I"

SAMPLE = (
    "# données synthétiques : échantillon de test, aucune personne réelle\n"
    "id_personne;annee;territoire_origine;territoire_destination;tranche_age;type_menage;statut_activite\n"
    f"p01;2023;44109;{Q1};moins_25;personne_seule;emploi\n"
    f"p02;2023;HORS;{Q1};25_54;famille_monoparentale;chomage\n"
    f"p03;2023;{Q2};{Q1};25_54;couple_avec_enfants;emploi\n"
    f"p04;2023;{Q1};{Q1};55_plus;personne_seule;retraite\n"
    f"p05;2023;{Q1};{Q1};25_54;couple_sans_enfant;emploi\n"
    f"p06;2023;{Q1};44109;moins_25;personne_seule;etudes\n"
    f"p07;2023;{Q1};HORS;25_54;autre;emploi\n"
    f"p08;2023;{Q2};{Q2};55_plus;personne_seule;autre_inactif\n"
    "p09;2023;44109;44109;25_54;couple_avec_enfants;emploi\n"
    f"p10;2023;{Q2};44109;55_plus;couple_sans_enfant;chomage\n"
).encode()


def test_counts_entrants_leavers_and_stayers_per_qpv() -> None:
    read = read_moves(SAMPLE, territories())
    assert not isinstance(read, str)
    moves, errors, count = read
    assert (len(moves), errors, count) == (10, [], 10)
    flows = count_flows(moves)
    q1, q2 = flows[(2023, Q1)], flows[(2023, Q2)]
    assert (q1.entrants, q1.leavers, q1.stayers) == (3, 2, 2)
    assert (q2.entrants, q2.leavers, q2.stayers) == (0, 2, 1)
    assert q1.entrant_profile == {
        "moins_25": 1, "25_54": 2, "55_plus": 0, "emploi": 2, "chomage": 1, "inactif": 0,
    }  # fmt: skip
    assert q1.leaver_profile == {
        "moins_25": 1, "25_54": 1, "55_plus": 0, "emploi": 1, "chomage": 0, "inactif": 1,
    }  # fmt: skip
    assert set(flows) == {(2023, Q1), (2023, Q2)}  # the commune-to-commune move counts nowhere


def test_results_carry_counts_that_publication_will_hide_below_eleven() -> None:
    result = residential_flows(SAMPLE, territories())
    values = {(v.territory.code, v.indicator): (v.value, v.base) for v in result.values}
    assert values[(Q1, "flux_entrants")] == (3, 3)
    assert values[(Q2, "flux_stables")] == (1, 1)
    share = values[(Q1, "flux_entrants_part_25_54")]
    assert share == (66.67, 2)  # 2 of 3, published with its count: hidden (< 11)
    assert (Q2, "flux_entrants_part_emploi") not in values  # no entrant: no profile


def test_reports_bad_rows_in_french_and_refuses_a_file_without_the_schema() -> None:
    bad = (
        SAMPLE
        + (
            f"p01;2023;44109;{Q1};moins_25;personne_seule;emploi\n"
            "p11;2023;QP044003;HORS;moins_25;personne_seule;emploi\n"
            "p12;2023;HORS;44109;enfant;personne_seule;emploi\n"
        ).encode()
    )
    read = read_moves(bad, territories())
    assert not isinstance(read, str)
    _, errors, count = read
    assert count == 13
    assert [e.line for e in errors] == [13, 14, 15]
    assert errors[0].reason == "doublon : la personne p01 figure déjà ligne 3 pour 2023"
    assert "2015" in errors[1].reason
    assert errors[2].reason == "tranche d'âge inconnue : « enfant »"
    refused = residential_flows(b"id_personne;annee\n1;2023\n", territories())
    assert refused.refused
    assert refused.errors[0].reason.startswith("colonnes absentes : territoire_origine")


def test_profile_shares_hide_small_categories_and_one_more_so_none_is_recomputable() -> None:
    shares = profile_shares(30, [{"jeunes": 20, "moyens": 8, "ages": 2},
                                 {"emploi": 15, "chomage": 12, "inactif": 3}])  # fmt: skip
    assert shares["jeunes"].base == 20 and shares["jeunes"].percent == 66.67
    assert (
        shares["moyens"].base == 8 and shares["ages"].base == 2
    )  # primary: shown with counts < 11
    assert shares["inactif"].base == 3  # primary
    assert shares["chomage"].base is None  # secondary: 100 − 50 − x would give it back
    assert shares["emploi"].base == 15
