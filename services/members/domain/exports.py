"""Exports of filtered lists: the columns staff see in their spreadsheet and one row per record.

Pure: a row is built from a record and what the store read alongside it (current ties, the
membership of the year, networks), with French headers and labels and territory names from the
shipped reference. A row holds typed cells (text, a date, an amount); writing them as CSV or
XLSX, and guarding against formulas, is the file writer's business (``services.members.sheets``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import phonenumbers

from contracts.members import College, OrganisationKind, PersonKind
from reference import territories
from services.members.domain.memberships import MembershipStatus
from services.members.domain.networks import SEEDED_NETWORKS
from services.members.domain.organisations import Organisation, TerritoryCodes
from services.members.domain.people import Person

PARIS = ZoneInfo("Europe/Paris")
LIST_SEPARATOR = " ; "

Cell = str | date | Decimal | None
"""Text, a date (JJ/MM/AAAA in a CSV, a date cell in XLSX), an amount in euros, or nothing."""

PERSON_KINDS: dict[str, str] = {
    PersonKind.ELECTED_OFFICIAL: "Élu·e",
    PersonKind.PROJECT_LEADER: "Chef·fe de projet politique de la ville",
    PersonKind.STATE_AGENT: "Agent·e de l'État",
    PersonKind.PROFESSIONAL: "Professionnel·le",
    PersonKind.RESEARCHER: "Chercheur·e",
    PersonKind.INHABITANT: "Habitant·e",
    PersonKind.OTHER: "Autre",
}
ORGANISATION_KINDS: dict[str, str] = {
    OrganisationKind.COMMUNE: "Commune",
    OrganisationKind.EPCI: "EPCI",
    OrganisationKind.DEPARTEMENT: "Département",
    OrganisationKind.REGION: "Région",
    OrganisationKind.STATE_SERVICE: "Service de l'État",
    OrganisationKind.SOCIAL_LANDLORD: "Bailleur social",
    OrganisationKind.ASSOCIATION: "Association",
    OrganisationKind.SOCIAL_CENTRE: "Centre social",
    OrganisationKind.OTHER: "Autre",
}
COLLEGES: dict[str, str] = {
    College.ELUS: "Élus",
    College.ACTEURS_TERRITORIAUX: "Acteurs territoriaux",
}
MEMBERSHIP_STATUSES: dict[str, str] = {
    MembershipStatus.PENDING: "en attente de règlement",
    MembershipStatus.ACTIVE: "à jour",
    MembershipStatus.GRACE: "à renouveler",
    MembershipStatus.LAPSED: "échue",
}
NO_MEMBERSHIP = "aucune"
NETWORK_NAMES = {network.slug: network.name for network in SEEDED_NETWORKS}

# Country codes of the French numbering plan (metropolitan France and the overseas departments):
# written as dialled in France, « 02 99 00 11 22 », « 0262 12 34 56 ».
_FRENCH_PLAN = frozenset({33, 262, 590, 594, 596})
_FRENCH_E164 = re.compile(r"\+(33|262|590|594|596)(\d{9})")


@dataclass(frozen=True)
class Column:
    header: str
    width: int = 16
    """Width of the XLSX column, in characters."""


@dataclass(frozen=True)
class Tie:
    """A current affiliation of a person, as the export names it."""

    organisation: str
    role: str
    verified: bool = True


@dataclass(frozen=True)
class MembershipFacts:
    """The membership of the exported year."""

    status: str
    waived: bool = False
    dues: Decimal = Decimal("0")
    paid: Decimal = Decimal("0")
    receipt_number: str | None = None


@dataclass(frozen=True)
class PersonLine:
    person: Person
    ties: tuple[Tie, ...] = ()
    membership: MembershipFacts | None = None
    networks: tuple[str, ...] = ()
    """Slugs of the networks the person is a member of."""


@dataclass(frozen=True)
class OrganisationLine:
    organisation: Organisation
    membership: MembershipFacts | None = None


def people_columns(year: int) -> list[Column]:
    return [
        Column("Nom", 22),
        Column("Prénom", 18),
        Column("Courriel", 32),
        Column("Téléphone", 16),
        Column("Fonction", 28),
        Column("Type", 24),
        Column("Collège", 20),
        *_territory_columns(),
        Column("Structures", 40),
        Column(f"Adhésion {year}", 22),
        Column("Réseaux", 40),
        Column("Adresse confirmée", 10),
        Column("Archivée le", 12),
    ]


def person_row(line: PersonLine) -> list[Cell]:
    person = line.person
    return [
        person.last_name,
        person.first_name,
        person.email,
        display_phone(person.phone),
        person.title,
        _label(PERSON_KINDS, person.kind),
        _label(COLLEGES, person.college),
        *territory_cells(person.territory),
        LIST_SEPARATOR.join(_tie(tie) for tie in line.ties),
        membership_label(line.membership),
        LIST_SEPARATOR.join(
            sorted((NETWORK_NAMES.get(slug, slug) for slug in line.networks), key=str.casefold)
        ),
        "oui" if person.confirmed_at is not None else "non",
        paris_date(person.archived_at),
    ]


def organisations_columns(year: int) -> list[Column]:
    return [
        Column("Nom", 36),
        Column("Type", 18),
        Column("SIREN", 11),
        Column("Adresse", 32),
        Column("Code postal", 8),
        Column("Ville", 20),
        *_territory_columns(),
        Column("Collège", 20),
        Column("Courriel", 32),
        Column("Téléphone", 16),
        Column(f"Adhésion {year}", 22),
        Column("Cotisation", 12),
        Column("Payé", 12),
        Column("Reçu", 13),
        Column("Archivée le", 12),
    ]


def organisation_row(line: OrganisationLine) -> list[Cell]:
    organisation, membership = line.organisation, line.membership
    return [
        organisation.name,
        _label(ORGANISATION_KINDS, organisation.kind),
        organisation.siren or "",
        organisation.address.street,
        organisation.address.postcode,
        organisation.address.city,
        *territory_cells(organisation.territory),
        _label(COLLEGES, organisation.college),
        organisation.email,
        display_phone(organisation.phone),
        membership_label(membership),
        membership.dues if membership else None,
        membership.paid if membership else None,
        (membership.receipt_number or "") if membership else "",
        paris_date(organisation.archived_at),
    ]


def territory_cells(territory: TerritoryCodes) -> list[Cell]:
    """Région, Département, Commune, EPCI and QPV: each code with its name in the reference
    (« 35238 - Rennes »); a code the reference does not know stands alone."""
    ref = territories()
    return [
        _named(territory.region, ref.region),
        _named(territory.department, ref.department),
        _named(territory.commune, ref.commune),
        _named(territory.epci, ref.epci),
        LIST_SEPARATOR.join(_named(code, ref.qpv) for code in territory.qpvs),
    ]


def membership_label(membership: MembershipFacts | None) -> str:
    if membership is None:
        return NO_MEMBERSHIP
    label = _label(MEMBERSHIP_STATUSES, membership.status)
    if membership.waived and membership.status == MembershipStatus.ACTIVE:
        label += " (exonérée)"
    return label


def display_phone(phone: str) -> str:
    """A stored number (+33…) as people write it: « 02 99 00 11 22 » or « 0262 12 34 56 » in
    the French plan, « +44 20 7946 0958 » elsewhere."""
    match = _FRENCH_E164.fullmatch(phone)
    if match:  # the common case, without the library's parsing (an export formats thousands)
        code, digits = match.groups()
        national = "0" + digits
        head = 2 if code == "33" else 4  # « 02 … », « 0262 … »
        pairs = (national[i : i + 2] for i in range(head, 10, 2))
        return " ".join([national[:head], *pairs])
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return phone
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code in _FRENCH_PLAN
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def paris_date(moment: datetime | None) -> date | None:
    """The day ``moment`` falls on in Paris (staff read dates in French time)."""
    return moment.astimezone(PARIS).date() if moment is not None else None


def _territory_columns() -> Iterable[Column]:
    return [
        Column("Région", 22),
        Column("Département", 22),
        Column("Commune", 24),
        Column("EPCI", 32),
        Column("QPV", 28),
    ]


def _tie(tie: Tie) -> str:
    role = tie.role if tie.verified else f"{tie.role}, à vérifier"
    return f"{tie.organisation} ({role})"


def _named(code: str | None, lookup: Callable[[str], object]) -> str:
    if not code:
        return ""
    found = lookup(code)
    name = getattr(found, "name", None)
    return f"{code} - {name}" if name else code


def _label(labels: dict[str, str], value: str) -> str:
    return labels.get(value, value)
