"""Messages about the issues (numéros) of a letter: composed from blocks by staff, previewed,
sent as a test, scheduled, and archived once sent."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contracts.base import Command, Email, Event, InseeCommuneCode, QpvCode, Query, Reply


def _absolute_http(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("lien invalide : adresse http ou https complète attendue")
    return value


HttpLink = Annotated[str, Field(min_length=8, max_length=2000), AfterValidator(_absolute_http)]
"""An absolute http(s) link: what a mail can carry."""


class IssueStatus(StrEnum):
    """draft → scheduled → sending → sent. A draft or a scheduled issue may be cancelled; so
    may its send while it is ``sending`` (``ControlSendV1`` cancel): the issue then ends
    ``cancelled``, whatever part of its audience had received it, and is never archived."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


class _Block(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class EditorialBlock(_Block):
    """Staff's text in Markdown; rendered to HTML and sanitised (no script, no javascript:)."""

    type: Literal["editorial"] = "editorial"
    title: str = Field(default="", max_length=200)
    markdown: str = Field(min_length=1, max_length=20000)


class EventsBlock(_Block):
    """The coming events of the letter's themes (every theme for a general letter): filled
    when previewed, frozen when sending starts. Cancelled and past events are left out."""

    type: Literal["events"] = "events"
    title: str = Field(default="Prochains rendez-vous", min_length=1, max_length=200)
    limit: int = Field(default=5, ge=1, le=20)


class DataBlock(_Block):
    """The figures dataquartiers published lately on the letter's themes: filled when
    previewed, frozen when sending starts."""

    type: Literal["data"] = "data"
    title: str = Field(default="Nouvelles données", min_length=1, max_length=200)
    limit: int = Field(default=5, ge=1, le=20)


class PublicationItem(_Block):
    """A publication: fiche expérience, portrait, Grand Angle, video… An image needs its
    alternative text."""

    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=2000)
    url: HttpLink
    image_url: HttpLink | None = None
    image_alt: str = Field(default="", max_length=300)

    @model_validator(mode="after")
    def _image_has_alt(self) -> PublicationItem:
        if self.image_url and not self.image_alt:
            raise ValueError("une image doit avoir un texte alternatif (image_alt)")
        return self


class PublicationsBlock(_Block):
    type: Literal["publications"] = "publications"
    title: str = Field(default="Publications", min_length=1, max_length=200)
    items: tuple[PublicationItem, ...] = Field(min_length=1, max_length=20)


Block = Annotated[
    EditorialBlock | EventsBlock | DataBlock | PublicationsBlock, Field(discriminator="type")
]


class IssueAudience(BaseModel):
    """Who receives the issue among the letter's active subscribers: everyone (nothing set),
    or those whose territory is in one of the departments, communes or QPV given (a QPV
    counts the subscribers of its communes), or whose address is that of a person currently
    member of one of the thematic networks given (by slug). Filters given together add up
    (union)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    departments: tuple[Annotated[str, Field(pattern=r"^(\d{2,3}|2[AB])$")], ...] = Field(
        default=(), max_length=120
    )
    communes: tuple[InseeCommuneCode, ...] = Field(default=(), max_length=500)
    qpvs: tuple[QpvCode, ...] = Field(default=(), max_length=500)
    networks: tuple[Annotated[str, Field(min_length=1, max_length=64)], ...] = Field(
        default=(),
        max_length=50,
        description="Slugs of thematic networks (left out of the message when empty, so an "
        "audience without networks reads as before).",
        exclude_if=lambda networks: not networks,
    )

    @property
    def everyone(self) -> bool:
        return not (self.departments or self.communes or self.qpvs or self.networks)


class IssueV1(BaseModel):
    """An issue as staff see it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: uuid.UUID
    letter: str
    number: int = Field(description="Numbered per letter, from 1.")
    subject: str
    preheader: str = Field(description="The line mail clients show after the subject.")
    status: IssueStatus
    blocks: tuple[Block, ...]
    audience: IssueAudience
    scheduled_at: AwareDatetime | None = Field(description="UTC.")
    sent_at: AwareDatetime | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class IssueReplyV1(Reply):
    subject: ClassVar[str] = "rpc.newsletters.issue.create.v1"

    issue: IssueV1


class CreateIssueV1(Command):
    """Staff start a draft issue of a letter; it takes the letter's next number."""

    subject: ClassVar[str] = "rpc.newsletters.issue.create.v1"

    letter: str
    subject_line: str = Field(min_length=1, max_length=200, description="The mail's subject.")
    preheader: str = Field(default="", max_length=200)
    blocks: tuple[Block, ...] = Field(default=(), max_length=30)
    audience: IssueAudience = IssueAudience()
    by: str


