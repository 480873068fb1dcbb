"""The staff back office (``/equipe``): pages that work without JavaScript, for staff signed
in with their API token (a ``reso_staff`` session cookie) — sign-in, events and registrants.

Sign-in: staff paste the API token ``reso staff add`` printed for them. It is already a secret
only they hold, so no new credential or mail flow is needed; the gateway then opens a session
(random token in an HttpOnly, SameSite=Strict cookie limited to ``/equipe``, Secure over https;
only its SHA-256 is stored). The role is read from the staff account at each request.
"""

from __future__ import annotations

import inspect
from typing import Annotated

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.gateway.auth import STAFF_COOKIE, StaffPageRefused
from services.gateway.errors import STATUS_BY_CODE
from services.gateway.security import served_over_https
from services.gateway.settings import GatewaySettings
from services.gateway.store import Role, StaffSessions, StaffStore
from services.gateway.web.pages import _page
from services.gateway.web.staff import (
    calls,
    data,
    events,
    newsletters,
    organisations,
    people,
    sending,
)
from services.gateway.web.staff.common import router
from services.runtime.rpc import RpcError

__all__ = [
    "calls",
    "data",
    "events",
    "install",
    "newsletters",
    "organisations",
    "people",
    "sending",
]


def install(app: FastAPI) -> None:
    """Add the back office to the gateway: its session store, routes and refusal pages."""
    settings: GatewaySettings = app.state.settings
    app.state.staff_sessions = StaffSessions(app.state.engine, settings.staff_session_lifetime)

    @app.exception_handler(StaffPageRefused)
    async def refused(request: Request, exc: StaffPageRefused) -> Response:
        title = "Connexion requise" if exc.status == 401 else "Accès refusé"
        response = _page(
            request,
            "staff/refused.html.j2",
            exc.status,
            title=title,
            message=exc.message,
            code=exc.status,
        )
        if exc.status == 401:
            response.delete_cookie(STAFF_COOKIE, path="/equipe")
        return response

    json_refusal = app.exception_handlers[RpcError]

    @app.exception_handler(RpcError)
    async def service_refused(request: Request, exc: RpcError) -> Response:
        """A service's refusal on a staff page (unknown event, check-in of someone waiting…):
        its French message on a page; the JSON API keeps its JSON answer."""
        if not request.url.path.startswith("/equipe"):
            answer = json_refusal(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        status = STATUS_BY_CODE.get(exc.error.code, 502)
        title = "Page introuvable" if status == 404 else "Action refusée"
        message = exc.error.message
        return _page(
            request, "staff/refused.html.j2", status, title=title, message=message, code=status
        )

    app.include_router(router)


@router.get("/equipe/connexion", response_class=HTMLResponse)
async def sign_in_form(request: Request) -> Response:
    return _page(request, "staff/sign_in.html.j2", title="Connexion de l'équipe")


@router.post("/equipe/connexion", response_class=HTMLResponse)
async def sign_in(request: Request, jeton: Annotated[str, Form()] = "") -> Response:
    store: StaffStore = request.app.state.staff
    member = await store.by_token(jeton.strip()) if jeton.strip() else None
    if member is None:
        return _page(
            request,
            "staff/sign_in.html.j2",
            401,
            title="Connexion de l'équipe",
            error="Ce jeton d'accès n'est pas valide, ou il a été révoqué.",
        )
    sessions: StaffSessions = request.app.state.staff_sessions
    token, expires = await sessions.open(member)
    home = "/equipe/donnees" if member.role is Role.DATA else "/equipe/evenements"
    response = RedirectResponse(home, status_code=303)
    settings: GatewaySettings = request.app.state.settings
    response.set_cookie(
        STAFF_COOKIE,
        token,
        expires=expires,
        httponly=True,
        samesite="strict",
        secure=served_over_https(settings),
        path="/equipe",
    )
    return response


@router.post("/equipe/deconnexion")
async def sign_out(request: Request) -> Response:
    token = request.cookies.get(STAFF_COOKIE)
    if token:
        sessions: StaffSessions = request.app.state.staff_sessions
        await sessions.close(token)
    response = RedirectResponse("/equipe/connexion", status_code=303)
    response.delete_cookie(STAFF_COOKIE, path="/equipe")
    return response
