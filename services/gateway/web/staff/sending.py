"""Back-office pages of a letter's send: "Envoyer maintenant" on an issue's page, then the
send page (``/equipe/numeros/{id}/envoi``): sent, failed, pending, rate, time left and status,
a ``<progress>`` bar, and staff's controls (pause, resume, cancel) as forms.

The page works without JavaScript (a "Rafraîchir" link); ``/static/staff-send.js`` polls its
JSON twin (``/equipe/envois/{send_id}/progression``, same staff session) and updates the
figures, the bar and a polite live region in place (no meta refresh, no inline script)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from contracts.newsletters import (
    ControlSendV1,
    GetSendProgressV1,
    IssueStatus,
    IssueV1,
    SendProgressV1,
    StartSendV1,
)
from services.gateway.api import Rpc
from services.gateway.store import StaffMember
from services.gateway.web.pages import _page
from services.gateway.web.staff.common import StaffPage, router
from services.gateway.web.staff.newsletters import _issue, _show, when
from services.runtime.rpc import RpcError

SEND_STATUSES = {
    "sending": "en cours",
    "paused": "en pause",
    "cancelled": "annulé",
    "done": "terminé",
}
"""A send's status in French; a status this table lacks is shown as the service names it."""
LIVE_SEND_STATUSES = ("sending", "paused")
CONTROLS = {"pause": "pause", "reprise": "resume", "annulation": "cancel"}
"""The control buttons of the send page: the last part of their path, and the RPC's action."""


