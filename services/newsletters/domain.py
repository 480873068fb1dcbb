"""The newsletters model and its rules. Plain Python: no I/O, no framework."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender until ``next_attempt_at`` (its lease)
    SENT = "sent"
    FAILED = "failed"


SEND_LEASE = timedelta(minutes=5)
"""How long a claimed mail stays with its sender; a sender that died loses it after that."""


@dataclass
class WelcomeMail:
    """The welcome e-mail owed to one person: at most one per person."""

    id: uuid.UUID
    person_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    message_id: str | None = None
    last_error: str | None = None

    def claim(self, now: datetime) -> None:
        """Take the mail for one sending attempt (another sender may take it after the lease)."""
        self.status = DeliveryStatus.SENDING
        self.next_attempt_at = now + SEND_LEASE

    def sent(self, message_id: str) -> WelcomeMailSent:
        self.status = DeliveryStatus.SENT
        self.message_id = message_id
        self.attempts += 1
        return WelcomeMailSent(self.person_id, message_id)

    def failed_temporarily(self, error: str, now: datetime, max_attempts: int) -> None:
        """A 4xx or a network error: retry later with back-off, give up after ``max_attempts``."""
        self.attempts += 1
        self.last_error = error
        if self.attempts >= max_attempts:
            self.status = DeliveryStatus.FAILED
        else:
            self.status = DeliveryStatus.PENDING
            self.next_attempt_at = now + retry_delay(self.attempts)

    def failed_permanently(self, error: str) -> None:
        """A 5xx: the server will never accept it."""
        self.attempts += 1
        self.last_error = error
        self.status = DeliveryStatus.FAILED


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2 ** (attempts - 1)))


@dataclass(frozen=True)
class WelcomeMailSent:
    """Domain event: the SMTP server accepted the welcome e-mail."""

    person_id: uuid.UUID
    message_id: str
