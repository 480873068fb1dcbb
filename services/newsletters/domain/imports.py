"""Reading a CSV file of existing subscribers (plain: bytes in, rows and problems out)."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from pydantic import TypeAdapter, ValidationError

from contracts.base import Email
from contracts.newsletters import SubscriberProfile
from services.newsletters.domain.subscriptions import checked_profile, email_key
from services.runtime.errors import DomainError

_EMAIL: TypeAdapter[str] = TypeAdapter(Email)

COLUMNS = {
    "email": ("email", "e-mail", "mail", "courriel", "adresse e-mail", "adresse email"),
    "first_name": ("prenom",),
    "last_name": ("nom",),
    "organisation": ("organisation", "structure", "organisme"),
    "department": ("departement",),
    "commune": ("commune", "code commune", "code insee"),
    "consented_on": ("date consentement", "date de consentement", "consentement"),
}
"""The columns read (headers compared without accents, case or punctuation); others are
ignored, so a file exported from elsewhere needs no editing."""

NOON = time(12, 0, tzinfo=UTC)
"""A consent date becomes that day at noon UTC (the day, in France, whatever the hour)."""


@dataclass(frozen=True)
class SubscriberRow:
    line: int
    email: str
    key: str
    profile: SubscriberProfile
    consented_at: datetime


@dataclass
class ParsedFile:
    rows: list[SubscriberRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ";"
    read: int = 0
    refused: bool = False


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.replace("_", " ").replace("-", " ").split()).replace("e mail", "e-mail")


def _date(typed: str) -> date | None:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(typed.strip(), pattern).date()
        except ValueError:
            continue
    return None


UNREADABLE = "Fichier CSV illisible : un champ est trop long ou mal délimité par ses guillemets."


def parse_subscribers(data: bytes, default_date: date | None, today: date) -> ParsedFile:
    """Every row with a valid address and a consent date (its own, else ``default_date``), no
    later than ``today``; every other row is an error with its line; a repeated address is a
    warning (the first row counts). A file the CSV reader cannot read is refused, not a crash."""
    try:
        return _parse_subscribers(data, default_date, today)
    except csv.Error:
        unreadable = ParsedFile()
        unreadable.refused = True
        unreadable.errors.append((1, UNREADABLE))
        return unreadable


def _parse_subscribers(data: bytes, default_date: date | None, today: date) -> ParsedFile:
    parsed = ParsedFile()
    try:
        text = data.decode("utf-8-sig")
        parsed.encoding = "utf-8"
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        parsed.encoding = "windows-1252"
    first_line = text.split("\n", 1)[0]
    parsed.delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=parsed.delimiter)
    header = next(reader, None)
    if header is None:
        parsed.refused = True
        parsed.errors.append((1, "Le fichier est vide."))
        return parsed
    aliases = {alias: column for column, names in COLUMNS.items() for alias in names}
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        column = aliases.get(_fold(name))
        if column is not None and column not in positions:
            positions[column] = index
    if "email" not in positions:
        parsed.refused = True
        parsed.errors.append((1, "Colonne « email » introuvable dans la première ligne."))
        return parsed
    seen: set[str] = set()
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        parsed.read += 1

        def cell(column: str, record: list[str] = record) -> str | None:
            index = positions.get(column)
            value = record[index].strip() if index is not None and index < len(record) else ""
            return value or None

        try:
            email = str(_EMAIL.validate_python(cell("email") or ""))
        except ValidationError:
            parsed.errors.append((line, f"adresse e-mail invalide : « {cell('email') or ''} »"))
            continue
        key = email_key(email)
        if key in seen:
            parsed.warnings.append((line, "adresse déjà présente plus haut : ligne ignorée"))
            continue
        typed_date = cell("consented_on")
        consented = _date(typed_date) if typed_date else default_date
        if consented is None:
            reason = (
                f"date de consentement illisible : « {typed_date} » (attendu : JJ/MM/AAAA)"
                if typed_date
                else "date de consentement manquante (colonne ou date par défaut de l'import)"
            )
            parsed.errors.append((line, reason))
            continue
        if consented > today:
            parsed.errors.append((line, "date de consentement dans le futur"))
            continue
        try:
            profile = checked_profile(
                SubscriberProfile(
                    first_name=cell("first_name"),
                    last_name=cell("last_name"),
                    organisation=cell("organisation"),
                    department=cell("department"),
                    commune=cell("commune"),
                )
            )
        except (ValidationError, DomainError) as error:
            reason = error.message if isinstance(error, DomainError) else _first(error)
            parsed.errors.append((line, reason))
            continue
        seen.add(key)
        parsed.rows.append(
            SubscriberRow(line, email, key, profile, datetime.combine(consented, NOON))
        )
    return parsed


def _first(error: ValidationError) -> str:
    detail = error.errors()[0]
    where = ".".join(str(part) for part in detail.get("loc", ()))
    return f"valeur invalide ({where}) : {detail.get('msg', '')}"
