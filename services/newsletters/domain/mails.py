"""The newsletters model and its rules. Plain Python: no I/O, no framework."""

from __future__ import annotations

import base64
import re
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
    # Asked for by the events service's facts:
    REGISTRATION_CONFIRMED = "registration_confirmed"  # a seat at once, with the .ics
    REGISTRATION_PROMOTED = "registration_promoted"  # a seat from the waiting list, with the .ics
    REGISTRATION_WAITLISTED = "registration_waitlisted"  # no seat yet
    REGISTRATION_OFFERED = "registration_offered"  # a seat held until a deadline: accept it
    REGISTRATION_CANCELLED = "registration_cancelled"  # with the .ics cancellation when given
    REGISTRATION_CHANGED = "registration_changed"  # moved to the other mode (.ics if seated)
    EVENT_UPDATED = "event_updated"  # to each registrant, the .ics to confirmed ones
    EVENT_CANCELLED = "event_cancelled"  # to each registrant, the .ics to confirmed ones
    EVENT_REMINDER = "event_reminder"  # the video link on the last one of an online attendance
    APPLICATION_SUBMITTED = "application_submitted"  # the acknowledgement reference
    APPLICATION_DECIDED = "application_decided"  # selected, waiting or rejected
    # Asked for by subscribers themselves:
    SUBSCRIPTION_CONFIRM = "subscription_confirm"  # double opt-in: the link that confirms
    PREFERENCES_LINK = "preferences_link"  # the link to the preferences page
    # Asked for by staff:
    ISSUE_TEST = "issue_test"  # an issue of a letter, « [TEST] », pre-rendered in ``data``


ACCESS_LINK_KINDS = frozenset({MailKind.CONFIRM_SIGNUP, MailKind.SIGN_IN, MailKind.CONFIRM_EMAIL})

REGISTRATION_KINDS = frozenset(
    {
        MailKind.REGISTRATION_CONFIRMED,
        MailKind.REGISTRATION_PROMOTED,
        MailKind.REGISTRATION_WAITLISTED,
        MailKind.REGISTRATION_OFFERED,
        MailKind.REGISTRATION_CANCELLED,
        MailKind.REGISTRATION_CHANGED,
        MailKind.EVENT_REMINDER,
    }
)
"""Mails about one registration, written from a registration fact (with its manage link)."""

EVENT_NOTICE_KINDS = frozenset({MailKind.EVENT_UPDATED, MailKind.EVENT_CANCELLED})
"""Mails to each registrant of an event that changed or was cancelled."""

APPLICATION_KINDS = frozenset({MailKind.APPLICATION_SUBMITTED, MailKind.APPLICATION_DECIDED})

SUBSCRIBER_KINDS = frozenset({MailKind.SUBSCRIPTION_CONFIRM, MailKind.PREFERENCES_LINK})
"""Mails to a subscriber of letters (no person id: tied to their address, erased with it)."""

CREDENTIAL_KEYS = ("url", "confirmation_url", "manage_url", "accept_url", "video_link", "ics")
"""Keys of ``TransactionalMail.data`` that hold a live link (or a calendar file, which may
carry one): removed once the mail is settled."""

SEND_LEASE = timedelta(minutes=5)
"""How long a claimed mail stays with its sender; a sender that died loses it after that."""


class InvalidLink(DomainError):
    """A link that is not absolute http(s): never mailed (the event is dead-lettered)."""


class InvalidCalendar(DomainError):
    """A calendar file that is not the one the fact promises: never attached (the event is
    dead-lettered)."""


