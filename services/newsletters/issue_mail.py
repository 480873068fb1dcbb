"""What the sending engine needs around it: a pool of reused SMTP connections (aiosmtplib), the
MIME message of a delivery, per-second limiters (aiolimiter), and the renderer of issues."""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import time
import uuid
from collections.abc import AsyncIterator, Callable
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage

import aiosmtplib
from aiolimiter import AsyncLimiter

from services.newsletters.domain import Letter, SubscriptionLinks
from services.newsletters.domain.issues import Issue, from_header, letter_headers, render_issue
from services.newsletters.domain.issues import Recipient as IssueRecipient
from services.newsletters.domain.sending import (
    Delivery,
    OutgoingMessage,
    Recipient,
    Send,
    SendRef,
    delivery_message_key,
)
from services.newsletters.handlers.common import UowFactory
from services.newsletters.mailer import Rendered, compose
from services.newsletters.settings import NewslettersSettings
from services.runtime.settings import CentreSettings

IDLE_SECONDS = 20.0
"""A connection idle longer than this is closed and opened again before use: servers drop idle
clients (often after 30–300 s), and a message must not be the one that finds out."""


class SmtpPool:
    """Up to ``size`` SMTP connections, opened on demand and reused from message to message."""

    def __init__(self, settings: NewslettersSettings, size: int) -> None:
        self._settings = settings
        self._idle: asyncio.Queue[tuple[aiosmtplib.SMTP, float]] = asyncio.Queue()
        self._slots = asyncio.Semaphore(size)
        self.opened = 0

    def _client(self) -> aiosmtplib.SMTP:
        settings = self._settings
        return aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            use_tls=settings.smtp_security == "tls",
            start_tls=settings.smtp_security == "starttls",
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout_seconds,
        )

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosmtplib.SMTP]:
        async with self._slots:
            client: aiosmtplib.SMTP | None = None
            while not self._idle.empty():
                candidate, since = self._idle.get_nowait()
                if candidate.is_connected and time.monotonic() - since < IDLE_SECONDS:
                    client = candidate
                    break
                await _close(candidate)
            if client is None:
                client = self._client()
                await client.connect()
                self.opened += 1
            healthy = False
            try:
                yield client
                healthy = True
            except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
                # The server answered: the session is still usable once reset.
                try:
                    await client.rset()
                    healthy = True
                except (aiosmtplib.SMTPException, OSError):
                    healthy = False
                raise
            finally:
                if healthy and client.is_connected:
                    self._idle.put_nowait((client, time.monotonic()))
                else:
                    await _close(client)

    async def send(self, message: EmailMessage) -> None:
        """Send with the message's own policy (aiosmtplib's ``send_message`` would flatten it
        with ``policy.SMTP`` and fold the unsubscribe URLs at 78 characters)."""
        data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        sender = message["From"].addresses[0].addr_spec
        recipients = [address.addr_spec for address in message["To"].addresses]
        utf8 = not all(a.isascii() for a in (sender, *recipients))
        async with self.connection() as client:
            options = ["SMTPUTF8"] if utf8 else []
            if not data.isascii() and client.supports_extension("8bitmime"):
                options.append("BODY=8BITMIME")
            await client.sendmail(sender, recipients, data, mail_options=options)

    async def close(self) -> None:
        while not self._idle.empty():
            client, _ = self._idle.get_nowait()
            await _close(client)


async def _close(client: aiosmtplib.SMTP) -> None:
    if client.is_connected:
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()


