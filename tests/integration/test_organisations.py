"""Staff add organisations to the members' register through the gateway; territories are
checked against the reference data reso ships (both lanes)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from services.gateway.store import Role, StaffStore
from services.members.app import build_app as build_members
from services.members.store import organisations
from tests.support.factories import unique_email
from tests.support.services import gateway, members_settings, running, stream_messages

RENNES = {
    "kind": "commune",
    "name": "Ville de Rennes",
    "siren": "213502388",
    "address": {"street": "Place de la Mairie", "postcode": "35000", "city": "Rennes"},
    "territory": {
        "region": "53",
        "department": "35",
        "commune": "35238",
        "epci": "243500139",
        "qpvs": ["QN03502M", "qn03503i"],
    },
}


@pytest.fixture
async def register(database, nats_server):
    members_url = database("members")
    async with (
        running(build_members(members_settings(members_url, nats_server.url))) as members,
        gateway(database("gateway"), nats_server.url) as client,
    ):
        store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
        client.headers["Authorization"] = f"Bearer {await store.add(unique_email(), Role.STAFF)}"
        client.members = members  # type: ignore[attr-defined]
        client.data_token = await store.add(unique_email(), Role.DATA)  # type: ignore[attr-defined]
        yield client


async def _count(client) -> int:
    async with client.members.engine.connect() as connection:
        return (
            await connection.execute(select(func.count()).select_from(organisations))
        ).scalar_one()


class TestCreateOrganisation:
    async def test_stores_a_city_in_the_elected_officials_college_and_announces_it(
        self, register, nats_server
    ):
        created = await register.post("/api/v1/organisations", json=RENNES)
        read = await register.get(f"/api/v1/organisations/{created.json()['id']}")
        events = await stream_messages(
            nats_server.url, "MEMBERS", "reso.members.organisation.created.v1"
        )

        assert created.status_code == 201, created.text
        assert read.json() == created.json()
        assert read.json()["college"] == "elus"
        assert read.json()["territory"]["qpvs"] == ["QN03502M", "QN03503I"]
        assert [json.loads(e.data)["organisation_id"] for e in events] == [created.json()["id"]]

    async def test_puts_an_association_in_the_territorial_actors_college(self, register):
        response = await register.post(
            "/api/v1/organisations",
            json={
                "kind": "association",
                "name": "Régie de quartier de Villejean",
                "territory": {"commune": "35238", "qpvs": ["QN03502M"]},
            },
        )
        assert response.status_code == 201, response.text
        assert response.json()["college"] == "acteurs_territoriaux"

    @pytest.mark.parametrize(
        ("territory", "reason"),
        [
            ({"department": "44", "commune": "35238"}, "35238"),
            ({"commune": "35238", "qpvs": ["QN04405M"]}, "QN04405M"),
            ({"qpvs": ["QN03599M"]}, "QN03599M"),
            ({"qpvs": ["QP035001"]}, "2015"),
        ],
        ids=["commune-outside-department", "qpv-outside-commune", "unknown-qpv", "2015-code"],
    )
    async def test_refuses_a_territory_the_reference_data_contradicts_and_stores_nothing(
        self, register, territory, reason
    ):
        response = await register.post(
            "/api/v1/organisations", json={**RENNES, "siren": None, "territory": territory}
        )
        assert response.status_code == 422, response.text
        assert reason in response.text
        assert await _count(register) == 0

    async def test_refuses_a_siren_with_a_wrong_check_digit(self, register):
        response = await register.post(
            "/api/v1/organisations", json={**RENNES, "siren": "213502389"}
        )
        assert response.status_code == 422
        assert response.json()["error"]["fields"][0]["field"] == "siren"

    async def test_refuses_a_second_organisation_with_the_same_siren(self, register):
        first = await register.post("/api/v1/organisations", json=RENNES)
        second = await register.post("/api/v1/organisations", json={**RENNES, "name": "Doublon"})
        assert first.status_code == 201
        assert second.status_code == 409
        assert await _count(register) == 1

    async def test_is_for_staff_only(self, register):
        anonymous = await register.post(
            "/api/v1/organisations", json=RENNES, headers={"Authorization": ""}
        )
        data_role = await register.post(
            "/api/v1/organisations",
            json=RENNES,
            headers={"Authorization": f"Bearer {register.data_token}"},
        )
        assert (anonymous.status_code, data_role.status_code) == (401, 403)
        assert await _count(register) == 0
