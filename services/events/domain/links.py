"""Signed links to a registration: see it and cancel it, or take a seat offered.

A token names the registration and what it is for, signed with the events secret
(itsdangerous). It has no expiry of its own: the registration's state decides what it still
allows (an offer past its hold time, an event over). Computation only, no I/O.
"""

from __future__ import annotations

import uuid
from typing import Literal
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeSerializer

from services.runtime.errors import InvalidInput

Purpose = Literal["manage", "accept"]

PATHS: dict[Purpose, str] = {"manage": "/inscription", "accept": "/inscription/accepter"}
"""Where each link lands on the public site (a page that asks before acting)."""


class RegistrationLinks:
    def __init__(self, secret: str, public_url: str) -> None:
        if len(secret) < 16:
            raise ValueError("the link secret must be at least 16 characters long")
        self._serializer = URLSafeSerializer(secret, salt="reso.events.registrations")
        self._public_url = public_url.rstrip("/")

    def token(self, purpose: Purpose, registration_id: uuid.UUID) -> str:
        return self._serializer.dumps({"u": purpose, "r": str(registration_id)})

    def url(self, purpose: Purpose, registration_id: uuid.UUID) -> str:
        token = self.token(purpose, registration_id)
        return f"{self._public_url}{PATHS[purpose]}?{urlencode({'jeton': token})}"

    def read(self, token: str, *purposes: Purpose) -> tuple[Purpose, uuid.UUID]:
        """The purpose and registration a token names; InvalidInput when it is not ours."""
        try:
            claims = self._serializer.loads(token.strip())
        except BadSignature as error:
            raise InvalidInput("Ce lien n'est pas valide : vérifiez qu'il est complet.") from error
        if not isinstance(claims, dict) or claims.get("u") not in purposes:
            raise InvalidInput("Ce lien n'est pas valide pour cette action.")
        try:
            return claims["u"], uuid.UUID(str(claims["r"]))
        except (KeyError, ValueError) as error:
            raise InvalidInput("Ce lien n'est pas valide.") from error
