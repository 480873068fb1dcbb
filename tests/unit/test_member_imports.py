"""CSV import of people and organisations: what a dry run reports, line by line.

Files are built in memory as French offices save them (Excel's "CSV (séparateur : point-virgule)"
in Windows-1252, LibreOffice's UTF-8, with or without BOM). Territory codes are real: Rennes
35238 (Ille-et-Vilaine, 35), Nantes 44109 (Loire-Atlantique, 44), Nantes Métropole 244400404,
QPV QN04406M (Les Dervallières, Nantes) and QP009001 (2015 generation, Saint-Girons).
"""

from __future__ import annotations

import codecs
import csv
import io
from typing import Any

import pytest
from email_validator import EmailNotValidError, validate_email

from contracts.members import OrganisationKind
from services.members.domain.imports import (
    ImportReport,
    OrganisationRow,
    PersonRow,
    RowError,
    fold,
    name_key,
    parse_organisations,
    parse_people,
)
from services.members.domain.organisations import PostalAddress, TerritoryCodes

PEOPLE_HEADER = ["Prénom", "Nom", "Adresse électronique"]
ORGANISATION_HEADER = ["Raison sociale", "Type", "SIREN"]
RENNES_SIREN = "213502388"
NANTES_SIREN = "214401093"
NANTES_METROPOLE = "244400404"
LIMITED = "référentiel limité à la Bretagne et aux Pays de la Loire"