class UpdateIssueV1(Command):
    """Staff change a draft or scheduled issue; only the fields given change."""

    subject: ClassVar[str] = "rpc.newsletters.issue.update.v1"

    issue_id: uuid.UUID
    subject_line: str | None = Field(default=None, min_length=1, max_length=200)
    preheader: str | None = Field(default=None, max_length=200)
    blocks: tuple[Block, ...] | None = Field(default=None, max_length=30)
    audience: IssueAudience | None = None
    by: str


class GetIssueV1(Query):
    subject: ClassVar[str] = "rpc.newsletters.issue.get.v1"

    issue_id: uuid.UUID


class ListIssuesV1(Query):
    """Every issue of a letter, newest first (staff)."""

    subject: ClassVar[str] = "rpc.newsletters.issue.list.v1"

    letter: str


class IssuesV1(Reply):
    subject: ClassVar[str] = "rpc.newsletters.issue.list.v1"

    issues: tuple[IssueV1, ...]


class PreviewIssueV1(Query):
    """The issue as a sample recipient would receive it (coming events and new data as they
    are now, or as frozen when sending started)."""

    subject: ClassVar[str] = "rpc.newsletters.issue.preview.v1"

    issue_id: uuid.UUID


class IssuePreviewV1(Reply):
    subject: ClassVar[str] = "rpc.newsletters.issue.preview.v1"

    subject_line: str
    html: str = Field(description="The HTML part, CSS inlined, as mail clients receive it.")
    text: str = Field(description="The plain text part.")
    audience_size: int = Field(description="How many subscribers it would reach now.")


class SendTestIssueV1(Command):
    """Staff send the issue to a few addresses, subject prefixed « [TEST] », through the
    transactional mail path. Personal links point to the public preferences page."""

    subject: ClassVar[str] = "rpc.newsletters.issue.test.v1"

    issue_id: uuid.UUID
    recipients: tuple[Email, ...] = Field(min_length=1, max_length=10)
    by: str


class IssueTestSentV1(Reply):
    subject: ClassVar[str] = "rpc.newsletters.issue.test.v1"

    queued: int


class ScheduleIssueV1(Command):
    """Staff schedule a draft (or move a scheduled issue) to a time in the future. A time
    without an offset is read in Europe/Paris; it is stored in UTC."""

    subject: ClassVar[str] = "rpc.newsletters.issue.schedule.v1"

    issue_id: uuid.UUID
    at: datetime
    by: str


class SendIssueNowV1(Command):
    """Staff send a draft or scheduled issue now: its coming events and new data are frozen,
    it moves to ``sending`` and the sending engine freezes its audience."""

    subject: ClassVar[str] = "rpc.newsletters.issue.send.v1"

    issue_id: uuid.UUID
    by: str


class CancelIssueV1(Command):
    """Staff cancel a draft or a scheduled issue (not one being sent: pause the send)."""

    subject: ClassVar[str] = "rpc.newsletters.issue.cancel.v1"

    issue_id: uuid.UUID
    by: str


class ArchivedIssueV1(BaseModel):
    """A sent issue as the public archive shows it: no recipient's link in it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: uuid.UUID
    letter: str
    letter_name: str
    number: int
    subject: str
    sent_at: AwareDatetime


class ListArchiveV1(Query):
    """The sent issues of a letter, newest first (public)."""

    subject: ClassVar[str] = "rpc.newsletters.archive.list.v1"

    letter: str


class ArchiveV1(Reply):
    subject: ClassVar[str] = "rpc.newsletters.archive.list.v1"

    letter: str
    letter_name: str
    issues: tuple[ArchivedIssueV1, ...]


class GetArchivedIssueV1(Query):
    """One sent issue, readable on the web (public)."""

    subject: ClassVar[str] = "rpc.newsletters.archive.get.v1"

    letter: str
    number: int


class ArchivedIssuePageV1(Reply):
    subject: ClassVar[str] = "rpc.newsletters.archive.get.v1"

    issue: ArchivedIssueV1
    html: str = Field(description="The issue's HTML, links to the public pages only.")
    text: str


class IssueSentV1(Event):
    """An issue of a letter was sent: every one of its deliveries is settled.

    Emitted by newsletters once per issue, in the transaction that marks the issue ``sent`` (it
    then appears in the public archive), when its send reaches ``done``. Not emitted while the
    send is paused, when it is cancelled, nor for a test send. Carries counts only: no personal
    data.
    """

    subject: ClassVar[str] = "reso.newsletters.issue.sent.v1"

    issue_id: uuid.UUID
    send_id: uuid.UUID
    letter: str = Field(description="Slug of the issue's letter.")
    number: int = Field(ge=1, description="The issue's number in its letter.")
    subject_line: str = Field(description="The issue's subject.")
    recipients: int = Field(ge=0, description="Deliveries frozen when the send started.")
    sent: int = Field(ge=0, description="Accepted by the SMTP server.")
    failed: int = Field(ge=0, description="Refused for good (5xx, retries used up).")
    cancelled: int = Field(
        ge=0, description="Left out after a bounce made the address undeliverable."
    )
