"""Staff keep the register through the gateway: people and organisations are added, changed,
archived and found with filters, every change lands in the audit log, and the bus hears of it
(both lanes)."""

from __future__ import annotations

import pytest

from services.gateway.store import Role, StaffStore
from services.members.app import build_app as build_members
from tests.support.factories import unique_email
from tests.support.services import (
    gateway,
    members_settings,
    payload,
    running,
    stream_messages,
    wait_until,
)


async def events_about(nats_url: str, subject: str, key: str, value: str, count: int):
    """The payloads on ``subject`` whose ``key`` is ``value``, once ``count`` have arrived."""
    stream = subject.split(".")[1].upper()

    async def arrived():
        found = [payload(m) for m in await stream_messages(nats_url, stream, subject)]
        mine = [event for event in found if event[key] == value]
        return mine if len(mine) >= count else None

    return await wait_until(arrived)


@pytest.fixture
async def register(database, nats_server):
    async with (
        running(build_members(members_settings(database("members"), nats_server.url))),
        gateway(database("gateway"), nats_server.url) as client,
    ):
        store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
        client.staff_email = unique_email("staff")  # type: ignore[attr-defined]
        token = await store.add(client.staff_email, Role.STAFF)  # type: ignore[attr-defined]
        client.headers["Authorization"] = f"Bearer {token}"
        client.data_token = await store.add(unique_email(), Role.DATA)  # type: ignore[attr-defined]
        yield client


def person(**overrides):
    values = {
        "first_name": "Léa",
        "last_name": "Le Guen",
        "email": unique_email("lea"),
        "phone": "02 99 00 11 22",
        "title": "Cheffe de projet politique de la ville",
        "kind": "project_leader",
        "territory": {"commune": "35238"},
    }
    values.update(overrides)
    return values


class TestAddPerson:
    async def test_fills_the_enclosing_territory_normalises_the_phone_and_announces_the_record(
        self, register, nats_server
    ):
        created = await register.post("/api/v1/people", json=person())
        body = created.json()
        [event] = await events_about(
            nats_server.url, "reso.members.person.updated.v1", "person_id", body["person_id"], 1
        )

        assert created.status_code == 201, created.text
        assert body["territory"] == {
            "region": "53",
            "department": "35",
            "commune": "35238",
            "epci": "243500139",
            "qpvs": [],
        }
        assert body["phone"] == "+33299001122"
        assert body["college"] == "acteurs_territoriaux"
        assert body["source"] == "staff" and body["confirmed_at"]
        assert event["territory"]["department"] == "35" and event["kind"] == "project_leader"

    async def test_puts_an_elected_official_in_the_college_of_elected_officials(self, register):
        created = await register.post("/api/v1/people", json=person(kind="elected_official"))

        assert created.json()["college"] == "elus"

    async def test_refuses_a_known_address_whatever_its_case(self, register):
        first = await register.post("/api/v1/people", json=person())
        again = await register.post(
            "/api/v1/people", json=person(email=first.json()["email"].upper())
        )

        assert again.status_code == 409
        assert "déjà" in again.json()["error"]["message"]

    async def test_explains_in_french_what_is_wrong_with_a_phone_number_or_a_territory(
        self, register
    ):
        bad_phone = await register.post("/api/v1/people", json=person(phone="12"))
        bad_place = await register.post(
            "/api/v1/people", json=person(territory={"department": "35", "commune": "44109"})
        )

        assert bad_phone.status_code == 422
        assert "téléphone" in bad_phone.json()["error"]["message"]
        assert bad_place.status_code == 422
        assert "n'est pas dans le département 35" in bad_place.json()["error"]["message"]


class TestChangePerson:
    async def test_keeps_who_changed_what_and_when_in_the_audit_log(self, register):
        person_id = (await register.post("/api/v1/people", json=person())).json()["person_id"]

        changed = await register.patch(
            f"/api/v1/people/{person_id}", json={"title": "Déléguée du préfet", "phone": ""}
        )
        unchanged = await register.patch(
            f"/api/v1/people/{person_id}", json={"title": "Déléguée du préfet"}
        )
        log = await register.get(f"/api/v1/people/{person_id}/audit")

        assert changed.status_code == 200 and changed.json()["phone"] == ""
        assert unchanged.status_code == 200
        entries = log.json()["entries"]
        assert [e["action"] for e in entries] == ["created", "updated"]
        update = entries[1]
        assert update["by"] == register.staff_email
        assert {c["field"]: (c["before"], c["after"]) for c in update["changes"]} == {
            "title": ("Cheffe de projet politique de la ville", "Déléguée du préfet"),
            "phone": ("+33299001122", ""),
        }

    async def test_refuses_to_give_a_person_someone_elses_address(self, register):
        taken = (await register.post("/api/v1/people", json=person())).json()["email"]
        person_id = (await register.post("/api/v1/people", json=person())).json()["person_id"]

        response = await register.patch(
            f"/api/v1/people/{person_id}", json={"email": taken.upper()}
        )

        assert response.status_code == 409

    async def test_lets_only_staff_read_and_change_people(self, register):
        person_id = (await register.post("/api/v1/people", json=person())).json()["person_id"]
        data = {"Authorization": f"Bearer {register.data_token}"}

        responses = [
            await register.get("/api/v1/people", headers=data),
            await register.patch(f"/api/v1/people/{person_id}", json={}, headers=data),
            await register.get(f"/api/v1/people/{person_id}/audit", headers=data),
        ]

        assert [r.status_code for r in responses] == [403, 403, 403]