def checked_link(url: str) -> str:
    """A link we are willing to put in an e-mail: absolute http(s), nothing else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        # The link is a credential: the reason names its scheme only.
        scheme = parts.scheme or "aucun"
        raise InvalidLink(f"lien refusé : http ou https absolu attendu (schéma : {scheme})")
    return url


_METHOD = re.compile(r"^METHOD:(.*?)\r?$", re.IGNORECASE | re.MULTILINE)


def calendar_method(ics: str) -> str | None:
    """The iCalendar METHOD of a file (``REQUEST``, ``CANCEL``), upper case; None without one."""
    found = _METHOD.search(ics)
    return found.group(1).strip().upper() if found else None


def checked_calendar(ics: str, method: str) -> str:
    """A calendar file we are willing to attach: one VCALENDAR whose METHOD is ``method`` (the
    Content-Type of the attachment repeats it, RFC 6047), its lines ending in CRLF (RFC 5545)."""
    text = ics.strip()
    if not (text.upper().startswith("BEGIN:VCALENDAR") and text.upper().endswith("END:VCALENDAR")):
        raise InvalidCalendar("fichier iCalendar refusé : BEGIN:VCALENDAR … END:VCALENDAR attendu")
    found = calendar_method(text)
    if found != method:
        raise InvalidCalendar(
            f"fichier iCalendar refusé : METHOD:{method} attendu (trouvé : {found or 'aucun'})"
        )
    return re.sub(r"\r?\n", "\r\n", text) + "\r\n"


@dataclass
class TransactionalMail:
    """One e-mail owed to one recipient, whatever its kind.

    ``dedupe_key`` is unique in the store, so a redelivered or repeated event never owes a second
    mail. ``data`` is what the kind's templates need (JSON-serialisable). ``expires_at`` is set
    when the mail stops making sense at some moment: the link it carries stops working (a
    personal link, a seat offered until a deadline), or the event it reminds of is over. Past
    it, the mail is not sent.
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

    def claim(self, now: datetime, lease: timedelta = SEND_LEASE) -> None:
        """Take the mail for one sending attempt (another sender may take it after the lease)."""
        self.status = DeliveryStatus.SENDING
        self.next_attempt_at = now + lease

    def sent(self, message_id: str) -> WelcomeMailSent | None:
        """The SMTP server accepted it; a welcome mail tells who was welcomed."""
        self.message_id = message_id
        self.attempts += 1
        self._settle(DeliveryStatus.SENT)
        if self.kind is MailKind.WELCOME and self.person_id is not None:
            return WelcomeMailSent(self.person_id, message_id)
        return None

    def expired(self) -> None:
        """Its link stopped working (or its event ended) before it could be sent: it is never
        sent."""
        self.last_error = _EXPIRY_REASONS.get(self.kind, "lien expiré avant l'envoi")
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
    MailKind.REGISTRATION_CONFIRMED: "reg",
    MailKind.REGISTRATION_PROMOTED: "reg",
    MailKind.REGISTRATION_WAITLISTED: "reg",
    MailKind.REGISTRATION_OFFERED: "reg",
    MailKind.REGISTRATION_CANCELLED: "reg",
    MailKind.REGISTRATION_CHANGED: "reg",
    MailKind.EVENT_UPDATED: "event",
    MailKind.EVENT_CANCELLED: "event",
    MailKind.EVENT_REMINDER: "remind",
    MailKind.APPLICATION_SUBMITTED: "apply",
    MailKind.APPLICATION_DECIDED: "apply",
    MailKind.SUBSCRIPTION_CONFIRM: "optin",
    MailKind.PREFERENCES_LINK: "prefs",
    MailKind.ISSUE_TEST: "test",
}
"""At most 7 characters: the Message-ID stays on one header line (``mailer.message_id``)."""

_EXPIRY_REASONS = {
    MailKind.REGISTRATION_OFFERED: "place proposée : délai passé avant l'envoi",
    MailKind.EVENT_REMINDER: "événement terminé avant l'envoi",
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


def registration_key(kind: MailKind, registration_id: uuid.UUID) -> str:
    """One mail of a kind per registration (confirmed, promoted, waitlisted, cancelled): the
    events service emits each of these facts once per registration."""
    return f"{kind.value}:{registration_id}"


def change_key(registration_id: uuid.UUID, fact_id: uuid.UUID) -> str:
    """One mail per move of a registration to another mode (a registration may move again)."""
    return f"{MailKind.REGISTRATION_CHANGED.value}:{registration_id}:{fact_id}"


def offer_key(registration_id: uuid.UUID, hold_until: datetime) -> str:
    """One mail per seat offered: per registration and deadline (a later offer is a new one)."""
    return f"{MailKind.REGISTRATION_OFFERED.value}:{registration_id}:{hold_until.isoformat()}"


def reminder_key(registration_id: uuid.UUID, rule: str) -> str:
    """One reminder per registration and reminder rule."""
    return f"{MailKind.EVENT_REMINDER.value}:{registration_id}:{rule}"


def event_updated_key(event_id: uuid.UUID, sequence: int, registration_id: uuid.UUID) -> str:
    """One notice per change of an event (its iCalendar SEQUENCE) and registration."""
    return f"{MailKind.EVENT_UPDATED.value}:{event_id}:{sequence}:{registration_id}"


def event_cancelled_key(event_id: uuid.UUID, registration_id: uuid.UUID) -> str:
    """One cancellation notice per event and registration."""
    return f"{MailKind.EVENT_CANCELLED.value}:{event_id}:{registration_id}"


def application_key(application_id: uuid.UUID) -> str:
    """One acknowledgement per application."""
    return f"{MailKind.APPLICATION_SUBMITTED.value}:{application_id}"


def decision_key(application_id: uuid.UUID, decision: str) -> str:
    """One mail per application and decision (waiting, then selected, is two mails)."""
    return f"{MailKind.APPLICATION_DECIDED.value}:{application_id}:{decision}"


@dataclass(frozen=True)
class WelcomeMailSent:
    """Domain event: the SMTP server accepted the welcome e-mail."""

    person_id: uuid.UUID
    message_id: str
