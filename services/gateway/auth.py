"""Staff authentication: ``Authorization: Bearer <token>``, one role per staff account; and the
session cookie of a person signed in to their personal space by a mailed link."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.gateway.errors import ApiError
from services.gateway.store import PersonSessions, Role, StaffMember, StaffSessions, StaffStore

SESSION_COOKIE = "reso_session"
STAFF_COOKIE = "reso_staff"
"""The back-office session of staff signed in in a browser (``/equipe``)."""

ROLES_ALLOWED: dict[Callable[..., Awaitable[StaffMember]], frozenset[Role]] = {}
"""The roles each ``require_role`` dependency lets through (read by the route census test)."""

_bearer = HTTPBearer(auto_error=False, description="API token printed by `reso staff add`.")


def require_role(*roles: Role) -> Callable[..., Awaitable[StaffMember]]:
    """A dependency that lets through only staff with one of ``roles``."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> StaffMember:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise ApiError(401, "unauthorized", "Authentification requise.")
        store: StaffStore = request.app.state.staff
        member = await store.by_token(credentials.credentials)
        if member is None:
            raise ApiError(401, "unauthorized", "Jeton d'accès invalide ou révoqué.")
        if member.role not in roles:
            raise ApiError(403, "forbidden", "Votre rôle ne donne pas accès à cette ressource.")
        return member

    ROLES_ALLOWED[dependency] = frozenset(roles)
    return dependency


async def current_person(request: Request) -> uuid.UUID:
    """The person whose session cookie came with the request; 401 without a live one."""
    token = request.cookies.get(SESSION_COOKIE)
    sessions: PersonSessions = request.app.state.person_sessions
    person_id = await sessions.person(token) if token else None
    if person_id is None:
        raise ApiError(
            401,
            "unauthorized",
            "Connectez-vous à votre espace : demandez un lien de connexion par e-mail.",
        )
    return person_id


async def optional_staff(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> StaffMember | None:
    """The staff account of a bearer token, None without one; 401 for a bad token."""
    if credentials is None:
        return None
    if credentials.scheme.lower() != "bearer":
        raise ApiError(401, "unauthorized", "Authentification requise.")
    store: StaffStore = request.app.state.staff
    member = await store.by_token(credentials.credentials)
    if member is None:
        raise ApiError(401, "unauthorized", "Jeton d'accès invalide ou révoqué.")
    return member


class StaffPageRefused(Exception):
    """A staff page asked without a live staff session (401) or by a role it does not admit
    (403); rendered as a French page by ``services.gateway.web.staff``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def require_staff_page(*roles: Role) -> Callable[..., Awaitable[StaffMember]]:
    """Like ``require_role``, for the back-office pages: the ``reso_staff`` session cookie (its
    forms go through the CSRF check) or a bearer token (exempt from it: nothing ambient)."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> StaffMember:
        member: StaffMember | None = None
        if credentials is not None and credentials.scheme.lower() == "bearer":
            store: StaffStore = request.app.state.staff
            member = await store.by_token(credentials.credentials)
        elif token := request.cookies.get(STAFF_COOKIE):
            sessions: StaffSessions = request.app.state.staff_sessions
            member = await sessions.member(token)
        if member is None:
            raise StaffPageRefused(401, "Connectez-vous avec votre jeton d'accès de l'équipe.")
        if member.role not in roles:
            raise StaffPageRefused(403, "Votre rôle ne donne pas accès à cette page.")
        return member

    ROLES_ALLOWED[dependency] = frozenset(roles)
    return dependency
