"""Attendance and the activity report through the gateway and the real events service (both
lanes): staff check-in and its undo, the attendance list and sign-in sheet, certificates, and a
report whose figures reconcile with the records the test made."""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pypdf
from sqlalchemy import select

from contracts.members import (
    AffiliationChangedV1,
    NetworkJoinedV1,
    NetworkLeftV1,
    OrganisationCreatedV1,
    PersonErasedV1,
    PersonUpdatedV1,
    Territory,
)
from services.events.app import build_app as build_events
from services.events.store.schema import member_networks
from services.gateway.store import Role, StaffStore
from tests.support.bus import consumed, publish
from tests.support.events import Clock, events_settings
from tests.support.factories import unique_email
from tests.support.services import gateway, running, stored_files

DAY = {
    "title": "Journée d'étude à Laval",
    "type": "thematic_day",
    "format": "onsite",
    "themes": ["participation-citoyenne"],
    "starts_at": "2027-06-13T09:30:00",
    "ends_at": "2027-06-13T17:00:00",
    "venue": {"name": "Salle du Tertre", "city": "Laval", "commune": "53130"},
    "capacity_onsite": 3,
}


def pdf_text(content: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())  # justified lines space words out


async def staff_headers(client: httpx.AsyncClient) -> dict[str, str]:
    store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}


async def published(client: httpx.AsyncClient, staff: dict[str, str], **fields: Any) -> str:
    created = await client.post("/api/v1/events", json={**DAY, **fields}, headers=staff)
    assert created.status_code == 201, created.text
    event_id: str = created.json()["event_id"]
    await client.post(f"/api/v1/events/{event_id}/publish", headers=staff)
    return event_id


async def add(
    client: httpx.AsyncClient,
    staff: dict[str, str],
    event_id: str,
    first: str,
    last: str,
    **more: Any,
) -> dict[str, Any]:
    body = {"first_name": first, "last_name": last, "email": unique_email("presence"), **more}
    answer = await client.post(f"/api/v1/events/{event_id}/registrants", json=body, headers=staff)
    assert answer.status_code == 201, answer.text
    registration: dict[str, Any] = answer.json()
    return registration


def disposition(answer: httpx.Response) -> str:
    return answer.headers["content-disposition"]


