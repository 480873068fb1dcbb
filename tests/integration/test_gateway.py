"""The gateway over HTTP, talking to a real members service through a real nats-server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import httpx
import pytest
from sqlalchemy import func, select

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.gateway.store import Role, StaffStore, staff
from services.members.app import build_app as build_members
from services.members.store import people
from services.runtime.db import create_engine
from services.runtime.migrations import upgrade
from tests.support.factories import sign_up_payload, unique_email
from tests.support.services import CENTRE, gateway, members_settings, nats_settings, running


async def _token(client: httpx.AsyncClient, role: Role) -> str:
    store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
    return await store.add(unique_email("staff"), role)


async def _people_count(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(select(func.count()).select_from(people))).scalar_one()
    finally:
        await engine.dispose()


class TestPublicSignUp:
    async def test_answers_201_with_the_person_id_and_the_same_answer_for_a_known_address(
        self, database, nats_server
    ):
        members_url = database("members")
        async with (
            running(build_members(members_settings(members_url, nats_server.url))),
            gateway(database("gateway"), nats_server.url) as client,
        ):
            payload = sign_up_payload()
            first = await client.post("/api/v1/signup", json=payload)
            again = await client.post(
                "/api/v1/signup",
                json={**payload, "first_name": "Quelqu'un", "email": payload["email"].upper()},
            )
        assert first.status_code == 201
        assert again.status_code == first.status_code
        assert again.json() == first.json()
        assert set(first.json()) == {"id"}
        assert await _people_count(members_url) == 1

    async def test_bad_input_gets_a_422_naming_each_field_in_french_and_stores_nothing(
        self, database, nats_server
    ):
        members_url = database("members")
        async with (
            running(build_members(members_settings(members_url, nats_server.url))),
            gateway(database("gateway"), nats_server.url) as client,
        ):
            response = await client.post(
                "/api/v1/signup", json={"first_name": "  ", "email": "pas-une-adresse"}
            )
            not_json = await client.post(
                "/api/v1/signup", content=b"{oops", headers={"content-type": "application/json"}
            )
        assert response.status_code == 422
        fields = {f["field"]: f["message"] for f in response.json()["error"]["fields"]}
        assert fields == {
            "first_name": "Ce champ ne peut pas être vide.",
            "last_name": "Ce champ est obligatoire.",
            "email": "Adresse e-mail invalide.",
        }
        assert not_json.status_code == 422
        assert await _people_count(members_url) == 0

    async def test_answers_503_with_a_reason_when_members_is_down(self, database, nats_server):
        async with gateway(database("gateway"), nats_server.url) as client:
            response = await client.post("/api/v1/signup", json=sign_up_payload())
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "unavailable"
        assert "indisponible" in response.json()["error"]["message"]
        assert response.headers["Retry-After"]


class TestStaffReadsAPerson:
    async def test_staff_reads_a_person_but_anonymous_and_data_roles_cannot(
        self, database, nats_server
    ):
        async with (
            running(build_members(members_settings(database("members"), nats_server.url))),
            gateway(database("gateway"), nats_server.url) as client,
        ):
            payload = sign_up_payload()
            person_id = (await client.post("/api/v1/signup", json=payload)).json()["id"]
            staff_token = await _token(client, Role.STAFF)
            admin_token = await _token(client, Role.ADMIN)
            data_token = await _token(client, Role.DATA)
            path = f"/api/v1/people/{person_id}"

            anonymous = await client.get(path)
            forged = await client.get(path, headers={"Authorization": "Bearer reso_forged"})
            data_role = await client.get(path, headers={"Authorization": f"Bearer {data_token}"})
            as_staff = await client.get(path, headers={"Authorization": f"Bearer {staff_token}"})
            as_admin = await client.get(path, headers={"Authorization": f"Bearer {admin_token}"})
            unknown = await client.get(
                "/api/v1/people/00000000-0000-4000-8000-000000000000",
                headers={"Authorization": f"Bearer {staff_token}"},
            )
        assert anonymous.status_code == 401
        assert anonymous.headers["WWW-Authenticate"] == "Bearer"
        assert forged.status_code == 401
        assert data_role.status_code == 403
        assert "email" not in data_role.text
        assert as_staff.status_code == 200
        assert as_staff.json()["email"] == payload["email"]
        assert as_staff.json()["first_name"] == payload["first_name"]
        assert as_admin.status_code == 200
        assert unknown.status_code == 404


class TestStaffAddCommand:
    def test_prints_a_token_once_that_is_stored_only_as_a_hash(self, database, tmp_path):
        from tests.support.infra import run_sync

        url = database("gateway")
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESO_")}
        env["RESO_GATEWAY_DATABASE_URL"] = url
        command = [sys.executable, "-m", "services.cli", "staff", "add"]
        created = subprocess.run(
            [*command, "Agent@CRPV.example.org", "--role", "staff"],
            env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path,
        )  # fmt: skip
        twice = subprocess.run(
            [*command, "agent@crpv.example.org", "--role", "admin"],
            env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path,
        )  # fmt: skip
        token = created.stdout.strip().splitlines()[-1]

        async def stored() -> list[tuple[str, str, str]]:
            engine = create_engine(url)
            try:
                async with engine.connect() as connection:
                    rows = await connection.execute(
                        select(staff.c.email, staff.c.role, staff.c.token_hash)
                    )
                    found = [tuple(row) for row in rows]
                member = await StaffStore(engine).by_token(token)
                assert member is not None and member.role is Role.STAFF
                return found
            finally:
                await engine.dispose()

        rows = run_sync(stored())
        assert created.returncode == 0, created.stderr
        assert token.startswith("reso_") and len(token) > 40
        assert twice.returncode == 1 and "already exists" in twice.stderr
        assert len(rows) == 1
        email, role, token_hash = rows[0]
        assert (email, role) == ("agent@crpv.example.org", "staff")
        assert token not in token_hash


@pytest.fixture(autouse=True)
def _no_inherited_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("RESO_") and key != "RESO_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)


class TestGatewayBeforeNats:
    async def test_serves_503_until_nats_is_up_then_signs_people_up(self, database, nats_server):
        members_url = database("members")
        await upgrade("members", members_url)
        nats_server.stop()
        async with gateway(database("gateway"), nats_server.url) as client:
            early = await client.post("/api/v1/signup", json=sign_up_payload())
            not_ready = await client.get("/readyz")
            nats_server.start()
            async with running(build_members(members_settings(members_url, nats_server.url))):
                for _ in range(100):
                    late = await client.post("/api/v1/signup", json=sign_up_payload())
                    if late.status_code == 201:
                        break
                    await asyncio.sleep(0.2)
                ready = await client.get("/readyz")
        assert early.status_code == 503
        assert not_ready.status_code == 503 and not_ready.json()["checks"]["nats"] != "ok"
        assert late.status_code == 201
        assert ready.status_code == 200


class TestGatewayWithoutItsDatabase:
    async def test_staff_calls_get_a_503_with_a_reason_not_a_crash(self, database, nats_server):
        app = create_app(
            GatewaySettings(
                database_url=database("gateway"),  # never migrated: no staff table
                nats=nats_settings(nats_server.url),
                centre=CENTRE,
            )
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
                response = await client.get(
                    "/api/v1/people/00000000-0000-4000-8000-000000000000",
                    headers={"Authorization": "Bearer reso_whatever"},
                )
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "unavailable"
