"""The members model and its rules. Plain Python: no I/O, no framework."""

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

    @property
    def email_key(self) -> str:
        return normalise_email(self.email)


@dataclass(frozen=True)
class MemberRegistered:
    """Domain event: a person signed up for the first time."""

    person: Person


def register(first_name: str, last_name: str, email: str, now: datetime) -> Person:
    return Person(
        id=uuid.uuid4(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        registered_at=now,
    )
