"""Domain errors with stable codes. A handler raises them; the bus turns them into typed error
replies (RPC) or dead letters (events); the gateway maps their codes to HTTP statuses."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule said no. Permanent: retrying the same message gives the same answer."""

    code = "rule_violated"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class InvalidInput(DomainError):
    code = "invalid"


class TooLarge(DomainError):
    """More data than a limit allows (a file above the upload size limit)."""

    code = "too_large"


class Unavailable(Exception):
    """A dependency is down (database, NATS, SMTP). Transient: the message is retried later."""

    code = "unavailable"