class TestAttendance:
    async def test_staff_check_people_in_and_get_the_list_the_sheet_and_the_certificates(
        self, database, nats_server
    ):
        events = build_events(events_settings(database("events"), nats_server.url), clock=Clock())
        async with running(events), gateway(database("gateway"), nats_server.url) as client:
            staff = await staff_headers(client)
            event_id = await published(client, staff)
            zoe = await add(client, staff, event_id, "Zoé", "Martin")
            elodie = await add(client, staff, event_id, "Élodie", "Ângel")
            bob = await add(client, staff, event_id, "Bob", "Dupont")
            late = await add(client, staff, event_id, "Léa", "Waiting")

            def check_in(registration: dict[str, Any]) -> str:
                return f"/api/v1/registrants/{registration['registration_id']}/check-in"

            anonymous = await client.post(check_in(zoe))
            present = await client.post(check_in(zoe), headers=staff)
            again = await client.post(check_in(zoe), headers=staff)
            await client.post(check_in(elodie), headers=staff)
            await client.post(check_in(bob), headers=staff)
            undone = await client.delete(check_in(bob), headers=staff)
            waiting = await client.post(check_in(late), headers=staff)

            base = f"/api/v1/events/{event_id}/attendance"
            listed = await client.get(f"{base}/sheet.csv", headers=staff)
            sheet = await client.get(f"{base}/sheet.pdf", params={"blank_rows": 5}, headers=staff)
            everyone = await client.get(f"{base}/certificates.pdf", headers=staff)
            one = await client.get(
                f"/api/v1/registrants/{zoe['registration_id']}/certificate.pdf", headers=staff
            )
            absent = await client.get(
                f"/api/v1/registrants/{bob['registration_id']}/certificate.pdf", headers=staff
            )
            anonymous_sheet = await client.get(f"{base}/sheet.csv")
            unknown = await client.get(
                f"/api/v1/events/{uuid.uuid4()}/attendance/sheet.csv", headers=staff
            )
        left_behind = await stored_files(nats_server.url)

        assert anonymous.status_code == 401 and anonymous_sheet.status_code == 401
        assert present.status_code == 200 and present.json()["attended_at"] is not None
        assert again.json()["attended_at"] == present.json()["attended_at"]
        assert undone.json()["attended_at"] is None
        assert late["status"] == "waitlisted"
        assert waiting.status_code == 409
        assert "confirmée" in waiting.json()["error"]["message"]

        assert listed.headers["content-type"] == "text/csv; charset=utf-8"
        assert 'filename="presences-journee-d-etude-a-laval-2027-06-13.csv"' in disposition(listed)
        rows = list(csv.reader(io.StringIO(listed.content.decode("utf-8-sig")), delimiter=";"))
        assert rows[0] == ["Nom", "Prénom", "Structure", "Modalité", "Présent·e"]
        assert [(row[0], row[1], row[4]) for row in rows[1:]] == [
            ("Ângel", "Élodie", "oui"),
            ("Dupont", "Bob", "non"),
            ("Martin", "Zoé", "oui"),
        ]

        assert sheet.headers["content-type"] == "application/pdf"
        assert 'filename="emargement-journee-d-etude-a-laval-2027-06-13.pdf"' in disposition(sheet)
        _, text = pdf_text(sheet.content)
        assert "Feuille d'émargement" in text and "Dupont" in text and "Waiting" not in text

        pages, text = pdf_text(everyone.content)
        assert 'filename="attestations-presence-journee-d-etude-a-laval.pdf"' in disposition(
            everyone
        )
        assert pages == 2 and "Élodie Ângel" in text and "Zoé Martin" in text
        assert "Bob" not in text
        assert 'filename="attestation-presence-martin-zoe.pdf"' in disposition(one)
        pages, text = pdf_text(one.content)
        assert pages == 1 and "atteste que Zoé Martin a participé" in text and "Laval" in text
        assert absent.status_code == 409 and absent.json()["error"]["code"] == "not_attended"
        assert unknown.status_code == 404
        assert left_behind == []  # each file is deleted once sent


