"""What the sending engine needs around it: a pool of reused SMTP connections (aiosmtplib), the
MIME message of a delivery, and the renderer of issues (the per-second rate is
``send_rate.SharedRate``).

Both the renderer and the composer do the costly work once per send and little per recipient:
the issue is rendered (templates, CSS inlined) once with placeholders where the personal values
go, and each recipient's message is the pieces joined around their escaped values; the MIME
bytes are written directly (headers that are the same for every recipient encoded once), not
built as an ``EmailMessage`` tree and flattened."""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import email.policy
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import base64mime, quoprimime
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.utils import format_datetime
from typing import cast

import aiosmtplib
from markupsafe import escape

from services.newsletters.domain import Letter, SubscriptionLinks
from services.newsletters.domain.issues import Issue, from_header, letter_headers, render_issue
from services.newsletters.domain.issues import Recipient as IssueRecipient
from services.newsletters.domain.sending import (
    Delivery,
    OutgoingMessage,
    Recipient,
    SendRef,
    delivery_message_key,
)
from services.newsletters.handlers.common import UowFactory, log
from services.newsletters.handlers.sending import WireMessage
from services.newsletters.mailer import message_id
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

    async def send(self, message: WireMessage) -> None:
        """Send the message's bytes as they are (``SMTPUTF8`` for a non-ASCII address,
        ``BODY=8BITMIME`` for 8-bit content when the server offers it)."""
        sender, recipients, data = message.sender, list(message.recipients), message.data
        utf8 = not (sender.isascii() and all(a.isascii() for a in recipients))
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


def issue_composer(centre: CentreSettings) -> Callable[[Delivery, OutgoingMessage], WireMessage]:
    """Builds a delivery's message: multipart/alternative (text, then HTML), UTF-8 headers
    encoded, ``From`` with the centre's name (or the letter's sender), ``Date``, a
    ``Message-ID`` derived from the delivery's id (the same on every attempt), and the
    renderer's headers (``List-Id``, ``List-Unsubscribe``, ``List-Unsubscribe-Post``).

    The bytes are written directly; the headers that are the same for every recipient of a
    send (Subject, From, List-Id) are encoded once and kept."""
    return _IssueComposer(centre)


