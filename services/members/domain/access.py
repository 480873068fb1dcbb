"""Personal links mailed to a person: confirm a sign-up, sign in to the personal space (magic
link), confirm a new address.

A link carries a token signed with the centre's secret (itsdangerous), stamped with the time it
was made and valid for a purpose-specific duration. A sign-in or address-change link also names
a one-time nonce the store records, so it works once. Signing is computation only: no I/O here.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from services.runtime.errors import DomainError, InvalidInput


class Purpose(StrEnum):
    CONFIRM_SIGNUP = "confirm_signup"
    SIGN_IN = "sign_in"
    CONFIRM_EMAIL = "confirm_email"


PATHS = {
    Purpose.CONFIRM_SIGNUP: "/espace/confirmation",
    Purpose.SIGN_IN: "/espace/connexion",
    Purpose.CONFIRM_EMAIL: "/espace/adresse",
}
"""Where each link lands on the public site (a page that asks before acting: mail scanners open
links, so following one never changes anything by itself)."""

SINGLE_USE = frozenset({Purpose.SIGN_IN, Purpose.CONFIRM_EMAIL})
THROTTLE = timedelta(minutes=1)
"""At most one link per person and purpose in this time: a double click sends one mail."""


class LinkGone(DomainError):
    """The link expired, was already used, or no longer matches the person."""

    code = "gone"


@dataclass(frozen=True)
class LinkDurations:
    confirm_signup: timedelta = timedelta(days=7)
    sign_in: timedelta = timedelta(minutes=30)
    confirm_email: timedelta = timedelta(hours=24)

    def of(self, purpose: Purpose) -> timedelta:
        duration: timedelta = getattr(self, purpose.value)
        return duration


@dataclass(frozen=True)
class IssuedLink:
    purpose: Purpose
    person_id: uuid.UUID
    url: str
    expires_at: datetime
    nonce: str | None


@dataclass(frozen=True)
class LinkClaims:
    """What a valid token says: whose link it is, and for a new address, which one."""

    purpose: Purpose
    person_id: uuid.UUID
    email_key: str | None
    new_email: str | None
    nonce: str | None


@dataclass(frozen=True)
class AccessLinkRequested:
    """Domain event: a link is to be mailed (→ access_link.requested.v1)."""

    link: IssuedLink
    email: str
    first_name: str
    last_name: str
    occurred_at: datetime


class LinkSigner:
    """Makes and reads the signed tokens of the centre's personal links."""

    def __init__(self, secret: str, public_url: str, durations: LinkDurations) -> None:
        if len(secret) < 16:
            raise ValueError("the link secret must be at least 16 characters long")
        self._serializer = URLSafeTimedSerializer(secret, salt="reso.members.links")
        self._public_url = public_url.rstrip("/")
        self.durations = durations

    def issue(
        self,
        purpose: Purpose,
        person_id: uuid.UUID,
        now: datetime,
        *,
        email_key: str | None = None,
        new_email: str | None = None,
    ) -> IssuedLink:
        nonce = secrets.token_urlsafe(16) if purpose in SINGLE_USE else None
        claims: dict[str, Any] = {"u": purpose.value, "p": str(person_id)}
        if email_key is not None:
            claims["k"] = email_key
        if new_email is not None:
            claims["e"] = new_email
        if nonce is not None:
            claims["n"] = nonce
        token = self._serializer.dumps(claims)
        url = f"{self._public_url}{PATHS[purpose]}?{urlencode({'jeton': token})}"
        return IssuedLink(purpose, person_id, url, now + self.durations.of(purpose), nonce)

    def read(self, purpose: Purpose, token: str) -> LinkClaims:
        """The claims of a token made for ``purpose``; LinkGone when it expired, InvalidInput
        when it is not one of ours (or not for this purpose)."""
        max_age = int(self.durations.of(purpose).total_seconds())
        try:
            claims = self._serializer.loads(token.strip(), max_age=max_age)
        except SignatureExpired as error:
            raise LinkGone(_EXPIRED[purpose]) from error
        except BadSignature as error:
            raise InvalidInput("Ce lien n'est pas valide : vérifiez qu'il est complet.") from error
        if not isinstance(claims, dict) or claims.get("u") != purpose.value:
            raise InvalidInput("Ce lien n'est pas valide pour cette action.")
        try:
            person_id = uuid.UUID(str(claims["p"]))
        except (KeyError, ValueError) as error:
            raise InvalidInput("Ce lien n'est pas valide.") from error
        return LinkClaims(purpose, person_id, claims.get("k"), claims.get("e"), claims.get("n"))


_EXPIRED = {
    Purpose.CONFIRM_SIGNUP: "Ce lien de confirmation a expiré : inscrivez-vous à nouveau pour en "
    "recevoir un autre.",
    Purpose.SIGN_IN: "Ce lien de connexion a expiré : demandez-en un nouveau.",
    Purpose.CONFIRM_EMAIL: "Ce lien a expiré : refaites la demande de changement d'adresse.",
}
USED = "Ce lien a déjà servi : demandez-en un nouveau."