class TestActivityReport:
    async def test_the_report_of_a_period_reconciles_with_the_records_made(
        self, database, nats_server
    ):
        envelope = {"producer": "members", "centre": "crpv-test"}
        epci, association = uuid.uuid4(), uuid.uuid4()
        elected, leader = uuid.uuid4(), uuid.uuid4()
        elected_email, leader_email = unique_email("elu"), unique_email("cheffe")
        facts = [
            OrganisationCreatedV1(
                **envelope,
                organisation_id=epci,
                kind="epci",
                name="Laval Agglomération",
                college="elus",
                territory=Territory(department="53", commune="53130", qpvs=()),
            ),
            OrganisationCreatedV1(
                **envelope,
                organisation_id=association,
                kind="association",
                name="Quartiers solidaires",
                college="acteurs_territoriaux",
                territory=Territory(department="35", commune="35238", qpvs=("QN03502M",)),
            ),
            PersonUpdatedV1(
                **envelope,
                person_id=elected,
                first_name="Inès",
                last_name="Roux",
                email=elected_email,
                kind="elected_official",
                college="elus",
                territory=Territory(department="53", commune="53130"),
            ),
            PersonUpdatedV1(
                **envelope,
                person_id=leader,
                first_name="Nina",
                last_name="Perrot",
                email=leader_email,
                kind="project_leader",
                college="acteurs_territoriaux",
                territory=Territory(department="35", commune="35238"),
            ),
            NetworkJoinedV1(**envelope, network_slug="reussite-educative", person_id=leader),
            NetworkJoinedV1(**envelope, network_slug="participation", person_id=leader),
        ]
        for organisation, person in ((epci, elected), (association, leader)):
            facts.append(
                AffiliationChangedV1(
                    **envelope,
                    affiliation_id=uuid.uuid4().int % 1_000_000_000,
                    person_id=person,
                    organisation_id=organisation,
                    start="2026-01-01",
                    end=None,
                    verified=True,
                )
            )
        events = build_events(events_settings(database("events"), nats_server.url), clock=Clock())
        async with running(events), gateway(database("gateway"), nats_server.url) as client:
            for fact in facts:
                await publish(nats_server.url, fact)
            for fact in facts:
                await consumed(nats_server.url, "events", fact.subject)
            staff = await staff_headers(client)

            day = await published(client, staff)  # 13 June, on site, 3 seats, thematic day
            webinar = await published(
                client,
                staff,
                title="Webinaire",
                type="webinar",
                format="online",
                themes=["participation-citoyenne", "education"],
                starts_at="2027-06-20T10:00:00",
                ends_at="2027-06-20T11:00:00",
                venue=None,
                video_link="https://visio.example.org/salle",
                capacity_onsite=None,
                capacity_online=10,
            )
            cancelled = await published(
                client, staff, starts_at="2027-06-25T09:30:00", ends_at="2027-06-25T17:00:00"
            )
            outside = await published(
                client, staff, starts_at="2027-07-02T09:30:00", ends_at="2027-07-02T17:00:00"
            )
            draft = await client.post("/api/v1/events", json=DAY, headers=staff)

            # The day: Inès (EPCI, elected) and Nina (association, QPV, two networks) present;
            # an anonymous guest confirmed and absent; a fourth waiting; a fifth cancelled.
            ines = await add(client, staff, day, "Inès", "Roux", email=elected_email)
            nina = await add(client, staff, day, "Nina", "Perrot", email=leader_email)
            guest = await add(client, staff, day, "Paul", "Invité")
            waiting = await add(client, staff, day, "Léa", "Attente")
            for registration in (ines, nina):
                rid = registration["registration_id"]
                await client.post(f"/api/v1/registrants/{rid}/check-in", headers=staff)
            # The webinar: Nina present, a guest who cancels.
            nina_web = await add(client, staff, webinar, "Nina", "Perrot", email=leader_email)
            await client.post(
                f"/api/v1/registrants/{nina_web['registration_id']}/check-in", headers=staff
            )
            gone = await add(client, staff, webinar, "Marc", "Parti")
            await client.delete(f"/api/v1/registrants/{gone['registration_id']}", headers=staff)
            # The cancelled event had two registrants; the one outside the period, one.
            await add(client, staff, cancelled, "Ana", "Annulé")
            await add(client, staff, cancelled, "Bea", "Annulé")
            await client.post(
                f"/api/v1/events/{cancelled}/cancel", json={"reason": "Grève"}, headers=staff
            )
            await add(client, staff, outside, "Hors", "Période")

            params = {"from": "2027-06-01", "to": "2027-06-30"}
            answer = await client.get("/api/v1/reports/activity", params=params, headers=staff)
            as_csv = await client.get(
                "/api/v1/reports/activity", params={**params, "format": "csv"}, headers=staff
            )
            backwards = await client.get(
                "/api/v1/reports/activity",
                params={"from": "2027-06-30", "to": "2027-06-01"},
                headers=staff,
            )
            anonymous = await client.get("/api/v1/reports/activity", params=params)

        assert draft.status_code == 201 and waiting["status"] == "waitlisted"
        assert guest["status"] == "confirmed" and ines["organisation_id"] == str(epci)
        report = answer.json()
        # Raw records: counted events = the day and the webinar; registrants = confirmed or
        # present = Inès, Nina, Paul (day) + Nina (webinar) = 4; attendees = 3.
        assert report["events"]["total"] == 2
        assert report["events"]["cancelled"] == 1
        assert report["events"]["by_type"] == {
            "thematic_day": {"events": 1, "registrants": 3, "attendees": 2},
            "webinar": {"events": 1, "registrants": 1, "attendees": 1},
        }
        assert report["events"]["by_theme"]["participation-citoyenne"] == {
            "events": 2,
            "registrants": 4,
            "attendees": 3,
        }
        assert report["events"]["by_theme"]["education"]["registrants"] == 1
        assert report["registrations"] == {
            "registrants": 4,
            "attendees": 3,
            "waitlisted": 1,
            "cancelled": 1,
            "to_cancelled_events": 2,
        }
        breakdowns = report["breakdowns"]
        assert breakdowns["organisation_kind"] == {
            "association": {"registrants": 2, "attendees": 2},
            "epci": {"registrants": 1, "attendees": 1},
            "unknown": {"registrants": 1, "attendees": 0},
        }
        assert breakdowns["college"] == {
            "acteurs_territoriaux": {"registrants": 2, "attendees": 2},
            "elus": {"registrants": 1, "attendees": 1},
            "unknown": {"registrants": 1, "attendees": 0},
        }
        assert breakdowns["department"] == {
            "35": {"registrants": 2, "attendees": 2},
            "53": {"registrants": 1, "attendees": 1},
            "unknown": {"registrants": 1, "attendees": 0},
        }
        assert breakdowns["network"] == {
            "participation": {"registrants": 2, "attendees": 2},
            "reussite-educative": {"registrants": 2, "attendees": 2},
            "none": {"registrants": 2, "attendees": 1},
        }
        # Nina's organisation works in a QPV; Inès's record says where she works, no QPV;
        # nothing is known of the guest.
        assert breakdowns["qpv"] == {
            "yes": {"registrants": 2, "attendees": 2},
            "no": {"registrants": 1, "attendees": 1},
            "unknown": {"registrants": 1, "attendees": 0},
        }
        for figures in ("organisation_kind", "college", "department", "qpv"):
            total = Counter[str]()
            for value in breakdowns[figures].values():
                total.update(value)
            assert total == {"registrants": 4, "attendees": 3}
        assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
        assert 'filename="rapport-activite-2027-06-01-2027-06-30.csv"' in disposition(as_csv)
        assert as_csv.content.startswith(b"\xef\xbb\xbf")
        lines = as_csv.content.decode("utf-8-sig").splitlines()
        assert lines[0].startswith("Rubrique;")
        assert backwards.status_code == 422
        assert anonymous.status_code == 401


