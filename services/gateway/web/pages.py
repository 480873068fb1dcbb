"""The pages a mailed link lands on, and a minimal personal space.

Following a link never changes anything by itself (mail scanners open links): the page asks,
and the form it shows does the change. Pages work without JavaScript.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from contracts.members import (
    AccessLinkReplyV1,
    ErasePersonV1,
    GetPersonSpaceV1,
    PersonErasureReplyV1,
    PersonSpaceV1,
    RedeemAccessLinkV1,
    RedeemedLinkV1,
    RequestAccessLinkV1,
)
from services.gateway.api import Rpc
from services.gateway.auth import SESSION_COOKIE
from services.gateway.store import PersonSessions
from services.runtime.rpc import RpcError

router = APIRouter(include_in_schema=False)

_templates = Environment(
    loader=PackageLoader("services.gateway.web", "templates"),
    autoescape=select_autoescape(enabled_extensions=("j2",), default=True),
)

STATUSES = {
    "pending": "en attente de règlement",
    "active": "à jour",
    "grace": "à renouveler",
    "lapsed": "échue",
}

BODIES = {
    "ag": "Assemblée générale",
    "ca": "Conseil d'administration",
    "bureau": "Bureau",
    "comite_financeurs": "Comité des financeurs",
}

_LINKS = {
    "confirmation": (
        "confirm_signup",
        "Confirmer mon inscription",
        "Confirmez que cette adresse est bien la vôtre pour terminer votre inscription.",
        "Confirmer mon adresse",
    ),
    "connexion": (
        "sign_in",
        "Entrer dans mon espace",
        "Ce lien ne sert qu'une fois : il vous connecte à votre espace personnel.",
        "Me connecter",
    ),
    "adresse": (
        "confirm_email",
        "Confirmer ma nouvelle adresse",
        "Confirmez que vous voulez désormais utiliser cette adresse.",
        "Utiliser cette adresse",
    ),
}
_DONE = {
    "confirm_signup": "Merci, votre adresse est confirmée : votre inscription est complète.",
    "confirm_email": "C'est fait : votre nouvelle adresse est enregistrée.",
}


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(
        centre=request.app.state.settings.centre, **context
    )
    return HTMLResponse(html, status_code=status)


def _message(
    request: Request, title: str, message: str, *, status: int = 200, failed: bool = False
) -> HTMLResponse:
    return _page(
        request,
        "message.html.j2",
        status,
        title=title,
        message=message,
        failed=failed,
        next_url="/espace",
        next_label="Aller à mon espace",
    )


@router.get("/espace", response_class=HTMLResponse)
async def space(request: Request, rpc: Rpc) -> Response:
    sessions: PersonSessions = request.app.state.person_sessions
    token = request.cookies.get(SESSION_COOKIE)
    person_id = await sessions.person(token) if token else None
    if person_id is None:
        return _page(request, "space.html.j2", space=None)
    try:
        mine = await rpc.call(GetPersonSpaceV1(person_id=person_id), PersonSpaceV1)
    except RpcError as error:
        if error.error.code != "not_found":
            raise
        await sessions.close_all(person_id)
        return _page(request, "space.html.j2", space=None)
    return _page(request, "space.html.j2", space=mine, statuses=STATUSES, bodies=BODIES)


@router.post("/espace/lien", response_class=HTMLResponse)
async def ask_for_link(request: Request, rpc: Rpc, email: Annotated[str, Form()] = "") -> Response:
    title = "Lien de connexion"
    try:
        reply = await rpc.call(RequestAccessLinkV1(email=email), AccessLinkReplyV1)
    except ValueError:
        return _message(request, title, "Adresse e-mail invalide.", status=422, failed=True)
    return _message(request, title, reply.message)


@router.post("/espace/deconnexion")
async def sign_out(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        sessions: PersonSessions = request.app.state.person_sessions
        await sessions.close(token)
    response = RedirectResponse("/espace", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/espace/effacement", response_class=HTMLResponse)
async def erase(request: Request, rpc: Rpc, confirm: Annotated[str, Form()] = "") -> Response:
    sessions: PersonSessions = request.app.state.person_sessions
    token = request.cookies.get(SESSION_COOKIE)
    person_id = await sessions.person(token) if token else None
    title = "Effacer mes données"
    if person_id is None:
        return _message(
            request, title, "Connectez-vous d'abord à votre espace.", status=401, failed=True
        )
    if confirm != "oui":
        return _message(
            request, title, "Cochez la case : l'effacement est définitif.", status=422, failed=True
        )
    await rpc.call(ErasePersonV1(person_id=person_id, requested_by="self"), PersonErasureReplyV1)
    await sessions.close_all(person_id)
    response = _message(request, title, "Vos données ont été effacées. Au revoir.")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# The link pages come last: ``/espace/{kind}`` would otherwise catch the space's own forms
# (``/espace/lien``, ``/espace/deconnexion``, ``/espace/effacement``).


@router.get("/espace/{kind}", response_class=HTMLResponse)
async def link_page(kind: str, request: Request, jeton: str = "") -> Response:
    if kind not in _LINKS:
        return _message(request, "Page introuvable", "Cette page n'existe pas.", status=404)
    if not jeton:
        return _message(
            request, "Lien incomplet", "Ce lien est incomplet : copiez-le en entier.", failed=True
        )
    _, title, explanation, button = _LINKS[kind]
    return _page(
        request,
        "link.html.j2",
        title=title,
        explanation=explanation,
        button=button,
        action=f"/espace/{kind}",
        token=jeton,
    )


@router.post("/espace/{kind}", response_class=HTMLResponse)
async def follow_link(
    kind: str, request: Request, rpc: Rpc, jeton: Annotated[str, Form()] = ""
) -> Response:
    if kind not in _LINKS:
        return _message(request, "Page introuvable", "Cette page n'existe pas.", status=404)
    purpose, title, _, _ = _LINKS[kind]
    try:
        redeemed = await rpc.call(RedeemAccessLinkV1(purpose=purpose, token=jeton), RedeemedLinkV1)
    except RpcError as error:
        status = {"gone": 410, "invalid": 422}.get(error.error.code, 503)
        return _message(request, title, error.error.message, status=status, failed=True)
    except ValueError:
        return _message(request, title, "Ce lien n'est pas valide.", status=422, failed=True)
    if purpose != "sign_in":
        return _message(request, title, _DONE[purpose])
    sessions: PersonSessions = request.app.state.person_sessions
    session = await sessions.open(redeemed.person_id)
    response = RedirectResponse("/espace", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        expires=session.expires_at,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.centre.public_url.startswith("https://"),
        path="/",
    )
    return response