class _ReusedHeaderClasses(HeaderRegistry):
    """The stdlib registry builds a new header class with ``type()`` for every header it makes
    (a fifth of the time spent building a message); the classes are stateless, so one per
    header name is kept."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


_HEADERS = _ReusedHeaderClasses()
ISSUE_POLICIES = (
    # Lines up to RFC 5322's limit (998): with the default 78, the long unsubscribe URLs would be
    # folded into RFC 2047 encoded words, which mail clients do not read as URLs.
    email.policy.default.clone(header_factory=_HEADERS, max_line_length=998),
    email.policy.SMTPUTF8.clone(header_factory=_HEADERS, max_line_length=998),
)


def issue_composer(centre: CentreSettings) -> Callable[[Delivery, OutgoingMessage], EmailMessage]:
    """Builds a delivery's message: multipart/alternative (text, then HTML), UTF-8 headers
    encoded, ``From`` with the centre's name (or the letter's sender), ``Date``, a
    ``Message-ID`` derived from the delivery's id (the same on every attempt), and the
    renderer's headers (``List-Id``, ``List-Unsubscribe``, ``List-Unsubscribe-Post``)."""

    def make(delivery: Delivery, outgoing: OutgoingMessage) -> EmailMessage:
        recipient = delivery.recipient
        message = compose(
            Rendered(outgoing.subject, outgoing.text, outgoing.html),
            sender_name=outgoing.sender_name or centre.name,
            sender_email=outgoing.sender_email or centre.email,
            to_name=recipient.display_name,
            to_email=recipient.email,
            message_id_key=delivery_message_key(delivery.id),
            policies=ISSUE_POLICIES,
        )
        for name, value in outgoing.headers.items():
            if _plain(name, value):
                message.set_raw(name, value)  # ASCII on one line: nothing to parse or fold
            else:
                message[name] = value
        return message

    return make


def _plain(name: str, value: str) -> bool:
    return (
        value.isascii() and "\r" not in value and "\n" not in value and len(name) + len(value) < 996
    )


class Limiters:
    """One per-second limiter per send (aiolimiter's leaky bucket), in this process. With
    several replicas each keeps the rate on its own; the hourly budget is shared (counted in
    the database)."""

    def __init__(self) -> None:
        self._by_send: dict[object, tuple[float, AsyncLimiter]] = {}

    def __call__(self, send: Send) -> AsyncLimiter:
        rate = send.rate_per_second
        known = self._by_send.get(send.id)
        if known is None or known[0] != rate:
            limiter = AsyncLimiter(rate, 1) if rate >= 1 else AsyncLimiter(1, 1 / rate)
            known = (rate, limiter)
            self._by_send[send.id] = known
        return known[1]


class IssueRenderer:
    """The issues' own renderer (``render_issue``: blocks, templates, inlined CSS) for the
    engine: the issue and its letter are read once per send and kept (both are frozen while it
    is sent); each message greets its recipient and carries their preferences and one-click
    unsubscribe links, the RFC 2369/2919/8058 headers and the letter's sender. The engine sets
    the Message-ID (one per delivery, stable across attempts)."""

    def __init__(self, uow: UowFactory, links: SubscriptionLinks, centre: CentreSettings) -> None:
        self._uow = uow
        self._links = links
        self._centre = centre
        self._issues: dict[uuid.UUID, tuple[Issue, Letter]] = {}

    async def _load(self, issue_id: uuid.UUID) -> tuple[Issue, Letter]:
        if issue_id not in self._issues:
            async with self._uow() as work:
                issue = await work.issues.get(issue_id)
                letter = await work.letters.get(issue.letter) if issue else None
            if issue is None or letter is None:
                raise LookupError(f"issue {issue_id} or its letter is gone")
            if len(self._issues) >= 32:  # sends are few at a time; forget the oldest
                self._issues.pop(next(iter(self._issues)))
            self._issues[issue_id] = (issue, letter)
        return self._issues[issue_id]

    async def render(self, send: SendRef, recipient: Recipient) -> OutgoingMessage:
        issue, letter = await self._load(send.issue_id)
        reader = IssueRecipient(
            subscriber_id=recipient.subscriber_id,
            email=recipient.email,
            first_name=recipient.first_name,
            last_name=recipient.last_name,
            subscription_id=recipient.subscriber_id,  # not kept in a delivery; unused to render
            letter=letter.slug,
        )
        message = render_issue(issue, letter, reader, self._links, self._centre)
        headers = letter_headers(issue, letter, reader, self._links, self._centre)
        headers.pop("Message-ID", None)
        sender_name, sender_email = from_header(letter, self._centre)
        return OutgoingMessage(
            subject=message.subject,
            html=message.html,
            text=message.text,
            headers=headers,
            sender_name=sender_name,
            sender_email=sender_email,
        )
