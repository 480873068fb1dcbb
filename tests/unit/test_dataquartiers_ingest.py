"""Reading indicator files as they come from INSEE and partners: encodings, separators, decimal
commas, wide and long layouts, and a French report of every refused row with its line."""

from __future__ import annotations

import pytest

from reference import Territories, territories
from services.dataquartiers.domain.catalogue import Catalogue, load_catalogue
from services.dataquartiers.domain.ingest import PROGRESS_EVERY, IngestReport, number, parse
from services.dataquartiers.domain.territories import Level, TerritoryRef

# The first three rows of the demo file (UTF-8, ",", one column per indicator).
WIDE = (
    "code_qp,lib_qp,insee_dep,popMuniQPV,indiceJeunesse,partMen1p,partMen2p,partMen3p,"
    "partMen45p,partMen6pp,nombre_logements_sociaux,taux_d_emploi,taux_pauvrete_60%,"
    "personnes_couvertes_CAF,allocataires_CAF,RSA_socle\n"
    "QN02201M,Ar Santé - Les Fontaines,22,1296,0.9,60.3,19.4,12.6,,,645.0,40.9,39.0,903.0,"
    "506.0,92.0\n"
    "QN02202M,Ker Uhel,22,1296,1.3,63.8,18.7,9.8,,,516.0,47.5,41.0,907.0,581.0,111.0\n"
    "QN02203I,Croix Saint-Lambert - Ville Oger,22,1885,2.0,45.4,22.9,12.7,16.2,2.8,872.0,43.6,"
    "51.0,1514.0,728.0,174.0\n"
)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def ref() -> Territories:
    return territories()


def problems(report: IngestReport) -> list[str]:
    return [str(error) for error in report.errors]


class TestWideLayout:
    def test_reads_one_value_per_filled_cell_of_the_demo_file(
        self, catalogue: Catalogue, ref: Territories
    ) -> None:
        report = parse(WIDE.encode(), catalogue, ref, vintage=2020)
        assert (report.encoding, report.delimiter, report.layout) == ("utf-8", ",", "wide")
        assert report.errors == []
        assert report.read == 3
        assert len(report.values) == 13 * 3 - 4 and report.empty_cells == 4
        assert report.notices == ["colonne ignorée : « lib_qp »", "colonne ignorée : « insee_dep »"]
        poverty = next(v for v in report.values if v.indicator == "taux_pauvrete" and v.line == 3)
        assert (poverty.territory, poverty.vintage, poverty.value) == (
            TerritoryRef(Level.QPV, "QN02202M"),
            2020,
            41.0,
        )
        assert report.summary() == "3 lignes lues, 35 valeurs valides, 0 erreur, 4 cases vides"

    def test_refuses_a_file_without_vintage_when_none_is_given(
        self, catalogue: Catalogue, ref: Territories
    ) -> None:
        report = parse(WIDE.encode(), catalogue, ref)
        assert report.refused
        assert problems(report) == [
            "ligne 1 : millésime absent : ajoutez une colonne « millésime » ou indiquez-le à "
            "l'envoi"
        ]


