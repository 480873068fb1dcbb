"""Issues (numéros) of a letter: their blocks, their life (draft → scheduled → sending → sent,
or cancelled), their audience, and how one is rendered for one recipient (HTML with CSS inlined,
plain text).

Plain: no database, no network. The templates are read from the package when first used.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import css_inline
import nh3
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from contracts.base import Theme
from contracts.newsletters import IssueStatus
from services.newsletters.domain.letters import Letter
from services.newsletters.domain.subscriptions import PATHS, SubscriptionLinks
from services.newsletters.formatting import paris_date, paris_span
from services.runtime.errors import Conflict, InvalidInput
from services.runtime.settings import CentreSettings

EDITABLE = frozenset({IssueStatus.DRAFT, IssueStatus.SCHEDULED})
"""An issue staff may still change, schedule or cancel."""


class IssueNotEditable(Conflict):
    """The issue is being sent, sent or cancelled."""


@dataclass(frozen=True)
class Recipient:
    """Whom one message of an issue goes to: a subscriber with an active subscription."""

    subscriber_id: uuid.UUID
    email: str
    first_name: str | None
    last_name: str | None
    subscription_id: uuid.UUID
    letter: str

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True)
class AgendaItem:
    """A published event, as the coming-events blocks show it (projected from events' facts)."""

    event_id: uuid.UUID
    title: str
    summary: str
    themes: tuple[Theme, ...]
    starts_at: datetime
    ends_at: datetime
    place: str
    url: str

    def as_json(self) -> dict[str, Any]:
        return {
            "event_id": str(self.event_id),
            "title": self.title,
            "summary": self.summary,
            "themes": [t.value for t in self.themes],
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "place": self.place,
            "url": self.url,
        }


@dataclass(frozen=True)
class DataItem:
    """Figures dataquartiers published (one indicator and vintage), for the new-data blocks."""

    key: str
    label: str
    theme: Theme
    vintage: int
    territories: int
    url: str
    published_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "theme": self.theme.value,
            "vintage": self.vintage,
            "territories": self.territories,
            "url": self.url,
            "published_at": self.published_at.isoformat(),
        }


@dataclass(frozen=True)
class BlockContent:
    """What the coming-events and new-data blocks show: live for a preview, frozen (stored in
    the issue) once sending starts."""

    events: tuple[dict[str, Any], ...] = ()
    data: tuple[dict[str, Any], ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"events": list(self.events), "data": list(self.data)}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> BlockContent:
        return cls(tuple(value.get("events", ())), tuple(value.get("data", ())))


@dataclass
class Issue:
    """One numéro of a letter. ``blocks`` and ``audience`` are the JSON forms of
    ``contracts.newsletters.Block`` and ``IssueAudience``; ``frozen`` is the coming events and
    new data as they were when sending started (None before)."""

    id: uuid.UUID
    letter: str
    number: int
    subject: str
    preheader: str
    blocks: list[dict[str, Any]]
    audience: dict[str, Any]
    status: IssueStatus = IssueStatus.DRAFT
    frozen: dict[str, Any] | None = None
    scheduled_at: datetime | None = None
    sent_at: datetime | None = None
    scheduled_by: str | None = None
    created_at: datetime | None = field(default=None, compare=False)
    updated_at: datetime | None = field(default=None, compare=False)

    def _editable(self) -> None:
        if self.status not in EDITABLE:
            raise IssueNotEditable(
                f"Le numéro {self.number} ne peut plus être modifié (statut : "
                f"{STATUS_FR[self.status]})."
            )

    def change(
        self,
        *,
        subject: str | None = None,
        preheader: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        audience: dict[str, Any] | None = None,
    ) -> None:
        self._editable()
        if subject is not None:
            self.subject = subject
        if preheader is not None:
            self.preheader = preheader
        if blocks is not None:
            self.blocks = blocks
        if audience is not None:
            self.audience = audience

    def schedule(self, at: datetime, now: datetime, by: str | None = None) -> None:
        """To be sent at ``at`` (aware; kept in UTC), by ``by`` (the staff member, who then
        started its send). Not in the past."""
        self._editable()
        if at.tzinfo is None:
            raise InvalidInput("L'heure d'envoi doit être précise (fuseau horaire).")
        if at <= now:
            raise InvalidInput("L'heure d'envoi doit être dans le futur.")
        if not self.blocks:
            raise InvalidInput("Un numéro sans aucun bloc ne peut pas être programmé.")
        self.scheduled_at = at
        self.scheduled_by = by
        self.status = IssueStatus.SCHEDULED

    def cancel(self) -> None:
        self._editable()
        self.status = IssueStatus.CANCELLED
        self.scheduled_at = None
        self.scheduled_by = None

    def is_due(self, now: datetime) -> bool:
        return (
            self.status is IssueStatus.SCHEDULED
            and self.scheduled_at is not None
            and self.scheduled_at <= now
        )

    def start_sending(self, content: BlockContent) -> None:
        """Sending starts (now, or at its scheduled time): the coming events and new data are
        frozen in the issue, so every recipient reads the same numéro."""
        self._editable()
        if not self.blocks:
            raise InvalidInput("Un numéro sans aucun bloc ne peut pas être envoyé.")
        self.frozen = content.as_json()
        self.status = IssueStatus.SENDING

    def send_cancelled(self) -> None:
        """Staff cancelled the send under way (called by the sending engine): the issue ends
        ``cancelled``, whatever was already delivered, and never appears in the public
        archive (a numéro only part of its readers received is no published numéro). Again:
        nothing changes."""
        if self.status is IssueStatus.CANCELLED:
            return
        if self.status is not IssueStatus.SENDING:
            raise IssueNotEditable(
                f"Le numéro {self.number} n'est pas en cours d'envoi (statut : "
                f"{STATUS_FR[self.status]})."
            )
        self.status = IssueStatus.CANCELLED

    def mark_sent(self, at: datetime) -> None:
        """Every delivery is settled (called by the sending engine)."""
        if self.status is not IssueStatus.SENDING:
            raise IssueNotEditable("Seul un numéro en cours d'envoi peut être marqué envoyé.")
        self.status = IssueStatus.SENT
        self.sent_at = at

    def themes_wanted(self, letter: Letter) -> frozenset[Theme]:
        return frozenset(letter.themes)