class TestArchivePerson:
    async def test_takes_the_person_out_of_lists_until_restored(self, register):
        record = person(last_name=f"Archivée{unique_email()[9:15]}")
        person_id = (await register.post("/api/v1/people", json=record)).json()["person_id"]
        name = {"q": record["last_name"]}

        archived = await register.post(f"/api/v1/people/{person_id}/archive")
        twice = await register.post(f"/api/v1/people/{person_id}/archive")
        hidden = await register.get("/api/v1/people", params=name)
        only = await register.get("/api/v1/people", params={**name, "archived": "only"})
        await register.post(f"/api/v1/people/{person_id}/restore")
        back = await register.get("/api/v1/people", params=name)

        assert archived.json()["archived_at"] and twice.status_code == 409
        assert hidden.json()["total"] == 0
        assert [p["person_id"] for p in only.json()["items"]] == [person_id]
        assert back.json()["total"] == 1


class TestSearchPeople:
    async def test_finds_people_by_name_ignoring_accents_and_case_in_order(self, register):
        tag = unique_email()[9:17]
        for first, last in (("Zoé", f"Élan{tag}"), ("Ana", f"elan{tag}"), ("Léo", f"Bras{tag}")):
            await register.post("/api/v1/people", json=person(first_name=first, last_name=last))

        found = await register.get("/api/v1/people", params={"q": f"ELAN{tag}"})
        page = await register.get("/api/v1/people", params={"q": tag, "limit": 2, "offset": 2})

        assert [p["first_name"] for p in found.json()["items"]] == ["Ana", "Zoé"]
        assert page.json()["total"] == 3
        assert [p["first_name"] for p in page.json()["items"]] == ["Zoé"]

    async def test_filters_by_kind_territory_at_any_level_qpv_network_and_organisation(
        self, register
    ):
        tag = unique_email()[9:17]
        rennes = person(last_name=f"Rennes{tag}", territory={"qpvs": ["QN03502M"]})
        nantes = person(
            last_name=f"Nantes{tag}", kind="elected_official", territory={"commune": "44109"}
        )
        rennes_id = (await register.post("/api/v1/people", json=rennes)).json()["person_id"]
        nantes_id = (await register.post("/api/v1/people", json=nantes)).json()["person_id"]
        organisation = await register.post(
            "/api/v1/organisations", json={"kind": "association", "name": f"Asso {tag}"}
        )
        await register.post(
            f"/api/v1/people/{nantes_id}/affiliations",
            json={
                "organisation_id": organisation.json()["id"],
                "role": "présidente",
                "start": "2020-01-01",
            },
        )
        await register.post(
            "/api/v1/networks/chefs-de-projet-politique-de-la-ville/members",
            json={"person_id": rennes_id},
        )

        async def ids(**params):
            response = await register.get("/api/v1/people", params={"q": tag, **params})
            assert response.status_code == 200, response.text
            return [p["person_id"] for p in response.json()["items"]]

        assert await ids(department="35") == [rennes_id]
        assert await ids(region="52") == [nantes_id]
        assert await ids(epci="244400404") == [nantes_id]
        assert await ids(qpv="qn03502m") == [rennes_id]
        assert await ids(kind=["elected_official"]) == [nantes_id]
        assert sorted(await ids(kind=["elected_official", "project_leader"])) == sorted(
            [rennes_id, nantes_id]
        )
        assert await ids(college="elus") == [nantes_id]
        assert await ids(network="chefs-de-projet-politique-de-la-ville") == [rennes_id]
        assert await ids(organisation_id=organisation.json()["id"]) == [nantes_id]

    async def test_filters_by_membership_status_and_year(self, register):
        tag = unique_email()[9:17]
        paying = (await register.post("/api/v1/people", json=person(last_name=f"A{tag}"))).json()[
            "person_id"
        ]
        await register.post("/api/v1/people", json=person(last_name=f"B{tag}"))
        await register.post(
            "/api/v1/memberships",
            json={"member_type": "person", "member_id": paying, "year": 2026},
        )

        pending = await register.get(
            "/api/v1/people",
            params={"q": tag, "membership_year": 2026, "membership_status": "pending"},
        )
        without = await register.get(
            "/api/v1/people",
            params={"q": tag, "membership_year": 2026, "membership_status": "none"},
        )

        assert [p["person_id"] for p in pending.json()["items"]] == [paying]
        assert [p["last_name"] for p in without.json()["items"]] == [f"B{tag}"]

    async def test_refuses_an_unknown_filter_rather_than_ignoring_it(self, register):
        response = await register.get("/api/v1/people", params={"departement": "35"})

        assert response.status_code == 422