def csv_bytes(
    rows: list[list[str]],
    *,
    delimiter: str = ";",
    encoding: str = "utf-8",
    bom: bool = False,
    newline: str = "\r\n",
) -> bytes:
    """A CSV file as a spreadsheet writes it: quoted only where needed."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return (codecs.BOM_UTF8 if bom else b"") + buffer.getvalue().encode(encoding)


def people(*rows: list[str], header: list[str] = PEOPLE_HEADER) -> bytes:
    return csv_bytes([header, *rows])


def organisations(*rows: list[str], header: list[str] = ORGANISATION_HEADER) -> bytes:
    return csv_bytes([header, *rows])


def errors(report: ImportReport[Any]) -> list[tuple[int, str]]:
    return [(error.line, error.reason) for error in report.errors]


class TestReadingFilesAsOfficesSaveThem:
    def test_reads_utf8_with_a_bom_and_semicolons(self) -> None:
        header = ["Civilité", *PEOPLE_HEADER]
        data = csv_bytes([header, ["Mme", "Hélène", "Le Goff", "h.legoff@exemple.fr"]], bom=True)

        report = parse_people(data)

        assert (report.encoding, report.delimiter) == ("utf-8", ";")
        assert [(row.first_name, row.last_name) for row in report.rows] == [("Hélène", "Le Goff")]
        assert report.notices == ["colonne ignorée : « Civilité »"]

    def test_prefers_the_semicolon_when_the_header_splits_as_well_on_commas(self) -> None:
        data = "Nom;E-mail;Statut (élu, agent, autre)\r\nDurand;a@exemple.fr;élu\r\n".encode()

        report = parse_people(data)

        assert report.delimiter == ";"
        assert [row.last_name for row in report.rows] == ["Durand"]

    def test_reads_windows_1252_with_commas_keeping_accents_ligatures_and_curly_apostrophes(
        self,
    ) -> None:
        header = ["Prénom", "Nom", "Courriel", "Fonction"]
        row = ["Zoé", "Cœurderoy", "zoe.coeurderoy@exemple.fr", "Chargée d’accueil à l’Œuvre"]
        data = csv_bytes([header, row], delimiter=",", encoding="cp1252")

        report = parse_people(data)

        assert (report.encoding, report.delimiter) == ("windows-1252", ",")
        person = report.rows[0]
        assert (person.first_name, person.last_name, person.title) == tuple(row[:2] + row[3:])

    def test_reads_excel_unicode_text_in_utf16_with_tabs(self) -> None:
        text = "Nom\tE-mail\r\nNguyễn\tnguyen@exemple.fr\r\n"

        report = parse_people(text.encode("utf-16"))

        assert (report.encoding, report.delimiter) == ("utf-16", "\t")
        assert report.rows[0].last_name == "Nguyễn"

    def test_a_quoted_value_may_hold_the_separator_and_a_line_break(self) -> None:
        data = people(
            ["Anne", "Durand", "anne.durand@exemple.fr"],
            ["Paul", "Martin; dit\r\n« Polo »", "paul.martin@exemple.fr"],
            ["Lina", "Benali", "lina.benali@"],
        )

        report = parse_people(data)

        assert report.rows[1].last_name == "Martin; dit\r\n« Polo »"
        assert [row.line for row in report.rows] == [2, 3]
        assert errors(report) == [(5, "adresse e-mail invalide « lina.benali@ »")]

    def test_skips_blank_lines_and_rows_of_empty_cells_silently_but_counts_their_lines(
        self,
    ) -> None:
        data = b"Nom;E-mail\r\n\r\nDurand;a.durand@exemple.fr\r\n;\r\n;;\r\nMartin;p.martin@\r\n"

        report = parse_people(data)

        assert report.read == 2
        assert [row.line for row in report.rows] == [3]
        assert errors(report) == [(6, "adresse e-mail invalide « p.martin@ »")]

    def test_reports_a_quote_never_closed_on_the_line_it_opens(self) -> None:
        data = b'Nom;E-mail\nDurand;a@exemple.fr\n"Martin;p@exemple.fr\nLe Goff;x@exemple.fr\n'

        report = parse_people(data)

        assert errors(report) == [
            (3, "guillemet jamais refermé : la suite du fichier est une seule valeur")
        ]
        assert [row.line for row in report.rows] == [2]

    def test_reports_a_misplaced_quote_and_reads_on(self) -> None:
        data = b'Nom;E-mail\n"Martin" dit Polo;p.martin@exemple.fr\nDurand;a.durand@exemple.fr\n'

        report = parse_people(data)

        assert errors(report) == [
            (
                2,
                "guillemets mal placés : "
                "une valeur entre guillemets doit être suivie du séparateur",
            )
        ]
        assert [row.line for row in report.rows] == [3]

    def test_reports_a_row_with_more_values_than_columns(self) -> None:
        data = csv_bytes(
            [["Nom", "E-mail", "Adresse"], ["Durand", "a.durand@exemple.fr", "12", "rue Haute"]],
            delimiter=",",
        )

        report = parse_people(data)

        assert errors(report) == [
            (2, "4 valeurs pour 3 colonnes (séparateur « , » dans une valeur sans guillemets ?)")
        ]

    def test_refuses_a_spreadsheet_saved_as_xlsx(self) -> None:
        report = parse_people(b"PK\x03\x04\x14\x00\x06\x00rest of a zip archive")

        assert report.refused
        assert report.summary() == (
            "fichier refusé : classeur Excel ou OpenDocument : enregistrez-le en CSV"
        )

    def test_refuses_bytes_that_are_neither_utf8_nor_windows_1252(self) -> None:
        report = parse_people(b"Nom;E-mail\r\nDurand\x81;a@exemple.fr\r\n")

        assert report.refused
        assert errors(report) == [(1, "encodage non reconnu : enregistrez le fichier en CSV UTF-8")]

    def test_refuses_an_empty_file(self) -> None:
        assert errors(parse_people(b"\r\n\r\n")) == [(1, "fichier vide")]


class TestHeaders:
    @pytest.mark.parametrize(
        ("header", "field"),
        [
            ("PRÉNOM", "first_name"),
            ("First name", "first_name"),
            ("Nom de famille", "last_name"),
            ("  nom  ", "last_name"),
            ("E-mail", "email"),
            ("Courriel", "email"),
            ("adresse_electronique", "email"),
            ("Tél.", "phone"),
            ("Téléphone", "phone"),
            ("Titre", "title"),
            ("Employeur", "organisation_name"),
            ("Organisme", "organisation_name"),
            ("N° SIREN", "organisation_siren"),
            ("SIREN de la structure", "organisation_siren"),
            ("Code INSEE", "commune"),
        ],
    )
    def test_recognises_french_aliases_whatever_the_case_accents_and_spaces(
        self, header: str, field: str
    ) -> None:
        values = {
            "first_name": "Anne",
            "last_name": "Durand",
            "email": "anne.durand@exemple.fr",
            "phone": "+442079460000",
            "title": "Cheffe de projet",
            "organisation_name": "Ville de Rennes",
            "organisation_siren": RENNES_SIREN,
            "commune": "35238",
        }
        base = {"last_name": "Nom", "email": "Courriel"}
        columns = {**{f: h for f, h in base.items() if f != field}, field: header}
        data = people([values[f] for f in columns], header=list(columns.values()))

        report = parse_people(data)

        assert (report.notices, errors(report)) == ([], [])
        assert getattr(report.rows[0], field) == values[field]

    def test_folds_headers_to_bare_lower_case_words(self) -> None:
        assert fold("  Adresse  É-lectronique_(pro) ") == "adresse e lectronique pro"
        assert fold("N° SIREN") == "n siren"
        assert fold("Cœur") == "coeur"

    def test_reports_an_unknown_column_once_as_a_notice_not_an_error(self) -> None:
        header = [*PEOPLE_HEADER, "Remarques", "Date d'ajout"]
        data = people(
            ["Anne", "Durand", "a.durand@exemple.fr", "VIP", "01/02/2026"],
            ["Paul", "Martin", "p.martin@exemple.fr", "", "02/02/2026"],
            header=header,
        )

        report = parse_people(data)

        assert report.notices == [
            "colonne ignorée : « Remarques »",
            "colonne ignorée : « Date d'ajout »",
        ]
        assert (len(report.rows), report.errors) == (2, [])

    def test_refuses_a_file_without_an_email_column(self) -> None:
        report = parse_people(people(["Anne", "Durand"], header=["Prénom", "Nom"]))

        assert report.refused and report.rows == []
        assert errors(report) == [
            (
                1,
                "colonne absente : adresse e-mail "
                "(e-mail, email, courriel, adresse électronique, mail)",
            )
        ]

    def test_refuses_a_file_of_organisations_without_name_nor_kind_naming_both(self) -> None:
        report = parse_organisations(organisations([RENNES_SIREN], header=["SIREN"]))

        assert report.summary() == (
            "fichier refusé : colonne absente : nom (nom, raison sociale, structure) ; "
            "type (type, catégorie, nature)"
        )

    def test_refuses_two_columns_meaning_the_same_thing(self) -> None:
        header = ["Nom", "E-mail", "Courriel"]
        report = parse_people(people(["Durand", "a@exemple.fr", "b@exemple.fr"], header=header))

        assert errors(report) == [(1, "colonnes en double : « E-mail » et « Courriel »")]


class TestPeopleRows:
    def test_keeps_a_valid_person_with_its_line_and_trimmed_values(self) -> None:
        data = people(["  Anne ", " Durand", " Anne.Durand@Exemple.fr "])

        assert parse_people(data).rows == [
            PersonRow(line=2, first_name="Anne", last_name="Durand", email="Anne.Durand@Exemple.fr")
        ]

    def test_matches_a_person_on_the_case_folded_email(self) -> None:
        row = parse_people(people(["Anne", "Durand", "Anne.Durand@Exemple.FR"])).rows[0]

        assert row.key == "anne.durand@exemple.fr"

    @pytest.mark.parametrize(
        ("values", "reasons"),
        [
            (["Anne", "Durand", "anne.durand@"], ["adresse e-mail invalide « anne.durand@ »"]),
            (["Anne", "Durand", "anne durand@exemple.fr"], [
                "adresse e-mail invalide « anne durand@exemple.fr »"
            ]),
            (["Anne", "Durand", ""], ["adresse e-mail manquante"]),
            (["Anne", "", "anne.durand@exemple.fr"], ["nom manquant"]),
            ([" ", "Durand", "anne.durand@exemple.fr"], ["prénom manquant"]),
            (["Anne", "D" * 101, "anne.durand@exemple.fr"], [
                "nom trop long (100 caractères au plus)"
            ]),
            (["", "", "pas-une-adresse"], [
                "prénom manquant", "nom manquant", "adresse e-mail invalide « pas-une-adresse »"
            ]),
        ],
    )  # fmt: skip
    def test_reports_each_problem_of_a_bad_row_at_its_line(
        self, values: list[str], reasons: list[str]
    ) -> None:
        report = parse_people(people(["Paul", "Martin", "p.martin@exemple.fr"], values))

        assert errors(report) == [(3, reason) for reason in reasons]
        assert [row.line for row in report.rows] == [2]

    @pytest.mark.parametrize(
        "address",
        [
            "anne.durand@exemple.fr",
            "Anne.Durand+cr@Sub.Exemple.FR",
            "o'brien@exemple.fr",
            "x!#$%&*/=?^_`{|}~-@exemple.fr",
            "a" * 70 + "@exemple.fr",
            "a" * 240 + "@exemple.fr",
            "a" * 250 + "@exemple.fr",
            "a" * 230 + "@" + "é" * 12 + ".fr",
            "a" * 224 + "@xn--l8jaaaaaaaaaaaaaaaaaaa.jp",
            "élodie@exemple.fr",
            "anne@bücher.fr",
            "anne@xn--bcher-kva.fr",
            "anne@xn--.fr",
            '"anne durand"@exemple.fr',
            "anne@[192.0.2.1]",
            "Anne <anne@exemple.fr>",
            "anne@exemple.local",
            "anne@localhost",
            "anne@exemple-.fr",
            "anne@ex_emple.fr",
            "anne@exemple.123",
            "anne..durand@exemple.fr",
            ".anne@exemple.fr",
            "anne@exemple@fr.fr",
            "anne@exemple.fr.",
        ],
    )
    def test_judges_an_address_exactly_as_email_validator_does(self, address: str) -> None:
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            valid = False
        else:
            valid = True

        report = parse_people(people(["Anne", "Durand", address]))

        assert (len(report.rows), len(report.errors)) == ((1, 0) if valid else (0, 1))

    def test_a_file_without_first_names_is_fine(self) -> None:
        report = parse_people(people(["Durand", "a@exemple.fr"], header=["Nom", "Courriel"]))

        assert [(row.first_name, row.last_name) for row in report.rows] == [("", "Durand")]

    def test_reports_the_second_occurrence_of_an_address_in_any_case_naming_the_first(
        self,
    ) -> None:
        data = people(
            ["Anne", "Durand", "anne.durand@exemple.fr"],
            ["Paul", "Martin", "paul.martin@exemple.fr"],
            ["Anne", "Durand", "ANNE.Durand@exemple.FR"],
            ["Annie", "Durand", "anne.durand@exemple.fr"],
        )

        report = parse_people(data)

        assert errors(report) == [
            (4, "adresse e-mail déjà présente ligne 2"),
            (5, "adresse e-mail déjà présente ligne 2"),
        ]
        assert [row.line for row in report.rows] == [2, 3]

    def test_a_duplicate_of_a_bad_row_is_still_reported(self) -> None:
        data = people(
            ["Anne", "", "anne.durand@exemple.fr"], ["Anne", "D", "anne.durand@exemple.fr"]
        )

        assert errors(parse_people(data)) == [
            (2, "nom manquant"),
            (3, "adresse e-mail déjà présente ligne 2"),
        ]

    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("02 99 12 34 56", "+33299123456"),
            ("06.12.34.56.78", "+33612345678"),
            ("06-12-34-56-78", "+33612345678"),
            ("+33 6 12 34 56 78", "+33612345678"),
            ("+33 (0)6 12 34 56 78", "+33612345678"),
            ("0033 612345678", "+33612345678"),
            ("612345678", "+33612345678"),
            ("0262 12 34 56", "+262262123456"),
            ("0692 12 34 56", "+262692123456"),
            ("0596 61 23 45", "+596596612345"),
            ("+44 20 7946 0000", "+442079460000"),
            ("", ""),
        ],
    )
    def test_writes_a_phone_number_in_international_form(self, typed: str, stored: str) -> None:
        header = [*PEOPLE_HEADER, "Téléphone"]
        data = people(["Anne", "Durand", "a.durand@exemple.fr", typed], header=header)

        assert parse_people(data).rows[0].phone == stored

    def test_imports_a_row_whose_phone_cannot_be_a_number_without_it_and_says_so(self) -> None:
        header = [*PEOPLE_HEADER, "Téléphone"]
        data = people(["Anne", "Durand", "a.durand@exemple.fr", "poste 1234"], header=header)

        report = parse_people(data)

        assert report.rows[0].phone == ""
        assert [(w.line, w.reason) for w in report.warnings] == [
            (2, "téléphone « poste 1234 » non reconnu : importé sans téléphone")
        ]

    def test_checks_the_siren_and_commune_of_a_person(self) -> None:
        header = [*PEOPLE_HEADER, "SIREN de la structure", "Commune"]
        data = people(
            ["Anne", "Durand", "a.durand@exemple.fr", "213 502 388", "35238"],
            ["Paul", "Martin", "p.martin@exemple.fr", "213502389", "75056"],
            header=header,
        )

        report = parse_people(data)

        assert [(row.organisation_siren, row.commune) for row in report.rows] == [
            (RENNES_SIREN, "35238")
        ]
        assert errors(report) == [
            (3, "SIREN de la structure invalide « 213502389 » (9 chiffres, clé de Luhn)"),
            (3, f"commune inconnue ({LIMITED}) : 75056"),
        ]


# The proof: a 5,000-row file as a city hall exports it (Windows-1252, ";", CRLF), with
# 40 bad rows of every kind at known lines. Person n sits on line n + 1 and has address
# camille.martin{line}@exemple.fr, so a duplicate names the line it copies.
FIVE_THOUSAND_HEADER = [
    "Prénom", "Nom", "Adresse électronique", "Téléphone", "Fonction",
    "Structure", "SIREN de la structure", "Code INSEE",
]  # fmt: skip
BAD_ROWS: dict[int, tuple[dict[str, str], list[str]]] = {
    17: ({"email": "jean.dupont@"}, ["adresse e-mail invalide « jean.dupont@ »"]),
    45: ({"email": ""}, ["adresse e-mail manquante"]),
    88: ({"last_name": ""}, ["nom manquant"]),
    120: ({"first_name": ""}, ["prénom manquant"]),
    230: ({"email": "pas-une-adresse"}, ["adresse e-mail invalide « pas-une-adresse »"]),
    400: ({"email": "camille.martin12@exemple.fr"}, ["adresse e-mail déjà présente ligne 12"]),
    611: ({"email": "a@b"}, ["adresse e-mail invalide « a@b »"]),
    700: ({"commune": "75056"}, [f"commune inconnue ({LIMITED}) : 75056"]),
    902: ({"email": "x@@exemple.fr"}, ["adresse e-mail invalide « x@@exemple.fr »"]),
    1001: ({"email": ""}, ["adresse e-mail manquante"]),
    1234: ({"email": "camille.martin1233@exemple.fr"}, ["adresse e-mail déjà présente ligne 1233"]),
    1250: (
        {"email": "jean dupont@exemple.fr"},
        ["adresse e-mail invalide « jean dupont@exemple.fr »"],
    ),
    1500: ({"last_name": ""}, ["nom manquant"]),
    1600: (
        {"siren": "213502389"},
        ["SIREN de la structure invalide « 213502389 » (9 chiffres, clé de Luhn)"],
    ),
    1777: ({"email": "@exemple.fr"}, ["adresse e-mail invalide « @exemple.fr »"]),
    1999: ({"first_name": ""}, ["prénom manquant"]),
    2048: ({"email": "jean@exemple..fr"}, ["adresse e-mail invalide « jean@exemple..fr »"]),
    2222: ({"email": ""}, ["adresse e-mail manquante"]),
    2300: ({"last_name": "X" * 101}, ["nom trop long (100 caractères au plus)"]),
    2500: ({"email": "camille.martin2@exemple.fr"}, ["adresse e-mail déjà présente ligne 2"]),
    2600: ({"email": "jean@-exemple.fr"}, ["adresse e-mail invalide « jean@-exemple.fr »"]),
    2750: ({"last_name": ""}, ["nom manquant"]),
    2900: ({"commune": "99999"}, [f"commune inconnue ({LIMITED}) : 99999"]),
    3001: ({"email": "Camille.Martin12@Exemple.FR"}, ["adresse e-mail déjà présente ligne 12"]),
    3010: ({"first_name": ""}, ["prénom manquant"]),
    3333: ({"email": "jean.@exemple.fr"}, ["adresse e-mail invalide « jean.@exemple.fr »"]),
    3500: ({"email": ""}, ["adresse e-mail manquante"]),
    3600: ({"email": "CAMILLE.MARTIN3599@EXEMPLE.FR"}, ["adresse e-mail déjà présente ligne 3599"]),
    3700: (
        {"extra": "rue Haute"},
        ["9 valeurs pour 8 colonnes (séparateur « ; » dans une valeur sans guillemets ?)"],
    ),
    3800: (
        {"siren": "12345678"},
        ["SIREN de la structure invalide « 12345678 » (9 chiffres, clé de Luhn)"],
    ),
    3900: ({"last_name": ""}, ["nom manquant"]),
    4200: ({"email": "camille.martin4150@exemple.fr"}, ["adresse e-mail déjà présente ligne 4150"]),
    4321: ({"first_name": ""}, ["prénom manquant"]),
    4444: ({"email": ""}, ["adresse e-mail manquante"]),
    4600: ({"commune": "2A004"}, [f"commune inconnue ({LIMITED}) : 2A004"]),
    4700: (
        {"email": " camille.martin4699@exemple.fr "},
        ["adresse e-mail déjà présente ligne 4699"],
    ),
    4800: ({"last_name": ""}, ["nom manquant"]),
    4900: (
        {"last_name": "", "email": "jean@exemple,fr"},
        ["nom manquant", "adresse e-mail invalide « jean@exemple,fr »"],
    ),
    4999: ({"email": "jean@exemple.fr."}, ["adresse e-mail invalide « jean@exemple.fr. »"]),
    5001: ({"email": "camille.martin2@exemple.fr"}, ["adresse e-mail déjà présente ligne 2"]),
}


def five_thousand_people() -> bytes:
    rows = [FIVE_THOUSAND_HEADER]
    for line in range(2, 5002):
        person = {
            "first_name": "Camille",
            "last_name": f"Martin-{line}",
            "email": f"camille.martin{line}@exemple.fr",
            "phone": "02 99 28 55 55",
            "title": "Chargée de mission cohésion sociale",
            "organisation": "Ville de Rennes",
            "siren": RENNES_SIREN,
            "commune": "35238",
        }
        overrides = dict(BAD_ROWS.get(line, ({}, []))[0])
        extra = [overrides.pop("extra")] if "extra" in overrides else []
        rows.append([*{**person, **overrides}.values(), *extra])
    return csv_bytes(rows, encoding="cp1252")


@pytest.fixture(scope="module")
def report() -> ImportReport[PersonRow]:
    """The 5,000-row file, parsed once for the class below."""
    return parse_people(five_thousand_people())


class TestFiveThousandRowFile:
    def test_has_forty_bad_rows_of_assorted_kinds(self) -> None:
        assert len(BAD_ROWS) == 40

    def test_reports_exactly_every_bad_row_with_its_line_and_reason(
        self, report: ImportReport[PersonRow]
    ) -> None:
        expected = [
            (line, reason) for line, (_, reasons) in sorted(BAD_ROWS.items()) for reason in reasons
        ]

        assert errors(report) == expected
        assert str(report.errors[0]) == "ligne 17 : adresse e-mail invalide « jean.dupont@ »"

    def test_keeps_the_4960_good_rows_with_their_lines(
        self, report: ImportReport[PersonRow]
    ) -> None:
        assert [row.line for row in report.rows] == [
            line for line in range(2, 5002) if line not in BAD_ROWS
        ]
        assert report.rows[0] == PersonRow(
            line=2,
            first_name="Camille",
            last_name="Martin-2",
            email="camille.martin2@exemple.fr",
            phone="+33299285555",
            title="Chargée de mission cohésion sociale",
            organisation_name="Ville de Rennes",
            organisation_siren=RENNES_SIREN,
            commune="35238",
        )

    def test_sums_it_up_in_french(self, report: ImportReport[PersonRow]) -> None:
        assert (report.encoding, report.delimiter) == ("windows-1252", ";")
        assert report.summary() == "5\u202f000 lignes lues, 4\u202f960 valides, 40 en erreur"

    def test_gives_every_kept_person_a_distinct_key(self, report: ImportReport[PersonRow]) -> None:
        assert len({row.key for row in report.rows}) == 4960


class TestOrganisationRows:
    @pytest.mark.parametrize(
        ("typed", "kind"),
        [
            ("Commune", "commune"),
            ("Mairie", "commune"),
            ("ville", "commune"),
            ("Communauté d’agglomération", "epci"),
            ("Communauté de communes", "epci"),
            ("Métropole", "epci"),
            ("EPCI", "epci"),
            ("CU", "epci"),
            ("CA", "epci"),
            ("cc", "epci"),
            ("Département", "departement"),
            ("Conseil départemental", "departement"),
            ("RÉGION", "region"),
            ("Préfecture", "state_service"),
            ("DDETS", "state_service"),
            ("Service de l'État", "state_service"),
            ("État", "state_service"),
            ("Bailleur", "social_landlord"),
            ("Bailleur social", "social_landlord"),
            ("Office public de l'habitat", "social_landlord"),
            ("Association", "association"),
            ("Centre social", "social_centre"),
            ("social_centre", "social_centre"),
        ],
    )
    def test_maps_the_kinds_french_offices_write(self, typed: str, kind: str) -> None:
        report = parse_organisations(organisations(["Une structure", typed, ""]))

        assert (report.rows[0].kind, report.warnings) == (kind, [])

    def test_imports_an_unknown_kind_as_other_with_a_warning(self) -> None:
        report = parse_organisations(organisations(["Fondation Abbé Pierre", "Fondation", ""]))

        assert report.rows[0].kind == "other"
        assert report.warnings == [
            RowError(2, "type de structure inconnu « Fondation » : importée comme « other »")
        ]
        assert report.summary() == "1 ligne lue, 1 valide, 0 en erreur, 1 avertissement"

    def test_produces_only_kinds_the_contracts_know(self) -> None:
        typed = ["Mairie", "CA", "Département", "Région", "DDETS", "OPH", "Centre social", "X"]
        report = parse_organisations(
            organisations(*[[f"S{i}", t, ""] for i, t in enumerate(typed)])
        )

        assert {row.kind for row in report.rows} <= set(OrganisationKind)

    def test_refuses_a_row_without_a_kind(self) -> None:
        report = parse_organisations(organisations(["Ville de Rennes", "", RENNES_SIREN]))

        assert errors(report) == [(2, "type de structure manquant")]

    @pytest.mark.parametrize(
        ("typed", "stored"), [(RENNES_SIREN, RENNES_SIREN), ("213 502 388", RENNES_SIREN)]
    )
    def test_keeps_a_siren_whose_luhn_key_is_right(self, typed: str, stored: str) -> None:
        row = parse_organisations(organisations(["Ville de Rennes", "Commune", typed])).rows[0]

        assert (row.siren, row.key) == (stored, stored)

    @pytest.mark.parametrize("typed", ["213502389", "21350238", "2135023880", "000000000", "abc"])
    def test_refuses_a_siren_with_a_wrong_key_or_length(self, typed: str) -> None:
        report = parse_organisations(organisations(["Ville de Rennes", "Commune", typed]))

        assert errors(report) == [(2, f"SIREN invalide « {typed} » (9 chiffres, clé de Luhn)")]

    def test_reports_the_second_row_with_the_same_siren(self) -> None:
        data = organisations(
            ["Ville de Rennes", "Commune", RENNES_SIREN],
            ["Mairie de Rennes", "Mairie", "213 502 388"],
        )

        assert errors(parse_organisations(data)) == [(3, "SIREN déjà présent ligne 2")]

    def test_without_siren_matches_on_name_and_commune_and_reports_a_repeat(self) -> None:
        header = ["Nom", "Type", "Code commune"]
        data = organisations(
            ["Centre social Ty-Blosne", "Centre social", "35238"],
            ["CENTRE SOCIAL TY BLOSNE", "Centre social", "35238"],
            ["Centre social Ty-Blosne", "Centre social", "44109"],
            header=header,
        )

        report = parse_organisations(data)

        assert errors(report) == [
            (3, "structure sans SIREN déjà présente ligne 2 (même nom, même commune)")
        ]
        assert [(row.key, row.name_key) for row in report.rows] == [
            (None, ("centre social ty blosne", "35238")),
            (None, ("centre social ty blosne", "44109")),
        ]

    def test_reads_address_and_territory_under_french_headers(self) -> None:
        header = [
            "Nom",
            "Nature",
            "N° SIREN",
            "Adresse",
            "CP",
            "Ville",
            "Code INSEE",
            "Département",
            "Région",
            "SIREN EPCI",
            "Codes QPV",
        ]
        row = [
            "Ville de Nantes", "Commune", NANTES_SIREN, "2 rue de l'Hôtel de Ville", "44000",
            "Nantes", "44109", "44", "52", NANTES_METROPOLE, "QN04406M; qn04407i | QN04408M",
        ]  # fmt: skip

        report = parse_organisations(organisations(row, header=header))

        assert report.rows == [
            OrganisationRow(
                line=2,
                name="Ville de Nantes",
                kind="commune",
                siren=NANTES_SIREN,
                address=PostalAddress("2 rue de l'Hôtel de Ville", "44000", "Nantes"),
                territory=TerritoryCodes(
                    region="52",
                    department="44",
                    commune="44109",
                    epci=NANTES_METROPOLE,
                    qpvs=("QN04406M", "QN04407I", "QN04408M"),
                ),
            )
        ]

    def test_a_commune_column_is_the_insee_code_when_it_looks_like_one_else_the_city(
        self,
    ) -> None:
        header = ["Nom", "Type", "Commune"]
        data = organisations(
            ["Ville de Rennes", "Commune", "35238"],
            ["Association Breizh", "Association", "Rennes"],
            header=header,
        )

        rows = parse_organisations(data).rows

        assert [(row.territory.commune, row.address.city) for row in rows] == [
            ("35238", ""),
            (None, "Rennes"),
        ]

    def test_restores_the_leading_zero_excel_drops_from_codes(self) -> None:
        header = ["Nom", "Type", "Code postal", "Département"]
        data = organisations(["Préfecture de l'Ain", "Préfecture", "1000", "1"], header=header)

        row = parse_organisations(data).rows[0]

        assert (row.address.postcode, row.territory.department) == ("01000", "01")

    def test_reports_a_commune_outside_the_department_naming_it(self) -> None:
        header = ["Nom", "Type", "Code commune", "Département"]
        data = organisations(["Ville de Rennes", "Commune", "35238", "44"], header=header)

        assert errors(parse_organisations(data)) == [
            (2, "la commune 35238 (Rennes) n'est pas dans le département 44")
        ]

    def test_refuses_a_qpv_code_of_the_2015_generation(self) -> None:
        header = ["Nom", "Type", "QPV"]
        data = organisations(["Centre social", "Centre social", "QP009001"], header=header)

        report = parse_organisations(data)

        assert report.rows == []
        assert errors(report) == [
            (
                2,
                "code QPV de la génération 2015 (QP009001), remplacé par la géographie "
                "prioritaire 2024 (codes QN…, décret du 28/12/2023) : indiquez le code QN du "
                "quartier",
            )
        ]

    def test_reports_every_territory_inconsistency_of_a_row(self) -> None:
        header = ["Nom", "Type", "Code INSEE", "EPCI", "QPV"]
        row = ["Ville de Nantes", "Commune", "44109", "243500139", "QN03502M"]

        assert errors(parse_organisations(organisations(row, header=header))) == [
            (2, "la commune 44109 (Nantes) n'est pas membre de l'EPCI 243500139"),
            (2, "le QPV QN03502M (Villejean) n'est pas dans la commune 44109"),
        ]

    def test_refuses_an_address_longer_than_the_register_keeps(self) -> None:
        header = ["Nom", "Type", "Adresse", "Code postal", "Ville"]
        row = ["Centre social", "Centre social", "r" * 201, "3" * 11, "V" * 101]

        assert errors(parse_organisations(organisations(row, header=header))) == [
            (2, "adresse trop longue (200 caractères au plus)"),
            (2, "code postal trop long (10 caractères au plus)"),
            (2, "ville trop longue (100 caractères au plus)"),
        ]

    def test_recognises_a_stored_organisation_by_the_same_key_as_a_row(self) -> None:
        header = ["Nom", "Type", "Ville"]
        data = organisations(["Association Ti Ar Vro", "Association", "Quimper"], header=header)

        row = parse_organisations(data).rows[0]

        assert name_key("ASSOCIATION TI-AR-VRO", None, "quimper") == row.name_key


class TestSummary:
    def test_counts_rows_read_valid_and_in_error_once_per_row(self) -> None:
        data = people(
            ["Anne", "Durand", "a.durand@exemple.fr"],
            ["", "", "pas-une-adresse"],
            ["Paul", "Martin", "p.martin@exemple.fr"],
        )

        report = parse_people(data)

        assert (report.read, len(report.errors), report.invalid) == (3, 3, 1)
        assert report.summary() == "3 lignes lues, 2 valides, 1 en erreur"

    def test_says_zero_in_the_singular_as_french_does(self) -> None:
        assert parse_people(people()).summary() == "0 ligne lue, 0 valide, 0 en erreur"


@pytest.mark.parametrize("parse", [parse_people, parse_organisations])
@pytest.mark.parametrize("data", [b'"nom"x;prenom\nA;B\n', b"nom\rprenom;\xc3\xa9\n"])
def test_a_header_line_the_csv_reader_cannot_read_is_refused_not_a_crash(parse, data) -> None:
    report = parse(data)

    assert report.refused
    assert [(e.line, e.reason.split(" (")[0]) for e in report.errors] == [
        (1, "première ligne illisible")
    ]
