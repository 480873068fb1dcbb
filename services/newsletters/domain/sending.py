"""The sending engine's model: a send freezes an issue's audience into one delivery per
recipient; deliveries are claimed in batches under a lease, sent, and settled (sent, failed,
cancelled). Plain Python: no I/O.

The engine knows nothing of how an issue looks. It asks a :class:`Renderer` for each recipient's
:class:`OutgoingMessage` (subject, HTML, text, extra headers such as ``List-Id`` and
``List-Unsubscribe``), and an audience (a list of :class:`Recipient`) when a send starts.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from contracts.newsletters import SendStatus
from services.runtime.errors import Conflict

__all__ = [
    "AUTO_PAUSE_REASON",
    "Delivery",
    "DeliveryFailed",
    "DeliveryState",
    "Outcome",
    "OutgoingMessage",
    "Recipient",
    "Renderer",
    "Send",
    "SendRef",
    "SendStatus",
    "delivery_message_key",
    "retry_after",
]

AUTO_PAUSE_REASON = "mis en pause automatiquement après {n} erreurs consécutives : {error}"


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting (or waiting for its next attempt, ``next_attempt_at``)
    SENDING = "sending"  # claimed by a worker until ``leased_until``
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # the send was cancelled, or the address became undeliverable


FINAL_STATES = frozenset({DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.CANCELLED})


@dataclass(frozen=True)
class Recipient:
    """One person an issue goes to, as the audience was when the send started."""

    subscriber_id: uuid.UUID
    email: str
    first_name: str | None = None
    last_name: str | None = None

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass(frozen=True)
class SendRef:
    """What a renderer needs to know of a send: which issue (its content key) and letter."""

    send_id: uuid.UUID
    issue_id: uuid.UUID
    letter: str | None


@dataclass(frozen=True)
class OutgoingMessage:
    """One recipient's message, personalised: the engine adds From, To, Date and Message-ID.

    ``headers`` are added as they are: ``List-Id``, ``List-Unsubscribe``,
    ``List-Unsubscribe-Post``…
    """

    subject: str
    html: str
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)
    sender_name: str | None = None  # default: the centre's name
    sender_email: str | None = None  # default: the centre's address


class Renderer(Protocol):
    """Turns an issue and a recipient into the message they receive (e.g. the issues' templates,
    with the recipient's name and unsubscribe links). Called outside any transaction; it may
    cache what is the same for every recipient of a send."""

    async def render(self, send: SendRef, recipient: Recipient) -> OutgoingMessage: ...


@dataclass
class Send:
    """Sending one issue to its frozen audience, at a rate, under staff's control."""

    id: uuid.UUID
    issue_id: uuid.UUID
    letter: str | None
    status: SendStatus
    total: int
    rate_per_second: float
    rate_per_hour: int
    started_at: datetime
    started_by: str
    consecutive_errors: int = 0
    paused_reason: str | None = None
    finished_at: datetime | None = None
    cancelled_by: str | None = None

    @property
    def ref(self) -> SendRef:
        return SendRef(self.id, self.issue_id, self.letter)

    def pause(self, reason: str | None = None) -> None:
        if self.status in (SendStatus.CANCELLED, SendStatus.DONE):
            raise Conflict(f"Cet envoi est déjà {_FR[self.status]} : il ne peut être mis en pause.")
        self.status = SendStatus.PAUSED
        self.paused_reason = reason

    def resume(self) -> None:
        if self.status in (SendStatus.CANCELLED, SendStatus.DONE):
            raise Conflict(f"Cet envoi est déjà {_FR[self.status]} : il ne peut reprendre.")
        self.status = SendStatus.SENDING
        self.paused_reason = None
        self.consecutive_errors = 0

    def cancel(self, now: datetime, by: str | None = None) -> None:
        """What was not sent never will be (cancelling again changes nothing, not even who)."""
        if self.status is SendStatus.DONE:
            raise Conflict("Cet envoi est déjà terminé : il ne peut être annulé.")
        if self.status is not SendStatus.CANCELLED:
            self.status = SendStatus.CANCELLED
            self.finished_at = now
            self.cancelled_by = by

    def count_outcomes(self, errors: list[str | None], pause_after: int) -> None:
        """Follow the outcomes of a batch, in the order they came (``None``: sent, else the
        error): past ``pause_after`` errors in a row, the send pauses itself."""
        for error in errors:
            if error is None:
                self.consecutive_errors = 0
                continue
            self.consecutive_errors += 1
            if self.consecutive_errors >= pause_after and self.status is SendStatus.SENDING:
                self.pause(AUTO_PAUSE_REASON.format(n=self.consecutive_errors, error=error))

    def finish(self, now: datetime) -> None:
        if self.status is SendStatus.SENDING:
            self.status = SendStatus.DONE
            self.finished_at = now


_FR = {SendStatus.CANCELLED: "annulé", SendStatus.DONE: "terminé"}


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # 4xx, network: another attempt later
    FAILED = "failed"  # 5xx, or retries used up


@dataclass
class Delivery:
    """One issue to one recipient: exactly one per (send, recipient)."""

    id: uuid.UUID
    send_id: uuid.UUID
    recipient: Recipient
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class DeliveryFailed:
    """Domain event: a delivery failed for good (→ ``DeliveryFailedV1``)."""

    delivery_id: uuid.UUID
    send_id: uuid.UUID
    issue_id: uuid.UUID
    subscriber_id: uuid.UUID
    email: str
    attempts: int
    error: str
    permanent: bool


@dataclass(frozen=True)
class IssueSent:
    """Domain event: an issue's send is done and the issue is ``sent`` (→ ``IssueSentV1``)."""

    issue_id: uuid.UUID
    send_id: uuid.UUID
    letter: str
    number: int
    subject: str
    at: datetime
    recipients: int
    sent: int
    failed: int
    cancelled: int


def retry_after(attempts: int, base: timedelta, cap: timedelta = timedelta(hours=1)) -> timedelta:
    """Exponential back-off: ``base · 2^(attempts−1)``, at most ``cap``."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


def delivery_message_key(delivery_id: uuid.UUID) -> str:
    """The local part of a delivery's Message-ID: the same on every attempt, so a copy sent
    again after a crash is recognised (``issue.<id in base 32>``)."""
    return "issue." + base64.b32encode(delivery_id.bytes).decode().rstrip("=").lower()