class TestOrganisationsRegister:
    async def test_staff_change_archive_and_find_organisations_with_an_audit_trail(
        self, register, nats_server
    ):
        tag = unique_email()[9:17]
        created = await register.post(
            "/api/v1/organisations",
            json={
                "kind": "association",
                "name": f"Régie de quartier {tag}",
                "territory": {"commune": "44109"},
                "email": "contact@regie.example.org",
            },
        )
        organisation_id = created.json()["id"]

        changed = await register.patch(
            f"/api/v1/organisations/{organisation_id}",
            json={"name": f"Régie de quartier Nantes Nord {tag}", "phone": "0240000000"},
        )
        found = await register.get(
            "/api/v1/organisations", params={"q": f"regie nord {tag}", "department": "44"}
        )
        await register.post(f"/api/v1/organisations/{organisation_id}/archive")
        hidden = await register.get("/api/v1/organisations", params={"q": tag})
        log = await register.get(f"/api/v1/organisations/{organisation_id}/audit")
        mine = await events_about(
            nats_server.url,
            "reso.members.organisation.updated.v1",
            "organisation_id",
            organisation_id,
            2,
        )

        assert created.json()["territory"]["epci"] == "244400404"
        assert changed.status_code == 200 and changed.json()["phone"] == "+33240000000"
        assert [o["organisation_id"] for o in found.json()["items"]] == [organisation_id]
        assert hidden.json()["total"] == 0
        assert [e["action"] for e in log.json()["entries"]] == ["created", "updated", "archived"]
        assert [e["archived"] for e in mine] == [False, True]

    async def test_refuses_a_siren_that_belongs_to_another_organisation(self, register):
        first = await register.post(
            "/api/v1/organisations",
            json={"kind": "commune", "name": "Ville de Rennes", "siren": "213502388"},
        )
        other = await register.post(
            "/api/v1/organisations", json={"kind": "association", "name": "Autre"}
        )

        response = await register.patch(
            f"/api/v1/organisations/{other.json()['id']}", json={"siren": "213502388"}
        )

        assert first.status_code == 201
        assert response.status_code == 409


class TestAffiliations:
    async def test_staff_end_a_tie_and_the_organisations_membership_stops_covering_the_person(
        self, register, nats_server
    ):
        organisation = await register.post(
            "/api/v1/organisations", json={"kind": "association", "name": "Maison de quartier"}
        )
        organisation_id = organisation.json()["id"]
        person_id = (await register.post("/api/v1/people", json=person())).json()["person_id"]
        opened = await register.post(
            "/api/v1/memberships",
            json={"member_type": "organisation", "member_id": organisation_id, "year": 2026},
        )
        await register.post(
            f"/api/v1/memberships/{opened.json()['membership_id']}/waiver",
            json={"reason": "partenaire"},
        )
        tie = await register.post(
            f"/api/v1/people/{person_id}/affiliations",
            json={"organisation_id": organisation_id, "role": "animatrice", "start": "2026-01-01"},
        )
        tie_id = tie.json()["affiliation_id"]

        before = await register.get(
            f"/api/v1/people/{person_id}/access", params={"on": "2026-06-01"}
        )
        ended = await register.patch(
            f"/api/v1/affiliations/{tie_id}", json={"end": "2026-03-31", "contact": True}
        )
        after = await register.get(
            f"/api/v1/people/{person_id}/access", params={"on": "2026-06-01"}
        )
        read = await register.get(f"/api/v1/people/{person_id}")
        mine = await events_about(
            nats_server.url, "reso.members.affiliation.changed.v1", "affiliation_id", tie_id, 2
        )

        assert tie.status_code == 201 and tie.json()["organisation_name"] == "Maison de quartier"
        assert before.json()["member"] is True
        assert ended.json()["end"] == "2026-03-31" and ended.json()["contact"] is True
        assert after.json()["member"] is False
        assert [a["affiliation_id"] for a in read.json()["affiliations"]] == [tie_id]
        assert [e["end"] for e in mine] == [None, "2026-03-31"]

    async def test_a_mistaken_tie_can_be_deleted_and_the_deletion_is_announced(
        self, register, nats_server
    ):
        organisation = await register.post(
            "/api/v1/organisations", json={"kind": "association", "name": "Erreur"}
        )
        person_id = (await register.post("/api/v1/people", json=person())).json()["person_id"]
        tie = await register.post(
            f"/api/v1/people/{person_id}/affiliations",
            json={
                "organisation_id": organisation.json()["id"],
                "role": "bénévole",
                "start": "2025-09-01",
            },
        )
        tie_id = tie.json()["affiliation_id"]

        deleted = await register.delete(f"/api/v1/affiliations/{tie_id}")
        again = await register.delete(f"/api/v1/affiliations/{tie_id}")
        read = await register.get(f"/api/v1/people/{person_id}")
        mine = await events_about(
            nats_server.url, "reso.members.affiliation.changed.v1", "affiliation_id", tie_id, 2
        )

        assert deleted.status_code == 200 and again.status_code == 404
        assert read.json()["affiliations"] == []
        assert [e["removed"] for e in mine] == [False, True]
