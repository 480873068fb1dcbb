"""Staff manage memberships over HTTP through the gateway (both lanes)."""

from __future__ import annotations

from services.gateway.store import Role, StaffStore
from services.members.app import build_app as build_members
from tests.support.factories import sign_up_payload, unique_email
from tests.support.services import gateway, members_settings, running


class TestMembershipsOverHttp:
    async def test_staff_open_a_year_record_a_payment_and_check_an_affiliated_persons_access(
        self, database, nats_server
    ):
        async with (
            running(build_members(members_settings(database("members"), nats_server.url))),
            gateway(database("gateway"), nats_server.url) as client,
        ):
            store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
            staff = {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}
            data = {"Authorization": f"Bearer {await store.add(unique_email(), Role.DATA)}"}
            organisation = await client.post(
                "/api/v1/organisations",
                json={"kind": "association", "name": "Centre social Ty Blosne"},
                headers=staff,
            )
            organisation_id = organisation.json()["id"]
            person_id = (await client.post("/api/v1/signup", json=sign_up_payload())).json()["id"]
            year = {"member_type": "organisation", "member_id": organisation_id, "year": 2026}

            refused = await client.post("/api/v1/memberships", json=year, headers=data)
            opened = await client.post("/api/v1/memberships", json=year, headers=staff)
            membership = f"/api/v1/memberships/{opened.json()['membership_id']}"
            zero = await client.post(
                f"{membership}/payments",
                json={"amount": "0", "paid_on": "2026-02-01", "method": "cheque"},
                headers=staff,
            )
            paid = await client.post(
                f"{membership}/payments",
                json={"amount": "30.00", "paid_on": "2026-02-01", "method": "cheque"},
                headers=staff,
            )
            affiliated = await client.post(
                f"/api/v1/people/{person_id}/affiliations",
                json={
                    "organisation_id": organisation_id,
                    "role": "animatrice",
                    "start": "2026-01-01",
                },
                headers=staff,
            )
            access = await client.get(
                f"/api/v1/people/{person_id}/access", params={"on": "2026-05-04"}, headers=staff
            )
            read = await client.get(membership, headers=staff)
            no_reason = await client.post(
                f"{membership}/status", json={"status": "lapsed", "reason": " "}, headers=staff
            )
            overridden = await client.post(
                f"{membership}/status",
                json={"status": "lapsed", "reason": "dissolution de l'association"},
                headers=staff,
            )
            access_after = await client.get(
                f"/api/v1/people/{person_id}/access", params={"on": "2026-05-04"}, headers=staff
            )

        assert refused.status_code == 403
        assert opened.status_code == 201 and opened.json()["dues"] == "30.00"
        assert zero.status_code == 422 and zero.json()["error"]["fields"][0]["field"] == "amount"
        assert paid.status_code == 200, paid.text
        assert (paid.json()["status"], paid.json()["receipt_number"]) == ("active", "2026-000001")
        assert affiliated.status_code == 201
        assert access.json()["member"] is True
        assert read.json() == paid.json()
        assert no_reason.status_code == 422
        assert overridden.json()["status"] == "lapsed"
        assert overridden.json()["history"][-1]["reason"] == "dissolution de l'association"
        assert access_after.json()["member"] is False
