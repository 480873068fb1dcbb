"""Back-office pages for letters: the letters and their issues, composing an issue from blocks
(editorial Markdown, coming events, new data, publications: every block of the issue, added,
removed and moved without JavaScript, see ``issue_blocks``), its preview, a test send,
scheduling, cancelling, sending it now, and the progress of its send with staff's controls
(pause, resume, cancel) in ``sending``.

The preview is shown as its text part in the page, with a link to the HTML part: an iframe is
refused by the site's ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from contracts.newsletters import (
    CancelIssueV1,
    CreateIssueV1,
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
from services.gateway.errors import field_errors, french_message
from services.gateway.store import StaffMember
from services.gateway.web.pages import _page
from services.gateway.web.staff import issue_blocks
from services.gateway.web.staff.common import StaffPage, router
from services.gateway.web.staff.issue_blocks import Draft, Problems
from services.runtime.rpc import RpcError

PARIS = ZoneInfo("Europe/Paris")
STATUSES = {
    "draft": "brouillon",
    "scheduled": "programmé",
    "sending": "en cours d'envoi",
    "sent": "envoyé",
    "cancelled": "annulé",
}
ADDED = {
    "editorial": "un éditorial",
    "events": "les prochains rendez-vous",
    "data": "les nouvelles données",
    "publications": "des publications",
}


def when(value: datetime | None) -> str:
    return value.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M") if value else "—"


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
    drafts: list[Draft],
    problems: Problems | None = None,
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
        drafts=drafts,
        problems=problems or Problems(),
        notice=notice,
        preview=preview,
        kinds=issue_blocks.KINDS,
        added=ADDED,
        max_blocks=issue_blocks.MAX_BLOCKS,
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
        live=("sending", "sent"),
        when=when,
    )


@router.get("/equipe/lettres/{letter}/nouveau", response_class=HTMLResponse)
async def new_issue(request: Request, letter: str, _staff: StaffPage) -> Response:
    return _compose(request, letter=letter, issue=None, values={}, drafts=issue_blocks.new_issue())


async def _submit(
    request: Request, rpc: Rpc, staff: StaffMember, *, letter: str, issue: IssueV1 | None
) -> Response:
    """The compose form sent: a block added (the form again, nothing saved), or the issue
    created or changed (then its page), or the form again with what is wrong."""
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in ("subject", "preheader")}
    drafts = issue_blocks.from_form(form)
    page: dict[str, Any] = {"letter": letter, "issue": issue, "values": values, "drafts": drafts}
    kind = str(form.get("ajouter", ""))
    if kind in issue_blocks.KINDS:
        if len(drafts) >= issue_blocks.MAX_BLOCKS:
            notice = f"Un numéro compte {issue_blocks.MAX_BLOCKS} blocs au plus."
        else:
            drafts.append(issue_blocks.empty(kind))
            notice = (
                f"Bloc {len(drafts)} ajouté : {ADDED[kind]}. Rien n'est enregistré avant "
                "« Enregistrer le numéro »."
            )
        return _compose(request, **page, notice=notice)
    problems = Problems()
    blocks = issue_blocks.to_blocks(drafts, problems)
    saved = None
    try:
        command: CreateIssueV1 | UpdateIssueV1
        if issue is None:
            command = CreateIssueV1(
                letter=letter,
                subject_line=values["subject"],
                preheader=values["preheader"],
                blocks=blocks,
                by=staff.email,
            )
        else:
            command = UpdateIssueV1(
                issue_id=issue.id,
                subject_line=values["subject"],
                preheader=values["preheader"],
                blocks=blocks,
                by=staff.email,
            )
        if not problems:
            saved = (await rpc.call(command, IssueReplyV1)).issue
    except ValidationError as error:
        for found in error.errors():
            name = str(found["loc"][0]) if found["loc"] else ""
            field_id, label = {
                "subject_line": ("subject", "Objet du message"),
                "preheader": ("preheader", "Texte d'aperçu"),
            }.get(name, ("", "Blocs"))
            problems.add(field_id, label, french_message(dict(found)))
    except RpcError as error:
        if error.error.code not in ("invalid", "conflict"):
            raise
        for message in _errors(error):
            problems.add("", "Numéro", message)
    if saved is None:
        return _compose(request, **page, problems=problems, status=422)
    return RedirectResponse(f"/equipe/numeros/{saved.id}", status_code=303)


@router.post("/equipe/lettres/{letter}/nouveau", response_class=HTMLResponse)
async def create_issue(request: Request, letter: str, rpc: Rpc, staff: StaffPage) -> Response:
    return await _submit(request, rpc, staff, letter=letter, issue=None)


async def _issue(rpc: Rpc, issue_id: uuid.UUID) -> IssueV1:
    return (await rpc.call(GetIssueV1(issue_id=issue_id), IssueReplyV1)).issue


async def _show(
    request: Request, rpc: Rpc, issue: IssueV1, *, notice: str = "", errors: list[str] | None = None
) -> HTMLResponse:
    preview = None
    if issue.blocks:
        preview = await rpc.call(PreviewIssueV1(issue_id=issue.id), IssuePreviewV1)
    problems = Problems()
    for message in errors or []:
        problems.add("", "", message)
    return _compose(
        request,
        letter=issue.letter,
        issue=issue,
        values={"subject": issue.subject, "preheader": issue.preheader},
        drafts=issue_blocks.from_issue(issue.blocks),
        notice=notice,
        problems=problems,
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
    return await _submit(request, rpc, staff, letter=issue.letter, issue=issue)


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
