"""Consents: each decision a person took about their data, with the wording they were shown.

Records are never changed: a withdrawal is a new record. The latest record of a purpose is the
person's current choice. Signing up records the sign-up notice below; newsletters' subscriptions
are recorded as members hears of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

SIGNUP = "signup"
SIGNUP_VERSION = "2026-12"
SIGNUP_WORDING = (
    "J'accepte que le centre de ressources enregistre mes nom, prénom et adresse e-mail pour "
    "m'inscrire à son réseau, m'envoyer les informations liées à mon inscription et me donner "
    "accès à mon espace personnel. Je peux consulter, corriger, télécharger ou effacer mes "
    "données à tout moment depuis cet espace."
)


@dataclass(frozen=True)
class Consent:
    person_id: uuid.UUID
    purpose: str
    granted: bool
    at: datetime
    wording: str
    version: str
    source: str


def signup_consent(person_id: uuid.UUID, at: datetime) -> Consent:
    return Consent(person_id, SIGNUP, True, at, SIGNUP_WORDING, SIGNUP_VERSION, "signup")


def current(records: Iterable[Consent]) -> list[Consent]:
    """The latest decision of each purpose, by purpose."""
    latest: dict[str, Consent] = {}
    for record in sorted(records, key=lambda r: r.at):
        latest[record.purpose] = record
    return [latest[purpose] for purpose in sorted(latest)]
