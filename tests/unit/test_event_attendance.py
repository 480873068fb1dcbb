"""Attendance documents of an event: the CSV list, the sign-in sheet and the certificates, in
French, read back as a person's spreadsheet or PDF reader would."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from contracts.events.common import EventType
from services.events.domain.attendance import (
    ONLINE,
    AttendanceEvent,
    Issuer,
    NotAttended,
    Participant,
    attendance_csv,
    certificate_pdf,
    certificate_text,
    certificates_pdf,
    french_date,
    french_hours,
    french_span,
    french_time,
    signin_sheet_pdf,
)
from services.events.domain.report import EVENT_TYPE_LABELS

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2027, 6, 14, 10, 0, tzinfo=PARIS)
EVENT = AttendanceEvent(
    title="Quartiers en transitions : l’œuvre « commune »",
    type_label=EVENT_TYPE_LABELS[EventType.INTERREGIONAL_MEETING],
    starts_at=datetime(2027, 6, 10, 9, 30, tzinfo=PARIS),
    ends_at=datetime(2027, 6, 10, 17, 0, tzinfo=PARIS),
    place="Salle polyvalente, Laval",
    organiser="Centre de ressources Réso Villes",
)
PEOPLE = [
    Participant("Zoé", "Anaïs", "Ville de Laval", "onsite", attended=True),
    Participant("Éluard", "Gaëlle", "Rennes Métropole", "onsite", attended=False),
    Participant("dupont", "Jérôme", "Association Cœur de quartier", "online", attended=True),
    Participant("Dupont", "Agnès", "", "onsite", attended=True),
]


def pdf_text(data: bytes) -> list[str]:
    """Each page's text, with runs of white space (also non-breaking) as one space."""
    reader = PdfReader(io.BytesIO(data))
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


class TestFrenchFormats:
    def test_dates_carry_the_weekday_and_first_of_the_month(self) -> None:
        assert french_date(date(2027, 6, 10)) == "jeudi 10 juin 2027"
        assert french_date(date(2027, 8, 1)) == "dimanche 1er août 2027"
        assert french_date(date(2027, 12, 1), weekday=False) == "1er décembre 2027"

    def test_times_drop_minutes_on_the_hour(self) -> None:
        assert french_time(time(9, 30)) == "9\u00a0h\u00a030"
        assert french_time(time(17, 0)) == "17\u00a0h"

    def test_a_day_reads_as_in_a_certificate(self) -> None:
        assert french_span(EVENT.starts_at, EVENT.ends_at).replace("\u00a0", " ") == (
            "le jeudi 10 juin 2027 de 9 h 30 à 17 h"
        )

    def test_a_span_over_days_names_both_days(self) -> None:
        starts = datetime(2027, 3, 1, 9, 0, tzinfo=PARIS)
        ends = datetime(2027, 3, 2, 16, 30, tzinfo=PARIS)
        assert french_span(starts, ends).replace("\u00a0", " ") == (
            "du lundi 1er mars 2027 à 9 h au mardi 2 mars 2027 à 16 h 30"
        )

    def test_times_are_read_in_paris_whatever_zone_they_come_in(self) -> None:
        starts = datetime(2027, 6, 10, 7, 30, tzinfo=ZoneInfo("UTC"))
        ends = datetime(2027, 6, 10, 15, 0, tzinfo=ZoneInfo("UTC"))
        assert french_span(starts, ends) == french_span(EVENT.starts_at, EVENT.ends_at)

    @pytest.mark.parametrize(
        ("hours", "text"),
        [
            ("7", "7 heures"),
            ("7.5", "7,5 heures (7 h 30)"),
            ("1", "1 heure"),
            ("1.5", "1,5 heure (1 h 30)"),
            ("2.25", "2,25 heures (2 h 15)"),
            ("10", "10 heures"),
        ],
    )
    def test_durations_read_in_hours(self, hours: str, text: str) -> None:
        assert french_hours(Decimal(hours)).replace("\u00a0", " ") == text