STATUS_FR = {
    IssueStatus.DRAFT: "brouillon",
    IssueStatus.SCHEDULED: "programmé",
    IssueStatus.SENDING: "en cours d'envoi",
    IssueStatus.SENT: "envoyé",
    IssueStatus.CANCELLED: "annulé",
}


# --- what an audience filter keeps ------------------------------------------------------------


@dataclass(frozen=True)
class TerritoryFilter:
    """Departments and communes (a QPV's communes included) whose subscribers are kept."""

    departments: frozenset[str]
    communes: frozenset[str]

    @property
    def everyone(self) -> bool:
        return not (self.departments or self.communes)

    def keeps(self, department: str | None, commune: str | None) -> bool:
        if self.everyone:
            return True
        if commune and commune in self.communes:
            return True
        department = department or (_department_of(commune) if commune else None)
        return department is not None and department in self.departments


def territory_filter(
    audience: Mapping[str, Any], qpv_communes: Mapping[str, Sequence[str]]
) -> TerritoryFilter:
    """The filter of an issue's audience; ``qpv_communes`` gives the communes of each QPV
    named (from the reference)."""
    communes = set(audience.get("communes", ()))
    for qpv in audience.get("qpvs", ()):
        communes.update(qpv_communes.get(qpv, ()))
    return TerritoryFilter(frozenset(audience.get("departments", ())), frozenset(communes))


def _department_of(commune: str) -> str:
    return commune[:3] if commune.startswith("97") else commune[:2]


# --- Markdown, sanitised ----------------------------------------------------------------------

_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "a", "ul", "ol", "li", "blockquote", "h3", "h4",
    "code", "pre", "hr", "img",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}


def _absolute_only(tag: str, attribute: str, value: str) -> str | None:
    """Links and images must work from a mailbox: absolute http(s) (mailto for links)."""
    if (tag, attribute) in (("a", "href"), ("img", "src")):
        parts = urlsplit(value)
        if parts.scheme == "mailto" and tag == "a":
            return value
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return None
    return value


@cache
def _markdown() -> MarkdownIt:
    # Raw HTML in the Markdown is shown as text, never interpreted.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("strikethrough")


def editorial_html(markdown: str) -> Markup:
    """Staff's Markdown as HTML fit for a mail: headings demoted under the block's title, no
    script, no style, no event handler, no ``javascript:`` or relative link."""
    rendered = _markdown().render(markdown)
    rendered = rendered.replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    rendered = rendered.replace("<h2>", "<h3>").replace("</h2>", "</h3>")
    clean = nh3.clean(
        rendered,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        attribute_filter=_absolute_only,
    )
    return Markup(clean)


_LINK = re.compile(r'<a [^>]*?href="([^"]+)"[^>]*>(.*?)</a>', re.DOTALL)
_BREAKS = re.compile(r"</(p|h3|h4|blockquote|pre|ul|ol)>|<br ?/?>|<hr ?/?>")


