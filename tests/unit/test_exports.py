"""Exports of filtered lists: what each row says (French labels, territory names, ties, the
membership of the year, phone numbers, Paris dates) and how it is written (a CSV as French
offices open it, with formulas neutralised; an XLSX whose text cells are never formulas)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from services.members.domain.exports import (
    Column,
    MembershipFacts,
    OrganisationLine,
    PersonLine,
    Tie,
    display_phone,
    organisation_row,
    organisations_columns,
    people_columns,
    person_row,
)
from services.members.domain.organisations import Organisation, PostalAddress, TerritoryCodes
from services.members.domain.people import Person
from services.members.sheets import SheetFile, csv_safe, csv_text

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
RENNES = TerritoryCodes("53", "35", "35238", "243500139", ("QN03502M", "QN03504M"))


def a_person(**overrides) -> Person:
    values = {
        "id": uuid.uuid4(),
        "first_name": "Léa",
        "last_name": "Le Guen",
        "email": "lea.leguen@example.org",
        "registered_at": NOW,
        "phone": "+33299001122",
        "title": "Cheffe de projet",
        "kind": "project_leader",
        "territory": RENNES,
        "confirmed_at": NOW,
    }
    values.update(overrides)
    return Person(**values)  # type: ignore[arg-type]


def an_organisation(**overrides) -> Organisation:
    values = {
        "id": uuid.uuid4(),
        "kind": "social_centre",
        "name": "Centre social de Maurepas",
        "siren": "784671695",
        "address": PostalAddress("3 rue de Bourgogne", "35000", "Rennes"),
        "territory": RENNES,
        "college": "acteurs_territoriaux",
        "created_at": NOW,
        "created_by": "staff@example.org",
        "email": "accueil@cs-maurepas.example.org",
        "phone": "+262262123456",
    }
    values.update(overrides)
    return Organisation(**values)  # type: ignore[arg-type]


def as_dict(columns: list[Column], row: list) -> dict:
    return dict(zip([column.header for column in columns], row, strict=True))


class TestPersonRow:
    def test_says_everything_in_french_with_names_from_the_reference(self):
        line = PersonLine(
            a_person(),
            ties=(Tie("Ville de Rennes", "cheffe de projet"), Tie("Amicale", "membre", False)),
            membership=MembershipFacts("pending", dues=Decimal("20.00")),
            networks=("gusp", "cites-educatives", "reseau-disparu"),
        )

        row = as_dict(people_columns(2026), person_row(line))

        assert row == {
            "Nom": "Le Guen",
            "Prénom": "Léa",
            "Courriel": "lea.leguen@example.org",
            "Téléphone": "02 99 00 11 22",
            "Fonction": "Cheffe de projet",
            "Type": "Chef·fe de projet politique de la ville",
            "Collège": "Acteurs territoriaux",
            "Région": "53 - Bretagne",
            "Département": "35 - Ille-et-Vilaine",
            "Commune": "35238 - Rennes",
            "EPCI": "243500139 - Rennes Métropole",
            "QPV": "QN03502M - Villejean ; QN03504M - Maurepas",
            "Structures": "Ville de Rennes (cheffe de projet) ; Amicale (membre, à vérifier)",
            "Adhésion 2026": "en attente de règlement",
            "Réseaux": "Cités éducatives ; GUSP (gestion urbaine et sociale de proximité) ; "
            "reseau-disparu",
            "Adresse confirmée": "oui",
            "Archivée le": None,
        }

    def test_leaves_empty_what_is_unknown_and_says_when_there_is_no_membership(self):
        person = a_person(
            phone="",
            title="",
            kind="elected_official",
            college="elus",
            territory=TerritoryCodes(department="13", commune="13055"),
            confirmed_at=None,
        )

        row = as_dict(people_columns(2025), person_row(PersonLine(person)))

        assert (row["Téléphone"], row["Type"], row["Collège"]) == ("", "Élu·e", "Élus")
        assert (row["Département"], row["Commune"], row["Région"]) == (
            "13 - Bouches-du-Rhône",
            "13055",  # the shipped communes cover Bretagne and Pays de la Loire only
            "",
        )
        assert (row["Structures"], row["Réseaux"], row["QPV"]) == ("", "", "")
        assert row["Adhésion 2025"] == "aucune"
        assert row["Adresse confirmée"] == "non"

    def test_dates_the_archiving_in_paris_time(self):
        archived = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # 1 April, 00:30 in Paris

        row = person_row(PersonLine(a_person(archived_at=archived)))

        assert row[-1] == date(2026, 4, 1)


class TestOrganisationRow:
    def test_gives_the_dues_what_was_paid_and_the_receipt_of_the_year(self):
        paid = MembershipFacts(
            "active", dues=Decimal("1200.00"), paid=Decimal("1200.00"), receipt_number="2026-000042"
        )

        row = as_dict(
            organisations_columns(2026), organisation_row(OrganisationLine(an_organisation(), paid))
        )

        assert row == {
            "Nom": "Centre social de Maurepas",
            "Type": "Centre social",
            "SIREN": "784671695",
            "Adresse": "3 rue de Bourgogne",
            "Code postal": "35000",
            "Ville": "Rennes",
            "Région": "53 - Bretagne",
            "Département": "35 - Ille-et-Vilaine",
            "Commune": "35238 - Rennes",
            "EPCI": "243500139 - Rennes Métropole",
            "QPV": "QN03502M - Villejean ; QN03504M - Maurepas",
            "Collège": "Acteurs territoriaux",
            "Courriel": "accueil@cs-maurepas.example.org",
            "Téléphone": "0262 12 34 56",
            "Adhésion 2026": "à jour",
            "Cotisation": Decimal("1200.00"),
            "Payé": Decimal("1200.00"),
            "Reçu": "2026-000042",
            "Archivée le": None,
        }

    def test_says_a_waived_membership_and_leaves_amounts_empty_without_one(self):
        waived = MembershipFacts("active", waived=True, dues=Decimal("30.00"))

        with_waiver = organisation_row(OrganisationLine(an_organisation(), waived))
        without = organisation_row(OrganisationLine(an_organisation(siren=None)))

        assert with_waiver[14:18] == ["à jour (exonérée)", Decimal("30.00"), Decimal("0"), ""]
        assert without[14:18] == ["aucune", None, None, ""]
        assert without[2] == ""


class TestPhoneNumbers:
    @pytest.mark.parametrize(
        ("stored", "shown"),
        [
            ("+33299001122", "02 99 00 11 22"),
            ("+33612345678", "06 12 34 56 78"),
            ("+262262123456", "0262 12 34 56"),
            ("+590690123456", "0690 12 34 56"),
            ("+596696123456", "0696 12 34 56"),
            ("+442079460958", "+44 20 7946 0958"),
            ("", ""),
        ],
    )
    def test_are_written_as_dialled_in_france_or_with_their_country_code(self, stored, shown):
        assert display_phone(stored) == shown


class TestCsvCells:
    @pytest.mark.parametrize(
        "value", ["=1+1", "+33 6 12", "-2", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("x")']
    )
    def test_a_value_a_spreadsheet_would_run_gets_a_leading_apostrophe(self, value):
        assert csv_safe(value) == "'" + value

    @pytest.mark.parametrize("value", ["Le Guen", "l'Ouest", "a=b", "3 - Rennes", ""])
    def test_other_values_are_left_as_they_are(self, value):
        assert csv_safe(value) == value

    def test_amounts_have_a_decimal_comma_and_dates_are_day_month_year(self):
        assert csv_text(Decimal("1200")) == "1200,00"
        assert csv_text(Decimal("30.5")) == "30,50"
        assert csv_text(date(2026, 1, 5)) == "05/01/2026"
        assert csv_text(None) == ""


def written(format: str, rows: list[list], columns: list[Column]) -> bytes:
    sheet = SheetFile(format, "Personnes", columns)  # type: ignore[arg-type]
    try:
        sheet.add(rows)
        size = sheet.finish()
        data = sheet.read(size + 1)
    finally:
        sheet.close()
    assert len(data) == size and sheet.rows == len(rows)
    return data


COLUMNS = [Column("Nom"), Column("Archivée le"), Column("Cotisation"), Column("Note")]
ROWS = [
    ["=cmd|' /C calc'!A0", date(2026, 1, 5), Decimal("1200.00"), "un ; deux\nlignes"],
    ["Le Guen", None, None, ""],
]


class TestCsvFile:
    def test_is_utf8_with_bom_semicolons_and_crlf_as_french_excel_expects(self):
        data = written("csv", ROWS, COLUMNS)

        assert data.startswith(b"\xef\xbb\xbfNom;Archiv\xc3\xa9e le;Cotisation;Note\r\n")
        assert data.decode("utf-8-sig").splitlines(keepends=True)[-1] == "Le Guen;;;\r\n"
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
        assert rows[1] == ["'=cmd|' /C calc'!A0", "05/01/2026", "1200,00", "un ; deux\nlignes"]


class TestXlsxFile:
    def test_writes_text_as_text_dates_as_dates_and_amounts_as_euros(self):
        data = written("xlsx", ROWS, COLUMNS)

        book = openpyxl.load_workbook(io.BytesIO(data))
        sheet = book["Personnes"]
        assert [cell.value for cell in sheet[1]] == ["Nom", "Archivée le", "Cotisation", "Note"]
        name, archived, dues, note = sheet[2]
        assert (name.value, name.data_type) == ("=cmd|' /C calc'!A0", "s")  # never a formula
        assert archived.value == datetime(2026, 1, 5) and archived.number_format == "dd/mm/yyyy"
        assert dues.value == 1200 and "€" in dues.number_format
        assert note.value == "un ; deux\nlignes"
        assert [cell.value for cell in sheet[3]] == ["Le Guen", None, None, None]
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:D3"
