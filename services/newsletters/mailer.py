"""Composing (jinja2, MIME) and sending (aiosmtplib) e-mails."""

from __future__ import annotations

import email.policy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import aiosmtplib
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from services.newsletters.settings import NewslettersSettings


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class Templates:
    def __init__(self) -> None:
        self._env = Environment(
            loader=PackageLoader("services.newsletters", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def render(self, name: str, **context: Any) -> Rendered:
        return Rendered(
            subject=self._env.get_template(f"{name}.subject.j2").render(**context).strip(),
            text=self._env.get_template(f"{name}.txt.j2").render(**context),
            html=self._env.get_template(f"{name}.html.j2").render(**context),
        )


def compose(
    rendered: Rendered,
    *,
    sender_name: str,
    sender_email: str,
    to_name: str,
    to_email: str,
    message_id_key: str,
) -> EmailMessage:
    """A multipart/alternative message (plain text first, then HTML) with proper headers.

    An address with non-ASCII characters (josé@exemple.fr) needs SMTPUTF8 (RFC 6531); other
    messages keep the classic encoding that every server accepts.
    """
    needs_utf8 = not (to_email.isascii() and sender_email.isascii())
    message = EmailMessage(policy=email.policy.SMTPUTF8 if needs_utf8 else email.policy.default)
    message["Subject"] = rendered.subject
    message["From"] = _address(sender_name, sender_email)
    message["To"] = _address(to_name, to_email)
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = sender_email.rsplit("@", 1)[-1]
    message["Message-ID"] = make_msgid(idstring=message_id_key, domain=domain)
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


Send = Callable[[EmailMessage], Awaitable[None]]


def _address(name: str, addr_spec: str) -> Address:
    # Built from its parts: the stdlib refuses to parse a non-ASCII local part (RFC 6531).
    username, _, domain = addr_spec.rpartition("@")
    return Address(display_name=name, username=username, domain=domain)


class SmtpSender:
    """Sends messages to the configured SMTP server."""

    def __init__(self, settings: NewslettersSettings) -> None:
        self._settings = settings

    async def send(self, message: EmailMessage) -> None:
        settings = self._settings
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            use_tls=settings.smtp_security == "tls",
            start_tls=settings.smtp_security == "starttls",
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout_seconds,
        )
