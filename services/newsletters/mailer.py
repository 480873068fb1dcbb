"""Composing (jinja2, MIME) and sending (aiosmtplib) e-mails."""

from __future__ import annotations

import email.policy
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
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

from services.newsletters.domain import (
    ACCESS_LINK_KINDS,
    APPLICATION_KINDS,
    EVENT_NOTICE_KINDS,
    REGISTRATION_KINDS,
    SUBSCRIBER_KINDS,
    MailKind,
    TransactionalMail,
    calendar_method,
)
from services.newsletters.formatting import (
    euros,
    event_place,
    minutes_left,
    ordinal,
    paris_datetime,
    paris_span,
)
from services.newsletters.settings import NewslettersSettings
from services.runtime.settings import CentreSettings


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Attachment:
    """A file joined to a message: its bytes as sent, and how mail software should read them."""

    filename: str
    content: bytes
    content_type: str
    params: tuple[tuple[str, str], ...] = ()


def calendar_attachment(ics: str) -> Attachment:
    """An iCalendar file as mail software expects it (RFC 6047): ``text/calendar`` with the
    file's METHOD and its charset; ``evenement.ics``, or ``annulation.ics`` for a cancellation.

    Sent as bytes (base64), so its CRLF line ends arrive as they are.
    """
    method = calendar_method(ics)
    filename = "annulation.ics" if method == "CANCEL" else "evenement.ics"
    params = ((("method", method),) if method else ()) + (("charset", "utf-8"),)
    return Attachment(filename, ics.encode("utf-8"), "text/calendar", params)


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
        if mail.kind is MailKind.ISSUE_TEST:  # rendered when staff asked (letter templates)
            data = mail.data
            return Rendered(subject=data["subject"], text=data["text"], html=data["html"])
        return self._templates.render(mail.kind.value, **self._context(mail, now))

    def compose(self, mail: TransactionalMail, now: datetime) -> EmailMessage:
        return compose(
            self.render(mail, now),
            sender_name=self._centre.name,
            sender_email=self._centre.email,
            to_name=mail.name,
            to_email=mail.email,
            message_id_key=mail.message_id_key,
            attachments=self.attachments(mail),
        )

    def attachments(self, mail: TransactionalMail) -> list[Attachment]:
        """The files a mail carries: the calendar file of an event mail, when it has one."""
        ics = mail.data.get("ics")
        return [calendar_attachment(ics)] if ics else []

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
        elif mail.kind in REGISTRATION_KINDS:
            context |= _registration_context(mail)
        elif mail.kind in EVENT_NOTICE_KINDS:
            context |= {
                "first_name": data["first_name"],
                "status": data["status"],
                "event": _event_view(data["event"], mode=None),
                "changes": data.get("changes", []),
                "reason": data.get("reason", ""),
                "calendar": _calendar_name(data),
            }
        elif mail.kind in SUBSCRIBER_KINDS:
            if expires is None:
                raise ValueError(f"{mail.kind} mail without an expiry")
            context |= {
                "url": data["url"],
                "letters": data.get("letters", []),
                "expires": paris_datetime(expires),
            }
        elif mail.kind in APPLICATION_KINDS:
            submitted = data.get("submitted_at")
            context |= {
                "first_name": data["first_name"],
                "call_title": data["call_title"],
                "reference": data["reference"],
                "organisation_name": data.get("organisation_name", ""),
                "submitted": paris_datetime(datetime.fromisoformat(submitted))
                if submitted
                else None,
                "decision": data.get("decision"),
                "message": data.get("message", ""),
            }
        return context


def _registration_context(mail: TransactionalMail) -> dict[str, Any]:
    """What a mail about one registration says: the event where the person attends, the link
    to manage the registration, and what the kind adds."""
    data = mail.data
    context: dict[str, Any] = {
        "first_name": data["first_name"],
        "event": _event_view(data["event"], mode=data["mode"]),
        "mode": data["mode"],
        "manage_url": data["manage_url"],
        "calendar": _calendar_name(data),
    }
    if mail.kind is MailKind.REGISTRATION_WAITLISTED:
        context |= {"position": ordinal(int(data["position"])), "reason": data["reason"]}
    elif mail.kind is MailKind.REGISTRATION_OFFERED:
        if mail.expires_at is None:
            raise ValueError("a seat offered without a deadline")
        context |= {"accept_url": data["accept_url"], "hold": paris_datetime(mail.expires_at)}
    elif mail.kind is MailKind.REGISTRATION_CANCELLED:
        context |= {"by": data["by"]}
    elif mail.kind is MailKind.REGISTRATION_CHANGED:
        position = data.get("position")
        context |= {
            "status": data["status"],
            "previous_mode": data["previous_mode"],
            "position": ordinal(int(position)) if position else None,
        }
    elif mail.kind is MailKind.EVENT_REMINDER:
        context |= {"video_link": data.get("video_link"), "last": bool(data.get("last"))}
    return context


def _event_view(event: Mapping[str, Any], *, mode: str | None) -> dict[str, Any]:
    """An event as mails show it: when (Paris time), where (for this attendance mode), page."""
    starts = datetime.fromisoformat(event["starts_at"])
    ends = datetime.fromisoformat(event["ends_at"])
    return {
        "title": event["title"],
        "format": event["format"],
        "when": paris_span(starts, ends),
        "on": paris_span(starts, ends, article=True),
        "starts": paris_datetime(starts),
        "place": event_place(event["format"], event.get("venue"), mode),
        "url": event["url"],
    }


def _calendar_name(data: Mapping[str, Any]) -> str | None:
    ics = data.get("ics")
    return calendar_attachment(ics).filename if ics else None


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
    attachments: Sequence[Attachment] = (),
    policies: tuple[email.policy.EmailPolicy[Any], email.policy.EmailPolicy[Any]] | None = None,
) -> EmailMessage:
    """A multipart/alternative message (plain text first, then HTML) with proper headers; with
    attachments, a multipart/mixed one whose first part is that alternative, then the files.

    An address with non-ASCII characters (josé@exemple.fr) needs SMTPUTF8 (RFC 6531); other
    messages keep the classic encoding that every server accepts. ``policies`` replaces the
    (classic, SMTPUTF8) pair of email policies.
    """
    needs_utf8 = not (to_email.isascii() and sender_email.isascii())
    plain, utf8 = policies or (email.policy.default, email.policy.SMTPUTF8)
    message = EmailMessage(policy=utf8 if needs_utf8 else plain)
    message["Subject"] = rendered.subject
    message["From"] = _address(sender_name, sender_email)
    message["To"] = _address(to_name, to_email)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id(message_id_key, sender_email.rsplit("@", 1)[-1])
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for attachment in attachments:
        maintype, subtype = attachment.content_type.split("/", 1)
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=dict(attachment.params),
        )
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
