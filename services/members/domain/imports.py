"""CSV import of people and organisations as French offices produce them: the pure part.

``parse_people`` and ``parse_organisations`` read the bytes of a file and return an
:class:`ImportReport`: the valid rows, typed, and every bad row with its line number and the
reason in French. Nothing is written, so parsing *is* the dry run. The store then applies
``report.rows`` idempotently: a person is matched on ``PersonRow.key`` (the normalised e-mail),
an organisation on ``OrganisationRow.key`` (its SIREN) or, when it has none, on
``OrganisationRow.name_key`` (normalised name and commune), so importing twice creates nothing.

Accepted files: UTF-8 with or without BOM, else Windows-1252 (UTF-16 with a BOM too, Excel's
"Texte Unicode"); ``;``, ``,`` or tab between fields, guessed from the header line; quoted
values may hold the separator and line breaks. Headers are matched without regard to case,
accents, spaces or punctuation. Line numbers are physical lines, header = 1: a value spanning
two lines pushes the next record down by one. Blank lines are skipped silently.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Generic, TypeVar

from email_validator import EmailNotValidError, validate_email
from pydantic import TypeAdapter, ValidationError

from contracts.base import Siren
from reference import territories
from services.members.domain.organisations import PostalAddress, TerritoryCodes
from services.members.domain.people import normalise_email, normalise_phone
from services.runtime.errors import InvalidInput

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

R = TypeVar("R")

_DELIMITERS = (";", ",", "\t")  # on a tie the first wins: French Excel writes ";"
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
# The combining marks NFKD splits accents into (the Unicode blocks of combining diacritics).
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
_INSEE_LIKE = re.compile(r"^(\d{4,5}|2[AB]\d{3})$", re.IGNORECASE)
_QPV_SEPARATORS = re.compile(r"[,;|\s]+")
_SIREN = TypeAdapter(Siren)
_ATEXT = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+"  # RFC 5322 3.2.3, as email-validator reads it
_DOT_ATOM = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_UNCLOSED = "guillemet jamais refermé : la suite du fichier est une seule valeur"
_MISPLACED = "guillemets mal placés : une valeur entre guillemets doit être suivie du séparateur"
_EMAIL_TWICE = "adresse e-mail déjà présente ligne {}"
_NAME_TWICE = "structure sans SIREN déjà présente ligne {} (même nom, même commune)"


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with one record; ``line`` is where the record starts in the file (header = 1)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"ligne {self.line} : {self.reason}"


@dataclass(frozen=True, slots=True)
class PersonRow:
    line: int
    first_name: str
    last_name: str
    email: str
    phone: str = ""
    title: str = ""
    organisation_name: str = ""
    organisation_siren: str | None = None
    commune: str | None = None

    @property
    def key(self) -> str:
        """What a re-import matches an existing person on: the trimmed, case-folded e-mail."""
        return normalise_email(self.email)


@dataclass(frozen=True, slots=True)
class OrganisationRow:
    line: int
    name: str
    kind: str
    siren: str | None
    address: PostalAddress
    territory: TerritoryCodes

    @property
    def key(self) -> str | None:
        """The SIREN a re-import matches on; None when absent (then match on ``name_key``)."""
        return self.siren

    @property
    def name_key(self) -> tuple[str, str]:
        """Name and commune (INSEE code, else city), normalised: the match without a SIREN."""
        return name_key(self.name, self.territory.commune, self.address.city)


@dataclass
class ImportReport(Generic[R]):
    """What a file would import. ``refused`` means a file-level error: no row was read."""

    encoding: str = ""
    delimiter: str = ""
    read: int = 0
    rows: list[R] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    refused: bool = False

    @property
    def invalid(self) -> int:
        """How many records have at least one error."""
        return 0 if self.refused else len({error.line for error in self.errors})

    def summary(self) -> str:
        """One French sentence, e.g. "5 000 lignes lues, 4 960 valides, 40 en erreur"."""
        if self.refused:
            return "fichier refusé : " + " ; ".join(error.reason for error in self.errors)
        parts = [
            _count(self.read, "ligne lue", "lignes lues"),
            _count(len(self.rows), "valide", "valides"),
            f"{_number(self.invalid)} en erreur",
        ]
        if self.warnings:
            parts.append(_count(len(self.warnings), "avertissement", "avertissements"))
        return ", ".join(parts)


def fold(text: str) -> str:
    """Lower case, no accents, punctuation and spaces as one space: "N° SIREN" → "n siren"."""
    if text.isascii():  # most of what is folded (addresses, codes): no accent to take off
        return _NOT_ALNUM.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    bare = _COMBINING.sub("", decomposed)
    return _NOT_ALNUM.sub(" ", bare).strip()


def name_key(name: str, commune: str | None, city: str) -> tuple[str, str]:
    """How an organisation without a SIREN is recognised: its name and its commune (INSEE code,
    else the city of its address), normalised."""
    return fold(name), commune or fold(city)


def _aliases(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    return {fold(alias): name for name, aliases in table.items() for alias in aliases}


_PEOPLE_COLUMNS = _aliases(
    {
        "first_name": ("prénom", "prénoms", "prénom(s)", "first name", "firstname"),
        "last_name": ("nom", "nom de famille", "nom d'usage", "last name", "lastname"),
        "email": (
            "e-mail", "email", "courriel", "adresse électronique", "mail", "mél",
            "adresse e-mail", "adresse mail", "adresse courriel",
        ),
        "phone": ("téléphone", "tél.", "tel", "numéro de téléphone", "phone"),
        "title": ("fonction", "titre", "poste", "title"),
        "organisation_name": ("structure", "organisme", "organisation", "employeur"),
        "organisation_siren": ("siren", "siren de la structure", "n° siren", "siren structure"),
        "commune": ("commune", "code commune", "code insee", "insee", "code insee commune"),
    }
)  # fmt: skip
_ORGANISATION_COLUMNS = _aliases(
    {
        "name": ("nom", "raison sociale", "structure", "nom de la structure", "dénomination"),
        "kind": ("type", "catégorie", "nature", "type de structure", "kind"),
        "siren": ("siren", "n° siren", "numéro siren", "siren de la structure"),
        "street": ("adresse", "adresse postale", "rue", "street"),
        "postcode": ("code postal", "cp", "postcode"),
        "city": ("ville", "localité", "city"),
        "commune_or_city": ("commune",),
        "commune": ("code commune", "code insee", "insee", "code insee commune"),
        "department": ("département", "code département", "dép.", "dept"),
        "region": ("région", "code région"),
        "epci": ("epci", "siren epci", "code epci", "siren de l'epci"),
        "qpvs": ("qpv", "qpvs", "quartiers", "codes qpv", "code qpv", "quartiers prioritaires"),
    }
)  # fmt: skip
_KINDS = _aliases(
    {
        "commune": ("commune", "ville", "mairie"),
        "epci": (
            "epci", "communauté d'agglomération", "communauté de communes",
            "communauté urbaine", "métropole", "cu", "ca", "cc",
        ),
        "departement": ("département", "conseil départemental"),
        "region": ("région", "conseil régional"),
        "state_service": ("préfecture", "ddets", "service de l'état", "état", "state_service"),
        "social_landlord": (
            "bailleur", "bailleur social", "office public de l'habitat", "oph", "social_landlord"
        ),
        "association": ("association",),
        "social_centre": ("centre social", "centre socioculturel", "social_centre"),
        "other": ("autre", "other"),
    }
)  # fmt: skip
_LABELS = {
    "last_name": "nom (nom, nom de famille, last name)",
    "email": "adresse e-mail (e-mail, email, courriel, adresse électronique, mail)",
    "name": "nom (nom, raison sociale, structure)",
    "kind": "type (type, catégorie, nature)",
}


def parse_people(data: bytes) -> ImportReport[PersonRow]:
    """Read a file of people; required columns: last name and e-mail."""
    return _parse(data, _PEOPLE_COLUMNS, ("last_name", "email"), _person)


def parse_organisations(data: bytes) -> ImportReport[OrganisationRow]:
    """Read a file of organisations; required columns: name and kind.

    A "commune" column holds the territory's INSEE code where the value looks like one (four
    digits are a code that lost its leading zero), else the city of the address.
    """
    return _parse(data, _ORGANISATION_COLUMNS, ("name", "kind"), _organisation)


# A row builder reads one record's values, appends its problems and warnings, returns the row.
_Builder = Callable[[int, dict[str, str], dict[object, int], list[str], list[str]], R]


def _parse(
    data: bytes, columns: Mapping[str, str], required: tuple[str, ...], build: _Builder[R]
) -> ImportReport[R]:
    report: ImportReport[R] = ImportReport()
    if data.startswith(b"PK\x03\x04"):
        return _refuse(report, 1, "classeur Excel ou OpenDocument : enregistrez-le en CSV")
    decoded = _decode(data)
    if decoded is None:
        return _refuse(report, 1, "encodage non reconnu : enregistrez le fichier en CSV UTF-8")
    text, report.encoding = decoded
    first_line = next((line for line in io.StringIO(text) if line.strip()), "")
    try:
        delimiter = max(_DELIMITERS, key=lambda d: len(next(csv.reader([first_line], delimiter=d))))
        report.delimiter = delimiter
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    except csv.Error:  # the header line itself cannot be read
        return _refuse(report, 1, _UNREADABLE_HEADER)
    if header is None:
        return _refuse(report, 1, "fichier vide")
    positions = _positions(header, reader.line_num, columns, report)
    missing = [_LABELS[name] for name in required if name not in positions]
    if missing and not report.refused:
        _refuse(report, reader.line_num, "colonne absente : " + " ; ".join(missing))
    if report.refused:
        return report

    seen: dict[object, int] = {}
    for line, record in _records(reader, report):
        extra = [cell for cell in record[len(header) :] if cell.strip()]
        if extra:
            reason = (
                f"{len(header) + len(extra)} valeurs pour {len(header)} colonnes "
                f"(séparateur « {delimiter} » dans une valeur sans guillemets ?)"
            )
            report.errors.append(RowError(line, reason))
            continue
        values = {
            name: record[index].strip() if index < len(record) else ""
            for name, index in positions.items()
        }
        problems: list[str] = []
        warnings: list[str] = []
        row = build(line, values, seen, problems, warnings)
        report.errors.extend(RowError(line, problem) for problem in problems)
        report.warnings.extend(RowError(line, warning) for warning in warnings)
        if not problems:
            report.rows.append(row)
    return report


_UNREADABLE_HEADER = (
    "première ligne illisible (guillemets mal placés ou retour à la ligne dans un nom de colonne)"
)


def _records(reader: CsvReader, report: ImportReport[R]) -> Iterator[tuple[int, list[str]]]:
    """Each record that is not blank, with the line it starts on; unreadable ones are errors."""
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            report.read += 1
            problem = _UNCLOSED if "end of data" in str(error) else _MISPLACED
            report.errors.append(RowError(line, problem))
            continue
        if any(cell.strip() for cell in record):
            report.read += 1
            yield line, record


def _decode(data: bytes) -> tuple[str, str] | None:
    """The text and its encoding: UTF-16 with a BOM, UTF-8 (BOM or not), else Windows-1252."""
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "windows-1252"):
        try:
            return data.decode(encoding), encoding.removesuffix("-sig")
        except UnicodeDecodeError:
            continue
    return None


def _positions(
    header: list[str], line: int, columns: Mapping[str, str], report: ImportReport[R]
) -> dict[str, int]:
    """Where each known column is; unknown ones become notices, a column given twice refuses."""
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        name, title = columns.get(fold(title)), title.strip()
        if not title:
            continue
        if name is None:
            report.notices.append(f"colonne ignorée : « {title} »")
        elif name in positions:
            twice = f"« {header[positions[name]].strip()} » et « {title} »"
            _refuse(report, line, f"colonnes en double : {twice}")
        else:
            positions[name] = index
    return positions


def _refuse(report: ImportReport[R], line: int, reason: str) -> ImportReport[R]:
    report.refused = True
    report.errors.append(RowError(line, reason))
    return report


def _person(
    line: int,
    values: dict[str, str],
    seen: dict[object, int],
    problems: list[str],
    warnings: list[str],
) -> PersonRow:
    first_name, last_name = values.get("first_name", ""), values["last_name"]
    email = values["email"]
    if "first_name" in values:
        _name(first_name, "prénom", 100, problems)
    _name(last_name, "nom", 100, problems)
    if not email:
        problems.append("adresse e-mail manquante")
    elif _email_ok(email):
        _once(("email", normalise_email(email)), line, seen, _EMAIL_TWICE, problems)
    else:
        problems.append(f"adresse e-mail invalide « {email} »")
    siren = _siren(values.get("organisation_siren", ""), "SIREN de la structure", problems)
    commune = _code(values.get("commune", ""), 5)
    if commune:
        problems.extend(territories().validate_territory(commune=commune))
    phone, title = _phone(values.get("phone", ""), warnings), values.get("title", "")
    if len(title) > 200:
        problems.append("fonction trop longue (200 caractères au plus)")
    organisation = values.get("organisation_name", "")
    return PersonRow(line, first_name, last_name, email, phone, title, organisation, siren, commune)


def _organisation(
    line: int,
    values: dict[str, str],
    seen: dict[object, int],
    problems: list[str],
    warnings: list[str],
) -> OrganisationRow:
    name, kind_typed, kind_folded = values["name"], values["kind"], fold(values["kind"])
    _name(name, "nom de la structure", 200, problems)
    kind = _KINDS.get(kind_folded, "other")
    if not kind_typed:
        problems.append("type de structure manquant")
    elif kind_folded not in _KINDS:
        warnings.append(f"type de structure inconnu « {kind_typed} » : importée comme « other »")
    siren = _siren(values.get("siren", ""), "SIREN", problems)
    commune, city = _code(values.get("commune", ""), 5), values.get("city", "")
    either = values.get("commune_or_city", "")
    if _INSEE_LIKE.match(either):
        commune = commune or _code(either, 5)
    elif not city:
        city = either
    territory = TerritoryCodes(
        region=_code(values.get("region", ""), 2),
        department=_code(values.get("department", ""), 2),
        commune=commune,
        epci=_code(values.get("epci", ""), 9),
        qpvs=tuple(code.upper() for code in _QPV_SEPARATORS.split(values.get("qpvs", "")) if code),
    )
    if territory != TerritoryCodes():
        problems.extend(territories().validate_territory(**asdict(territory)))
    postcode = _code(values.get("postcode", ""), 5) or ""
    address = PostalAddress(values.get("street", ""), postcode, city)
    limits = (
        (address.street, 200, "adresse trop longue"),
        (address.postcode, 10, "code postal trop long"),
        (address.city, 100, "ville trop longue"),
    )  # the columns' sizes
    problems.extend(
        f"{too_long} ({longest} caractères au plus)"
        for value, longest, too_long in limits
        if len(value) > longest
    )
    row = OrganisationRow(line, name, kind, siren, address, territory)
    if siren:
        _once(("siren", siren), line, seen, "SIREN déjà présent ligne {}", problems)
    elif name:
        _once(("name", *row.name_key), line, seen, _NAME_TWICE, problems)
    return row


def _name(value: str, label: str, longest: int, problems: list[str]) -> None:
    if not value:
        problems.append(f"{label} manquant")
    elif len(value) > longest:
        problems.append(f"{label} trop long ({longest} caractères au plus)")


def _once(
    key: object, line: int, seen: dict[object, int], problem: str, problems: list[str]
) -> None:
    """Record the first line a key appears on; a later line with the same key is the bad one."""
    first = seen.setdefault(key, line)
    if first != line:
        problems.append(problem.format(first))


def _email_ok(email: str) -> bool:
    """email-validator's verdict (no DNS), with the costly part, the domain, checked once.

    email-validator accepts any ASCII dot-atom before the @-sign and spends its time on the
    domain (IDNA), which repeats across a file. Anything unusual (non-ASCII, quotes, punycode,
    a long address) gets the full check.
    """
    local, at, domain = email.rpartition("@")
    plain = email.isascii() and at and len(email) <= 254 and "xn--" not in domain.lower()
    if plain and _DOT_ATOM.fullmatch(local):
        return _domain_ok(domain)
    return _valid(email)


@lru_cache(maxsize=4096)
def _domain_ok(domain: str) -> bool:
    return _valid(f"a@{domain}")


def _valid(email: str) -> bool:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _siren(typed: str, label: str, problems: list[str]) -> str | None:
    if not typed:
        return None
    try:
        return _SIREN.validate_python("".join(typed.split()))
    except ValidationError:
        problems.append(f"{label} invalide « {typed} » (9 chiffres, clé de Luhn)")
        return None


def _code(typed: str, width: int) -> str | None:
    """A territory code without spaces, upper case, with the leading zero Excel drops restored."""
    code = "".join(typed.split()).upper()
    if code.isdigit() and len(code) == width - 1:
        return "0" + code
    return code or None


def _phone(typed: str, warnings: list[str]) -> str:
    """The number in international form; a number that cannot be one is left out, with a
    warning (the row is still imported)."""
    try:
        return normalise_phone(typed)
    except InvalidInput:
        warnings.append(f"téléphone « {typed.strip()} » non reconnu : importé sans téléphone")
        return ""


def _number(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")  # French thousands: a narrow no-break space


def _count(value: int, one: str, many: str) -> str:
    return f"{_number(value)} {one if value < 2 else many}"
