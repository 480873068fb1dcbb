"""Commands and queries about calls for applications (``rpc.events.call.*``,
``rpc.events.application.*``).

A call (appel à candidatures) has eligibility rules, a form of sections, review criteria, a
number of places and a deadline in Europe/Paris. An organisation applies once per call through a
signed-in person: drafts first, then a submission acknowledged by a reference. Staff score each
application per criterion, decide, and publish the decisions (which mails the applicants).

Facts: :class:`~contracts.events.applications.ApplicationSubmittedV1` and
:class:`~contracts.events.applications.ApplicationDecidedV1`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.base import Command, Query, Reply
from contracts.members.common import OrganisationKind

CallStatus = Literal["draft", "open", "closed", "decided"]
"""draft → open (applications accepted until the deadline) → closed → decided (published)."""

ApplicationStatus = Literal["draft", "submitted"]

Decision = Literal["selected", "waiting", "rejected"]

_Key = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")


class CallSectionV1(BaseModel):
    """One section of a call's form, e.g. « Présentation du territoire »."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    key: str = _Key
    label: str = Field(min_length=1, max_length=200, description="Shown to applicants (French).")
    help: str = Field(default="", max_length=2000, description="Help text (French).")
    min_chars: int = Field(default=0, ge=0, le=100_000)
    max_chars: int = Field(default=5000, ge=1, le=100_000)
    required: bool = True


class ReviewCriterionV1(BaseModel):
    """One criterion staff score applications on, from 0 to ``max_score``."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    key: str = _Key
    label: str = Field(min_length=1, max_length=200)
    weight: float = Field(default=1.0, gt=0, le=100)
    max_score: int = Field(default=5, ge=1, le=100)


class CallDefinition(BaseModel):
    """What staff write when they create or replace a call."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000, description="French, plain text.")
    eligible_kinds: tuple[OrganisationKind, ...] = Field(
        default=(), description="Kinds of organisation that may apply; empty: any organisation."
    )
    sections: tuple[CallSectionV1, ...] = Field(min_length=1, max_length=50)
    criteria: tuple[ReviewCriterionV1, ...] = Field(default=(), max_length=50)
    places: int = Field(ge=1, le=1000, description="How many applications can be selected.")
    opens_at: datetime | None = Field(
        default=None,
        description="When applications open; a time without offset is read in Europe/Paris.",
    )
    deadline: datetime = Field(
        description="Last moment to submit; a time without offset is read in Europe/Paris."
    )
    reference_prefix: str = Field(
        min_length=1,
        max_length=30,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$",
        description="Acknowledgements read '<prefix>-0007', e.g. prefix 'LQT-2027'.",
    )


class CreateCallV1(Command):
    """Create a call in draft (staff). Answered with :class:`CallV1`."""

    subject: ClassVar[str] = "rpc.events.call.create.v1"

    call: CallDefinition
    by: str = Field(description="E-mail of the staff account that asked.")


class UpdateCallV1(Command):
    """Replace a call's definition while it is a draft or open (staff). Answered with
    :class:`CallV1`; ``conflict`` once it is closed."""

    subject: ClassVar[str] = "rpc.events.call.update.v1"

    call_id: uuid.UUID
    call: CallDefinition
    by: str


class ChangeCallStatusV1(Command):
    """Open a draft call or close an open one (staff). Answered with :class:`CallV1`;
    ``conflict`` when the call is not in the status the change starts from."""

    subject: ClassVar[str] = "rpc.events.call.status.v1"

    call_id: uuid.UUID
    status: Literal["open", "closed"]
    by: str


class GetCallV1(Query):
    """Read one call. ``public`` callers only see open, closed or decided calls (``not_found``
    for a draft). Answered with :class:`CallV1`."""

    subject: ClassVar[str] = "rpc.events.call.get.v1"

    call_id: uuid.UUID
    public: bool = True


class ListCallsV1(Query):
    """The calls, newest deadline first; ``public`` lists open calls only. Answered with
    :class:`CallsV1`."""

    subject: ClassVar[str] = "rpc.events.call.list.v1"

    public: bool = True


class CallV1(Reply):
    """A call as applicants and staff see it; times in UTC and in Europe/Paris."""

    subject: ClassVar[str] = "rpc.events.call.get.v1"

    call_id: uuid.UUID
    title: str
    description: str
    eligible_kinds: tuple[OrganisationKind, ...]
    sections: tuple[CallSectionV1, ...]
    criteria: tuple[ReviewCriterionV1, ...]
    places: int
    opens_at: AwareDatetime | None
    deadline: AwareDatetime = Field(description="UTC.")
    deadline_paris: AwareDatetime = Field(description="The deadline in Europe/Paris.")
    deadline_label: str = Field(description="E.g. « 28 mars 2027 à 12 h 00 (heure de Paris) ».")
    reference_prefix: str
    status: CallStatus
    accepting: bool = Field(description="Whether a submission would be accepted now.")


class CallsV1(Reply):
    subject: ClassVar[str] = "rpc.events.call.list.v1"

    items: tuple[CallV1, ...]


