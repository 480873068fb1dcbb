"""Composing (jinja2, MIME) and sending (aiosmtplib) e-mails."""

from __future__ import annotations

import email.policy
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import aiosmtplib
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from services.newsletters.domain import ACCESS_LINK_KINDS, MailKind, TransactionalMail
from services.newsletters.formatting import euros, minutes_left, paris_datetime
from services.newsletters.settings import NewslettersSettings
from services.runtime.settings import CentreSettings


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _paragraphs(value: str) -> Markup:
    """Plain text typed in a setting, as HTML paragraphs (blank lines) and line breaks."""
    blocks = [block for block in re.split(r"\n\s*\n", value.strip()) if block.strip()]
    return Markup("\n").join(
        Markup('<p style="margin:0 0 16px 0;">{}</p>').format(
            Markup("<br>\n").join(escape(line.strip()) for line in block.strip().splitlines())
        )
        for block in blocks
    )


class Templates:
    def __init__(self) -> None:
        self._env = Environment(
            loader=PackageLoader("services.newsletters", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )
        self._env.filters["paragraphs"] = _paragraphs

    def render(self, template: str, /, **context: Any) -> Rendered:
        """Subject (on one line), plain text and HTML of ``template`` (a mail kind)."""
        return Rendered(
            subject=" ".join(
                self._env.get_template(f"{template}.subject.j2").render(**context).split()
            ),
            text=self._env.get_template(f"{template}.txt.j2").render(**context),
            html=self._env.get_template(f"{template}.html.j2").render(**context),
        )


class Mailer:
    """Turns a mail owed (a store row) into the message the SMTP server receives."""

    def __init__(
        self, templates: Templates, centre: CentreSettings, *, dues_payment_instructions: str
    ) -> None:
        self._templates = templates
        self._centre = centre
        self._payment = dues_payment_instructions

    def render(self, mail: TransactionalMail, now: datetime) -> Rendered:
        return self._templates.render(mail.kind.value, **self._context(mail, now))

    def compose(self, mail: TransactionalMail, now: datetime) -> EmailMessage:
        return compose(
            self.render(mail, now),
            sender_name=self._centre.name,
            sender_email=self._centre.email,
            to_name=mail.name,
            to_email=mail.email,
            message_id_key=mail.message_id_key,
        )

    def _context(self, mail: TransactionalMail, now: datetime) -> dict[str, Any]:
        data = mail.data
        context: dict[str, Any] = {"centre": self._centre}
        expires = mail.expires_at
        if mail.kind is MailKind.WELCOME:
            link = data.get("confirmation_url")
            context |= {
                "first_name": data["first_name"],
                "last_name": data["last_name"],
                "confirmation_url": link,
                "expires": paris_datetime(expires) if link and expires else None,
            }
        elif mail.kind in ACCESS_LINK_KINDS:
            if expires is None:
                raise ValueError(f"{mail.kind} mail without an expiry")
            context |= {
                "first_name": data["first_name"],
                "last_name": data["last_name"],
                "url": data["url"],
                "expires": paris_datetime(expires),
                "minutes": minutes_left(expires, now),
            }
        elif mail.kind is MailKind.MEMBERSHIP_RENEWAL:
            context |= {
                "name": mail.name,
                "member_name": data.get("member_name"),
                "member_type": data["member_type"],
                "year": data["year"],
                "dues": euros(data["dues"]),
                "free": Decimal(data["dues"]) == 0,
                "payment_instructions": self._payment,
            }
        return context


def message_id(key: str, domain: str) -> str:
    """``<key@domain>``, the same for every attempt of one mail.

    Kept to one header line: ``Message-ID: <…>`` within 78 characters is never folded. Python's
    folding would put the id on a continuation line, which parsers read back with a leading
    space. Keys are 34 characters at most, so any sender domain up to 29 characters fits; a
    longer one folds the line, which RFC 5322 allows and mail software reads correctly.
    """
    return f"<{key}@{domain}>"


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
    message["Message-ID"] = message_id(message_id_key, sender_email.rsplit("@", 1)[-1])
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