CRLF = "\r\n"
_MAX_LINE = 998  # RFC 5322
_POLICIES = tuple(policy.clone(linesep=CRLF) for policy in ISSUE_POLICIES)
_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+( [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_QUOTABLE = re.compile(r"[\x20-\x7e]*")
_ADDR_SPEC = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9.-]{1,253}")


class _IssueComposer:
    def __init__(self, centre: CentreSettings) -> None:
        self._centre = centre
        self._headers: dict[tuple[str, str | tuple[str, str], bool], str] = {}

    def __call__(self, delivery: Delivery, outgoing: OutgoingMessage) -> WireMessage:
        recipient = delivery.recipient
        sender_name = outgoing.sender_name or self._centre.name
        sender_email = outgoing.sender_email or self._centre.email
        utf8 = not (recipient.email.isascii() and sender_email.isascii())
        key = message_id(delivery_message_key(delivery.id), sender_email.rsplit("@", 1)[-1])
        boundary = "=_reso_" + secrets.token_hex(12)
        text_cte, text = _body(outgoing.text)
        html_cte, html = _body(outgoing.html)
        while boundary.encode() in text or boundary.encode() in html:  # never in practice
            boundary = "=_reso_" + secrets.token_hex(12)
        head = [
            self._kept("Subject", outgoing.subject, utf8),
            self._kept("From", (sender_name, sender_email), utf8),
            _to(recipient.display_name, recipient.email, utf8),
            f"Date: {format_datetime(datetime.now(UTC))}{CRLF}",
            _header("Message-ID", key, utf8),
            f"MIME-Version: 1.0{CRLF}",
            f'Content-Type: multipart/alternative; boundary="{boundary}"{CRLF}',
        ]
        for name, value in outgoing.headers.items():
            head.append(
                self._kept(name, value, utf8) if name == "List-Id" else _header(name, value, utf8)
            )
        head.append(CRLF)
        # Each part's content keeps its last line end: a delimiter begins with its own CRLF.
        data = b"".join(
            (
                "".join(head).encode(),
                f"--{boundary}{CRLF}".encode(),
                _part_head("plain", text_cte),
                text,
                f"{CRLF}--{boundary}{CRLF}".encode(),
                _part_head("html", html_cte),
                html,
                f"{CRLF}--{boundary}--{CRLF}".encode(),
            )
        )
        return WireMessage(
            sender=sender_email, recipients=(recipient.email,), data=data, message_id=key
        )

    def _kept(self, name: str, value: str | tuple[str, str], utf8: bool) -> str:
        """A header that is the same for many messages (an address: its name and addr-spec),
        encoded once."""
        cache_key = (name, value, utf8)
        line = self._headers.get(cache_key)
        if line is None:
            if len(self._headers) >= 256:
                self._headers.clear()
            parsed = value if isinstance(value, str) else _address(*value)
            line = self._headers[cache_key] = _header(name, parsed, utf8)
        return line


def _header(name: str, value: str | Address, utf8: bool) -> str:
    """One header line (CRLF): as it is when plain ASCII on one line, else encoded and folded
    by the stdlib's header classes (RFC 2047 encoded words, or raw UTF-8 with SMTPUTF8)."""
    if isinstance(value, str) and _plain(name, value):
        return f"{name}: {value}{CRLF}"
    policy = _POLICIES[utf8]
    return cast(str, policy.header_factory(name, value).fold(policy=policy))


def _to(name: str, addr_spec: str, utf8: bool) -> str:
    """``To``, per recipient, without the stdlib's header parser for the usual names and
    addresses: a bare name, a quoted one, or one UTF-8 encoded word (RFC 2047, the shorter of Q
    and B). Anything else (a long or odd name, an unusual or non-ASCII address) goes through
    the stdlib's header classes."""
    if _ADDR_SPEC.fullmatch(addr_spec) and len(name) < 200 and "=?" not in name:
        if not name:
            return f"To: {addr_spec}{CRLF}"
        if _ATOMS.fullmatch(name):
            return f"To: {name} <{addr_spec}>{CRLF}"
        if name.isascii():
            if _QUOTABLE.fullmatch(name):
                quoted = name.replace("\\", "\\\\").replace('"', '\\"')
                return f'To: "{quoted}" <{addr_spec}>{CRLF}'
        elif name.isprintable() and not utf8:
            raw = name.encode()
            q, b = quoprimime.header_encode(raw, "utf-8"), base64mime.header_encode(raw, "utf-8")
            word = q if len(q) - len(b) < 5 else b
            if len(word) <= 75:  # RFC 2047's limit for one encoded word
                return f"To: {word} <{addr_spec}>{CRLF}"
    return _header("To", _address(name, addr_spec), utf8)


def _address(name: str, addr_spec: str) -> Address:
    # Built from its parts: the stdlib refuses to parse a non-ASCII local part (RFC 6531).
    username, _, domain = addr_spec.rpartition("@")
    return Address(display_name=name, username=username, domain=domain)


def _body(content: str) -> tuple[str, bytes]:
    """A text part's transfer encoding and bytes, CRLF line ends: as it is (7bit, 8bit) when
    its lines fit RFC 5322's limit, else base64 in lines of 76."""
    lines = content.encode("utf-8").splitlines()
    data = b"\r\n".join(lines) + b"\r\n"
    if max(map(len, lines), default=0) <= _MAX_LINE:
        return ("7bit" if data.isascii() else "8bit"), data
    encoded = (
        binascii.b2a_base64(data[i : i + 57], newline=False) for i in range(0, len(data), 57)
    )
    return "base64", b"\r\n".join(encoded) + b"\r\n"


def _part_head(subtype: str, cte: str) -> bytes:
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: {cte}{CRLF}{CRLF}"
    ).encode()


def _plain(name: str, value: str) -> bool:
    return (
        value.isascii() and "\r" not in value and "\n" not in value and len(name) + len(value) < 996
    )


_SLOTS = ("first_name", "preferences_url", "unsubscribe_url")
"""What differs from one recipient's rendering of an issue to another's, besides the headers."""


