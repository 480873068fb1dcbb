"""``/api/v1/newsletters``: the letters, subscribing (double opt-in), preferences by signed link,
one-click unsubscribe (RFC 8058), the archive of sent issues; and for staff, letters, issues
(compose, preview, test, schedule, cancel), subscribers, imports and erasure.

Public answers that start from an address (subscribe, ask for the preferences link) are the
same whether the address is known or not: 202 and one message.
"""

from __future__ import annotations

import base64
import hmac
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from contracts.base import Email, Theme
from contracts.members import ImportReportV1
from contracts.newsletters import (
    AcceptedV1,
    ArchivedIssuePageV1,
    ArchiveV1,
    Block,
    BounceReportV1,
    Cadence,
    CancelIssueV1,
    ConfirmSubscriptionV1,
    ControlSendV1,
    CreateIssueV1,
    CreateLetterV1,
    DescribeUnsubscribeV1,
    EraseSubscriberV1,
    FlaggedV1,
    FlagInactiveSubscribersV1,
    GetArchivedIssueV1,
    GetIssueV1,
    GetPreferencesV1,
    GetSendProgressV1,
    ImportSubscribersV1,
    IssueAudience,
    IssuePreviewV1,
    IssueReplyV1,
    IssuesV1,
    IssueTestSentV1,
    IssueV1,
    LetterReplyV1,
    LetterSlug,
    LettersV1,
    LetterV1,
    ListArchiveV1,
    ListIssuesV1,
    ListLettersV1,
    PreferencesV1,
    PreviewIssueV1,
    ReportBounceV1,
    RequestPreferencesLinkV1,
    RequestSubscriptionV1,
    ScheduleIssueV1,
    SearchSubscribersV1,
    SendIssueNowV1,
    SendProgressV1,
    SendTestIssueV1,
    StartSendV1,
    SubscriberErasureV1,
    SubscriberProfile,
    SubscribersPageV1,
    SubscriptionStatus,
    UnsubscribeTargetV1,
    UnsubscribeV1,
    UpdateIssueV1,
    UpdateLetterV1,
    UpdatePreferencesV1,
)
from services.gateway.api import Rpc, Staff
from services.gateway.errors import ApiError
from services.gateway.uploads import CSV_BODY, UploadedFiles, import_file

router = APIRouter(prefix="/api/v1/newsletters", tags=["newsletters"])

ONE_CLICK = "List-Unsubscribe=One-Click"
"""The body a mail client POSTs to the unsubscribe URL (RFC 8058)."""

Token = Annotated[str, Field(min_length=10, max_length=2000, description="The link's `jeton`.")]


class Subscribe(BaseModel):
    """What the public form sends: the address, the letters chosen, and the version of the
    consent wording it showed (from the letters list); name, organisation and territory are
    optional."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Email
    letters: tuple[str, ...] = Field(min_length=1, max_length=20)
    consent_wording_version: str = Field(min_length=1, max_length=32)
    profile: SubscriberProfile = SubscriberProfile()


class LinkToken(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    token: Token


class PreferencesChange(BaseModel):
    """The whole set of letters wanted (the others end), and optionally new details."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    token: Token
    letters: tuple[str, ...] = Field(max_length=50)
    consent_wording_version: str = Field(min_length=1, max_length=32)
    profile: SubscriberProfile | None = None