def editorial_text(markdown: str) -> str:
    """The plain-text part of an editorial: the sanitised HTML as text, each link followed by
    its address in brackets (what was stripped from the HTML is not in the text either)."""
    html = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", str(editorial_html(markdown)))
    html = html.replace("<li>", "* ")
    html = _BREAKS.sub("\n\n", html)
    text = unescape(nh3.clean(html, tags=set()))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- rendering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class PersonalLinks:
    preferences_url: str
    unsubscribe_url: str


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("services.newsletters", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _event_view(item: Mapping[str, Any]) -> dict[str, Any]:
    starts = datetime.fromisoformat(item["starts_at"])
    ends = datetime.fromisoformat(item["ends_at"])
    return {**item, "when": paris_span(starts, ends)}


def _data_view(item: Mapping[str, Any]) -> dict[str, Any]:
    published = datetime.fromisoformat(item["published_at"])
    return {**item, "published": paris_date(published)}


def _blocks_view(
    blocks: Iterable[Mapping[str, Any]], content: BlockContent
) -> list[dict[str, Any]]:
    views: list[dict[str, Any]] = []
    for block in blocks:
        kind = block["type"]
        if kind == "editorial":
            views.append(
                {
                    **block,
                    "html": editorial_html(block["markdown"]),
                    "text": editorial_text(block["markdown"]),
                }
            )
        elif kind == "events":
            items = [_event_view(e) for e in content.events[: block["limit"]]]
            views.append({**block, "items": items})
        elif kind == "data":
            views.append(
                {**block, "items": [_data_view(d) for d in content.data[: block["limit"]]]}
            )
        elif kind == "publications":
            views.append(dict(block))
    return views


def render_issue(
    issue: Issue,
    letter: Letter,
    recipient: Recipient | None,
    links: SubscriptionLinks | None,
    centre: CentreSettings,
    *,
    content: BlockContent | None = None,
) -> RenderedMessage:
    """The message of ``issue`` for ``recipient``: subject, HTML (CSS inlined) and text.

    With a recipient and the signer of links, the greeting uses their first name when known and
    the footer carries their preferences and one-click unsubscribe links. Without (the public
    archive), the footer links to the public subscription and preferences pages: no personal
    link. ``content`` fills the coming-events and new-data blocks; by default, what was frozen
    when sending started.
    """
    if content is None:
        content = BlockContent.from_json(issue.frozen or {})
    public = centre.public_url.rstrip("/")
    if recipient is not None and links is not None:
        personal: PersonalLinks | None = PersonalLinks(
            preferences_url=links.preferences_url(recipient.subscriber_id),
            unsubscribe_url=links.unsubscribe_url(recipient.subscriber_id, letter.slug),
        )
    else:
        personal = None
    context = {
        "centre": centre,
        "letter": letter,
        "issue": issue,
        "subject": issue.subject,
        "preheader": issue.preheader,
        "first_name": recipient.first_name if recipient else None,
        "blocks": _blocks_view(issue.blocks, content),
        "personal": personal,
        "archive_url": archive_url(public, letter.slug, issue.number),
        "letter_archive_url": f"{public}/lettres/{letter.slug}/numeros",
        "preferences_request_url": f"{public}{PATHS['preferences']}",
    }
    env = _environment()
    html = env.get_template("letter.html.j2").render(**context)
    text = env.get_template("letter.txt.j2").render(**context)
    return RenderedMessage(subject=issue.subject, html=inline_css(html), text=text)


@cache
def _inliner() -> css_inline.CSSInliner:
    # The letter's own <style> only: never fetch a stylesheet over the network.
    return css_inline.CSSInliner(load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    """Move the ``<style>`` rules onto each element: many mail clients drop style sheets."""
    return str(_inliner().inline(html))


def archive_url(public_url: str, letter: str, number: int) -> str:
    return f"{public_url.rstrip('/')}/lettres/{letter}/numeros/{number}"


# --- headers the sending engine sets ----------------------------------------------------------


def list_id(letter: Letter, centre: CentreSettings) -> str:
    """``List-Id`` (RFC 2919) of a letter: its name and ``<slug>.<centre's host>``."""
    host = urlsplit(centre.public_url).hostname or "localhost"
    name = letter.name.replace('"', "'")
    return f'"{name}" <{letter.slug}.{host}>'


def delivery_message_id(issue_id: uuid.UUID, subscriber_id: uuid.UUID, sender_email: str) -> str:
    """The Message-ID of one issue's message to one subscriber: the same at every attempt, so a
    copy sent again after a crash is recognised; short enough never to fold."""
    digest = hashlib.sha256(f"{issue_id}:{subscriber_id}".encode()).digest()[:16]
    key = base64.b32encode(digest).decode().rstrip("=").lower()
    return f"<issue.{key}@{sender_email.rsplit('@', 1)[-1]}>"


def from_header(letter: Letter, centre: CentreSettings) -> tuple[str, str]:
    """Display name and address of a letter's From: the letter's sender, or the centre."""
    return (letter.sender_name or centre.name, letter.sender_email or centre.email)


def letter_headers(
    issue: Issue,
    letter: Letter,
    recipient: Recipient,
    links: SubscriptionLinks,
    centre: CentreSettings,
) -> dict[str, str]:
    """The headers of one issue's message to one recipient, besides From, To, Date and
    Subject: ``List-Id``, a ``Message-ID`` stable across attempts, and the RFC 8058
    ``List-Unsubscribe`` pair."""
    _, sender = from_header(letter, centre)
    return {
        "List-Id": list_id(letter, centre),
        "Message-ID": delivery_message_id(issue.id, recipient.subscriber_id, sender),
        **links.list_unsubscribe_headers(recipient.subscriber_id, letter.slug),
    }