class _Placeholders:
    """Stands in for the signer of links while an issue is rendered once: each personal link
    is a placeholder token."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._tokens = tokens

    def preferences_url(self, subscriber_id: uuid.UUID) -> str:
        return self._tokens["preferences_url"]

    def unsubscribe_url(self, subscriber_id: uuid.UUID, letter: str) -> str:
        return self._tokens["unsubscribe_url"]


@dataclass(frozen=True)
class _Cut:
    """One issue rendered once, cut around the placeholder tokens: literal pieces at even
    indexes, tokens at odd ones."""

    subject: str
    html: tuple[str, ...]
    text: tuple[str, ...]


def _fill(pieces: tuple[str, ...], values: Mapping[str, str]) -> str:
    filled = list(pieces)
    filled[1::2] = [values[token] for token in pieces[1::2]]
    return "".join(filled)


class IssueRenderer:
    """The issues' own renderer (``render_issue``: blocks, templates, inlined CSS) for the
    engine: the issue and its letter are read once per send and kept (both are frozen while it
    is sent); each message greets its recipient and carries their preferences and one-click
    unsubscribe links, the RFC 2369/2919/8058 headers and the letter's sender. The engine sets
    the Message-ID (one per delivery, stable across attempts).

    The issue is rendered once per send (twice: with a first name and without), with random
    placeholder tokens for the first name and the two personal links, and cut around them;
    a recipient's message joins the pieces around their own values, HTML-escaped in the HTML
    part (as the template's autoescape would). Should a template ever not show a placeholder
    as it is, the issue is rendered for each recipient instead."""

    def __init__(self, uow: UowFactory, links: SubscriptionLinks, centre: CentreSettings) -> None:
        self._uow = uow
        self._links = links
        self._centre = centre
        self._issues: dict[uuid.UUID, tuple[Issue, Letter]] = {}
        self._cuts: dict[tuple[uuid.UUID, bool], _Cut | None] = {}
        self._tokens = {slot: f"reso{secrets.token_hex(10)}{slot[0]}" for slot in _SLOTS}
        self._pattern = re.compile("|".join(map(re.escape, self._tokens.values())))

    async def _load(self, issue_id: uuid.UUID) -> tuple[Issue, Letter]:
        if issue_id not in self._issues:
            async with self._uow() as work:
                issue = await work.issues.get(issue_id)
                letter = await work.letters.get(issue.letter) if issue else None
            if issue is None or letter is None:
                raise LookupError(f"issue {issue_id} or its letter is gone")
            if len(self._issues) >= 32:  # sends are few at a time; forget the oldest
                forgotten = next(iter(self._issues))
                self._issues.pop(forgotten)
                self._cuts.pop((forgotten, True), None)
                self._cuts.pop((forgotten, False), None)
            self._issues[issue_id] = (issue, letter)
        return self._issues[issue_id]

    def _cut(self, issue: Issue, letter: Letter, named: bool) -> _Cut | None:
        key = (issue.id, named)
        if key not in self._cuts:
            tokens = self._tokens
            reader = IssueRecipient(
                subscriber_id=uuid.UUID(int=0),
                email="placeholder@invalid",
                first_name=tokens["first_name"] if named else None,
                last_name=None,
                subscription_id=uuid.UUID(int=0),
                letter=letter.slug,
            )
            placeholders = cast(SubscriptionLinks, _Placeholders(tokens))
            message = render_issue(issue, letter, reader, placeholders, self._centre)
            cut = _Cut(
                subject=message.subject,
                html=tuple(self._pieces(message.html)),
                text=tuple(self._pieces(message.text)),
            )
            wanted = {tokens[s] for s in _SLOTS if named or s != "first_name"}
            if set(cut.html[1::2]) != wanted or set(cut.text[1::2]) != wanted:
                log.warning("issue rendered per recipient", issue_id=str(issue.id))
                self._cuts[key] = None
            else:
                self._cuts[key] = cut
        return self._cuts[key]

    def _pieces(self, rendered: str) -> list[str]:
        pieces: list[str] = []
        at = 0
        for found in self._pattern.finditer(rendered):
            pieces += [rendered[at : found.start()], found.group()]
            at = found.end()
        pieces.append(rendered[at:])
        return pieces

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
        cut = self._cut(issue, letter, named=bool(recipient.first_name))
        if cut is None:
            message = render_issue(issue, letter, reader, self._links, self._centre)
            subject, html, text = message.subject, message.html, message.text
        else:
            values = {
                self._tokens["first_name"]: recipient.first_name or "",
                self._tokens["preferences_url"]: self._links.preferences_url(
                    recipient.subscriber_id
                ),
                self._tokens["unsubscribe_url"]: self._links.unsubscribe_url(
                    recipient.subscriber_id, letter.slug
                ),
            }
            subject, text = cut.subject, _fill(cut.text, values)
            html = _fill(cut.html, {token: str(escape(value)) for token, value in values.items()})
        headers = letter_headers(issue, letter, reader, self._links, self._centre)
        headers.pop("Message-ID", None)
        sender_name, sender_email = from_header(letter, self._centre)
        return OutgoingMessage(
            subject=subject,
            html=html,
            text=text,
            headers=headers,
            sender_name=sender_name,
            sender_email=sender_email,
        )
