"""The newsletters model and its rules. Plain Python: no I/O, no framework."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from services.runtime.errors import DomainError


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender until ``next_attempt_at`` (its lease)
    SENT = "sent"
    FAILED = "failed"
    EXPIRED = "expired"  # carried a link that stopped working before the mail could be sent


FINAL_STATUSES = frozenset({DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.EXPIRED})


class MailKind(StrEnum):
    """What a transactional mail is; each kind has its templates (``<kind>.*.j2``)."""

    WELCOME = "welcome"
    CONFIRM_SIGNUP = "confirm_signup"  # access link: repeated sign-up of an unconfirmed address
    SIGN_IN = "sign_in"  # access link: magic link to the personal space, single use
    CONFIRM_EMAIL = "confirm_email"  # access link: confirm a new address (mailed to it)
    MEMBERSHIP_RENEWAL = "membership_renewal"


ACCESS_LINK_KINDS = frozenset({MailKind.CONFIRM_SIGNUP, MailKind.SIGN_IN, MailKind.CONFIRM_EMAIL})

CREDENTIAL_KEYS = ("url", "confirmation_url")
"""Keys of ``TransactionalMail.data`` that hold a live link: removed once the mail is settled."""

SEND_LEASE = timedelta(minutes=5)
"""How long a claimed mail stays with its sender; a sender that died loses it after that."""


class InvalidLink(DomainError):
    """A link that is not absolute http(s): never mailed (the event is dead-lettered)."""


def checked_link(url: str) -> str:
    """A link we are willing to put in an e-mail: absolute http(s), nothing else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        # The link is a credential: the reason names its scheme only.
        scheme = parts.scheme or "aucun"
        raise InvalidLink(f"lien refusé : http ou https absolu attendu (schéma : {scheme})")
    return url


@dataclass
class TransactionalMail:
    """One e-mail owed to one recipient, whatever its kind.

    ``dedupe_key`` is unique in the store, so a redelivered or repeated event never owes a second
    mail. ``data`` is what the kind's templates need (JSON-serialisable). ``expires_at`` is set
    when the mail carries a link that stops working: past it, the mail is not sent.
    """

    id: uuid.UUID
    kind: MailKind
    dedupe_key: str
    email: str
    name: str
    person_id: uuid.UUID | None
    data: dict[str, Any]
    next_attempt_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    expires_at: datetime | None = None
    message_id: str | None = None
    last_error: str | None = None

    @property
    def message_id_key(self) -> str:
        """Left part of the Message-ID: the same for every attempt of this mail, so a receiver
        recognises a copy sent again after a crash. Short: the header never folds (see
        ``mailer.message_id``)."""
        return f"{_MESSAGE_ID_TAGS[self.kind]}.{_short(self.id)}"

    def has_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def claim(self, now: datetime) -> None:
        """Take the mail for one sending attempt (another sender may take it after the lease)."""
        self.status = DeliveryStatus.SENDING
        self.next_attempt_at = now + SEND_LEASE

    def sent(self, message_id: str) -> WelcomeMailSent | None:
        """The SMTP server accepted it; a welcome mail tells who was welcomed."""
        self.message_id = message_id
        self.attempts += 1
        self._settle(DeliveryStatus.SENT)
        if self.kind is MailKind.WELCOME and self.person_id is not None:
            return WelcomeMailSent(self.person_id, message_id)
        return None

    def expired(self) -> None:
        """Its link stopped working before it could be sent: it is never sent."""
        self.last_error = "lien expiré avant l'envoi"
        self._settle(DeliveryStatus.EXPIRED)

    def failed_temporarily(self, error: str, now: datetime, max_attempts: int) -> None:
        """A 4xx or a network error: retry later with back-off, give up after ``max_attempts``."""
        self.attempts += 1
        self.last_error = error
        if self.attempts >= max_attempts:
            self._settle(DeliveryStatus.FAILED)
        else:
            self.status = DeliveryStatus.PENDING
            self.next_attempt_at = now + retry_delay(self.attempts)

    def failed_permanently(self, error: str) -> None:
        """A 5xx, or a message that cannot be built: it will never be accepted."""
        self.attempts += 1
        self.last_error = error
        self._settle(DeliveryStatus.FAILED)

    def _settle(self, status: DeliveryStatus) -> None:
        """A final state: the links it carried are credentials nobody needs any more."""
        self.status = status
        self.data = {k: v for k, v in self.data.items() if k not in CREDENTIAL_KEYS}


_MESSAGE_ID_TAGS = {
    MailKind.WELCOME: "welcome",
    MailKind.CONFIRM_SIGNUP: "link",
    MailKind.SIGN_IN: "link",
    MailKind.CONFIRM_EMAIL: "link",
    MailKind.MEMBERSHIP_RENEWAL: "dues",
}


def _short(mail_id: uuid.UUID) -> str:
    """The mail id in 26 characters (base 32, lower case): shorter than its 32 hex digits."""
    return base64.b32encode(mail_id.bytes).decode().rstrip("=").lower()


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2 ** (attempts - 1)))


def welcome_key(person_id: uuid.UUID) -> str:
    """One welcome mail per person."""
    return f"welcome:{person_id}"


def access_link_key(event_id: uuid.UUID) -> str:
    """One mail per access-link request."""
    return f"access_link:{event_id}"


def renewal_key(membership_id: uuid.UUID, email: str) -> str:
    """One renewal call per membership and recipient address (compared case-insensitively)."""
    return f"membership_renewal:{membership_id}:{email.strip().casefold()}"


@dataclass(frozen=True)
class WelcomeMailSent:
    """Domain event: the SMTP server accepted the welcome e-mail."""

    person_id: uuid.UUID
    message_id: str
