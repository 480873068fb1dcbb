"""The agenda and registrations over HTTP through the gateway, with the real events service
(both lanes): public routes, signed links, calendar files, and staff routes."""

from __future__ import annotations

import uuid

import icalendar

from services.events.app import build_app as build_events
from services.gateway.auth import SESSION_COOKIE
from services.gateway.store import PersonSessions, Role, StaffStore
from tests.support.events import Clock, events_settings
from tests.support.factories import unique_email
from tests.support.services import gateway, running

WEBINAR = {
    "title": "Webinaire participation citoyenne",
    "type": "webinar",
    "format": "online",
    "themes": ["participation-citoyenne"],
    "starts_at": "2027-03-15T10:00:00",
    "ends_at": "2027-03-15T12:00:00",
    "video_link": "https://visio.example.org/salle-42",
    "capacity_online": 1,
}


def token_of(url: str) -> str:
    return url.split("jeton=", 1)[1]


class TestEventsOverHttp:
    async def test_staff_publish_the_public_registers_and_only_a_confirmed_registrant_sees_the_link(
        self, database, nats_server
    ):
        events = build_events(events_settings(database("events"), nats_server.url), clock=Clock())
        async with running(events), gateway(database("gateway"), nats_server.url) as client:
            store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
            staff = {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}

            anonymous = await client.post("/api/v1/events", json=WEBINAR)
            created = await client.post("/api/v1/events", json=WEBINAR, headers=staff)
            event_id = created.json()["event_id"]
            hidden = await client.get(f"/api/v1/events/{event_id}")
            await client.post(f"/api/v1/events/{event_id}/publish", headers=staff)
            public = await client.get(f"/api/v1/events/{event_id}")
            listed = await client.get("/api/v1/events", params={"theme": "participation-citoyenne"})
            other_theme = await client.get("/api/v1/events", params={"theme": "sante"})
            later = await client.get("/api/v1/events", params={"from": "2027-04-01T00:00:00Z"})
            in_march = await client.get(
                "/api/v1/events",
                params={"from": "2027-03-01T00:00:00+01:00", "to": "2027-04-01T00:00:00+02:00"},
            )
            elsewhere = await client.get("/api/v1/events", params={"department": "35"})

            person = {"first_name": "Awa", "last_name": "Diallo"}
            first = await client.post(
                f"/api/v1/events/{event_id}/registrations",
                json={**person, "email": unique_email("awa")},
            )
            second = await client.post(
                f"/api/v1/events/{event_id}/registrations",
                json={**person, "email": unique_email("awa")},
            )
            no_address = await client.post(f"/api/v1/events/{event_id}/registrations", json=person)
            mine = await client.get(
                f"/api/v1/registrations/{token_of(second.json()['manage_url'])}"
            )
            forged = await client.get("/api/v1/registrations/abc.def")
            anonymous_list = await client.get(f"/api/v1/events/{event_id}/registrants")
            cancelled = await client.post(
                f"/api/v1/registrations/{token_of(first.json()['manage_url'])}/cancel"
            )
            promoted = await client.get(
                f"/api/v1/registrations/{token_of(second.json()['manage_url'])}"
            )
            registrants = await client.get(f"/api/v1/events/{event_id}/registrants", headers=staff)
            ics = await client.get(f"/api/v1/events/{event_id}.ics")
            feed = await client.get("/api/v1/agenda.ics", params={"theme": "sante"})
            cancel = await client.post(
                f"/api/v1/events/{event_id}/cancel", json={"reason": "Report"}, headers=staff
            )
            cancelled_ics = await client.get(f"/api/v1/events/{event_id}.ics")

        assert anonymous.status_code == 401
        assert created.status_code == 201
        assert created.json()["video_link"] == "https://visio.example.org/salle-42"
        assert hidden.status_code == 404
        assert public.status_code == 200 and public.json()["video_link"] is None
        assert public.json()["starts_at"] == "2027-03-15T10:00:00+01:00"
        assert [e["event_id"] for e in listed.json()["events"]] == [event_id]
        assert other_theme.json()["events"] == []
        assert later.json()["events"] == []
        assert [e["event_id"] for e in in_march.json()["events"]] == [event_id]
        assert elsewhere.json()["events"] == []
        assert (first.status_code, first.json()["status"]) == (201, "confirmed")
        assert first.json()["video_link"] == "https://visio.example.org/salle-42"
        assert (second.json()["status"], second.json()["position"]) == ("waitlisted", 1)
        assert no_address.status_code == 422
        assert mine.json()["video_link"] is None
        assert forged.status_code == 422
        assert anonymous_list.status_code == 401
        assert cancelled.json()["status"] == "cancelled"
        assert promoted.json()["status"] == "confirmed"
        assert promoted.json()["video_link"] == "https://visio.example.org/salle-42"
        assert [r["status"] for r in registrants.json()["registrations"]] == [
            "confirmed",
            "cancelled",
        ]
        assert ics.headers["content-type"].startswith("text/calendar")
        calendar = icalendar.Calendar.from_ical(ics.text)
        assert calendar["METHOD"] == "REQUEST"
        assert "visio.example.org" not in ics.text
        assert icalendar.Calendar.from_ical(feed.text).events == []
        assert cancel.json()["status"] == "cancelled"
        assert icalendar.Calendar.from_ical(cancelled_ics.text)["METHOD"] == "CANCEL"

    async def test_a_signed_in_person_registers_as_themself_and_a_member_only_event_refuses_a_guest(
        self, database, nats_server
    ):
        events = build_events(events_settings(database("events"), nats_server.url), clock=Clock())
        async with running(events), gateway(database("gateway"), nats_server.url) as client:
            store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
            staff = {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}
            sessions: PersonSessions = client.app.state.person_sessions  # type: ignore[attr-defined]
            person_id = uuid.uuid4()
            session = await sessions.open(person_id)

            open_event = (await client.post("/api/v1/events", json=WEBINAR, headers=staff)).json()
            members = (
                await client.post(
                    "/api/v1/events", json={**WEBINAR, "member_only": True}, headers=staff
                )
            ).json()
            for event in (open_event, members):
                await client.post(f"/api/v1/events/{event['event_id']}/publish", headers=staff)
            form = {"first_name": "Lou", "last_name": "Le Gall", "email": unique_email("lou")}
            client.cookies.set(SESSION_COOKIE, session.token)
            mine = await client.post(
                f"/api/v1/events/{open_event['event_id']}/registrations", json=form
            )
            client.cookies.clear()
            guest = await client.post(
                f"/api/v1/events/{members['event_id']}/registrations", json=form
            )
            added = await client.post(
                f"/api/v1/events/{members['event_id']}/registrants", json=form, headers=staff
            )

        assert mine.status_code == 201 and mine.json()["person_id"] == str(person_id)
        assert guest.status_code == 403
        assert "réservé aux adhérents" in guest.json()["error"]["message"]
        assert added.status_code == 201 and added.json()["status"] == "confirmed"
