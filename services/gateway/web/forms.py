"""Public forms: subscribing to letters (double opt-in) and signing up as a member.

Both answer the same whether the address is known or not; errors are shown next to their
fields. Pages work without JavaScript.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from contracts.members import PersonRegisteredReplyV1, RegisterPersonV1
from contracts.newsletters import (
    AcceptedV1,
    LettersV1,
    ListLettersV1,
    RequestSubscriptionV1,
    SubscriberProfile,
)
from services.gateway.api import Rpc
from services.gateway.web.agenda import _check_registrant, _unavailable
from services.gateway.web.pages import _page
from services.runtime.rpc import RpcError

router = APIRouter(include_in_schema=False)

LABELS = {
    "email": "Adresse e-mail",
    "first_name": "Prénom",
    "last_name": "Nom",
    "letters": "Lettres",
}


async def _letters_page(
    request: Request,
    rpc: Rpc,
    *,
    status: int = 200,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    try:
        letters = await rpc.call(ListLettersV1(), LettersV1)
    except RpcError as error:
        return _unavailable(request, error, "Lettres d'information")
    return _page(
        request,
        "letters.html.j2",
        status,
        letters=letters.letters,
        form=form or {"letters": []},
        errors=errors or {},
        labels=LABELS,
    )


@router.get("/lettres", response_class=HTMLResponse)
async def letters_page(request: Request, rpc: Rpc) -> Response:
    return await _letters_page(request, rpc)


@router.post("/lettres", response_class=HTMLResponse)
async def subscribe(request: Request, rpc: Rpc) -> Response:
    """The same RPC as ``POST /api/v1/newsletters/subscriptions``; the same answer for a known
    or unknown address."""
    posted = await request.form()
    form: dict[str, Any] = {
        "email": str(posted.get("email", "")).strip(),
        "first_name": str(posted.get("first_name", "")).strip(),
        "last_name": str(posted.get("last_name", "")).strip(),
        "letters": [str(value) for value in posted.getlist("lettres")],
    }
    errors = {
        key: message
        for key, message in _check_registrant(
            {**form, "first_name": form["first_name"] or "-", "last_name": form["last_name"] or "-"}
        ).items()
    }
    if not form["letters"]:
        errors["letters"] = "Choisissez au moins une lettre."
    if errors:
        return await _letters_page(request, rpc, status=422, form=form, errors=errors)
    try:
        command = RequestSubscriptionV1(
            email=form["email"],
            letters=tuple(form["letters"]),
            consent_wording_version=str(posted.get("version", "")),
            profile=SubscriberProfile(
                first_name=form["first_name"] or None, last_name=form["last_name"] or None
            ),
        )
    except ValidationError:
        errors["letters"] = "Ce formulaire est incomplet : rechargez la page."
        return await _letters_page(request, rpc, status=422, form=form, errors=errors)
    try:
        reply = await rpc.call(command, AcceptedV1)
    except RpcError as error:
        if error.error.code in ("invalid", "rule_violated", "not_found", "conflict"):
            errors["letters"] = error.error.message
            return await _letters_page(request, rpc, status=422, form=form, errors=errors)
        return _unavailable(request, error, "Lettres d'information")
    return _page(
        request,
        "message.html.j2",
        title="Vérifiez votre boîte",
        message=reply.message,
        failed=False,
    )


@router.get("/adhesion", response_class=HTMLResponse)
async def sign_up_page(request: Request) -> Response:
    return _page(request, "signup.html.j2", form={}, errors={}, labels=LABELS)


@router.post("/adhesion", response_class=HTMLResponse)
async def sign_up(request: Request, rpc: Rpc) -> Response:
    """The same RPC as ``POST /api/v1/signup``: a confirmation link goes to the address."""
    posted = await request.form()
    form = {key: str(posted.get(key, "")).strip() for key in ("email", "first_name", "last_name")}
    errors = _check_registrant(form)
    if errors:
        return _page(request, "signup.html.j2", 422, form=form, errors=errors, labels=LABELS)
    try:
        command = RegisterPersonV1(
            first_name=form["first_name"], last_name=form["last_name"], email=form["email"]
        )
        await rpc.call(command, PersonRegisteredReplyV1)
    except ValidationError:
        errors["first_name"] = "Prénom ou nom invalide."
        return _page(request, "signup.html.j2", 422, form=form, errors=errors, labels=LABELS)
    except RpcError as error:
        if error.error.code in ("invalid", "rule_violated"):
            errors["email"] = error.error.message
            return _page(request, "signup.html.j2", 422, form=form, errors=errors, labels=LABELS)
        return _unavailable(request, error, "Adhérer")
    return _page(
        request,
        "message.html.j2",
        title="Vérifiez votre boîte",
        message="Nous vous avons écrit : suivez le lien reçu par e-mail pour confirmer votre "
        "adresse et terminer votre inscription. Rien reçu ? Regardez dans les indésirables.",
        failed=False,
    )
