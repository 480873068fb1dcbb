"""Governance over HTTP through the gateway (both lanes): mandates in the association's bodies,
meetings with their sign-in sheets and proxies, and the quorum counted with the centre's bylaws."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from services.gateway.store import Role, StaffStore
from services.members.app import build_app as build_members
from services.members.store import meeting_proxies
from services.runtime.service import ServiceApp
from tests.support.factories import sign_up_payload, unique_email
from tests.support.services import gateway, members_settings, running

MANDATES = "/api/v1/governance/mandates"
MEETINGS = "/api/v1/governance/meetings"
HELD_ON = "2026-06-18"

# An AG that needs half of its members, a third of each college, and at most two proxies each,
# given within the college.
AG_BYLAWS = """
[ag]
quorum = "1/2"
college_quorum = "1/3"
max_proxies = 2
proxies_within_college = true

[ca]
quorum = "1/2"
max_proxies = 1

[bureau]
quorum = "1/2"
max_proxies = 0
proxies_count = false
"""


@dataclass
class Api:
    client: httpx.AsyncClient
    staff: dict[str, str]
    members: ServiceApp

    async def person(self, first_name: str = "Camille") -> str:
        payload = sign_up_payload(first_name=first_name)
        response = await self.client.post("/api/v1/signup", json=payload)
        return str(response.json()["id"])

    async def organisation(self, name: str, kind: str = "region") -> str:
        response = await self.client.post(
            "/api/v1/organisations", json={"kind": kind, "name": name}, headers=self.staff
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def mandate(self, **fields: Any) -> httpx.Response:
        body = {"seat": "membre", "start": "2024-06-20", **fields}
        return await self.client.post(MANDATES, json=body, headers=self.staff)

    async def seat(self, body: str, college: str | None = None, **fields: Any) -> str:
        """A new person with a mandate in ``body``; their id."""
        person = await self.person()
        response = await self.mandate(person_id=person, body=body, college=college, **fields)
        assert response.status_code == 201, response.text
        return person

    async def meeting(self, body: str, title: str = "Réunion") -> str:
        response = await self.client.post(
            MEETINGS, json={"body": body, "held_on": HELD_ON, "title": title}, headers=self.staff
        )
        assert response.status_code == 201, response.text
        return str(response.json()["meeting_id"])

    async def sign_in(self, meeting: str, person: str) -> httpx.Response:
        return await self.client.put(f"{MEETINGS}/{meeting}/presence/{person}", headers=self.staff)

    async def proxy(self, meeting: str, giver: str, holder: str) -> httpx.Response:
        return await self.client.put(
            f"{MEETINGS}/{meeting}/proxies/{giver}", json={"holder_id": holder}, headers=self.staff
        )


@asynccontextmanager
async def governance(
    database: Any, nats_url: str, *, bylaws: Path | None = None, replicas: int = 1
) -> AsyncIterator[Api]:
    url = database("members")
    settings = members_settings(url, nats_url).model_copy(update={"quorum_rules_file": bylaws})
    apps = [build_members(settings) for _ in range(replicas)]
    async with AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(running(app))
        client = await stack.enter_async_context(gateway(database("gateway"), nats_url))
        store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
        token = await store.add(unique_email("staff"), Role.STAFF)
        yield Api(client, {"Authorization": f"Bearer {token}"}, apps[0])


def _sheet(meeting: dict[str, Any]) -> dict[str, str]:
    return {line["person_id"]: line["attendance"] for line in meeting["sheet"]}


class TestMandates:
    async def test_staff_seat_people_and_list_a_bodys_mandates_in_force_with_their_names(
        self, database, nats_server
    ):
        async with governance(database, nats_server.url) as api:
            rennes = await api.organisation("Rennes", kind="commune")
            treasurer = await api.person("Aïcha")
            member = await api.person("Bruno")
            seated = await api.mandate(
                person_id=treasurer,
                body="ca",
                seat="trésorière",
                organisation_id=rennes,
                start="2024-06-20",
            )
            await api.mandate(person_id=member, body="ca", start="2024-06-20", end="2025-06-19")
            before_start = await api.client.post(
                f"{MANDATES}/{seated.json()['mandate_id']}/end",
                json={"end": "2024-06-19"},
                headers=api.staff,
            )
            ended = await api.client.post(
                f"{MANDATES}/{seated.json()['mandate_id']}/end",
                json={"end": "2027-06-30"},
                headers=api.staff,
            )
            in_2025 = await api.client.get(
                MANDATES, params={"body": "ca", "on": "2025-01-15"}, headers=api.staff
            )
            in_2026 = await api.client.get(
                MANDATES, params={"body": "ca", "on": HELD_ON}, headers=api.staff
            )
            after_end = await api.client.get(
                MANDATES, params={"body": "ca", "on": "2027-07-01"}, headers=api.staff
            )
            of_person = await api.client.get(
                f"/api/v1/people/{treasurer}/mandates", headers=api.staff
            )
            anonymous = await api.client.get(MANDATES, params={"body": "ca"})

        assert seated.status_code == 201, seated.text
        assert seated.json() | {"mandate_id": None} == {
            "mandate_id": None,
            "person_id": treasurer,
            "first_name": "Aïcha",
            "last_name": "Martin",
            "body": "ca",
            "college": None,
            "seat": "trésorière",
            "seat_kind": "member",
            "voice": "deliberative",
            "organisation_id": rennes,
            "organisation_name": "Rennes",
            "start": "2024-06-20",
            "end": None,
        }
        assert before_start.status_code == 422
        assert before_start.json()["error"]["message"] == (
            "Un mandat ne peut pas finir avant de commencer."
        )
        assert ended.json()["end"] == "2027-06-30"
        assert [m["first_name"] for m in in_2025.json()["mandates"]] == ["Aïcha", "Bruno"]
        assert [m["person_id"] for m in in_2026.json()["mandates"]] == [treasurer]
        assert after_end.json()["mandates"] == []
        assert of_person.json()["mandates"] == [ended.json()]
        assert anonymous.status_code == 401

    async def test_refuse_overlapping_deliberative_mandates_and_unknown_or_erased_people(
        self, database, nats_server
    ):
        async with governance(database, nats_server.url) as api:
            person = await api.person()
            first = await api.mandate(
                person_id=person, body="ag", college="elus", start="2024-06-20", end="2027-06-19"
            )
            overlapping = await api.mandate(
                person_id=person, body="ag", college="acteurs_territoriaux", start="2027-06-19"
            )
            next_term = await api.mandate(
                person_id=person, body="ag", college="elus", start="2027-06-20"
            )
            extended = await api.client.post(
                f"{MANDATES}/{first.json()['mandate_id']}/end",
                json={"end": "2027-12-31"},
                headers=api.staff,
            )
            board = await api.mandate(person_id=person, body="ca", start="2025-01-01")
            qualified = await api.mandate(
                person_id=person, body="ag", seat="experte", seat_kind="personne_qualifiee"
            )
            unknown_organisation = await api.mandate(
                person_id=person,
                body="bureau",
                organisation_id="00000000-0000-4000-8000-000000000000",
            )
            erased = await api.person()
            await api.client.delete(f"/api/v1/people/{erased}", headers=api.staff)
            erased_seat = await api.mandate(person_id=erased, body="ca")
            erased_list = await api.client.get(
                f"/api/v1/people/{erased}/mandates", headers=api.staff
            )
            no_college = await api.mandate(person_id=await api.person(), body="ag")

        assert first.status_code == 201
        assert overlapping.status_code == 409
        assert overlapping.json()["error"]["message"] == (
            "Cette personne a déjà un mandat délibératif (assemblée générale, du 20/06/2024 au "
            "19/06/2027) : deux mandats délibératifs d'une personne dans une même instance ne "
            "peuvent pas se chevaucher."
        )
        assert next_term.status_code == 201
        assert extended.status_code == 409
        assert (board.status_code, qualified.status_code) == (201, 201)
        assert qualified.json()["voice"] == "consultative"
        assert unknown_organisation.status_code == 404
        assert unknown_organisation.json()["error"]["message"] == "Organisation introuvable."
        assert erased_seat.status_code == 404
        assert erased_seat.json()["error"]["message"] == "Personne introuvable."
        assert erased_list.status_code == 404
        assert no_college.status_code == 422
        assert "collège" in no_college.json()["error"]["message"]

    async def test_the_comite_des_financeurs_seats_people_representing_funders_and_has_no_quorum(
        self, database, nats_server
    ):
        async with governance(database, nats_server.url) as api:
            region = await api.organisation("Région Bretagne", kind="region")
            state = await api.organisation("Préfecture d'Ille-et-Vilaine", kind="state_service")
            without_funder = await api.mandate(
                person_id=await api.person(), body="comite_financeurs"
            )
            for_region = await api.seat("comite_financeurs", organisation_id=region)
            for_state = await api.seat("comite_financeurs", organisation_id=state)
            seats = await api.client.get(
                MANDATES, params={"body": "comite_financeurs", "on": HELD_ON}, headers=api.staff
            )
            meeting = await api.meeting("comite_financeurs", "Comité des financeurs 2026")
            signed_in = await api.sign_in(meeting, for_region)
            proxy = await api.proxy(meeting, for_state, for_region)
            read = await api.client.get(f"{MEETINGS}/{meeting}", headers=api.staff)

        assert without_funder.status_code == 422
        assert without_funder.json()["error"]["message"].startswith(
            "Un siège au comité des financeurs représente une organisation financeuse"
        )
        assert {(m["person_id"], m["organisation_name"]) for m in seats.json()["mandates"]} == {
            (for_region, "Région Bretagne"),
            (for_state, "Préfecture d'Ille-et-Vilaine"),
        }
        assert signed_in.status_code == 200
        assert proxy.status_code == 422
        assert proxy.json()["error"]["message"] == (
            "Le comité des financeurs ne délibère pas : on n'y donne pas procuration."
        )
        assert read.status_code == 200
        assert (read.json()["quorum_applies"], read.json()["quorum"]) == (False, None)
        assert _sheet(read.json()) == {for_region: "present", for_state: "absent"}


class TestMeetings:
    async def test_an_ag_counted_by_college_with_proxies_within_the_college_reaches_its_quorum(
        self, database, nats_server, tmp_path
    ):
        bylaws = tmp_path / "statuts.toml"
        bylaws.write_text(AG_BYLAWS, encoding="utf-8")
        async with governance(database, nats_server.url, bylaws=bylaws) as api:
            elus = [await api.seat("ag", "elus") for _ in range(6)]
            acteurs = [await api.seat("ag", "acteurs_territoriaux") for _ in range(3)]
            meeting = await api.meeting("ag", "Assemblée générale ordinaire")
            for person in (elus[0], elus[1], acteurs[0]):
                assert (await api.sign_in(meeting, person)).status_code == 200
            for giver, holder in ((elus[2], elus[0]), (elus[3], elus[0]), (acteurs[1], acteurs[0])):
                assert (await api.proxy(meeting, giver, holder)).status_code == 200
            third_proxy = await api.proxy(meeting, elus[4], elus[0])
            other_college = await api.proxy(meeting, elus[4], acteurs[0])
            reached = await api.client.get(f"{MEETINGS}/{meeting}", headers=api.staff)
            for giver in (elus[2], elus[3]):
                withdrawn = await api.client.delete(
                    f"{MEETINGS}/{meeting}/proxies/{giver}", headers=api.staff
                )

        assert third_proxy.status_code == 409
        assert third_proxy.json()["error"]["message"] == (
            "Le mandataire détiendrait 3 procurations ; les statuts en permettent 2 au plus."
        )
        assert other_college.status_code == 422
        assert other_college.json()["error"]["message"] == (
            "Les statuts imposent une procuration à un membre du même collège."
        )
        quorum = reached.json()["quorum"]
        assert quorum["total"] == {
            "members": 9,
            "present": 3,
            "represented": 3,
            "counted": 6,
            "required": 5,
            "votes": 6,
        }
        assert quorum["colleges"] == {
            "elus": {
                "members": 6,
                "present": 2,
                "represented": 2,
                "counted": 4,
                "required": 2,
                "votes": 4,
            },
            "acteurs_territoriaux": {
                "members": 3,
                "present": 1,
                "represented": 1,
                "counted": 2,
                "required": 1,
                "votes": 2,
            },
        }
        assert (quorum["reached"], quorum["reasons"]) == (True, [])
        sheet = {line["person_id"]: line for line in reached.json()["sheet"]}
        assert (sheet[elus[2]]["attendance"], sheet[elus[2]]["proxy_holder_id"]) == (
            "represented",
            elus[0],
        )
        assert sheet[elus[5]]["attendance"] == "absent"
        missed = withdrawn.json()["quorum"]
        assert (missed["total"]["counted"], missed["reached"]) == (4, False)
        assert missed["reasons"] == [
            "assemblée générale : 4 présents ou représentés sur 9, il en faut au moins 5."
        ]

    async def test_a_personne_qualifiee_present_at_the_board_is_listed_and_never_counted(
        self, database, nats_server
    ):
        async with governance(database, nats_server.url) as api:
            board = [await api.seat("ca") for _ in range(4)]
            qualified = await api.seat("ca", seat="experte", seat_kind="personne_qualifiee")
            deliberative_expert = await api.mandate(
                person_id=await api.person(),
                body="ca",
                seat="expert",
                seat_kind="personne_qualifiee",
                voice="deliberative",
            )
            outsider = await api.person()
            meeting = await api.meeting("ca", "Conseil d'administration de juin")
            await api.sign_in(meeting, board[0])
            present = await api.sign_in(meeting, qualified)
            no_mandate = await api.sign_in(meeting, outsider)
            proxy_to_qualified = await api.proxy(meeting, board[1], qualified)
            await api.sign_in(meeting, board[2])
            reached = await api.client.get(f"{MEETINGS}/{meeting}", headers=api.staff)

        assert deliberative_expert.status_code == 422
        assert deliberative_expert.json()["error"]["message"] == (
            "Une personne qualifiée siège avec voix consultative seulement."
        )
        quorum = present.json()["quorum"]
        assert quorum["total"]["members"] == 4 and quorum["total"]["counted"] == 1
        assert quorum["consultative_present"] == 1
        assert (quorum["reached"], quorum["reasons"]) == (
            False,
            ["conseil d'administration : 1 présent ou représenté sur 4, il en faut au moins 2."],
        )
        [line] = [line for line in present.json()["sheet"] if line["person_id"] == qualified]
        assert (line["seat_kind"], line["voice"], line["attendance"]) == (
            "personne_qualifiee",
            "consultative",
            "present",
        )
        assert no_mandate.status_code == 422
        assert no_mandate.json()["error"]["message"] == (
            "Cette personne n'a pas de mandat en cours dans l'instance ce jour-là."
        )
        assert proxy_to_qualified.status_code == 422
        assert proxy_to_qualified.json()["error"]["message"] == (
            "Le mandataire n'a pas voix délibérative ce jour-là."
        )
        assert reached.json()["quorum"]["total"]["counted"] == 2
        assert reached.json()["quorum"]["consultative_present"] == 1
        assert reached.json()["quorum"]["reached"] is True

    async def test_a_mandate_cannot_end_before_a_meeting_its_holder_signed_in_to(
        self, database, nats_server
    ):
        async with governance(database, nats_server.url) as api:
            person = await api.person()
            seated = await api.mandate(person_id=person, body="bureau")
            meeting = await api.meeting("bureau", "Bureau de juin")
            await api.sign_in(meeting, person)
            end = f"{MANDATES}/{seated.json()['mandate_id']}/end"
            refused = await api.client.post(end, json={"end": "2026-06-01"}, headers=api.staff)
            await api.client.delete(f"{MEETINGS}/{meeting}/presence/{person}", headers=api.staff)
            accepted = await api.client.post(end, json={"end": "2026-06-01"}, headers=api.staff)
            unknown = await api.client.get(
                f"{MEETINGS}/00000000-0000-4000-8000-000000000000", headers=api.staff
            )

        assert refused.status_code == 409
        assert refused.json()["error"]["message"] == (
            "Cette personne figure sur la feuille de présence de la réunion du 18/06/2026 "
            "(Bureau de juin) : retirez-la de cette feuille avant de changer son mandat."
        )
        assert accepted.status_code == 200
        assert unknown.status_code == 404


class TestAuditAndErasure:
    async def test_the_sheet_and_the_mandates_keep_who_changed_them_and_erasure_ends_a_seat(
        self, database, nats_server
    ):
        async with governance(database, nats_server.url) as api:
            present = await api.seat("ca", start="2024-06-20")
            erased = await api.seat("ca", start="2024-06-20")
            meeting = await api.meeting("ca")
            await api.sign_in(meeting, present)
            await api.sign_in(meeting, present)  # again: nothing changes, nothing logged
            log = await api.client.get(f"{MEETINGS}/{meeting}/audit", headers=api.staff)
            [mandate] = (
                await api.client.get(f"/api/v1/people/{erased}/mandates", headers=api.staff)
            ).json()["mandates"]
            await api.client.delete(f"/api/v1/people/{erased}", headers=api.staff)
            tomorrow = (date.today() + timedelta(days=1)).isoformat()
            seated_tomorrow = await api.client.get(
                MANDATES, params={"body": "ca", "on": tomorrow}, headers=api.staff
            )
            mandate_log = await api.client.get(
                f"{MANDATES}/{mandate['mandate_id']}/audit", headers=api.staff
            )

        assert [e["action"] for e in log.json()["entries"]] == ["created", "presence_recorded"]
        [change] = log.json()["entries"][1]["changes"]
        assert change == {"field": "present", "before": [], "after": [present]}
        assert [m["person_id"] for m in seated_tomorrow.json()["mandates"]] == [present]
        assert [e["action"] for e in mandate_log.json()["entries"]] == ["created", "ended"]


class TestConcurrentProxies:
    async def test_many_simultaneous_proxies_to_one_holder_allowed_one_record_exactly_one(
        self, database, nats_server
    ):
        async with governance(database, nats_server.url, replicas=2) as api:
            holder = await api.seat("ca")
            givers = [await api.seat("ca") for _ in range(12)]
            meeting = await api.meeting("ca", "Conseil d'administration extraordinaire")
            await api.sign_in(meeting, holder)
            answers = await asyncio.gather(*(api.proxy(meeting, g, holder) for g in givers))
            read = await api.client.get(f"{MEETINGS}/{meeting}", headers=api.staff)
            async with api.members.engine.connect() as connection:
                stored = (
                    await connection.execute(select(func.count()).select_from(meeting_proxies))
                ).scalar_one()

        assert sorted(answer.status_code for answer in answers) == [200] + [409] * 11
        assert stored == 1
        assert read.json()["quorum"]["total"]["represented"] == 1
