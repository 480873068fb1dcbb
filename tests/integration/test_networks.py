"""Thematic networks over HTTP (both lanes): open networks take members at once, closed ones
wait for staff; rosters list current members; joining and leaving are announced on the bus."""

from __future__ import annotations

import json

from services.gateway.store import Role, StaffStore
from services.members.app import build_app as build_members
from tests.support.factories import sign_up_payload, unique_email
from tests.support.services import (
    gateway,
    members_settings,
    running,
    stream_messages,
    wait_until,
)

OPEN = "chefs-de-projet-politique-de-la-ville"
CLOSED = "agents-de-l-etat-delegues-du-prefet"


class TestNetworks:
    async def test_join_request_approve_refuse_leave_and_roster(self, database, nats_server):
        async with (
            running(build_members(members_settings(database("members"), nats_server.url))),
            gateway(database("gateway"), nats_server.url) as client,
        ):
            store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
            staff_email = unique_email("staff")
            staff = {"Authorization": f"Bearer {await store.add(staff_email, Role.STAFF)}"}
            people = []
            for first_name in ("Aïcha", "Bruno", "Chloé"):
                payload = sign_up_payload(first_name=first_name)
                people.append((await client.post("/api/v1/signup", json=payload)).json()["id"])
            aicha, bruno, chloe = people

            listed = await client.get("/api/v1/networks")
            joined = await client.post(
                f"/api/v1/networks/{OPEN}/members", json={"person_id": aicha}, headers=staff
            )
            again = await client.post(
                f"/api/v1/networks/{OPEN}/members", json={"person_id": aicha}, headers=staff
            )
            requested = await client.post(
                f"/api/v1/networks/{CLOSED}/members", json={"person_id": bruno}, headers=staff
            )
            refused_without_reason = await client.post(
                f"/api/v1/networks/{CLOSED}/requests/{chloe}",
                json={"approve": False},
                headers=staff,
            )
            approved = await client.post(
                f"/api/v1/networks/{CLOSED}/requests/{bruno}",
                json={"approve": True},
                headers=staff,
            )
            roster_closed = await client.get(f"/api/v1/networks/{CLOSED}/members", headers=staff)
            left = await client.delete(f"/api/v1/networks/{OPEN}/members/{aicha}", headers=staff)
            roster_open = await client.get(f"/api/v1/networks/{OPEN}/members", headers=staff)
            anonymous_roster = await client.get(f"/api/v1/networks/{OPEN}/members")
            unknown = await client.post(
                "/api/v1/networks/no-such-network/members", json={"person_id": aicha}, headers=staff
            )
            joined_events = await wait_until(
                lambda: stream_messages(
                    nats_server.url, "MEMBERS", "reso.members.network.joined.v1"
                )
            )
            left_events = await wait_until(
                lambda: stream_messages(nats_server.url, "MEMBERS", "reso.members.network.left.v1")
            )
            bruno_log = await client.get(f"/api/v1/people/{bruno}/networks/audit", headers=staff)

        slugs = {n["slug"]: n["open"] for n in listed.json()["networks"]}
        assert len(slugs) == 8 and slugs[OPEN] is True and slugs[CLOSED] is False
        assert joined.json()["status"] == "member" and again.json()["status"] == "member"
        assert requested.json()["status"] == "requested"
        assert refused_without_reason.status_code == 404  # Chloé never asked
        assert approved.json()["status"] == "member"
        assert [m["first_name"] for m in roster_closed.json()["members"]] == ["Bruno"]
        assert left.json()["status"] == "left"
        assert roster_open.json()["members"] == []
        assert anonymous_roster.status_code == 401
        assert unknown.status_code == 404
        assert sorted(
            (json.loads(m.data)["network_slug"], json.loads(m.data)["person_id"])
            for m in joined_events
        ) == sorted([(OPEN, aicha), (CLOSED, bruno)])
        assert [(json.loads(m.data)["person_id"]) for m in left_events] == [aicha]
        entries = bruno_log.json()["entries"]
        assert [(e["action"], e["by"]) for e in entries] == [
            ("joined", staff_email),
            ("approved", staff_email),
        ]
        assert entries[1]["changes"] == [
            {"field": CLOSED, "before": "requested", "after": "member"}
        ]
