"""People: sign-up, e-mail normalisation, erasure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


def normalise_email(email: str) -> str:
    """The form addresses are compared in: trimmed and case-folded."""
    return email.strip().casefold()


@dataclass
class Person:
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    registered_at: datetime
    erased_at: datetime | None = None

    @property
    def email_key(self) -> str:
        """The unique key of the address; an erased person keeps only a key made of their id."""
        if self.erased_at is not None:
            return f"erased:{self.id}"
        return normalise_email(self.email)

    def erase(self, now: datetime) -> PersonErased | None:
        """Anonymise the person; None when they already were (nothing new happens)."""
        if self.erased_at is not None:
            return None
        self.first_name = ""
        self.last_name = ""
        self.email = ""
        self.erased_at = now
        return PersonErased(self.id)


@dataclass(frozen=True)
class MemberRegistered:
    """Domain event: a person signed up for the first time."""

    person: Person


@dataclass(frozen=True)
class PersonErased:
    """Domain event: a person was anonymised at their request or staff's."""

    person_id: uuid.UUID


def register(first_name: str, last_name: str, email: str, now: datetime) -> Person:
    return Person(
        id=uuid.uuid4(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        registered_at=now,
    )