class AddressOnly(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Email


class NewLetter(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    slug: LetterSlug
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=2000)
    themes: tuple[Theme, ...] = ()
    cadence: Cadence
    sender_name: str = Field(min_length=1, max_length=120)
    sender_email: Email
    template_set: str = Field(default="default", min_length=1, max_length=64)
    active: bool = True


class LetterChanges(BaseModel):
    """Only the fields given change; the slug never does."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    themes: tuple[Theme, ...] | None = None
    cadence: Cadence | None = None
    sender_name: str | None = Field(default=None, min_length=1, max_length=120)
    sender_email: Email | None = None
    template_set: str | None = Field(default=None, min_length=1, max_length=64)
    active: bool | None = None


class SubscribersQuery(BaseModel):
    letter: str | None = None
    status: SubscriptionStatus | None = None
    email_contains: str | None = Field(default=None, min_length=2, max_length=254)
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000_000)


# --- public -----------------------------------------------------------------------------------


@router.get("/letters", response_model=LettersV1, summary="The letters (public)")
async def list_letters(rpc: Rpc) -> LettersV1:
    """The letters open to subscription, each with the consent wording a form must show."""
    return await rpc.call(ListLettersV1(), LettersV1)


@router.post(
    "/subscriptions", status_code=202, response_model=AcceptedV1, summary="Subscribe (public)"
)
async def subscribe(body: Subscribe, rpc: Rpc) -> AcceptedV1:
    """Sends a confirmation e-mail (double opt-in) with a link that expires. 202 with the
    same message whether the address is known, already subscribed or new."""
    command = RequestSubscriptionV1(**body.model_dump())
    return await rpc.call(command, AcceptedV1)


@router.post(
    "/subscriptions/confirm", response_model=PreferencesV1, summary="Confirm by link (public)"
)
async def confirm(body: LinkToken, rpc: Rpc) -> PreferencesV1:
    """The token of the confirmation link: its letters become active (410 once expired)."""
    return await rpc.call(ConfirmSubscriptionV1(token=body.token), PreferencesV1)


@router.get("/preferences", response_model=PreferencesV1, summary="Preferences (signed link)")
async def preferences(rpc: Rpc, token: Annotated[str, Query(min_length=10)]) -> PreferencesV1:
    return await rpc.call(GetPreferencesV1(token=token), PreferencesV1)


@router.put("/preferences", response_model=PreferencesV1, summary="Change preferences (link)")
async def change_preferences(body: PreferencesChange, rpc: Rpc) -> PreferencesV1:
    return await rpc.call(UpdatePreferencesV1(**body.model_dump()), PreferencesV1)


@router.post(
    "/preferences/link",
    status_code=202,
    response_model=AcceptedV1,
    summary="Mail me my preferences link (public)",
)
async def preferences_link(body: AddressOnly, rpc: Rpc) -> AcceptedV1:
    """202 with the same message whether the address subscribes or not."""
    return await rpc.call(RequestPreferencesLinkV1(email=body.email), AcceptedV1)


@router.get(
    "/unsubscribe/{token}",
    response_model=UnsubscribeTargetV1,
    summary="What an unsubscribe link is about (no effect)",
)
async def describe_unsubscribe(token: str, rpc: Rpc) -> UnsubscribeTargetV1:
    """Never unsubscribes: link scanners and previews open URLs."""
    return await rpc.call(DescribeUnsubscribeV1(token=token), UnsubscribeTargetV1)


@router.post(
    "/unsubscribe/{token}",
    response_model=UnsubscribeTargetV1,
    summary="One-click unsubscribe (RFC 8058)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "string", "example": ONE_CLICK}
                }
            },
            "required": True,
        }
    },
)
async def unsubscribe(token: str, request: Request, rpc: Rpc) -> UnsubscribeTargetV1:
    """The POST a mail client sends: body ``List-Unsubscribe=One-Click``, no cookie, no
    other check. The same answer when already unsubscribed."""
    await require_one_click(request)
    return await rpc.call(UnsubscribeV1(token=token, one_click=True), UnsubscribeTargetV1)


async def require_one_click(request: Request) -> None:
    """400 unless the body carries ``List-Unsubscribe=One-Click`` (RFC 8058 §3.1)."""
    form = await request.form()
    if form.get("List-Unsubscribe") != "One-Click":
        raise ApiError(
            400, "invalid", f"Corps attendu : « {ONE_CLICK} » (application/x-www-form-urlencoded)."
        )


# --- staff ------------------------------------------------------------------------------------


@router.get("/staff/letters", response_model=LettersV1, summary="Every letter (staff)")
async def all_letters(rpc: Rpc, _staff: Staff) -> LettersV1:
    """The inactive letters too."""
    return await rpc.call(ListLettersV1(include_inactive=True), LettersV1)


@router.post("/letters", status_code=201, response_model=LetterV1, summary="Add a letter (staff)")
async def create_letter(body: NewLetter, rpc: Rpc, staff: Staff) -> LetterV1:
    """409 when the slug is taken."""
    command = CreateLetterV1(**body.model_dump(), by=staff.email)
    return (await rpc.call(command, LetterReplyV1)).letter


@router.patch("/letters/{slug}", response_model=LetterV1, summary="Change a letter (staff)")
async def update_letter(slug: str, body: LetterChanges, rpc: Rpc, staff: Staff) -> LetterV1:
    changes = body.model_dump(exclude_unset=True)
    command = UpdateLetterV1(slug=slug, **changes, by=staff.email)
    return (await rpc.call(command, LetterReplyV1)).letter


@router.get("/subscribers", response_model=SubscribersPageV1, summary="Subscribers (staff)")
async def subscribers(
    rpc: Rpc, _staff: Staff, query: Annotated[SubscribersQuery, Query()]
) -> SubscribersPageV1:
    return await rpc.call(SearchSubscribersV1(**query.model_dump()), SubscribersPageV1)


@router.get(
    "/letters/{slug}/subscribers",
    response_model=SubscribersPageV1,
    summary="Subscribers of a letter (staff)",
)
async def letter_subscribers(
    slug: str,
    rpc: Rpc,
    _staff: Staff,
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> SubscribersPageV1:
    query = SearchSubscribersV1(letter=slug, status=status, limit=limit, offset=offset)
    return await rpc.call(query, SubscribersPageV1)


@router.get(
    "/subscribers/inactive",
    response_model=SubscribersPageV1,
    summary="Subscribers flagged inactive for 3 years (staff)",
)
async def inactive_subscribers(
    rpc: Rpc,
    _staff: Staff,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> SubscribersPageV1:
    """To review (CNIL guidance): ask them again, or let them go."""
    query = SearchSubscribersV1(flagged_inactive=True, limit=limit, offset=offset)
    return await rpc.call(query, SubscribersPageV1)


@router.post(
    "/subscribers/inactive",
    response_model=FlaggedV1,
    summary="Flag the inactive subscribers now (staff)",
)
async def flag_inactive(rpc: Rpc, staff: Staff) -> FlaggedV1:
    """The daily job does it too."""
    return await rpc.call(FlagInactiveSubscribersV1(by=staff.email), FlaggedV1)


@router.post(
    "/subscribers/import",
    response_model=ImportReportV1,
    summary="Import subscribers of a letter from CSV (staff)",
    openapi_extra=CSV_BODY,
)
async def import_subscribers(
    request: Request,
    rpc: Rpc,
    files: UploadedFiles,
    staff: Staff,
    letter: str,
    source: Annotated[str, Query(min_length=3, max_length=500)],
    wording: Annotated[str, Query(min_length=10, max_length=4000)],
    consented_on: date | None = None,
    dry_run: bool = True,
) -> ImportReportV1:
    """The CSV file is the body (columns ``email`` and optionally ``prenom``, ``nom``,
    ``organisation``, ``departement``, ``commune``, ``date_consentement``). ``source`` says how
    consent was collected, ``wording`` what they agreed to, ``consented_on`` the date for rows
    without one. Imported subscribers are active at once, with that provenance; they get no
    confirmation e-mail. ``dry_run=true`` (the default) only reports."""
    return await import_file(
        request,
        rpc,
        files,
        lambda name: ImportSubscribersV1(
            file=name,
            letter=letter,
            source=source,
            wording=wording,
            consented_on=consented_on,
            dry_run=dry_run,
            by=staff.email,
        ),
    )


@router.post(
    "/subscribers/erase", response_model=SubscriberErasureV1, summary="Erase an address (staff)"
)
async def erase_subscriber(body: AddressOnly, rpc: Rpc, staff: Staff) -> SubscriberErasureV1:
    """Nothing of the address stays in newsletters: subscriptions, consents, mails."""
    command = EraseSubscriberV1(email=body.email, by=staff.email)
    return await rpc.call(command, SubscriberErasureV1)


# --- sending issues (staff) and bounces (the mail server) --------------------------------------


class StartSend(BaseModel):
    """Send an issue now, to its audience frozen at this moment."""

    model_config = ConfigDict(extra="forbid")

    issue_id: uuid.UUID
    letter: LetterSlug | None = None
    rate_per_second: float | None = Field(default=None, gt=0)
    rate_per_hour: int | None = Field(default=None, gt=0)


@router.post(
    "/sends", status_code=201, response_model=SendProgressV1, summary="Send an issue (staff)"
)
async def start_send(body: StartSend, rpc: Rpc, staff: Staff) -> SendProgressV1:
    """The issue's audience is frozen now: one delivery per recipient. An issue already started
    answers its send as it stands."""
    command = StartSendV1(**body.model_dump(), by=staff.email)
    return await rpc.call(command, SendProgressV1)


@router.get("/sends/{send_id}", response_model=SendProgressV1, summary="A send's progress (staff)")
async def send_progress(send_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> SendProgressV1:
    """Sent, failed, cancelled, pending, the rate over the last minute and the time left."""
    return await rpc.call(GetSendProgressV1(send_id=send_id), SendProgressV1)


async def _control(send_id: uuid.UUID, action: str, rpc: Any, by: str) -> SendProgressV1:
    result: SendProgressV1 = await rpc.call(
        ControlSendV1(send_id=send_id, action=action, by=by), SendProgressV1
    )
    return result


@router.post("/sends/{send_id}/pause", response_model=SendProgressV1, summary="Pause (staff)")
async def pause_send(send_id: uuid.UUID, rpc: Rpc, staff: Staff) -> SendProgressV1:
    """Messages in flight finish; nothing new leaves until it resumes."""
    return await _control(send_id, "pause", rpc, staff.email)


@router.post("/sends/{send_id}/resume", response_model=SendProgressV1, summary="Resume (staff)")
async def resume_send(send_id: uuid.UUID, rpc: Rpc, staff: Staff) -> SendProgressV1:
    """Goes on where it stopped (also after an automatic pause); 409 once cancelled or done."""
    return await _control(send_id, "resume", rpc, staff.email)


@router.post("/sends/{send_id}/cancel", response_model=SendProgressV1, summary="Cancel (staff)")
async def cancel_send(send_id: uuid.UUID, rpc: Rpc, staff: Staff) -> SendProgressV1:
    """What was not sent never will be; 409 once done."""
    return await _control(send_id, "cancel", rpc, staff.email)


@router.post(
    "/bounces",
    response_model=BounceReportV1,
    summary="A delivery status notification (mail server)",
    openapi_extra={"requestBody": {"content": {"message/rfc822": {"schema": {"type": "string"}}}}},
)
async def report_bounce(request: Request, rpc: Rpc) -> BounceReportV1:
    """The mail server POSTs a DSN (RFC 3464) as it received it, with the shared secret in
    ``X-Reso-Bounce-Secret``. A hard bounce makes the address undeliverable; soft ones count."""
    secret = request.app.state.settings.bounce_webhook_secret
    given = request.headers.get("x-reso-bounce-secret", "")
    if secret is None:
        raise ApiError(404, "not_found", "Cette adresse n'existe pas.")
    if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
        raise ApiError(401, "unauthorized", "Secret partagé absent ou incorrect.")
    body = await request.body()
    if not body or len(body) > 1_000_000:
        raise ApiError(422, "invalid", "Le rapport de non-remise est vide ou trop grand.")
    command = ReportBounceV1(message=base64.b64encode(body).decode())
    return await rpc.call(command, BounceReportV1, timeout=30)


# --- issues (staff) ---------------------------------------------------------------------------


class NewIssue(BaseModel):
    """A draft numéro: subject, preheader, blocks (editorial, events, data, publications) and
    audience (empty: every active subscriber of the letter)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subject: str = Field(min_length=1, max_length=200)
    preheader: str = Field(default="", max_length=200)
    blocks: tuple[Block, ...] = Field(default=(), max_length=30)
    audience: IssueAudience = IssueAudience()


class IssueChanges(BaseModel):
    """Only the fields given change (a draft or a scheduled numéro)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subject: str | None = Field(default=None, min_length=1, max_length=200)
    preheader: str | None = Field(default=None, max_length=200)
    blocks: tuple[Block, ...] | None = Field(default=None, max_length=30)
    audience: IssueAudience | None = None


class TestRecipients(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    recipients: tuple[Email, ...] = Field(min_length=1, max_length=10)


class Schedule(BaseModel):
    """When to send: a time without an offset is Europe/Paris time (stored in UTC)."""

    model_config = ConfigDict(extra="forbid")

    at: datetime


@router.get("/letters/{slug}/issues", response_model=IssuesV1, summary="Issues of a letter (staff)")
async def list_issues(slug: str, rpc: Rpc, _staff: Staff) -> IssuesV1:
    """Every numéro, newest first, whatever its status."""
    return await rpc.call(ListIssuesV1(letter=slug), IssuesV1)


@router.post(
    "/letters/{slug}/issues",
    status_code=201,
    response_model=IssueV1,
    summary="Start an issue (staff)",
)
async def create_issue(slug: str, body: NewIssue, rpc: Rpc, staff: Staff) -> IssueV1:
    """A draft with the letter's next number."""
    command = CreateIssueV1(
        letter=slug,
        subject_line=body.subject,
        preheader=body.preheader,
        blocks=body.blocks,
        audience=body.audience,
        by=staff.email,
    )
    return (await rpc.call(command, IssueReplyV1)).issue


@router.get("/issues/{issue_id}", response_model=IssueV1, summary="An issue (staff)")
async def get_issue(issue_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> IssueV1:
    return (await rpc.call(GetIssueV1(issue_id=issue_id), IssueReplyV1)).issue


@router.patch("/issues/{issue_id}", response_model=IssueV1, summary="Change an issue (staff)")
async def update_issue(issue_id: uuid.UUID, body: IssueChanges, rpc: Rpc, staff: Staff) -> IssueV1:
    """409 once it is being sent, sent or cancelled."""
    changes = body.model_dump(exclude_unset=True)
    if "subject" in changes:
        changes["subject_line"] = changes.pop("subject")
    command = UpdateIssueV1(issue_id=issue_id, **changes, by=staff.email)
    return (await rpc.call(command, IssueReplyV1)).issue


@router.get(
    "/issues/{issue_id}/preview",
    response_model=IssuePreviewV1,
    summary="Preview an issue (staff)",
)
async def preview_issue(issue_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> IssuePreviewV1:
    """Subject, HTML and text as a sample recipient receives them, and the audience's size."""
    return await rpc.call(PreviewIssueV1(issue_id=issue_id), IssuePreviewV1)


@router.get(
    "/issues/{issue_id}/preview.html",
    response_class=HTMLResponse,
    summary="Preview an issue as a web page (staff)",
)
async def preview_issue_page(issue_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> HTMLResponse:
    """The HTML part exactly as mail clients receive it."""
    preview = await rpc.call(PreviewIssueV1(issue_id=issue_id), IssuePreviewV1)
    return HTMLResponse(preview.html)


@router.post(
    "/issues/{issue_id}/test",
    status_code=202,
    response_model=IssueTestSentV1,
    summary="Send an issue to test addresses (staff)",
)
async def send_test_issue(
    issue_id: uuid.UUID, body: TestRecipients, rpc: Rpc, staff: Staff
) -> IssueTestSentV1:
    """Subject prefixed « [TEST] »; sent through the transactional mail path within seconds."""
    command = SendTestIssueV1(issue_id=issue_id, recipients=body.recipients, by=staff.email)
    return await rpc.call(command, IssueTestSentV1)


@router.post(
    "/issues/{issue_id}/schedule", response_model=IssueV1, summary="Schedule an issue (staff)"
)
async def schedule_issue(issue_id: uuid.UUID, body: Schedule, rpc: Rpc, staff: Staff) -> IssueV1:
    """422 for a time in the past or a numéro without blocks; 409 once it is being sent."""
    command = ScheduleIssueV1(issue_id=issue_id, at=body.at, by=staff.email)
    return (await rpc.call(command, IssueReplyV1)).issue


@router.post("/issues/{issue_id}/send", response_model=IssueV1, summary="Send an issue now (staff)")
async def send_issue_now(issue_id: uuid.UUID, rpc: Rpc, staff: Staff) -> IssueV1:
    """Freezes its coming events and new data and its audience, and hands it to the sending
    engine (status ``sending``, then ``sent`` once every delivery is settled); 409 once it is
    being sent, 422 without blocks."""
    command = SendIssueNowV1(issue_id=issue_id, by=staff.email)
    return (await rpc.call(command, IssueReplyV1)).issue


@router.post("/issues/{issue_id}/cancel", response_model=IssueV1, summary="Cancel an issue (staff)")
async def cancel_issue(issue_id: uuid.UUID, rpc: Rpc, staff: Staff) -> IssueV1:
    """A draft or a scheduled numéro; 409 once it is being sent."""
    command = CancelIssueV1(issue_id=issue_id, by=staff.email)
    return (await rpc.call(command, IssueReplyV1)).issue


# --- archive (public) -------------------------------------------------------------------------


@router.get("/letters/{slug}/archive", response_model=ArchiveV1, summary="Sent issues of a letter")
async def archive(slug: str, rpc: Rpc) -> ArchiveV1:
    """Only the numéros sent, newest first."""
    return await rpc.call(ListArchiveV1(letter=slug), ArchiveV1)


@router.get(
    "/letters/{slug}/archive/{number}",
    response_model=ArchivedIssuePageV1,
    summary="A sent issue",
)
async def archived_issue(
    slug: str, number: Annotated[int, Path(ge=1)], rpc: Rpc
) -> ArchivedIssuePageV1:
    """Its HTML and text, with links to the public pages only (no one's personal links)."""
    return await rpc.call(GetArchivedIssueV1(letter=slug, number=number), ArchivedIssuePageV1)