class SaveApplicationDraftV1(Command):
    """Save the answers of an organisation's application, as often as wanted, until the deadline.

    Each answer must respect its section's maximum length; required sections may stay empty.
    The person must be tied to the organisation, and its kind eligible. Answered with
    :class:`ApplicationV1`; ``conflict`` once submitted.
    """

    subject: ClassVar[str] = "rpc.events.application.save.v1"

    call_id: uuid.UUID
    person_id: uuid.UUID = Field(description="The person signed in (from their session).")
    organisation_id: uuid.UUID
    answers: dict[str, str] = Field(default_factory=dict, description="Section key → text.")


class SubmitApplicationV1(Command):
    """Submit an organisation's application (optionally with last answers): every required
    section must be complete, and the deadline not passed. Answered with
    :class:`ApplicationV1` carrying the acknowledgement reference; submitting again answers the
    same application and announces nothing new."""

    subject: ClassVar[str] = "rpc.events.application.submit.v1"

    call_id: uuid.UUID
    person_id: uuid.UUID
    organisation_id: uuid.UUID
    answers: dict[str, str] | None = Field(
        default=None, description="If given, saved before submitting."
    )


class GetMyApplicationsV1(Query):
    """The applications a person made to one call (one per organisation). Answered with
    :class:`MyApplicationsV1`."""

    subject: ClassVar[str] = "rpc.events.application.mine.v1"

    call_id: uuid.UUID
    person_id: uuid.UUID


class ApplicationV1(Reply):
    """An application as its applicant sees it: the decision only once published."""

    subject: ClassVar[str] = "rpc.events.application.save.v1"

    application_id: uuid.UUID
    call_id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str
    status: ApplicationStatus
    answers: dict[str, str]
    reference: str | None = None
    submitted_at: AwareDatetime | None = None
    updated_at: AwareDatetime
    decision: Decision | None = None
    decision_message: str = ""
    missing: tuple[str, ...] = Field(
        default=(), description="Keys of required sections still incomplete."
    )


class MyApplicationsV1(Reply):
    subject: ClassVar[str] = "rpc.events.application.mine.v1"

    items: tuple[ApplicationV1, ...]


class ListApplicationsV1(Query):
    """The applications of a call (staff), with their weighted average score. Answered with
    :class:`ApplicationsV1`."""

    subject: ClassVar[str] = "rpc.events.application.list.v1"

    call_id: uuid.UUID
    submitted_only: bool = True


class GetApplicationV1(Query):
    """One application with every reviewer's scores (staff). Answered with
    :class:`ApplicationReviewV1`."""

    subject: ClassVar[str] = "rpc.events.application.get.v1"

    application_id: uuid.UUID


class ScoreApplicationV1(Command):
    """A reviewer's scores (0..max per criterion) and comment on a submitted application (staff);
    scoring again replaces that reviewer's scores. Answered with :class:`ApplicationReviewV1`."""

    subject: ClassVar[str] = "rpc.events.application.score.v1"

    application_id: uuid.UUID
    reviewer: str = Field(min_length=1, max_length=254, description="The staff account.")
    scores: dict[str, int] = Field(description="Criterion key → score.")
    comment: str = Field(default="", max_length=5000)


class DecideApplicationV1(Command):
    """Decide a submitted application of a closed call (staff): never more ``selected`` than the
    call's places. Not announced until :class:`PublishDecisionsV1`. Answered with
    :class:`ApplicationReviewV1`."""

    subject: ClassVar[str] = "rpc.events.application.decide.v1"

    application_id: uuid.UUID
    decision: Decision
    message: str = Field(default="", max_length=5000, description="To the applicant (French).")
    by: str


class PublishDecisionsV1(Command):
    """Make the decisions of a closed call known: one ``application.decided`` per decision not
    yet announced (or changed since); the call becomes ``decided``. Answered with
    :class:`DecisionsPublishedV1`."""

    subject: ClassVar[str] = "rpc.events.call.publish_decisions.v1"

    call_id: uuid.UUID
    by: str


class DecisionsPublishedV1(Reply):
    subject: ClassVar[str] = "rpc.events.call.publish_decisions.v1"

    call_id: uuid.UUID
    announced: int = Field(description="How many decisions were made known now.")
    undecided: int = Field(description="Submitted applications still without a decision.")


class ReviewV1(BaseModel):
    """One reviewer's scores."""

    model_config = ConfigDict(frozen=True)

    reviewer: str
    scores: dict[str, int]
    comment: str
    total: float = Field(description="Weighted score of this reviewer, out of 100.")
    reviewed_at: AwareDatetime


class ApplicationSummaryV1(BaseModel):
    """An application in a call's list (staff)."""

    model_config = ConfigDict(frozen=True)

    application_id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str
    organisation_kind: str
    applicant_name: str
    status: ApplicationStatus
    reference: str | None
    submitted_at: AwareDatetime | None
    average: float | None = Field(description="Mean of the reviewers' weighted scores (/100).")
    reviews: int
    decision: Decision | None
    decision_published: bool


class ApplicationsV1(Reply):
    subject: ClassVar[str] = "rpc.events.application.list.v1"

    call_id: uuid.UUID
    places: int
    selected: int
    items: tuple[ApplicationSummaryV1, ...]


class ApplicationReviewV1(Reply):
    """An application as staff review it."""

    subject: ClassVar[str] = "rpc.events.application.get.v1"

    application: ApplicationV1
    summary: ApplicationSummaryV1
    applicant_email: str
    reviews: tuple[ReviewV1, ...]
    decided_by: str = ""
