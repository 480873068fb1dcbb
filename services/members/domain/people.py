"""People: sign-up and confirmation, the profile staff and the person keep up to date, archiving,
e-mail normalisation, erasure."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import phonenumbers

from contracts.members import College, PersonKind
from services.members.domain.organisations import (
    TerritoryCodes,
    check_territory,
    complete_territory,
)
from services.runtime.errors import Conflict, InvalidInput

ELECTED_KINDS = frozenset({PersonKind.ELECTED_OFFICIAL.value})
SOURCES = ("signup", "staff", "import")


def normalise_email(email: str) -> str:
    """The form addresses are compared in: trimmed and case-folded."""
    return email.strip().casefold()


# French overseas departments share the national numbering plan: dialled from France as 0262…,
# they are +262 262… abroad. The library's metadata takes some of these national prefixes for
# metropolitan numbers, so they are mapped here (ARCEP's plan), before it parses.
_OVERSEAS = {
    **dict.fromkeys(("262", "263", "269", "639", "692", "693"), "262"),  # La Réunion, Mayotte
    **dict.fromkeys(("590", "690", "691"), "590"),  # Guadeloupe, Saint-Martin, Saint-Barthélemy
    **dict.fromkeys(("594", "694"), "594"),  # Guyane
    **dict.fromkeys(("596", "696", "697"), "596"),  # Martinique
}
_NOT_DIGIT = re.compile(r"[^0-9+]")


def normalise_phone(typed: str) -> str:
    """A phone number in international form (+33…), French (overseas included) unless written
    with a country code; "" for nothing.

    Raises InvalidInput, in French, for something that is not a possible number."""
    typed = typed.strip()
    if not typed:
        return ""
    digits = _NOT_DIGIT.sub("", typed)
    if len(digits) == 10 and digits[0] == "0" and digits[1:4] in _OVERSEAS:
        digits = f"+{_OVERSEAS[digits[1:4]]}{digits[1:]}"
    try:
        number = phonenumbers.parse(digits if digits.startswith("+") else typed, "FR")
    except phonenumbers.NumberParseException as error:
        raise InvalidInput(f"Numéro de téléphone invalide : « {typed} ».", field="phone") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(f"Numéro de téléphone invalide : « {typed} ».", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def default_college(kind: str) -> str:
    """Elected officials sit in the college of elected officials; everyone else in the other."""
    return College.ELUS.value if kind in ELECTED_KINDS else College.ACTEURS_TERRITORIAUX.value


@dataclass(frozen=True)
class Profile:
    """What can be changed about a person; a None field is left as it is."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    kind: str | None = None
    college: str | None = None
    territory: TerritoryCodes | None = None
    keep_college: bool = False
    """A new kind normally brings its college; not when the person changes their own kind (only
    the centre places someone in a college of the general assembly)."""


@dataclass
class Person:
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    registered_at: datetime
    erased_at: datetime | None = None
    phone: str = ""
    title: str = ""
    kind: str = PersonKind.OTHER.value
    college: str = College.ACTEURS_TERRITORIAUX.value
    territory: TerritoryCodes = field(default_factory=TerritoryCodes)
    source: str = "signup"
    confirmed_at: datetime | None = None
    archived_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def email_key(self) -> str:
        """The unique key of the address; an erased person keeps only a key made of their id."""
        if self.erased_at is not None:
            return f"erased:{self.id}"
        return normalise_email(self.email)

    @property
    def active(self) -> bool:
        """In the register: neither erased nor archived."""
        return self.erased_at is None and self.archived_at is None

    def snapshot(self) -> dict[str, Any]:
        """What the audit log compares before and after a change."""
        territory = self.territory
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "phone": self.phone,
            "title": self.title,
            "kind": self.kind,
            "college": self.college,
            "region": territory.region,
            "department": territory.department,
            "commune": territory.commune,
            "epci": territory.epci,
            "qpvs": list(territory.qpvs),
            "confirmed": self.confirmed_at is not None,
            "archived": self.archived_at is not None,
        }

    def change(self, profile: Profile, now: datetime) -> PersonChanged | None:
        """Apply the given fields, checked; None when nothing actually changes."""
        self._expect_not_erased()
        before = self.snapshot()
        new_kind = profile.kind if profile.kind is not None else self.kind
        _check_kind(new_kind)
        if profile.college is not None:
            _check_college(profile.college)
        values: dict[str, Any] = {
            "first_name": _name(profile.first_name, "first_name", "Le prénom"),
            "last_name": _name(profile.last_name, "last_name", "Le nom"),
            "email": profile.email.strip() if profile.email is not None else None,
            "phone": normalise_phone(profile.phone) if profile.phone is not None else None,
            "title": _title(profile.title),
            "kind": profile.kind,
            "college": profile.college
            or (
                default_college(new_kind)
                if profile.kind is not None and not profile.keep_college
                else None
            ),
            "territory": normalise_territory(profile.territory) if profile.territory else None,
        }
        for name, value in values.items():
            if value is not None:
                setattr(self, name, value)
        if self.snapshot() == before:
            return None
        self.updated_at = now
        return PersonChanged(self, now)

    def confirm(self, now: datetime) -> PersonConfirmed | None:
        """The person proved the address is theirs; None when it already was confirmed."""
        self._expect_not_erased()
        if self.confirmed_at is not None:
            return None
        self.confirmed_at = now
        self.updated_at = now
        return PersonConfirmed(self.id, now)

    def archive(self, now: datetime) -> PersonChanged:
        """Leave the register without erasing anything (e.g. they changed jobs)."""
        self._expect_not_erased()
        if self.archived_at is not None:
            raise Conflict("Cette personne est déjà archivée.", person_id=str(self.id))
        self.archived_at = now
        self.updated_at = now
        return PersonChanged(self, now)

    def restore(self, now: datetime) -> PersonChanged:
        self._expect_not_erased()
        if self.archived_at is None:
            raise Conflict("Cette personne n'est pas archivée.", person_id=str(self.id))
        self.archived_at = None
        self.updated_at = now
        return PersonChanged(self, now)

    def erase(self, now: datetime) -> PersonErased | None:
        """Anonymise the person; None when they already were (nothing new happens). Their kind
        and college stay, so yearly figures still add up; nothing that identifies them does."""
        if self.erased_at is not None:
            return None
        self.first_name = ""
        self.last_name = ""
        self.email = ""
        self.phone = ""
        self.title = ""
        self.territory = TerritoryCodes()
        self.erased_at = now
        self.updated_at = now
        return PersonErased(self.id)

    def _expect_not_erased(self) -> None:
        if self.erased_at is not None:
            raise Conflict("Cette personne a été effacée.", person_id=str(self.id))


