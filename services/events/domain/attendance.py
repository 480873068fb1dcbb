"""Attendance documents of an event: the attendance list (CSV), the sign-in sheet to print (PDF)
and each participant's attendance certificate (PDF), in French.

Pure: built in memory from plain values (:class:`AttendanceEvent`, :class:`Participant`) that the
store reads; no database, no clock (the caller passes the time of issue). The PDFs embed DejaVu
Sans, shipped under ``services/events/assets/fonts/`` with its licence, so accents, « », ’ and œ
print the same on every machine; no system font is read.

- **CSV**: UTF-8 with a BOM (Excel reads the accents), ``;`` between fields, CRLF line ends, a
  French header, sorted by last name then first name (ignoring case and accents); a value a
  spreadsheet would take for a formula gets a leading apostrophe.
- **Sign-in sheet** (« feuille d'émargement »): A4 portrait, the event on top of every page, a
  table (N°, Nom, Prénom, Structure, Signature) whose header row repeats on each page, rows high
  enough to sign in, « Page 1/3 » at the foot. Pass the people expected on site (for a hybrid
  event, the on-site registrants); ``blank_rows`` adds empty lines for walk-ins.
- **Certificate** (« attestation de présence »): one page per participant who attended; the
  centre certifies that the person took part in the event, when and where, for how long.

Blocking (a PDF takes some milliseconds per page): run in a worker thread from async code.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.fonts import FontFace

from contracts.events.common import AttendanceMode
from services.runtime.errors import Conflict
from services.runtime.french import DAYS as _DAYS
from services.runtime.french import MONTHS as _MONTHS

PARIS = ZoneInfo("Europe/Paris")
NBSP = "\u00a0"
ONLINE = "En ligne"
"""The place of an online event, as documents print it."""

FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FONT = "DejaVuSans"

MODE_LABELS: dict[str, str] = {"onsite": "Sur place", "online": "En ligne"}
CSV_HEADER = ("Nom", "Prénom", "Structure", "Modalité", "Présent·e")

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class NotAttended(Conflict):
    """A certificate was asked for someone who is not checked in as present."""

    code = "not_attended"


@dataclass(frozen=True)
class AttendanceEvent:
    """What the documents say of the event."""

    title: str
    type_label: str
    """« Rencontre interrégionale »: ``report.EVENT_TYPE_LABELS`` has the label of each type."""
    starts_at: datetime
    ends_at: datetime
    place: str
    """« Maison de quartier du Blosne, Rennes », or :data:`ONLINE`."""
    organiser: str
    """The centre's name, which certifies attendance."""
    hours: Decimal | None = None
    """Hours of attendance a certificate states; None: the time from start to end (set it for
    an event over several days, or with a long break)."""

    def __post_init__(self) -> None:
        for name in ("starts_at", "ends_at"):
            moment: datetime = getattr(self, name)
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError(f"{name} must be an aware datetime")
        if self.ends_at <= self.starts_at:
            raise ValueError("an event ends after it starts")
        if self.hours is not None and self.hours <= 0:
            raise ValueError("hours must be positive")

    @property
    def duration_hours(self) -> Decimal:
        if self.hours is not None:
            return self.hours
        seconds = Decimal((self.ends_at - self.starts_at) // timedelta(seconds=1))
        return seconds / 3600


@dataclass(frozen=True)
class Participant:
    """A registrant, as the attendance documents name them."""

    last_name: str
    first_name: str
    organisation: str = ""
    mode: AttendanceMode = "onsite"
    attended: bool = False
    """Checked in by staff (or signed the sheet)."""


@dataclass(frozen=True)
class Issuer:
    """Who signs certificates, and where they are issued."""

    city: str
    """« Fait à <city> »."""
    signatory: str = ""
    """« Marie Martin, directrice », printed under the signature space; empty: none."""


# --- French formats ----------------------------------------------------------------------------


def french_date(day: date, *, weekday: bool = True) -> str:
    """``jeudi 13 juin 2027`` (``1er`` for the first of a month); without ``weekday``,
    ``13 juin 2027``."""
    number = "1er" if day.day == 1 else str(day.day)
    text = f"{number} {_MONTHS[day.month - 1]} {day.year}"
    return f"{_DAYS[day.weekday()]} {text}" if weekday else text


def french_time(moment: time) -> str:
    """``9 h 30``, ``17 h`` (no minutes on the hour), with non-breaking spaces."""
    if moment.minute == 0:
        return f"{moment.hour}{NBSP}h"
    return f"{moment.hour}{NBSP}h{NBSP}{moment.minute:02d}"


def french_span(starts_at: datetime, ends_at: datetime) -> str:
    """When it took place, in Paris time: ``le jeudi 13 juin 2027 de 9 h 30 à 17 h``, or over
    several days ``du lundi 2 mars 2026 à 9 h 30 au mardi 3 mars 2026 à 17 h``."""
    start, end = starts_at.astimezone(PARIS), ends_at.astimezone(PARIS)
    if start.date() == end.date():
        return (
            f"le {french_date(start.date())} de {french_time(start.time())} "
            f"à {french_time(end.time())}"
        )
    return (
        f"du {french_date(start.date())} à {french_time(start.time())} "
        f"au {french_date(end.date())} à {french_time(end.time())}"
    )


def french_hours(hours: Decimal) -> str:
    """``7 heures``, ``7,5 heures (7 h 30)``, ``1 heure``: a duration as a certificate states it."""
    minutes = int((hours * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    whole, rest = divmod(minutes, 60)
    decimal = (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    number = f"{decimal.normalize():f}".replace(".", ",")
    unit = "heure" if decimal < 2 else "heures"
    text = f"{number}{NBSP}{unit}"
    return f"{text} ({whole}{NBSP}h{NBSP}{rest:02d})" if rest else text


def quoted(text: str) -> str:
    """« text », with the non-breaking spaces French puts inside the marks."""
    return f"«{NBSP}{text}{NBSP}»"


def sort_key(participant: Participant) -> tuple[str, str, str, str]:
    """Last name, then first name, ignoring case and accents (É files with E)."""
    return (
        _collation(participant.last_name),
        _collation(participant.first_name),
        participant.last_name,
        participant.first_name,
    )


def _collation(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


# --- CSV ---------------------------------------------------------------------------------------


def attendance_csv(participants: Iterable[Participant]) -> bytes:
    """The attendance list as French spreadsheets open it (see the module docstring)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for person in sorted(participants, key=sort_key):
        writer.writerow(
            [
                _csv_safe(person.last_name),
                _csv_safe(person.first_name),
                _csv_safe(person.organisation),
                MODE_LABELS[person.mode],
                "oui" if person.attended else "non",
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def _csv_safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


# --- PDF ---------------------------------------------------------------------------------------


class _Document(FPDF):
    """A4 portrait with the shipped font; optionally an event header and page numbers."""

    def __init__(self, *, title: str, author: str, created_at: datetime) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_font(FONT, size=10)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(title)
        self.set_author(author)
        self.set_creator("reso")
        self.set_lang("fr-FR")
        self.set_creation_date(created_at)
        self.page_header: list[tuple[str, float]] = []
        self.numbered = False

    def header(self) -> None:
        if not self.page_header:
            return
        for text, size in self.page_header:
            self.set_font(FONT, "B" if size >= 13 else "", size)
            self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(4)
        self.set_font(FONT, "", 10)

    def footer(self) -> None:
        if not self.numbered:
            return
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"Page {self.page_no()}/{{nb}}", align="C")

    def bytes(self) -> bytes:
        return bytes(self.output())


def signin_sheet_pdf(
    event: AttendanceEvent,
    participants: Iterable[Participant],
    *,
    generated_at: datetime,
    blank_rows: int = 0,
) -> bytes:
    """The sign-in sheet to print (see the module docstring).

    Args:
        event: The event, printed on top of each page.
        participants: The people expected; sorted by last name here.
        generated_at: When the sheet is made (aware): the PDF's creation date.
        blank_rows: Empty lines at the end, for people who come without registering.
    """
    pdf = _Document(
        title=f"Feuille d'émargement – {event.title}",
        author=event.organiser,
        created_at=generated_at,
    )
    span = french_span(event.starts_at, event.ends_at)
    pdf.page_header = [
        (event.organiser, 9),
        ("Feuille d'émargement", 14),
        (event.title, 12),
        (f"{event.type_label} · {span[0].upper()}{span[1:]} · {event.place}", 9),
    ]
    pdf.numbered = True
    pdf.add_page()
    people = sorted(participants, key=sort_key)
    with pdf.table(
        col_widths=(8, 22, 20, 28, 22),
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT", "LEFT"),
        line_height=5,
        padding=1.5,
        min_row_height=13,
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
        repeat_headings=1,
    ) as table:
        header = table.row()
        for heading in ("N°", "Nom", "Prénom", "Structure", "Signature"):
            header.cell(heading)
        for number, person in enumerate(people, start=1):
            row = table.row()
            for text in (str(number), person.last_name, person.first_name, person.organisation):
                row.cell(text)
            row.cell("")
        for number in range(len(people) + 1, len(people) + 1 + max(0, blank_rows)):
            row = table.row()
            row.cell(str(number))
            for _ in range(4):
                row.cell("")
    pdf.ln(4)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(0, 5, f"{len(people)} personne(s) inscrite(s).", new_x="LMARGIN", new_y="NEXT")
    return pdf.bytes()


def certificate_text(event: AttendanceEvent, participant: Participant) -> str:
    """The certifying sentence: « <centre> atteste que <Prénom Nom> (<structure>) a participé à
    « <titre> », <type>, le jeudi 13 juin 2027 de 9 h 30 à 17 h. »"""
    who = f"{participant.first_name} {participant.last_name}".strip()
    if participant.organisation:
        who = f"{who} ({participant.organisation})"
    kind = event.type_label[:1].lower() + event.type_label[1:]
    return (
        f"{event.organiser} atteste que {who} a participé à {quoted(event.title)}, {kind}, "
        f"{french_span(event.starts_at, event.ends_at)}."
    )


def certificate_pdf(
    event: AttendanceEvent, participant: Participant, issuer: Issuer, *, issued_at: datetime
) -> bytes:
    """One participant's attendance certificate (one page).

    Raises:
        NotAttended: the participant is not checked in as present.
    """
    return certificates_pdf(event, [participant], issuer, issued_at=issued_at)


def certificates_pdf(
    event: AttendanceEvent,
    participants: Sequence[Participant],
    issuer: Issuer,
    *,
    issued_at: datetime,
) -> bytes:
    """The certificates of several participants, one page each, sorted by last name.

    Raises:
        NotAttended: one of them is not checked in as present (no file is made).
    """
    if absent := [p for p in participants if not p.attended]:
        person = absent[0]
        raise NotAttended(
            f"{person.first_name} {person.last_name} n'est pas pointé·e présent·e : pas "
            "d'attestation de présence.",
            last_name=person.last_name,
            first_name=person.first_name,
        )
    pdf = _Document(
        title=f"Attestation de présence – {event.title}",
        author=event.organiser,
        created_at=issued_at,
    )
    issued_on = issued_at.astimezone(PARIS).date()
    for person in sorted(participants, key=sort_key):
        _certificate_page(pdf, event, person, issuer, issued_on)
    return pdf.bytes()


def _certificate_page(
    pdf: _Document, event: AttendanceEvent, person: Participant, issuer: Issuer, issued_on: date
) -> None:
    pdf.add_page()
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 6, event.organiser, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(25)
    pdf.set_font(FONT, "B", 20)
    pdf.cell(0, 12, "Attestation de présence", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(15)
    pdf.set_font(FONT, "", 12)
    _paragraph(pdf, certificate_text(event, person))
    pdf.ln(4)
    _paragraph(pdf, f"Lieu : {event.place}")
    _paragraph(pdf, f"Durée : {french_hours(event.duration_hours)}")
    pdf.ln(4)
    _paragraph(pdf, "Cette attestation est délivrée pour servir et valoir ce que de droit.")
    pdf.ln(12)
    _paragraph(pdf, f"Fait à {issuer.city}, le {french_date(issued_on, weekday=False)}.")
    if issuer.signatory:
        pdf.ln(20)
        _paragraph(pdf, issuer.signatory)


def _paragraph(pdf: FPDF, text: str, **options: Any) -> None:
    pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT", **options)
