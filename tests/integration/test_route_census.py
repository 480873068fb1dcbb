"""Every route of the gateway, enumerated from the app (so a route added later is covered):
staff routes refuse anonymous and wrong-role requests, personal-space routes refuse requests
without a person's session, and every other route is listed below as public on purpose.

A new route that checks no credential fails ``test_every_route_is_classified`` until it is
added to ``PUBLIC`` (or given a ``Staff``/``require_role``/``current_person`` dependency)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from services.gateway.app import create_app
from services.gateway.auth import ROLES_ALLOWED, SESSION_COOKIE, current_person
from services.gateway.settings import GatewaySettings
from services.gateway.store import Role
from services.gateway.web.staff.data import data_team_page
from tests.support.factories import unique_email
from tests.support.services import gateway

PUBLIC = {
    # the API's own documentation
    "GET /api/openapi.json",
    "GET /api/docs",
    "GET /docs/oauth2-redirect",
    # health (no personal data)
    "GET /healthz",
    "GET /readyz",
    "GET /api/v1/health",
    # pages (the personal space reads its session cookie itself and shows the sign-in form)
    "GET /",
    "MOUNT /static",
    "GET /espace",
    "POST /espace/lien",
    "POST /espace/deconnexion",
    "POST /espace/effacement",
    "GET /espace/{kind}",
    "POST /espace/{kind}",
    "GET /lettres/confirmation",
    "POST /lettres/confirmation",
    "GET /lettres/desabonnement/{token}",
    "POST /lettres/desabonnement/{token}",
    "GET /lettres/preferences",
    "POST /lettres/preferences",
    # the staff sign-in form (checks the API token pasted) and sign-out (closes its own cookie)
    "GET /equipe/connexion",
    "POST /equipe/connexion",
    "POST /equipe/deconnexion",
    # self-service: sign-up and signing in by a mailed link
    "POST /api/v1/signup",
    "POST /api/v1/me/link",
    "POST /api/v1/me/confirmation",
    "POST /api/v1/me/session",
    "DELETE /api/v1/me/session",
    "POST /api/v1/me/email/confirmation",
    # public catalogues
    "GET /api/v1/networks",
    "GET /api/v1/events",
    "GET /api/v1/agenda.ics",
    "GET /api/v1/events/{event_id}.ics",
    "GET /api/v1/events/{event_id}",
    "GET /api/v1/cycles/{cycle_id}",
    "GET /api/v1/calls",
    "GET /api/v1/calls/{call_id}",
    "GET /api/v1/newsletters/letters",
    "GET /api/v1/newsletters/letters/{slug}/archive",
    "GET /api/v1/newsletters/letters/{slug}/archive/{number}",
    # Data & Quartiers: open data only (a restricted dataset needs a partner's token: the handler
    # checks it and logs the read)
    "GET /api/v1/territoires/qpv",
    "GET /api/v1/territoires/qpv/{code}",
    "GET /api/v1/territoires/qpv/{code}.csv",
    "GET /api/v1/data/catalogue",
    "GET /api/v1/data/indicators/{indicator}/values",
    "GET /api/v1/data/datasets/{dataset_id}/values",
    # public pages: the archive of sent issues, territory sheets, indicator pages
    "GET /lettres/{letter}/numeros",
    "GET /lettres/{letter}/numeros/{number}",
    "GET /territoires/qpv/{code}",
    "GET /donnees/indicateurs/{indicator}",
    # the public pages: home, agenda, registration by page and by the mailed links
    "GET /agenda",
    "GET /agenda/{event_id}",
    "POST /agenda/{event_id}",
    "GET /inscription",
    "POST /inscription",
    "GET /inscription/accepter",
    "POST /inscription/accepter",
    "GET /lettres",
    "POST /lettres",
    "GET /adhesion",
    "POST /adhesion",
    "GET /appels",
    "GET /appels/{call_id}",
    "POST /appels/{call_id}",  # checks the session cookie itself: 401 without
    # registrations and subscriptions: anyone, or the holder of a signed link
    "POST /api/v1/events/{event_id}/registrations",
    "POST /api/v1/cycles/{cycle_id}/registrations",
    "GET /api/v1/registrations/{token}",
    "POST /api/v1/registrations/{token}/cancel",
    "POST /api/v1/registrations/{token}/accept",
    "POST /api/v1/newsletters/subscriptions",
    "POST /api/v1/newsletters/subscriptions/confirm",
    "GET /api/v1/newsletters/preferences",
    "PUT /api/v1/newsletters/preferences",
    "POST /api/v1/newsletters/preferences/link",
    "GET /api/v1/newsletters/unsubscribe/{token}",
    "POST /api/v1/newsletters/unsubscribe/{token}",
    # the mail server's bounce reports: no person, a shared secret header (401 without it, 404
    # while RESO_GATEWAY_BOUNCE_WEBHOOK_SECRET is unset); exempt from CSRF and rate limits
    "POST /api/v1/newsletters/bounces",
}

ANY_ID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    roles: frozenset[Role] | None  # staff roles let through; None: not a staff route
    person: bool  # needs a person's session

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def url(self) -> str:
        return re.sub(r"\{[^}]+\}", ANY_ID, self.path)


def _calls(dependant: Any) -> Iterator[Any]:
    for dependency in getattr(dependant, "dependencies", ()):
        yield dependency.call
        yield from _calls(dependency)


def endpoints(app: FastAPI) -> list[Endpoint]:
    found = []
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        calls = list(_calls(dependant)) if dependant is not None else []
        roles = [ROLES_ALLOWED[call] for call in calls if call in ROLES_ALLOWED]
        allowed = frozenset.intersection(*roles) if roles else None
        methods = sorted((route.methods or set()) - {"HEAD"}) or ["MOUNT"]
        for method in methods:
            found.append(Endpoint(method, str(route.path), allowed, current_person in calls))
    return found


def _app() -> FastAPI:
    return create_app(GatewaySettings(database_url="sqlite+aiosqlite://"))


def test_every_route_is_classified() -> None:
    census = endpoints(_app())
    unclassified = [
        e.key for e in census if e.roles is None and not e.person and e.key not in PUBLIC
    ]
    protected_but_listed = [e.key for e in census if e.key in PUBLIC and (e.roles or e.person)]
    gone = PUBLIC - {e.key for e in census}

    assert not unclassified, (
        "routes that check no credential and are not listed as public in"
        f" tests/integration/test_route_census.py: {unclassified}"
    )
    assert not protected_but_listed, f"listed as public but protected: {protected_but_listed}"
    assert not gone, f"listed as public but no longer exist: {sorted(gone)}"


def test_the_census_sees_staff_and_personal_space_routes() -> None:
    census = {e.key: e for e in endpoints(_app())}

    assert census["GET /api/v1/people"].roles == {Role.ADMIN, Role.STAFF}
    assert census["GET /api/v1/me"].person
    for staff_only in (
        "POST /equipe/numeros/{issue_id}/envoi",
        "GET /equipe/numeros/{issue_id}/envoi",
        "GET /equipe/envois/{send_id}/progression",
        "POST /equipe/envois/{send_id}/pause",
        "POST /equipe/envois/{send_id}/reprise",
        "POST /equipe/envois/{send_id}/annulation",
    ):
        assert census[staff_only].roles == {Role.ADMIN, Role.STAFF}, staff_only
    assert census["GET /equipe/donnees"].roles == {Role.DATA}
    assert census["POST /equipe/donnees/nouveau"].roles == {Role.DATA}
    assert len([e for e in census.values() if e.roles]) > 50


async def _status(client: Any, endpoint: Endpoint, **headers: str) -> int:
    body = {} if endpoint.method in {"POST", "PUT", "PATCH"} else None
    response = await client.request(endpoint.method, endpoint.url, json=body, headers=headers)
    return int(response.status_code)


async def test_protected_routes_refuse_anonymous_and_wrong_role_requests(database, nats_server):
    refused = {401, 403}
    failures: list[str] = []
    async with gateway(database("gateway"), nats_server.url) as client:
        app = client.app  # type: ignore[attr-defined]
        tokens = {role: await app.state.staff.add(unique_email(role.value), role) for role in Role}
        session = await app.state.person_sessions.open(uuid.uuid4())
        protected = [e for e in endpoints(app) if e.roles is not None or e.person]

        for endpoint in protected:
            client.cookies.clear()
            status = await _status(client, endpoint)
            if status not in refused:
                failures.append(f"{endpoint.key} anonymous: {status}")
            if endpoint.roles is not None:
                for role in set(Role) - endpoint.roles:
                    auth = f"Bearer {tokens[role]}"
                    status = await _status(client, endpoint, Authorization=auth)
                    if status != 403:
                        failures.append(f"{endpoint.key} as {role.value}: {status}")
                client.cookies.set(SESSION_COOKIE, session.token)
                status = await _status(client, endpoint)
                if status not in refused:
                    failures.append(f"{endpoint.key} with a person's session: {status}")
            else:
                status = await _status(
                    client, endpoint, Authorization=f"Bearer {tokens[Role.ADMIN]}"
                )
                if status not in refused:
                    failures.append(f"{endpoint.key} with a staff token, no session: {status}")

    assert not failures, "\n".join(failures)


async def test_data_team_pages_refuse_a_data_partner(database, nats_server):
    """Role ``data`` is not enough for the data team's pages: a partner's account is refused."""
    failures: list[str] = []
    async with gateway(database("gateway"), nats_server.url) as client:
        app = client.app  # type: ignore[attr-defined]
        partner = await app.state.staff.add(unique_email("partner"), Role.DATA, "Partenaire")
        pages = [
            Endpoint(method, str(route.path), None, False)
            for route in iter_route_contexts(app.routes)
            if data_team_page in _calls(getattr(route, "dependant", None))
            for method in sorted((route.methods or set()) - {"HEAD"})
        ]
        assert {e.key for e in pages} >= {"GET /equipe/donnees", "POST /equipe/donnees/nouveau"}
        for endpoint in pages:
            status = await _status(client, endpoint, Authorization=f"Bearer {partner}")
            if status != 403:
                failures.append(f"{endpoint.key} as a data partner: {status}")

    assert not failures, "\n".join(failures)


def test_a_route_without_credential_check_would_be_named() -> None:
    app = _app()

    @app.get("/api/v1/forgotten")
    async def forgotten() -> dict[str, str]:
        return {}

    unclassified = [
        e.key for e in endpoints(app) if e.roles is None and not e.person and e.key not in PUBLIC
    ]

    assert unclassified == ["GET /api/v1/forgotten"]


def test_the_review_and_import_pages_are_for_admin_and_staff_only() -> None:
    census = {e.key: e for e in endpoints(_app())}
    review = [
        "GET /equipe/appels",
        "GET /equipe/appels/{call_id}",
        "POST /equipe/appels/{call_id}/cloture",
        "POST /equipe/appels/{call_id}/publication",
        "GET /equipe/candidatures/{application_id}",
        "POST /equipe/candidatures/{application_id}/evaluation",
        "POST /equipe/candidatures/{application_id}/decision",
        "GET /equipe/organisations",
        "GET /equipe/organisations/export.csv",
        "GET /equipe/organisations/{organisation_id}",
        "GET /equipe/organisations/import",
        "POST /equipe/organisations/import",
        "POST /equipe/organisations/import/application",
        "GET /equipe/personnes/import",
        "POST /equipe/personnes/import",
        "POST /equipe/personnes/import/application",
        "POST /equipe/inscriptions/{registration_id}/mode",
    ]

    assert {key: census[key].roles for key in review} == {
        key: {Role.ADMIN, Role.STAFF} for key in review
    }
