"""Back-office pages for calls for applications: the calls with their counts, a call's
applications (filtered by where they stand), and one application to read, score and decide.

Decisions stay with staff until « Publier les décisions »: the events service then announces
each one and the applicants get their French mail (``application.decided``), as the API does.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from contracts.events.calls import (
    ApplicationReviewV1,
    ApplicationSummaryV1,
    ApplicationsV1,
    CallsV1,
    CallV1,
    ChangeCallStatusV1,
    DecideApplicationV1,
    Decision,
    DecisionsPublishedV1,
    GetApplicationV1,
    GetCallV1,
    ListApplicationsV1,
    ListCallsV1,
    PublishDecisionsV1,
    ScoreApplicationV1,
)
from services.gateway.api import Rpc
from services.gateway.web.pages import _page
from services.gateway.web.staff.common import StaffPage, router
from services.runtime.rpc import RpcError

PARIS = ZoneInfo("Europe/Paris")

CALL_STATUSES = {
    "draft": "brouillon",
    "open": "ouvert",
    "closed": "clos",
    "decided": "décisions publiées",
}
_DECISION: dict[str, Decision] = {
    "selected": "selected",
    "waiting": "waiting",
    "rejected": "rejected",
}
DECISIONS: dict[str, str] = {
    "selected": "Retenue",
    "waiting": "Liste d'attente",
    "rejected": "Non retenue",
}
FILTERS = {
    "": "Toutes",
    "a-evaluer": "À évaluer (aucune note)",
    "sans-decision": "Sans décision",
    "retenue": "Retenues",
    "attente": "En liste d'attente",
    "non-retenue": "Non retenues",
}
_BY_FILTER: dict[str, Decision] = {
    "retenue": "selected",
    "attente": "waiting",
    "non-retenue": "rejected",
}
MAX_COMMENT = 5000


def paris_text(value: datetime | None) -> str:
    return value.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M") if value else "—"


def _shown(item: ApplicationSummaryV1, wanted: str) -> bool:
    if wanted == "a-evaluer":
        return item.reviews == 0
    if wanted == "sans-decision":
        return item.decision is None
    if wanted in _BY_FILTER:
        return item.decision == _BY_FILTER[wanted]
    return True


def _counts(call: CallV1, found: ApplicationsV1) -> dict[str, int]:
    return {
        "submitted": len(found.items),
        "to_review": sum(1 for item in found.items if item.reviews == 0),
        "decided": sum(1 for item in found.items if item.decision is not None),
        "selected": found.selected,
        "places": call.places,
    }


@router.get("/equipe/appels", response_class=HTMLResponse)
async def calls(request: Request, rpc: Rpc, _staff: StaffPage) -> Response:
    found = await rpc.call(ListCallsV1(public=False), CallsV1)
    lists = await asyncio.gather(
        *(rpc.call(ListApplicationsV1(call_id=c.call_id), ApplicationsV1) for c in found.items)
    )
    rows = [(c, _counts(c, apps)) for c, apps in zip(found.items, lists, strict=True)]
    return _page(
        request,
        "staff/calls.html.j2",
        title="Appels à candidatures",
        rows=rows,
        statuses=CALL_STATUSES,
        when=paris_text,
    )


async def _call_page(
    request: Request,
    rpc: Rpc,
    call_id: uuid.UUID,
    wanted: str,
    *,
    notice: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    call = await rpc.call(GetCallV1(call_id=call_id, public=False), CallV1)
    found = await rpc.call(ListApplicationsV1(call_id=call_id), ApplicationsV1)
    wanted = wanted if wanted in FILTERS else ""
    items = sorted(
        (item for item in found.items if _shown(item, wanted)),
        key=lambda item: (item.average is None, -(item.average or 0), item.reference or ""),
    )
    return _page(
        request,
        "staff/call.html.j2",
        status,
        title=f"Candidatures — {call.title}",
        call=call,
        items=items,
        counts=_counts(call, found),
        pending=sum(
            1 for item in found.items if item.decision is not None and not item.decision_published
        ),
        wanted=wanted,
        filters=FILTERS,
        statuses=CALL_STATUSES,
        decisions=DECISIONS,
        notice=notice,
        error=error,
        when=paris_text,
    )


@router.get("/equipe/appels/{call_id}", response_class=HTMLResponse)
async def call_applications(
    request: Request, call_id: uuid.UUID, rpc: Rpc, _staff: StaffPage, statut: str = ""
) -> Response:
    notice = ""
    if request.query_params.get("publie") is not None:
        notice = "Les décisions sont publiées : les candidats en sont informés par e-mail."
    elif request.query_params.get("clos") is not None:
        notice = "L'appel est clos : vous pouvez décider des candidatures."
    return await _call_page(request, rpc, call_id, statut, notice=notice)


@router.post("/equipe/appels/{call_id}/cloture", response_class=HTMLResponse)
async def close_call(request: Request, call_id: uuid.UUID, rpc: Rpc, staff: StaffPage) -> Response:
    command = ChangeCallStatusV1(call_id=call_id, status="closed", by=staff.email)
    try:
        await rpc.call(command, CallV1)
    except RpcError as error:
        if error.error.code != "conflict":
            raise
        return await _call_page(request, rpc, call_id, "", error=error.error.message, status=409)
    return RedirectResponse(f"/equipe/appels/{call_id}?clos", status_code=303)


@router.post("/equipe/appels/{call_id}/publication", response_class=HTMLResponse)
async def publish_decisions(
    request: Request, call_id: uuid.UUID, rpc: Rpc, staff: StaffPage
) -> Response:
    """Announce the decisions not yet known: each applicant gets the decision's mail."""
    command = PublishDecisionsV1(call_id=call_id, by=staff.email)
    try:
        await rpc.call(command, DecisionsPublishedV1)
    except RpcError as error:
        if error.error.code != "conflict":
            raise
        return await _call_page(request, rpc, call_id, "", error=error.error.message, status=409)
    return RedirectResponse(f"/equipe/appels/{call_id}?publie", status_code=303)


