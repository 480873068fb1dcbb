"""Staff authentication: ``Authorization: Bearer <token>``, one role per staff account; and the
session cookie of a person signed in to their personal space by a mailed link."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.gateway.errors import ApiError
from services.gateway.store import PersonSessions, Role, StaffMember, StaffStore

SESSION_COOKIE = "reso_session"

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