@dataclass(frozen=True)
class MemberRegistered:
    """Domain event: a person signed up for the first time. ``confirmation`` is the signed link
    and its expiry when the address still has to be confirmed."""

    person: Person
    confirmation: tuple[str, datetime] | None = None


@dataclass(frozen=True)
class PersonChanged:
    """Domain event: a person was added by staff or an import, or their record changed
    (→ person.updated.v1 with the record as it stands)."""

    person: Person
    occurred_at: datetime


@dataclass(frozen=True)
class PersonConfirmed:
    """Domain event: the person confirmed their address (→ person.confirmed.v1)."""

    person_id: uuid.UUID
    occurred_at: datetime


@dataclass(frozen=True)
class PersonErased:
    """Domain event: a person was anonymised at their request or staff's (``occurred_at`` is
    given when the erasure is told again by a resync; otherwise it is now)."""

    person_id: uuid.UUID
    occurred_at: datetime | None = None


def normalise_territory(territory: TerritoryCodes) -> TerritoryCodes:
    """Checked against the reference, with the enclosing levels filled in."""
    check_territory(territory)
    return complete_territory(territory)


def register(first_name: str, last_name: str, email: str, now: datetime) -> Person:
    """A person signing up themself: unconfirmed until they follow the mailed link."""
    return Person(
        id=uuid.uuid4(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        registered_at=now,
        updated_at=now,
    )


def create(
    *,
    first_name: str,
    last_name: str,
    email: str,
    now: datetime,
    source: str,
    phone: str = "",
    title: str = "",
    kind: str = PersonKind.OTHER.value,
    college: str | None = None,
    territory: TerritoryCodes | None = None,
    phone_normalised: bool = False,
) -> tuple[Person, PersonChanged]:
    """A person staff add, or an import brings: confirmed (staff vouch for the address).
    ``phone_normalised``: the phone comes from :func:`normalise_phone` already (the import's
    parser), so it is not parsed a second time."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    _check_kind(kind)
    if college is not None:
        _check_college(college)
    person = Person(
        id=uuid.uuid4(),
        # A file may list a structure's contact without a first name; a person never signs so.
        first_name=""
        if source == "import" and not first_name.strip()
        else _name(first_name, "first_name", "Le prénom") or "",
        last_name=_name(last_name, "last_name", "Le nom") or "",
        email=email.strip(),
        registered_at=now,
        phone=phone if phone_normalised else normalise_phone(phone),
        title=_title(title) or "",
        kind=kind,
        college=college or default_college(kind),
        territory=normalise_territory(territory) if territory else TerritoryCodes(),
        source=source,
        confirmed_at=now,
        updated_at=now,
    )
    return person, PersonChanged(person, now)


def _name(value: str | None, field_name: str, label: str) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if not value:
        raise InvalidInput(f"{label} ne peut pas être vide.", field=field_name)
    if len(value) > 100:
        raise InvalidInput(f"{label} est trop long (100 caractères au plus).", field=field_name)
    return value


def _title(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if len(value) > 200:
        raise InvalidInput("La fonction est trop longue (200 caractères au plus).", field="title")
    return value


_KINDS = frozenset(k.value for k in PersonKind)
_COLLEGES = frozenset(c.value for c in College)


def _check_kind(kind: str) -> None:
    if kind not in _KINDS:
        raise InvalidInput(f"Type de personne inconnu : {kind!r}.", field="kind")


def _check_college(college: str) -> None:
    if college not in _COLLEGES:
        raise InvalidInput(f"Collège inconnu : {college!r}.", field="college")