def _number(value: float) -> str:
    return f"{value:.1f}".replace(".", ",").removesuffix(",0")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    total = max(1, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"environ {hours} h {minutes:02d} min"
    return f"environ {minutes} min {secs:02d} s" if minutes else f"environ {secs} s"


def progress_view(progress: SendProgressV1) -> dict[str, Any]:
    """What the send page shows of a send, and what its script receives as JSON."""
    status = str(progress.status)
    label = SEND_STATUSES.get(status, status)
    live = status in LIVE_SEND_STATUSES
    done = progress.total - progress.pending
    announce = f"État de l'envoi : {label}."
    if progress.paused_reason and status == "paused":
        announce = f"État de l'envoi : {label} ({progress.paused_reason})."
    if not live:
        announce += f" {progress.sent} envoyé(s), {progress.failed} en échec."
    actions = {"sending": ["pause", "annulation"], "paused": ["reprise", "annulation"]}
    return {
        "send_id": str(progress.send_id),
        "issue_id": str(progress.issue_id),
        "status": status,
        "final": not live,
        "value": done,
        "max": max(progress.total, 1),
        "announce": announce,
        "actions": actions.get(status, []),
        "fields": {
            "status": label,
            "total": str(progress.total),
            "sent": str(progress.sent),
            "failed": str(progress.failed),
            "cancelled": str(progress.cancelled),
            "pending": str(progress.pending),
            "done": f"{done} sur {progress.total}",
            "rate": f"{_number(progress.rate_per_second)} message(s) par seconde",
            "eta": _duration(progress.eta_seconds) if live else "—",
            "finished_at": when(progress.finished_at),
        },
    }


async def _send_of(rpc: Rpc, issue: IssueV1, staff: StaffMember) -> SendProgressV1 | None:
    """The send of an issue that was sent (or is being sent), None for one never sent.

    There is no "send of an issue" query: ``StartSendV1`` answers the send of an issue already
    started, unchanged, so it is asked only for an issue past draft and scheduled (a cancelled
    issue that was never sent answers a conflict)."""
    if issue.status in (IssueStatus.DRAFT, IssueStatus.SCHEDULED):
        return None
    try:
        command = StartSendV1(issue_id=issue.id, letter=issue.letter, by=staff.email)
        return await rpc.call(command, SendProgressV1)
    except RpcError as error:
        if error.error.code != "conflict":
            raise
        return None


def _send_page(
    request: Request,
    issue: IssueV1,
    progress: SendProgressV1,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return _page(
        request,
        "staff/issue_send.html.j2",
        status,
        title=f"Envoi du numéro {issue.number} — {issue.subject}",
        issue=issue,
        progress=progress,
        view=progress_view(progress),
        errors=errors or [],
        when=when,
    )


@router.post("/equipe/numeros/{issue_id}/envoi", response_class=HTMLResponse)
async def send_now(request: Request, issue_id: uuid.UUID, rpc: Rpc, staff: StaffPage) -> Response:
    """ "Envoyer maintenant": the issue goes to its audience now, at the default rates."""
    form = await request.form()
    issue = await _issue(rpc, issue_id)
    if form.get("confirmation") != "oui":
        message = "Envoi : cochez la case qui confirme l'envoi immédiat à toute l'audience."
        return await _show(request, rpc, issue, errors=[message])
    try:
        command = StartSendV1(issue_id=issue_id, letter=issue.letter, by=staff.email)
        await rpc.call(command, SendProgressV1)
    except RpcError as error:
        if error.error.code not in ("invalid", "conflict"):
            raise
        return await _show(request, rpc, issue, errors=["Envoi : " + error.error.message])
    return RedirectResponse(f"/equipe/numeros/{issue_id}/envoi", status_code=303)


@router.get("/equipe/numeros/{issue_id}/envoi", response_class=HTMLResponse)
async def send_page(request: Request, issue_id: uuid.UUID, rpc: Rpc, staff: StaffPage) -> Response:
    issue = await _issue(rpc, issue_id)
    progress = await _send_of(rpc, issue, staff)
    if progress is None:
        return _page(
            request,
            "staff/refused.html.j2",
            404,
            title="Aucun envoi",
            message="Ce numéro n'a pas été envoyé : envoyez-le depuis sa page.",
            code=404,
        )
    return _send_page(request, issue, progress)


@router.get("/equipe/envois/{send_id}/progression")
async def send_progress(send_id: uuid.UUID, rpc: Rpc, _staff: StaffPage) -> JSONResponse:
    """The send page's figures as JSON, for its script (``/static/staff-send.js``)."""
    progress = await rpc.call(GetSendProgressV1(send_id=send_id), SendProgressV1)
    return JSONResponse(progress_view(progress), headers={"Cache-Control": "no-store"})


async def _control(
    request: Request, rpc: Rpc, staff: StaffMember, send_id: uuid.UUID, action: str
) -> Response:
    command = ControlSendV1(send_id=send_id, action=CONTROLS[action], by=staff.email)
    try:
        progress = await rpc.call(command, SendProgressV1)
    except RpcError as error:
        if error.error.code != "conflict":
            raise
        progress = await rpc.call(GetSendProgressV1(send_id=send_id), SendProgressV1)
        issue = await _issue(rpc, progress.issue_id)
        return _send_page(request, issue, progress, errors=[error.error.message], status=409)
    return RedirectResponse(f"/equipe/numeros/{progress.issue_id}/envoi", status_code=303)


@router.post("/equipe/envois/{send_id}/pause", response_class=HTMLResponse)
async def pause_send(request: Request, send_id: uuid.UUID, rpc: Rpc, staff: StaffPage) -> Response:
    return await _control(request, rpc, staff, send_id, "pause")


@router.post("/equipe/envois/{send_id}/reprise", response_class=HTMLResponse)
async def resume_send(request: Request, send_id: uuid.UUID, rpc: Rpc, staff: StaffPage) -> Response:
    return await _control(request, rpc, staff, send_id, "reprise")


@router.post("/equipe/envois/{send_id}/annulation", response_class=HTMLResponse)
async def cancel_send(request: Request, send_id: uuid.UUID, rpc: Rpc, staff: StaffPage) -> Response:
    return await _control(request, rpc, staff, send_id, "annulation")
