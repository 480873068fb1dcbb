"""A stand-in SMTP server for unit tests of the newsletters sender (the real one is outside)."""

from __future__ import annotations

from collections.abc import Iterable
from email.message import EmailMessage


class FakeSmtp:
    """Accepts messages, or fails with the errors it was given, one per attempt, in order.

    Its :meth:`send` has the shape of ``services.newsletters.mailer.Send``.
    """

    def __init__(self, failures: Iterable[BaseException] = ()) -> None:
        self._failures = list(failures)
        self.accepted: list[EmailMessage] = []
        self.attempts = 0

    async def send(self, message: EmailMessage) -> None:
        self.attempts += 1
        if self._failures:
            raise self._failures.pop(0)
        self.accepted.append(message)
