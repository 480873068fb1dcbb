"""Subscribers and their subscriptions: double opt-in, consent records, signed links (confirm,
preferences, one-click unsubscribe per RFC 8058), and the 3-year inactivity rule (CNIL).

A link carries a token signed with the service's secret (itsdangerous). Confirmation and
preferences links expire; an unsubscribe link never does (a letter read a year later must still
let its reader leave), and names one subscriber and one letter. Signing is computation only.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from contracts.newsletters import ConsentSource, SubscriberProfile, SubscriptionStatus
from reference.territory import territories
from services.runtime.errors import DomainError, InvalidInput

INACTIVITY = timedelta(days=3 * 365)
"""No sign of activity for this long: the subscriber is flagged for review (CNIL guidance)."""

MAIL_THROTTLE = timedelta(minutes=10)
"""At most one confirmation (or preferences) mail per subscriber and window: a form sent ten
times, by them or by someone else, sends one mail."""

ACCEPTED = (
    "Merci. Si cette adresse peut recevoir nos lettres, un e-mail vient de lui être envoyé : "
    "suivez le lien qu'il contient pour confirmer. Sans confirmation, rien n'est enregistré "
    "au-delà de quelques jours."
)
"""The answer to a subscription request, the same whether the address was known or not."""

LINK_SENT = (
    "Si cette adresse est abonnée à l'une de nos lettres, un e-mail vient de lui être envoyé "
    "avec le lien vers ses préférences."
)
"""The answer to a preferences-link request, the same whether the address was known or not."""

UNSUBSCRIBED = "C'est fait : vous ne recevrez plus « {letter} »."

PATHS = {
    "confirm": "/lettres/confirmation",
    "preferences": "/lettres/preferences",
    "unsubscribe": "/lettres/desabonnement/",
}
"""Where the links land on the public site. Following a confirmation or unsubscribe link shows
a page that asks; only its form (or a mail client's RFC 8058 POST) changes anything."""


class LinkGone(DomainError):
    """The link expired: ask for a new one."""

    code = "gone"


def email_key(email: str) -> str:
    """The address compared case-insensitively: one subscriber per address."""
    return email.strip().casefold()


def checked_profile(profile: SubscriberProfile) -> SubscriberProfile:
    """The profile with its territory checked against the reference (InvalidInput otherwise)."""
    department = profile.department.strip().upper() if profile.department else None
    problems = territories().validate_territory(department=department, commune=profile.commune)
    if problems:
        raise InvalidInput("Territoire invalide : " + " ; ".join(problems), problems=problems)
    return profile.model_copy(update={"department": department})


@dataclass
class Subscription:
    id: uuid.UUID
    subscriber_id: uuid.UUID
    letter: str
    status: SubscriptionStatus
    requested_at: datetime
    confirmed_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def since(self) -> datetime | None:
        if self.status is SubscriptionStatus.UNSUBSCRIBED:
            return self.ended_at
        return self.confirmed_at


@dataclass
class Subscriber:
    """One address that subscribes (or asked to) to letters; nothing but what they told."""

    id: uuid.UUID
    email: str
    created_at: datetime
    last_activity_at: datetime
    profile: SubscriberProfile = field(default_factory=SubscriberProfile)
    person_id: uuid.UUID | None = None
    flagged_inactive_at: datetime | None = None

    def active(self, now: datetime) -> None:
        """A sign of life (a confirmation, a preference change, later an open or a click): the
        inactivity clock starts again, and a review flag is lifted."""
        self.last_activity_at = now
        self.flagged_inactive_at = None

    def inactive_since_long(self, now: datetime) -> bool:
        return self.last_activity_at <= now - INACTIVITY


@dataclass(frozen=True)
class Consent:
    """What a subscriber agreed to (or withdrew), when and how: proof of consent. No IP
    address, hashed or not: the confirmation link mailed to the address is the proof, and
    collecting less is the rule."""

    id: uuid.UUID
    subscriber_id: uuid.UUID
    subscription_id: uuid.UUID
    letter: str
    granted: bool
    at: datetime
    source: ConsentSource
    wording: str
    wording_version: str
    provenance: str = ""


@dataclass(frozen=True)
class SubscriptionConfirmed:
    """Domain event: a subscription became active (→ subscription.confirmed.v1)."""

    subscription_id: uuid.UUID
    letter: str
    letter_name: str
    email: str
    person_id: uuid.UUID | None
    wording: str
    wording_version: str
    source: ConsentSource
    at: datetime


@dataclass(frozen=True)
class SubscriptionCancelled:
    """Domain event: a subscription ended (→ subscription.cancelled.v1)."""

    subscription_id: uuid.UUID
    letter: str
    letter_name: str
    email: str
    person_id: uuid.UUID | None
    reason: str
    at: datetime


@dataclass(frozen=True)
class LinkDurations:
    confirm: timedelta = timedelta(days=7)
    preferences: timedelta = timedelta(days=30)


class SubscriptionLinks:
    """Makes and reads the signed links of subscribers, and the unsubscribe headers."""

    def __init__(
        self, secret: str, public_url: str, unsubscribe_mailbox: str, durations: LinkDurations
    ) -> None:
        if len(secret) < 16:
            raise ValueError("the link secret must be at least 16 characters long")
        self._timed = URLSafeTimedSerializer(secret, salt="reso.newsletters.links")
        self._lasting = URLSafeSerializer(secret, salt="reso.newsletters.unsubscribe")
        self._public_url = public_url.rstrip("/")
        self._mailbox = unsubscribe_mailbox
        self.durations = durations

    # --- confirmation (double opt-in) ---------------------------------------------------------

    def confirm_url(self, subscriber_id: uuid.UUID, letters: Iterable[str]) -> str:
        token = self._timed.dumps({"u": "confirm", "s": str(subscriber_id), "l": sorted(letters)})
        return f"{self._public_url}{PATHS['confirm']}?{urlencode({'jeton': token})}"

    def read_confirm(self, token: str) -> tuple[uuid.UUID, tuple[str, ...]]:
        claims = self._read_timed(token, "confirm", self.durations.confirm)
        letters = claims.get("l")
        if not isinstance(letters, list) or not all(isinstance(x, str) for x in letters):
            raise InvalidInput("Ce lien n'est pas valide.")
        return _subscriber(claims), tuple(letters)

    # --- preferences --------------------------------------------------------------------------

    def preferences_url(self, subscriber_id: uuid.UUID) -> str:
        token = self._timed.dumps({"u": "preferences", "s": str(subscriber_id)})
        return f"{self._public_url}{PATHS['preferences']}?{urlencode({'jeton': token})}"

    def read_preferences(self, token: str) -> uuid.UUID:
        return _subscriber(self._read_timed(token, "preferences", self.durations.preferences))

    # --- unsubscribe (RFC 8058) ---------------------------------------------------------------

    def unsubscribe_token(self, subscriber_id: uuid.UUID, letter: str) -> str:
        return self._lasting.dumps({"s": str(subscriber_id), "l": letter})

    def unsubscribe_url(self, subscriber_id: uuid.UUID, letter: str) -> str:
        token = self.unsubscribe_token(subscriber_id, letter)
        return f"{self._public_url}{PATHS['unsubscribe']}{token}"

    def unsubscribe_mailto(self, subscriber_id: uuid.UUID, letter: str) -> str:
        token = self.unsubscribe_token(subscriber_id, letter)
        return f"mailto:{self._mailbox}?subject={quote('désabonnement ' + token)}"

    def read_unsubscribe(self, token: str) -> tuple[uuid.UUID, str]:
        try:
            claims = self._lasting.loads(token.strip())
        except BadSignature as error:
            raise InvalidInput("Ce lien de désabonnement n'est pas valide.") from error
        if not isinstance(claims, dict) or not isinstance(claims.get("l"), str):
            raise InvalidInput("Ce lien de désabonnement n'est pas valide.")
        return _subscriber(claims), claims["l"]

    def list_unsubscribe_headers(self, subscriber_id: uuid.UUID, letter: str) -> dict[str, str]:
        """The headers every letter carries (RFC 2369, RFC 8058): a mail client shows its own
        « se désabonner » button and POSTs ``List-Unsubscribe=One-Click`` to the https URL,
        without cookie or confirmation; the mailto is the fallback of older clients."""
        url = self.unsubscribe_url(subscriber_id, letter)
        mailto = self.unsubscribe_mailto(subscriber_id, letter)
        return {
            "List-Unsubscribe": f"<{url}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }

    def _read_timed(self, token: str, use: str, duration: timedelta) -> dict[str, Any]:
        try:
            claims = self._timed.loads(token.strip(), max_age=int(duration.total_seconds()))
        except SignatureExpired as error:
            raise LinkGone(_EXPIRED[use]) from error
        except BadSignature as error:
            raise InvalidInput("Ce lien n'est pas valide : vérifiez qu'il est complet.") from error
        if not isinstance(claims, dict) or claims.get("u") != use:
            raise InvalidInput("Ce lien n'est pas valide pour cette action.")
        return claims


_EXPIRED = {
    "confirm": "Ce lien de confirmation a expiré : inscrivez-vous de nouveau pour en recevoir un.",
    "preferences": "Ce lien a expiré : demandez-en un nouveau depuis la page des lettres.",
}


def _subscriber(claims: dict[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(str(claims["s"]))
    except (KeyError, ValueError) as error:
        raise InvalidInput("Ce lien n'est pas valide.") from error


def throttle_bucket(now: datetime) -> int:
    """The window a mail request falls in (see MAIL_THROTTLE), part of its dedupe key."""
    return int(now.timestamp() // MAIL_THROTTLE.total_seconds())


def confirm_mail_key(subscriber_id: uuid.UUID, letters: Iterable[str], now: datetime) -> str:
    """One confirmation mail per subscriber, set of letters and window (the letters hashed:
    the key stays short whatever their number)."""
    digest = hashlib.sha256(",".join(sorted(letters)).encode()).hexdigest()[:16]
    return f"subscription_confirm:{subscriber_id}:{digest}:{throttle_bucket(now)}"


def preferences_mail_key(subscriber_id: uuid.UUID, now: datetime) -> str:
    return f"preferences_link:{subscriber_id}:{throttle_bucket(now)}"