# --- one application -------------------------------------------------------------------------


async def _application_page(
    request: Request,
    rpc: Rpc,
    staff_email: str,
    application_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    submitted: dict[str, Any] | None = None,
    notice: str = "",
    status: int = 200,
) -> Response:
    review = await rpc.call(GetApplicationV1(application_id=application_id), ApplicationReviewV1)
    call = await rpc.call(GetCallV1(call_id=review.application.call_id, public=False), CallV1)
    mine = next((r for r in review.reviews if r.reviewer == staff_email), None)
    values: dict[str, Any] = {
        "scores": {key: str(score) for key, score in (mine.scores if mine else {}).items()},
        "comment": mine.comment if mine else "",
        "decision": review.summary.decision or "",
        "message": review.application.decision_message,
    }
    values.update(submitted or {})
    return _page(
        request,
        "staff/application.html.j2",
        status,
        title=f"Candidature {review.application.reference or ''} — "
        f"{review.application.organisation_name}",
        call=call,
        review=review,
        values=values,
        errors=errors or {},
        notice=notice,
        decisions=DECISIONS,
        statuses=CALL_STATUSES,
        when=paris_text,
    )


@router.get("/equipe/candidatures/{application_id}", response_class=HTMLResponse)
async def application(
    request: Request, application_id: uuid.UUID, rpc: Rpc, staff: StaffPage
) -> Response:
    notice = ""
    if request.query_params.get("note") is not None:
        notice = "Votre évaluation est enregistrée."
    elif request.query_params.get("decide") is not None:
        notice = (
            "La décision est enregistrée. Elle sera envoyée au candidat quand vous publierez "
            "les décisions de l'appel."
        )
    return await _application_page(request, rpc, staff.email, application_id, notice=notice)


@router.post("/equipe/candidatures/{application_id}/evaluation", response_class=HTMLResponse)
async def score_application(
    request: Request, application_id: uuid.UUID, rpc: Rpc, staff: StaffPage
) -> Response:
    form = await request.form()
    raw = {
        str(name).removeprefix("score_"): str(value).strip()
        for name, value in form.items()
        if str(name).startswith("score_")
    }
    comment = str(form.get("comment", "")).strip()
    submitted = {"scores": raw, "comment": comment}
    errors: dict[str, str] = {}
    scores: dict[str, int] = {}
    for key, value in raw.items():
        if not value:
            continue
        if not value.isdigit():
            errors[f"score_{key}"] = "Indiquez une note entière."
        else:
            scores[key] = int(value)
    if len(comment) > MAX_COMMENT:
        errors["comment"] = f"Le commentaire compte {MAX_COMMENT} caractères au plus."
    if not scores and not errors:
        errors["scores"] = "Notez au moins un critère."
    if not errors:
        command = ScoreApplicationV1(
            application_id=application_id, reviewer=staff.email, scores=scores, comment=comment
        )
        try:
            await rpc.call(command, ApplicationReviewV1)
        except RpcError as error:
            if error.error.code not in ("invalid", "conflict"):
                raise
            criterion = error.error.details.get("criterion")
            errors[f"score_{criterion}" if criterion else "scores"] = error.error.message
        else:
            return RedirectResponse(
                f"/equipe/candidatures/{application_id}?note#evaluation", status_code=303
            )
    return await _application_page(
        request,
        rpc,
        staff.email,
        application_id,
        errors=errors,
        submitted=submitted,
        status=422,
    )


@router.post("/equipe/candidatures/{application_id}/decision", response_class=HTMLResponse)
async def decide_application(
    request: Request, application_id: uuid.UUID, rpc: Rpc, staff: StaffPage
) -> Response:
    form = await request.form()
    decision = str(form.get("decision", ""))
    message = str(form.get("message", "")).strip()
    submitted = {"decision": decision, "message": message}
    errors: dict[str, str] = {}
    if decision not in DECISIONS:
        errors["decision"] = "Choisissez une décision."
    if len(message) > MAX_COMMENT:
        errors["message"] = f"Le message compte {MAX_COMMENT} caractères au plus."
    status = 422
    if not errors:
        command = DecideApplicationV1(
            application_id=application_id,
            decision=_DECISION[decision],
            message=message,
            by=staff.email,
        )
        try:
            await rpc.call(command, ApplicationReviewV1)
        except RpcError as error:
            if error.error.code not in ("invalid", "conflict", "rule_violated"):
                raise
            errors["decision"] = error.error.message
            status = 409
        else:
            return RedirectResponse(
                f"/equipe/candidatures/{application_id}?decide#decision", status_code=303
            )
    return await _application_page(
        request,
        rpc,
        staff.email,
        application_id,
        errors=errors,
        submitted=submitted,
        status=status,
    )