class TestLongLayout:
    def test_reads_a_windows_1252_file_with_semicolons_and_decimal_commas(
        self, catalogue: Catalogue, ref: Territories
    ) -> None:
        text = (
            "Codgeo;Niveau;Indicateur;Millésime;Valeur;Unité\n"
            "44109;COM;population_municipale;2020;320\u00a0732;habitants\n"
            "QN04405M;QPV;taux_pauvrete;2021;41,5;%\n"
            "52;REG;menages_fiscaux;2021;1 634 211,0;ménages\n"
        )
        report = parse(text.encode("windows-1252"), catalogue, ref)
        assert (report.encoding, report.delimiter, report.layout) == (
            "windows-1252",
            ";",
            "long",
        )
        assert problems(report) == []
        assert [(v.territory.key, v.indicator, v.vintage, v.value) for v in report.values] == [
            ("commune:44109", "population_municipale", 2020, 320732.0),
            ("qpv:QN04405M", "taux_pauvrete", 2021, 41.5),
            ("region:52", "menages_fiscaux", 2021, 1634211.0),
        ]

    def test_reports_each_bad_row_with_its_line_and_reason_in_french(
        self, catalogue: Catalogue, ref: Territories
    ) -> None:
        text = (
            "territoire;indicateur;annee;valeur;unite\n"
            "QN04405M;population_municipale;2020;5200;habitants\n"  # 2: fine
            "QP044001;population_municipale;2020;5200;habitants\n"  # 3: 2015 code
            "99999;population_municipale;2020;10;habitants\n"  # 4: unknown commune
            "44109;population_municipale;2020;beaucoup;habitants\n"  # 5: not a number
            "44162;population_municipale;2020;47000;ménages\n"  # 6: unit mismatch
            "QN04405M;population_municipale;2020;5300;habitants\n"  # 7: duplicate of 2
            "QN04405M;taux_pauvrete;2020;140;%\n"  # 8: a rate above 100
            "QN04405M;taux_de_bonheur;2020;12;%\n"  # 9: unknown indicator
            "QN04405M;logements_sociaux;20XX;12;logements\n"  # 10: bad vintage
            "QN04405M;logements_sociaux;2022;-3;logements\n"  # 11: negative count
        )
        report = parse(text.encode(), catalogue, ref)
        assert len(report.values) == 1
        assert problems(report) == [
            "ligne 3 : code QPV de la génération 2015 (QP044001), remplacé par la géographie "
            "prioritaire 2024 (codes QN…, décret du 28/12/2023) : indiquez le code QN du quartier",
            "ligne 4 : commune inconnue (référentiel limité à la Bretagne et aux Pays de la Loire)"
            " : 99999",
            "ligne 5 : « beaucoup » n'est pas un nombre (population_municipale)",
            "ligne 6 : unité « ménages » au lieu de « habitants » attendue pour "
            "population_municipale",
            "ligne 7 : doublon : population_municipale 2020 pour QN04405M déjà donné ligne 2",
            "ligne 8 : 140 hors de 0 à 100 : taux_pauvrete est en % (une part de 0 à 1 ?)",
            "ligne 9 : indicateur inconnu du catalogue : « taux_de_bonheur »",
            "ligne 10 : millésime invalide : « 20XX » (une année, ex. 2021)",
            "ligne 11 : -3 négatif : logements_sociaux est un effectif (logements)",
        ]
        assert report.summary() == "10 lignes lues, 1 valeur valide, 9 erreurs"

    def test_keeps_vintages_side_by_side(self, catalogue: Catalogue, ref: Territories) -> None:
        text = (
            "codgeo,indicateur,millesime,valeur\n"
            'QN04405M,taux_pauvrete,2019,"40,1"\n'
            'QN04405M,taux_pauvrete,2021,"41,5"\n'
        )
        report = parse(text.encode(), catalogue, ref)
        assert report.errors == [] and report.vintages == [2019, 2021]

    def test_reads_the_count_behind_a_value_and_the_largest_unit(
        self, catalogue: Catalogue, ref: Territories
    ) -> None:
        text = (
            "codgeo;indicateur;millesime;valeur;effectif;plus_grande_unite\n"
            "44109;effectifs_salaries_prives;2022;1200;14;1100\n"
        )
        (value,) = parse(text.encode(), catalogue, ref).values
        assert (value.base, value.largest) == (14.0, 1100.0)


class TestFiles:
    def test_refuses_a_spreadsheet(self, catalogue: Catalogue, ref: Territories) -> None:
        report = parse(b"PK\x03\x04rest", catalogue, ref)
        assert problems(report) == [
            "ligne 1 : classeur Excel ou OpenDocument : enregistrez-le en CSV"
        ]

    def test_refuses_a_file_without_territory_column(
        self, catalogue: Catalogue, ref: Territories
    ) -> None:
        report = parse(b"nom;valeur\nx;1\n", catalogue, ref, vintage=2020)
        assert report.refused
        assert problems(report) == [
            "ligne 1 : colonne absente : code du territoire (codgeo, code_qp…)"
        ]

    def test_reports_progress_on_a_large_file(self, catalogue: Catalogue, ref: Territories) -> None:
        communes = [c.code for c in ref.communes.values()][:2500]
        lines = ["codgeo;indicateur;millesime;valeur"]
        for year in range(2010, 2021):
            lines += [f"{code};population_municipale;{year};{i}" for i, code in enumerate(communes)]
        seen: list[int] = []
        report = parse("\n".join(lines).encode(), catalogue, ref, progress=seen.append)
        assert len(report.values) == len(lines) - 1 and report.errors == []
        assert seen[: len(lines) // PROGRESS_EVERY] == [
            PROGRESS_EVERY * (i + 1) + 1 for i in range(len(lines) // PROGRESS_EVERY)
        ]
        assert seen[-1] == len(lines)


class TestNumbers:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("12,5", 12.5),
            ("1 234,5", 1234.5),
            ("1\u202f234", 1234.0),
            ("1.234,5", 1234.5),
            ("1,234.5", 1234.5),
            ("645.0", 645.0),
            ("-3", -3.0),
            ("abc", None),
            ("nan", None),
            ("", None),
        ],
    )
    def test_reads_french_and_english_numbers(self, raw: str, expected: float | None) -> None:
        assert number(raw) == expected
