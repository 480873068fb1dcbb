"""Calls for applications on the public site: the open calls, a call with its deadline in
Europe/Paris and, for a signed-in person tied to an organisation, the application form
(save a draft, submit; the acknowledgement reference once submitted).

The same RPCs as ``/api/v1/calls``. Without a session, the page invites to sign in by link.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from contracts.events.calls import (
    ApplicationV1,
    CallsV1,
    CallV1,
    GetCallV1,
    GetMyApplicationsV1,
    ListCallsV1,
    MyApplicationsV1,
    SaveApplicationDraftV1,
    SubmitApplicationV1,
)
from contracts.members import GetPersonSpaceV1, PersonSpaceV1
from services.gateway.api import Rpc
from services.gateway.api.events import signed_in
from services.gateway.web.agenda import _failure, _unavailable
from services.gateway.web.pages import _page
from services.runtime.rpc import RpcError

router = APIRouter(include_in_schema=False)

STATUSES = {
    "draft": "brouillon",
    "submitted": "déposée",
    "withdrawn": "retirée",
}


@router.get("/appels", response_class=HTMLResponse)
async def calls_page(request: Request, rpc: Rpc) -> Response:
    try:
        calls = await rpc.call(ListCallsV1(public=True), CallsV1)
    except RpcError as error:
        return _unavailable(request, error, "Appels à candidatures")
    return _page(request, "calls.html.j2", calls=calls.items)


async def _call(request: Request, rpc: Rpc, call_id: str) -> CallV1 | HTMLResponse:
    try:
        key = uuid.UUID(call_id)
    except ValueError:
        return _failure(request, "Appel introuvable", "Cet appel n'existe pas.", 404)
    try:
        return await rpc.call(GetCallV1(call_id=key, public=True), CallV1)
    except RpcError as error:
        return _unavailable(request, error, "Appel introuvable")


async def _call_page(
    request: Request,
    rpc: Rpc,
    call: CallV1,
    *,
    status: int = 200,
    chosen: uuid.UUID | None = None,
    answers: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    problem: str | None = None,
) -> HTMLResponse:
    person_id = await signed_in(request)
    context: dict[str, Any] = {"call": call, "signed_in": person_id is not None}
    if person_id is not None:
        space = await rpc.call(GetPersonSpaceV1(person_id=person_id), PersonSpaceV1)
        mine = await rpc.call(
            GetMyApplicationsV1(call_id=call.call_id, person_id=person_id), MyApplicationsV1
        )
        organisations = [
            (tie.organisation_id, tie.organisation_name or "Ma structure")
            for tie in space.person.affiliations
        ]
        current = next(
            (a for a in mine.items if chosen is None or a.organisation_id == chosen), None
        )
        context.update(
            organisations=organisations,
            applications=mine.items,
            current=current,
            chosen=chosen or (current.organisation_id if current else None),
            answers=answers if answers is not None else (current.answers if current else {}),
        )
    return _page(
        request,
        "call.html.j2",
        status,
        errors=errors or {},
        notice=notice,
        problem=problem,
        statuses=STATUSES,
        **context,
    )


@router.get("/appels/{call_id}", response_class=HTMLResponse)
async def call_page(call_id: str, request: Request, rpc: Rpc) -> Response:
    call = await _call(request, rpc, call_id)
    if isinstance(call, HTMLResponse):
        return call
    return await _call_page(request, rpc, call)


@router.post("/appels/{call_id}", response_class=HTMLResponse)
async def apply(call_id: str, request: Request, rpc: Rpc) -> Response:
    """``action=brouillon`` saves the draft, ``action=deposer`` submits it."""
    call = await _call(request, rpc, call_id)
    if isinstance(call, HTMLResponse):
        return call
    person_id = await signed_in(request)
    if person_id is None:
        return _failure(
            request, call.title, "Connectez-vous d'abord à votre espace pour candidater.", 401
        )
    form = await request.form()
    answers = {s.key: str(form.get(f"section_{s.key}", "")).strip() for s in call.sections}
    errors: dict[str, str] = {}
    for section in call.sections:
        if len(answers[section.key]) > section.max_chars:
            errors[section.key] = f"{section.max_chars} caractères au plus."
    try:
        organisation_id = uuid.UUID(str(form.get("organisation", "")))
    except ValueError:
        errors["organisation"] = "Choisissez la structure au nom de laquelle vous candidatez."
        organisation_id = None
    submit = form.get("action") == "deposer"
    if submit:
        for section in call.sections:
            text = answers[section.key]
            if section.key in errors:
                continue
            if section.required and not text:
                errors[section.key] = "Cette partie est obligatoire pour déposer."
            elif text and len(text) < section.min_chars:
                errors[section.key] = f"{section.min_chars} caractères au moins."
    if errors or organisation_id is None:
        return await _call_page(
            request, rpc, call, status=422, chosen=organisation_id, answers=answers, errors=errors
        )
    command: SaveApplicationDraftV1 | SubmitApplicationV1
    if submit:
        command = SubmitApplicationV1(
            call_id=call.call_id,
            person_id=person_id,
            organisation_id=organisation_id,
            answers=answers,
        )
    else:
        command = SaveApplicationDraftV1(
            call_id=call.call_id,
            person_id=person_id,
            organisation_id=organisation_id,
            answers=answers,
        )
    try:
        saved = await rpc.call(command, ApplicationV1)
    except RpcError as error:
        if error.error.code in ("invalid", "rule_violated", "forbidden", "conflict", "gone"):
            return await _call_page(
                request,
                rpc,
                call,
                status=422,
                chosen=organisation_id,
                answers=answers,
                problem=error.error.message,
            )
        return _unavailable(request, error, call.title)
    if submit:
        notice = (
            f"Votre candidature est déposée. Référence de l'accusé de réception : "
            f"{saved.reference}. Un e-mail de confirmation vous est envoyé."
        )
    else:
        notice = "Votre brouillon est enregistré : vous pouvez y revenir jusqu'à la date limite."
    return await _call_page(request, rpc, call, chosen=organisation_id, notice=notice)
