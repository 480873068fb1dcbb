"""Local correspondents of a network over HTTP (both lanes): staff appoint members for a
department, an EPCI or a commune; a territory without one of its own falls back to the nearest
enclosing level; leaving the network or being erased ends a person's appointments that day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from services.gateway.store import Role, StaffStore
from services.members.app import build_app as build_members
from services.members.store.schema import network_correspondents
from tests.support.factories import sign_up_payload, unique_email
from tests.support.services import gateway, members_settings, running

OPEN = "chefs-de-projet-politique-de-la-ville"
RENNES, BRUZ, SAINT_MALO = "35238", "35047", "35288"
RENNES_METROPOLE = "243500139"
TODAY = datetime.now(UTC).date()
SINCE = TODAY - timedelta(days=90)


@pytest.fixture
async def staff_client(database, nats_server):
    async with (
        running(build_members(members_settings(database("members"), nats_server.url))) as app,
        gateway(database("gateway"), nats_server.url) as client,
    ):
        store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
        client.headers["Authorization"] = f"Bearer {await store.add(unique_email(), Role.STAFF)}"
        client.members = app  # type: ignore[attr-defined]
        yield client


async def _member(client, first_name: str, network: str = OPEN) -> str:
    person = await client.post("/api/v1/signup", json=sign_up_payload(first_name=first_name))
    person_id: str = person.json()["id"]
    joined = await client.post(f"/api/v1/networks/{network}/members", json={"person_id": person_id})
    assert joined.json()["status"] == "member"
    return person_id


async def _appoint(client, person_id: str, kind: str, code: str, since: date = SINCE, **extra):
    body = {"person_id": person_id, "territory": {"kind": kind, "code": code}}
    body |= {"since": since.isoformat(), **extra}
    return await client.post(f"/api/v1/networks/{OPEN}/correspondents", json=body)


async def _who(client, kind: str, code: str, on: date = TODAY) -> tuple[str | None, list[str]]:
    found = await client.get(
        f"/api/v1/networks/{OPEN}/correspondents/{kind}/{code}", params={"on": on.isoformat()}
    )
    assert found.status_code == 200, found.text
    body = found.json()
    return body["level"], [c["first_name"] for c in body["correspondents"]]


class TestAppointAndFindCorrespondents:
    async def test_a_commune_falls_back_to_its_epci_then_its_department(self, staff_client):
        client = staff_client
        aicha, bruno, chloe = [await _member(client, n) for n in ("Aïcha", "Bruno", "Chloé")]

        appointed = await _appoint(client, aicha, "commune", RENNES)
        again = await _appoint(client, aicha, "commune", RENNES)
        await _appoint(client, bruno, "epci", RENNES_METROPOLE)
        await _appoint(client, chloe, "department", "35")

        assert appointed.status_code == 201, appointed.text
        assert appointed.json()["first_name"] == "Aïcha"
        assert appointed.json()["territory"] == {"kind": "commune", "code": RENNES}
        assert again.json()["appointment_id"] == appointed.json()["appointment_id"]
        assert await _who(client, "commune", RENNES) == ("commune", ["Aïcha"])
        assert await _who(client, "commune", BRUZ) == ("epci", ["Bruno"])
        assert await _who(client, "commune", SAINT_MALO) == ("department", ["Chloé"])
        assert await _who(client, "commune", RENNES, on=SINCE - timedelta(days=1)) == (None, [])

    async def test_an_ended_appointment_hands_over_to_the_enclosing_level(self, staff_client):
        client = staff_client
        aicha, bruno = [await _member(client, n) for n in ("Aïcha", "Bruno")]
        appointment = (await _appoint(client, aicha, "commune", RENNES)).json()
        await _appoint(client, bruno, "epci", RENNES_METROPOLE)
        last_day = TODAY - timedelta(days=10)

        ended = await client.post(
            f"/api/v1/networks/{OPEN}/correspondents/{appointment['appointment_id']}/end",
            json={"until": last_day.isoformat()},
        )
        every = await client.get(f"/api/v1/networks/{OPEN}/correspondents")
        current = await client.get(
            f"/api/v1/networks/{OPEN}/correspondents", params={"on": TODAY.isoformat()}
        )

        assert ended.status_code == 200, ended.text
        assert ended.json()["until"] == last_day.isoformat()
        assert await _who(client, "commune", RENNES, on=last_day) == ("commune", ["Aïcha"])
        assert await _who(client, "commune", RENNES) == ("epci", ["Bruno"])
        assert [
            (c["first_name"], c["territory"]["kind"], c["since"], c["until"])
            for c in every.json()["correspondents"]
        ] == [
            ("Aïcha", "commune", SINCE.isoformat(), last_day.isoformat()),
            ("Bruno", "epci", SINCE.isoformat(), None),
        ]
        assert [c["first_name"] for c in current.json()["correspondents"]] == ["Bruno"]
        log = await client.get(
            f"/api/v1/networks/{OPEN}/correspondents/{appointment['appointment_id']}/audit"
        )
        entries = log.json()["entries"]
        assert [e["action"] for e in entries] == ["appointed", "ended"]
        assert entries[1]["changes"] == [
            {"field": "until", "before": None, "after": last_day.isoformat()}
        ]


class TestRefusedAppointments:
    async def test_names_what_is_wrong_in_french(self, staff_client):
        client = staff_client
        aicha = await _member(client, "Aïcha")
        outsider = (await client.post("/api/v1/signup", json=sign_up_payload())).json()["id"]
        await _appoint(client, aicha, "commune", RENNES)

        not_a_member = await _appoint(client, outsider, "commune", RENNES)
        unknown_commune = await _appoint(client, aicha, "commune", "75056")
        overlapping = await _appoint(client, aicha, "commune", RENNES, since=TODAY)
        backwards = await _appoint(
            client, aicha, "epci", RENNES_METROPOLE, until=(SINCE - timedelta(days=1)).isoformat()
        )
        unknown_network = await client.post(
            "/api/v1/networks/no-such-network/correspondents",
            json={
                "person_id": aicha,
                "territory": {"kind": "commune", "code": RENNES},
                "since": SINCE.isoformat(),
            },
        )
        unknown_level = await client.get(f"/api/v1/networks/{OPEN}/correspondents/region/53")
        anonymous = await client.get(
            f"/api/v1/networks/{OPEN}/correspondents", headers={"Authorization": ""}
        )

        assert not_a_member.status_code == 409
        assert "membre du réseau" in not_a_member.json()["error"]["message"]
        assert unknown_commune.status_code == 422
        assert "commune inconnue" in unknown_commune.json()["error"]["message"]
        assert overlapping.status_code == 409
        assert "déjà correspondante" in overlapping.json()["error"]["message"]
        assert backwards.status_code == 422
        assert unknown_network.status_code == 404
        assert unknown_level.status_code == 422
        assert anonymous.status_code == 401


class TestLeavingAndErasure:
    async def test_end_the_appointments_that_day_and_erased_people_disappear(self, staff_client):
        client = staff_client
        bruno, chloe = [await _member(client, n) for n in ("Bruno", "Chloé")]
        await _appoint(client, bruno, "epci", RENNES_METROPOLE)
        not_started = (
            await _appoint(client, bruno, "commune", RENNES, since=TODAY + timedelta(days=30))
        ).json()
        await _appoint(client, chloe, "department", "35")

        left = await client.delete(f"/api/v1/networks/{OPEN}/members/{bruno}")
        after_leaving = await client.get(f"/api/v1/networks/{OPEN}/correspondents")
        bruz_today, bruz_tomorrow = [
            await _who(client, "commune", BRUZ, on=day)
            for day in (TODAY, TODAY + timedelta(days=1))
        ]
        erased = await client.delete(f"/api/v1/people/{chloe}")
        after_erasure = await client.get(f"/api/v1/networks/{OPEN}/correspondents")
        saint_malo_after_erasure = await _who(client, "commune", SAINT_MALO)
        async with client.members.engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(
                        network_correspondents.c.id,
                        network_correspondents.c.person_id,
                        network_correspondents.c.until,
                    )
                )
            ).all()

        assert left.json()["status"] == "left"
        assert [
            (c["first_name"], c["territory"]["kind"], c["until"])
            for c in after_leaving.json()["correspondents"]
        ] == [("Chloé", "department", None), ("Bruno", "epci", TODAY.isoformat())]
        assert bruz_today == ("epci", ["Bruno"])  # the day he left still counts
        assert bruz_tomorrow == ("department", ["Chloé"])
        assert erased.status_code == 204
        assert [c["first_name"] for c in after_erasure.json()["correspondents"]] == ["Bruno"]
        assert saint_malo_after_erasure == (None, [])
        assert not_started["appointment_id"] not in {row.id for row in rows}
        assert {row.person_id: row.until for row in rows} == {bruno: TODAY, chloe: TODAY}
