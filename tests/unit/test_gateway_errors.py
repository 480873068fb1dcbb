"""The gateway's one error table and its French validation messages (services.gateway.errors)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError, create_model

from contracts.members import RegisterPersonV1
from services.gateway.api.selfservice import SignUp
from services.gateway.app import create_app
from services.gateway.errors import STATUS_BY_CODE, field_errors
from services.gateway.settings import GatewaySettings
from services.runtime.bus import validation_details
from tests.support.factories import sign_up_payload
from tests.support.rpc import FakeRpc


def _errors_of(payload: Any) -> list[dict[str, str]]:
    """The French field errors the gateway shows for a sign-up with ``payload``."""
    with pytest.raises(ValidationError) as caught:
        SignUp.model_validate(payload)
    return field_errors(list(caught.value.errors()))


@pytest.fixture
def rpc() -> FakeRpc:
    return FakeRpc()


@pytest.fixture
async def gateway(rpc: FakeRpc, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway's HTTP app (no lifespan, so no NATS) with the services answering through rpc."""
    app = create_app(GatewaySettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}"))
    app.state.rpc = rpc
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client
    await app.state.engine.dispose()


class TestFrenchFieldMessages:
    def test_says_each_missing_field_is_mandatory(self) -> None:
        assert _errors_of({}) == [
            {"field": "first_name", "message": "Ce champ est obligatoire."},
            {"field": "last_name", "message": "Ce champ est obligatoire."},
            {"field": "email", "message": "Ce champ est obligatoire."},
        ]

    def test_says_a_name_made_of_spaces_cannot_be_empty(self) -> None:
        errors = _errors_of(sign_up_payload(first_name="   "))

        assert errors == [{"field": "first_name", "message": "Ce champ ne peut pas être vide."}]

    def test_says_a_malformed_address_is_invalid(self) -> None:
        errors = _errors_of(sign_up_payload(email="camille.martin.example.org"))

        assert errors == [{"field": "email", "message": "Adresse e-mail invalide."}]

    def test_says_an_address_without_a_real_domain_is_invalid(self) -> None:
        errors = _errors_of(sign_up_payload(email="camille@intranet"))

        assert errors == [{"field": "email", "message": "Adresse e-mail invalide."}]

    def test_says_an_unknown_field_is_not_expected(self) -> None:
        errors = _errors_of({**sign_up_payload(), "password": "secret"})

        assert errors == [{"field": "password", "message": "Ce champ n'est pas attendu."}]

    def test_says_how_long_a_name_may_be(self) -> None:
        errors = _errors_of(sign_up_payload(last_name="x" * 101))

        assert errors == [
            {"field": "last_name", "message": "Ce champ est trop long (100 caractères au plus)."}
        ]


class TestSignUpValidation:
    async def test_answers_422_with_one_french_message_per_wrong_field(
        self, gateway: httpx.AsyncClient, rpc: FakeRpc
    ) -> None:
        response = await gateway.post(
            "/api/v1/signup", json={"first_name": " ", "last_name": "Martin", "email": "nope"}
        )

        assert response.status_code == 422
        assert response.json() == {
            "error": {
                "code": "invalid",
                "message": "Les données envoyées sont invalides.",
                "fields": [
                    {"field": "first_name", "message": "Ce champ ne peut pas être vide."},
                    {"field": "email", "message": "Adresse e-mail invalide."},
                ],
            }
        }
        assert rpc.requests == [], "an invalid sign-up must not reach the members service"

    async def test_reports_malformed_json_against_the_body(
        self, gateway: httpx.AsyncClient
    ) -> None:
        response = await gateway.post(
            "/api/v1/signup",
            content=b"{first_name: Camille",
            headers={"content-type": "application/json"},
        )

        assert response.status_code == 422
        assert response.json()["error"]["fields"] == [
            {"field": "body", "message": "Le corps de la requête n'est pas du JSON valide."}
        ]

    async def test_says_a_json_array_is_not_the_expected_object(
        self, gateway: httpx.AsyncClient
    ) -> None:
        response = await gateway.post("/api/v1/signup", json=[sign_up_payload()])

        assert response.status_code == 422
        assert response.json()["error"]["fields"] == [
            {"field": "body", "message": "Un objet JSON est attendu."}
        ]


class TestErrorTable:
    @pytest.mark.parametrize(
        ("code", "status"),
        [
            ("not_found", 404),
            ("invalid", 422),
            ("rule_violated", 422),
            ("conflict", 409),
            ("too_large", 413),
            ("unavailable", 503),
            ("internal", 502),
        ],
    )
    async def test_maps_a_service_error_code_to_its_http_status(
        self, gateway: httpx.AsyncClient, rpc: FakeRpc, code: str, status: int
    ) -> None:
        rpc.fail(code, "Le service a refusé.")

        response = await gateway.post("/api/v1/signup", json=sign_up_payload())

        assert response.status_code == status
        assert response.json()["error"] == {"code": code, "message": "Le service a refusé."}

    async def test_reports_an_unknown_service_error_as_a_bad_gateway(
        self, gateway: httpx.AsyncClient, rpc: FakeRpc
    ) -> None:
        rpc.fail("quota_exceeded")

        response = await gateway.post("/api/v1/signup", json=sign_up_payload())

        assert response.status_code == 502

    def test_never_answers_500_for_a_service_error(self) -> None:
        assert 500 not in STATUS_BY_CODE.values()
        assert STATUS_BY_CODE["internal"] == 502

    async def test_asks_the_client_to_retry_when_a_service_is_unavailable(
        self, gateway: httpx.AsyncClient, rpc: FakeRpc
    ) -> None:
        rpc.fail("unavailable", "Service momentanément indisponible.")

        response = await gateway.post("/api/v1/signup", json=sign_up_payload())

        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"

    async def test_shows_the_fields_a_service_found_invalid_in_french(
        self, gateway: httpx.AsyncClient, rpc: FakeRpc
    ) -> None:
        # FastStream validates the handler's arguments as one model, as this one does.
        handler_arguments = create_model("register_person", command=(RegisterPersonV1, ...))
        with pytest.raises(ValidationError) as caught:
            handler_arguments.model_validate(
                {"command": {**sign_up_payload(), "email": "camille@"}}
            )
        rpc.fail("invalid", "Requête invalide.", errors=validation_details(caught.value))

        response = await gateway.post("/api/v1/signup", json=sign_up_payload())

        assert response.status_code == 422
        assert response.json()["error"]["fields"] == [
            {"field": "email", "message": "Adresse e-mail invalide."}
        ]