class TestAttendanceEvent:
    def test_lasts_from_start_to_end_unless_hours_are_given(self) -> None:
        assert EVENT.duration_hours == Decimal("7.5")
        two_days = AttendanceEvent(
            "Formation",
            "Journée de formation",
            datetime(2027, 3, 1, 9, 0, tzinfo=PARIS),
            datetime(2027, 3, 2, 17, 0, tzinfo=PARIS),
            ONLINE,
            "CRPV",
            hours=Decimal(14),
        )
        assert two_days.duration_hours == 14

    def test_refuses_naive_or_inverted_times(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            AttendanceEvent("T", "Atelier", datetime(2027, 1, 1), EVENT.ends_at, ONLINE, "CRPV")
        with pytest.raises(ValueError, match="ends after"):
            AttendanceEvent("T", "Atelier", EVENT.ends_at, EVENT.starts_at, ONLINE, "CRPV")

    def test_every_event_type_has_a_french_label(self) -> None:
        assert set(EVENT_TYPE_LABELS) == set(EventType)


class TestAttendanceCsv:
    def test_opens_in_excel_with_french_headers_and_semicolons(self) -> None:
        data = attendance_csv(PEOPLE)
        assert data.startswith(b"\xef\xbb\xbfNom;Pr\xc3\xa9nom;Structure;Modalit\xc3\xa9;")
        assert b"\r\n" in data

    def test_lists_everyone_by_last_name_ignoring_case_and_accents(self) -> None:
        rows = read_csv(attendance_csv(PEOPLE))
        assert rows[0] == ["Nom", "Prénom", "Structure", "Modalité", "Présent·e"]
        assert rows[1:] == [
            ["Dupont", "Agnès", "", "Sur place", "oui"],
            ["dupont", "Jérôme", "Association Cœur de quartier", "En ligne", "oui"],
            ["Éluard", "Gaëlle", "Rennes Métropole", "Sur place", "non"],
            ["Zoé", "Anaïs", "Ville de Laval", "Sur place", "oui"],
        ]

    def test_keeps_separators_and_quotes_inside_values(self) -> None:
        tricky = Participant('Martin; "dit" Léo', "Jean-Noël", "Ville d’Angers;\nservice")
        assert read_csv(attendance_csv([tricky]))[1][:3] == [
            'Martin; "dit" Léo',
            "Jean-Noël",
            "Ville d’Angers;\nservice",
        ]

    def test_does_not_let_a_value_run_as_a_formula(self) -> None:
        rows = read_csv(attendance_csv([Participant("=HYPERLINK()", "Ana", "+33 assoc")]))
        assert rows[1][0] == "'=HYPERLINK()"
        assert rows[1][2] == "'+33 assoc"

    def test_has_only_the_header_when_nobody_registered(self) -> None:
        assert read_csv(attendance_csv([])) == [list(read_csv(attendance_csv(PEOPLE))[0])]


class TestSigninSheet:
    def test_names_the_event_and_everyone_with_accents(self) -> None:
        [page] = pdf_text(signin_sheet_pdf(EVENT, PEOPLE, generated_at=NOW))
        assert "Feuille d'émargement" in page
        assert "Quartiers en transitions : l’œuvre « commune »" in page
        assert "Le jeudi 10 juin 2027 de 9 h 30 à 17 h" in page
        assert "Salle polyvalente, Laval" in page
        assert "Centre de ressources Réso Villes" in page
        for person in PEOPLE:
            assert person.last_name in page and person.first_name in page
        assert "Association Cœur de quartier" in page
        assert "N° Nom Prénom Structure Signature" in page

    def test_sorts_by_last_name(self) -> None:
        [page] = pdf_text(signin_sheet_pdf(EVENT, PEOPLE, generated_at=NOW))
        order = [
            page.index(f"{n} {p.last_name} {p.first_name}")
            for n, p in [
                (1, PEOPLE[3]),
                (2, PEOPLE[2]),
                (3, PEOPLE[1]),
                (4, PEOPLE[0]),
            ]
        ]
        assert order == sorted(order)

    def test_numbers_pages_and_repeats_the_header_row_on_each(self) -> None:
        many = [Participant(f"Nom{i:03d}", "Éloïse", "Ville de Laval") for i in range(60)]
        pages = pdf_text(signin_sheet_pdf(EVENT, many, generated_at=NOW))
        assert len(pages) >= 3
        for number, page in enumerate(pages, start=1):
            assert f"Page {number}/{len(pages)}" in page
            assert "N° Nom Prénom Structure Signature" in page
            assert "Feuille d'émargement" in page
        text = " ".join(pages)
        assert all(f"Nom{i:03d}" in text for i in range(60))
        assert "Nom059" in pages[-1] and "Nom059" not in pages[0]

    def test_adds_numbered_blank_lines_for_walk_ins(self) -> None:
        [page] = pdf_text(signin_sheet_pdf(EVENT, PEOPLE[:2], generated_at=NOW, blank_rows=3))
        assert "2 Zoé Anaïs Ville de Laval 3 4 5 2 personne(s) inscrite(s)." in page

    def test_is_an_a4_page(self) -> None:
        reader = PdfReader(io.BytesIO(signin_sheet_pdf(EVENT, PEOPLE, generated_at=NOW)))
        box = reader.pages[0].mediabox
        assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (
            210,
            297,
        )

    def test_embeds_its_own_font(self) -> None:
        reader = PdfReader(io.BytesIO(signin_sheet_pdf(EVENT, PEOPLE, generated_at=NOW)))
        fonts = reader.pages[0]["/Resources"]["/Font"]  # type: ignore[index]
        names = [str(font.get_object()["/BaseFont"]) for font in fonts.values()]
        assert names and all("DejaVuSans" in name for name in names)


class TestCertificate:
    issuer = Issuer(city="Rennes", signatory="Marie Martin, directrice")

    def test_certifies_who_attended_what_when_where_and_how_long(self) -> None:
        [page] = pdf_text(certificate_pdf(EVENT, PEOPLE[0], self.issuer, issued_at=NOW))
        assert "Attestation de présence" in page
        assert (
            "Centre de ressources Réso Villes atteste que Anaïs Zoé (Ville de Laval) a participé "
            "à « Quartiers en transitions : l’œuvre « commune » », rencontre interrégionale, "
            "le jeudi 10 juin 2027 de 9 h 30 à 17 h."
        ) in page
        assert "Lieu : Salle polyvalente, Laval" in page
        assert "Durée : 7,5 heures (7 h 30)" in page
        assert "Fait à Rennes, le 14 juin 2027." in page
        assert "Marie Martin, directrice" in page

    def test_leaves_out_the_organisation_when_there_is_none(self) -> None:
        text = certificate_text(EVENT, PEOPLE[3]).replace("\u00a0", " ")
        assert "atteste que Agnès Dupont a participé" in text

    def test_gives_one_page_per_participant_sorted_by_name(self) -> None:
        present = [p for p in PEOPLE if p.attended]
        pages = pdf_text(certificates_pdf(EVENT, present, self.issuer, issued_at=NOW))
        assert len(pages) == 3
        assert "Agnès Dupont" in pages[0]
        assert "Jérôme dupont" in pages[1]
        assert "Anaïs Zoé" in pages[2]

    def test_is_refused_for_someone_not_checked_in(self) -> None:
        with pytest.raises(
            NotAttended, match="Gaëlle Éluard n'est pas pointé·e présent·e"
        ) as error:
            certificates_pdf(EVENT, PEOPLE, self.issuer, issued_at=NOW)
        assert error.value.code == "not_attended"

    def test_states_the_hours_given_for_an_event_over_several_days(self) -> None:
        training = AttendanceEvent(
            "Cycle « Participation »",
            "Journée de formation",
            datetime(2027, 3, 1, 9, 0, tzinfo=PARIS),
            datetime(2027, 3, 2, 17, 0, tzinfo=PARIS),
            ONLINE,
            "CRPV",
            hours=Decimal(14),
        )
        [page] = pdf_text(certificate_pdf(training, PEOPLE[0], Issuer("Laval"), issued_at=NOW))
        assert "du lundi 1er mars 2027 à 9 h au mardi 2 mars 2027 à 17 h" in page
        assert "Lieu : En ligne" in page
        assert "Durée : 14 heures" in page