class TestNetworkMembershipsForTheReport:
    async def test_the_networks_a_person_joins_and_leaves_are_kept_until_they_are_erased(
        self, database, nats_server
    ):
        envelope = {"producer": "members", "centre": "crpv-test"}
        person = uuid.uuid4()
        facts = [
            NetworkJoinedV1(**envelope, network_slug="sante", person_id=person),
            NetworkJoinedV1(**envelope, network_slug="education", person_id=person),
            NetworkJoinedV1(**envelope, network_slug="habitat", person_id=person),
        ]
        # The leave comes on another subject, and is published first: it still wins.
        facts.insert(
            0,
            NetworkLeftV1(
                **envelope,
                network_slug="habitat",
                person_id=person,
                occurred_at=facts[2].occurred_at + timedelta(seconds=1),
            ),
        )
        events = build_events(events_settings(database("events"), nats_server.url), clock=Clock())
        async with running(events):
            for fact in facts:
                await publish(nats_server.url, fact)
            # A redelivered join changes nothing.
            await publish(nats_server.url, facts[0], msg_id=f"again-{facts[0].event_id}")
            for subject in {fact.subject for fact in facts}:
                await consumed(nats_server.url, "events", subject)
            kept = await _networks_of(events, person)
            erased = PersonErasedV1(**envelope, person_id=person, by="rgpd@crpv-test.example.org")
            await publish(nats_server.url, erased)
            await consumed(nats_server.url, "events", erased.subject)
            after = await _networks_of(events, person)

        assert kept == ["education", "sante"]
        assert after == []


async def _networks_of(app: Any, person: uuid.UUID) -> list[str]:
    async with app.engine.connect() as connection:
        rows = await connection.execute(
            select(member_networks.c.network_slug).where(
                member_networks.c.person_id == str(person), member_networks.c.member.is_(True)
            )
        )
        return sorted(row[0] for row in rows)
