"""Back-office pages for letters: the letters and their issues, composing an issue from blocks
(editorial Markdown, coming events, new data, publications), its preview, a test send,
scheduling and cancelling. The issue's status is shown (no send-progress RPC exists yet).

The preview is shown as its text part in the page, with a link to the HTML part: an iframe is
refused by the site's ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData

from contracts.newsletters import (
    Block,
    CancelIssueV1,
    CreateIssueV1,
    EditorialBlock,
    GetIssueV1,
    IssuePreviewV1,
    IssueReplyV1,
    IssuesV1,
    IssueTestSentV1,
    IssueV1,
    LettersV1,
    ListIssuesV1,
    ListLettersV1,
    PreviewIssueV1,
    ScheduleIssueV1,
    SendTestIssueV1,
    UpdateIssueV1,
)
from services.gateway.api import Rpc
from services.gateway.errors import field_errors
from services.gateway.web.pages import _page
from services.gateway.web.staff.common import StaffPage, router
from services.runtime.rpc import RpcError

PARIS = ZoneInfo("Europe/Paris")
PUBLICATION_ROWS = 3
STATUSES = {
    "draft": "brouillon",
    "scheduled": "programmé",
    "sending": "en cours d'envoi",
    "sent": "envoyé",
    "cancelled": "annulé",
}
_BLOCKS = TypeAdapter(tuple[Block, ...])


def when(value: datetime | None) -> str:
    return value.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M") if value else "—"


def _blocks(form: FormData) -> tuple[Any, ...]:
    """The blocks the compose form describes, in the order the mail shows them."""
    blocks: list[dict[str, Any]] = []
    markdown = str(form.get("editorial", "")).strip()
    if markdown:
        title = str(form.get("editorial_title", "")).strip()
        blocks.append({"type": "editorial", "title": title, "markdown": markdown})
    if form.get("events") == "oui":
        blocks.append({"type": "events", "limit": str(form.get("events_limit", "5")) or "5"})
    if form.get("data") == "oui":
        blocks.append({"type": "data", "limit": str(form.get("data_limit", "5")) or "5"})
    items = []
    for row in range(PUBLICATION_ROWS):
        item = {
            name: str(form.get(f"pub_{name}_{row}", "")).strip()
            for name in ("title", "url", "summary")
        }
        if item["title"] or item["url"]:
            items.append(item)
    if items:
        blocks.append({"type": "publications", "items": items})
    return _BLOCKS.validate_python(blocks)


def _values(issue: IssueV1 | None) -> dict[str, Any]:
    values: dict[str, Any] = {"events": False, "data": False, "publications": []}
    if issue is None:
        return values
    values.update(subject=issue.subject, preheader=issue.preheader)
    for block in issue.blocks:
        if isinstance(block, EditorialBlock) and "editorial" not in values:
            values.update(editorial=block.markdown, editorial_title=block.title)
        elif block.type == "events":
            values.update(events=True, events_limit=block.limit)
        elif block.type == "data":
            values.update(data=True, data_limit=block.limit)
        elif block.type == "publications":
            values["publications"] = [item.model_dump(mode="json") for item in block.items]
    return values


def _submitted(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: str(value) for name, value in form.items()}
    values["events"] = form.get("events") == "oui"
    values["data"] = form.get("data") == "oui"
    values["publications"] = [
        {name: values.get(f"pub_{name}_{row}", "") for name in ("title", "url", "summary")}
        for row in range(PUBLICATION_ROWS)
    ]
    return values


def _errors(error: ValidationError | RpcError) -> list[str]:
    if isinstance(error, RpcError):
        found = error.error.details.get("errors")
        if not (error.error.code == "invalid" and found):
            return [error.error.message]
        fields = field_errors(found)
    else:
        fields = field_errors(list(error.errors()))  # type: ignore[arg-type]
    return [f"{field['field']} : {field['message']}" for field in fields]


def _compose(
    request: Request,
    *,
    letter: str,
    issue: IssueV1 | None,
    values: dict[str, Any],
    errors: list[str] | None = None,
    notice: str = "",
    preview: IssuePreviewV1 | None = None,
    status: int = 200,
) -> HTMLResponse:
    title = f"Numéro {issue.number} — {issue.subject}" if issue else "Nouveau numéro"
    return _page(
        request,
        "staff/issue_form.html.j2",
        status,
        title=title,
        letter=letter,
        issue=issue,
        values=values,
        errors=errors or [],
        notice=notice,
        preview=preview,
        rows=range(PUBLICATION_ROWS),
        statuses=STATUSES,
        when=when,
    )


@router.get("/equipe/lettres", response_class=HTMLResponse)
async def letters(request: Request, rpc: Rpc, _staff: StaffPage) -> Response:
    found = await rpc.call(ListLettersV1(include_inactive=True), LettersV1)
    issues = {
        letter.slug: (await rpc.call(ListIssuesV1(letter=letter.slug), IssuesV1)).issues
        for letter in found.letters
    }
    return _page(
        request,
        "staff/letters.html.j2",
        title="Lettres d'information",
        letters=found.letters,
        issues=issues,
        statuses=STATUSES,
        when=when,
    )


@router.get("/equipe/lettres/{letter}/nouveau", response_class=HTMLResponse)
async def new_issue(request: Request, letter: str, _staff: StaffPage) -> Response:
    return _compose(request, letter=letter, issue=None, values=_values(None))


@router.post("/equipe/lettres/{letter}/nouveau", response_class=HTMLResponse)
async def create_issue(request: Request, letter: str, rpc: Rpc, staff: StaffPage) -> Response:
    form = await request.form()
    try:
        command = CreateIssueV1(
            letter=letter,
            subject_line=str(form.get("subject", "")).strip(),
            preheader=str(form.get("preheader", "")).strip(),
            blocks=_blocks(form),
            by=staff.email,
        )
        created = await rpc.call(command, IssueReplyV1)
    except (ValidationError, RpcError) as error:
        if isinstance(error, RpcError) and error.error.code not in ("invalid", "conflict"):
            raise
        return _compose(
            request,
            letter=letter,
            issue=None,
            values=_submitted(form),
            errors=_errors(error),
            status=422,
        )
    return RedirectResponse(f"/equipe/numeros/{created.issue.id}", status_code=303)


async def _issue(rpc: Rpc, issue_id: uuid.UUID) -> IssueV1:
    return (await rpc.call(GetIssueV1(issue_id=issue_id), IssueReplyV1)).issue


async def _show(
    request: Request, rpc: Rpc, issue: IssueV1, *, notice: str = "", errors: list[str] | None = None
) -> HTMLResponse:
    preview = None
    if issue.blocks:
        preview = await rpc.call(PreviewIssueV1(issue_id=issue.id), IssuePreviewV1)
    return _compose(
        request,
        letter=issue.letter,
        issue=issue,
        values=_values(issue),
        notice=notice,
        errors=errors,
        preview=preview,
        status=422 if errors else 200,
    )


@router.get("/equipe/numeros/{issue_id}", response_class=HTMLResponse)
async def show_issue(
    request: Request, issue_id: uuid.UUID, rpc: Rpc, _staff: StaffPage
) -> Response:
    return await _show(request, rpc, await _issue(rpc, issue_id))


@router.post("/equipe/numeros/{issue_id}", response_class=HTMLResponse)
async def update_issue(
    request: Request, issue_id: uuid.UUID, rpc: Rpc, staff: StaffPage
) -> Response:
    issue = await _issue(rpc, issue_id)
    form = await request.form()
    try:
        command = UpdateIssueV1(
            issue_id=issue_id,
            subject_line=str(form.get("subject", "")).strip(),
            preheader=str(form.get("preheader", "")).strip(),
            blocks=_blocks(form),
            by=staff.email,
        )
        await rpc.call(command, IssueReplyV1)
    except (ValidationError, RpcError) as error:
        if isinstance(error, RpcError) and error.error.code not in ("invalid", "conflict"):
            raise
        return _compose(
            request,
            letter=issue.letter,
            issue=issue,
            values=_submitted(form),
            errors=_errors(error),
            status=422,
        )
    return RedirectResponse(f"/equipe/numeros/{issue_id}", status_code=303)


@router.get("/equipe/numeros/{issue_id}/apercu.html", response_class=HTMLResponse)
async def preview_page(issue_id: uuid.UUID, rpc: Rpc, _staff: StaffPage) -> Response:
    """The HTML part as mail clients receive it (sandboxed: no script of a mail ever runs)."""
    preview = await rpc.call(PreviewIssueV1(issue_id=issue_id), IssuePreviewV1)
    return HTMLResponse(preview.html, headers={"Content-Security-Policy": "sandbox"})


@router.post("/equipe/numeros/{issue_id}/test", response_class=HTMLResponse)
async def send_test(request: Request, issue_id: uuid.UUID, rpc: Rpc, staff: StaffPage) -> Response:
    form = await request.form()
    recipients = [
        part.strip() for part in str(form.get("recipients", "")).replace(";", ",").split(",")
    ]
    issue = await _issue(rpc, issue_id)
    try:
        command = SendTestIssueV1(
            issue_id=issue_id, recipients=[r for r in recipients if r], by=staff.email
        )
        sent = await rpc.call(command, IssueTestSentV1)
    except (ValidationError, RpcError) as error:
        if isinstance(error, RpcError) and error.error.code not in ("invalid", "conflict"):
            raise
        return await _show(
            request, rpc, issue, errors=["Envoi de test : " + m for m in _errors(error)]
        )
    return await _show(
        request, rpc, issue, notice=f"Envoi de test parti vers {sent.queued} adresse(s)."
    )


@router.post("/equipe/numeros/{issue_id}/programmation", response_class=HTMLResponse)
async def schedule(request: Request, issue_id: uuid.UUID, rpc: Rpc, staff: StaffPage) -> Response:
    form = await request.form()
    issue = await _issue(rpc, issue_id)
    try:
        at = datetime.fromisoformat(str(form.get("at", ""))).replace(tzinfo=PARIS)
        await rpc.call(ScheduleIssueV1(issue_id=issue_id, at=at, by=staff.email), IssueReplyV1)
    except ValueError:
        return await _show(request, rpc, issue, errors=["Date d'envoi : date et heure invalides."])
    except RpcError as error:
        if error.error.code not in ("invalid", "conflict"):
            raise
        return await _show(request, rpc, issue, errors=[error.error.message])
    return RedirectResponse(f"/equipe/numeros/{issue_id}", status_code=303)


@router.post("/equipe/numeros/{issue_id}/annulation", response_class=HTMLResponse)
async def cancel(request: Request, issue_id: uuid.UUID, rpc: Rpc, staff: StaffPage) -> Response:
    try:
        await rpc.call(CancelIssueV1(issue_id=issue_id, by=staff.email), IssueReplyV1)
    except RpcError as error:
        if error.error.code not in ("invalid", "conflict"):
            raise
        return await _show(request, rpc, await _issue(rpc, issue_id), errors=[error.error.message])
    return RedirectResponse(f"/equipe/numeros/{issue_id}", status_code=303)
