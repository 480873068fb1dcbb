"""The public pages of the site over the gateway, with the real events service (both lanes):
home, agenda and its filters, the event page and its registration form (honest waiting-list
wording, errors next to their fields, CSRF enforced), and the pages of the mailed links."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html import unescape
from typing import Any

import httpx
import pytest

from services.events.app import build_app as build_events
from services.gateway.store import Role, StaffStore
from tests.support.events import Clock, events_settings
from tests.support.factories import unique_email
from tests.support.services import gateway, running

WEBINAR: dict[str, Any] = {
    "title": "Webinaire participation citoyenne",
    "summary": "Les conseils citoyens, dix ans après.",
    "type": "webinar",
    "format": "online",
    "themes": ["participation-citoyenne"],
    "starts_at": "2027-03-15T10:00:00",
    "ends_at": "2027-03-15T12:00:00",
    "video_link": "https://visio.example.org/salle-42",
    "capacity_online": 1,
}
WORKSHOP: dict[str, Any] = {
    "title": "Atelier santé à Rennes",
    "type": "workshop",
    "format": "hybrid",
    "themes": ["sante"],
    "starts_at": "2027-06-10T14:00:00",
    "ends_at": "2027-06-10T17:00:00",
    "venue": {"name": "Maison de quartier du Blosne", "city": "Rennes", "commune": "35238"},
    "video_link": "https://visio.example.org/atelier",
}


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def token_of(url: str) -> str:
    return url.split("jeton=", 1)[1]


@pytest.fixture
async def site(database, nats_server) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """A browser-like client (sends only what a browser sends) and the API client of staff."""
    events = build_events(events_settings(database("events"), nats_server.url), clock=Clock())
    async with running(events), gateway(database("gateway"), nats_server.url) as api:
        store: StaffStore = api.app.state.staff  # type: ignore[attr-defined]
        api.staff = {  # type: ignore[attr-defined]
            "Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"
        }
        transport = httpx.ASGITransport(app=api.app)  # type: ignore[attr-defined]
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as browser:
            yield browser, api


async def published(api: Any, details: dict[str, Any]) -> str:
    created = await api.post("/api/v1/events", json=details, headers=api.staff)
    assert created.status_code == 201, created.text
    event_id = str(created.json()["event_id"])
    await api.post(f"/api/v1/events/{event_id}/publish", headers=api.staff)
    return event_id


async def register(browser: httpx.AsyncClient, event_id: str, **form: str) -> httpx.Response:
    page = await browser.get(f"/agenda/{event_id}")
    return await browser.post(
        f"/agenda/{event_id}", data={"csrf_token": csrf_of(page.text), **form}
    )


class TestAgendaPages:
    async def test_home_and_agenda_list_coming_events_and_filters_narrow_them(self, site):
        browser, api = site
        webinar = await published(api, WEBINAR)
        workshop = await published(api, WORKSHOP)

        home = await browser.get("/")
        everything = await browser.get("/agenda")
        health = await browser.get("/agenda", params={"theme": "sante"})
        online = await browser.get("/agenda", params={"format": "online"})
        in_35 = await browser.get("/agenda", params={"department": "35"})
        nonsense = await browser.get("/agenda", params={"theme": "astrologie", "department": "!!"})

        assert home.status_code == 200
        assert (
            f'href="/agenda/{webinar}"' in home.text and f'href="/agenda/{workshop}"' in home.text
        )
        assert "Prochaines rencontres" in home.text
        assert f"/agenda/{webinar}" in everything.text and f"/agenda/{workshop}" in everything.text
        assert "lundi 15 mars 2027, de 10\u00a0h\u00a000 à 12\u00a0h\u00a000" in everything.text
        assert f"/agenda/{workshop}" in health.text and f"/agenda/{webinar}" not in health.text
        assert 'href="/api/v1/agenda.ics?theme=sante"' in health.text
        assert f"/agenda/{webinar}" in online.text and f"/agenda/{workshop}" not in online.text
        assert f"/agenda/{workshop}" in in_35.text and f"/agenda/{webinar}" not in in_35.text
        assert nonsense.status_code == 422
        assert 'aria-describedby="theme-erreur"' in nonsense.text
        assert 'id="department-erreur"' in nonsense.text

    async def test_the_event_page_shows_paris_times_and_an_unknown_event_is_a_french_404(
        self, site
    ):
        browser, api = site
        workshop = await published(api, WORKSHOP)

        page = await browser.get(f"/agenda/{workshop}")
        unknown = await browser.get("/agenda/00000000-0000-4000-8000-000000000000")
        garbage = await browser.get("/agenda/pas-un-identifiant")

        assert page.status_code == 200
        assert "jeudi 10 juin 2027, de 14\u00a0h\u00a000 à 17\u00a0h\u00a000" in page.text
        assert "Maison de quartier du Blosne" in page.text
        assert "visio.example.org" not in page.text  # only confirmed registrants see the link
        assert 'name="mode"' in page.text  # hybrid: the form asks how one attends
        assert unknown.status_code == 404 and "introuvable" in unknown.text
        assert garbage.status_code == 404


class TestRegistrationByPage:
    async def test_first_is_confirmed_second_waits_with_its_position_and_the_rule(self, site):
        browser, api = site
        webinar = await published(api, WEBINAR)

        first = await register(
            browser, webinar, email=unique_email("awa"), first_name="Awa", last_name="Diallo"
        )
        second = await register(
            browser, webinar, email=unique_email("leo"), first_name="Léo", last_name="Martin"
        )

        assert first.status_code == 200
        assert "Votre inscription est confirmée" in first.text
        assert "visio.example.org/salle-42" in first.text
        assert second.status_code == 200
        assert (
            "L'événement est complet : vous êtes sur liste d'attente, en position 1" in second.text
        )
        assert "la première personne en attente est inscrite d'office" in unescape(second.text)

    async def test_errors_are_shown_next_to_their_fields_and_nothing_is_registered(self, site):
        browser, api = site
        workshop = await published(api, WORKSHOP)

        refused = await register(browser, workshop, email="pas-une-adresse", first_name="Awa")
        registrants = await api.get(f"/api/v1/events/{workshop}/registrants", headers=api.staff)

        assert refused.status_code == 422
        assert 'aria-describedby="email-erreur"' in refused.text
        assert '<p id="email-erreur" class="field-error">Adresse e-mail invalide' in refused.text
        assert 'id="last_name-erreur"' in refused.text
        assert 'id="mode-erreur"' in refused.text
        assert 'value="Awa"' in refused.text  # what was typed stays
        assert registrants.json()["registrations"] == []

    async def test_a_form_without_the_csrf_token_registers_no_one(self, site):
        browser, api = site
        webinar = await published(api, WEBINAR)

        forged = await browser.post(
            f"/agenda/{webinar}",
            data={"email": unique_email(), "first_name": "A", "last_name": "B"},
        )
        registrants = await api.get(f"/api/v1/events/{webinar}/registrants", headers=api.staff)

        assert forged.status_code == 403
        assert registrants.json()["registrations"] == []

    async def test_a_member_only_event_explains_who_may_register_and_refuses_a_guest(self, site):
        browser, api = site
        members = await published(api, {**WEBINAR, "member_only": True})

        page = await browser.get(f"/agenda/{members}")
        refused = await register(
            browser, members, email=unique_email(), first_name="Awa", last_name="Diallo"
        )

        assert "Rencontre réservée aux adhérents" in page.text
        assert refused.status_code == 422
        assert 'class="error" role="alert"' in refused.text
        assert "Votre inscription est confirmée" not in refused.text


class TestRegistrationLinks:
    async def test_the_link_shows_the_registration_a_get_never_cancels_the_button_does(self, site):
        browser, api = site
        webinar = await published(api, WEBINAR)
        awa = await api.post(
            f"/api/v1/events/{webinar}/registrations",
            json={"email": unique_email(), "first_name": "Awa", "last_name": "Diallo"},
        )
        leo = await api.post(
            f"/api/v1/events/{webinar}/registrations",
            json={"email": unique_email(), "first_name": "Léo", "last_name": "Martin"},
        )
        manage = token_of(awa.json()["manage_url"])

        seen = await browser.get("/inscription", params={"jeton": manage})
        seen_again = await browser.get("/inscription", params={"jeton": manage})
        forged = await browser.post("/inscription", data={"jeton": manage})
        cancelled = await browser.post(
            "/inscription", data={"jeton": manage, "csrf_token": csrf_of(seen.text)}
        )
        promoted = await browser.get(
            "/inscription", params={"jeton": token_of(leo.json()["manage_url"])}
        )
        bad = await browser.get("/inscription", params={"jeton": "abc.def"})
        empty = await browser.get("/inscription")

        assert "Votre inscription est confirmée" in seen.text
        assert "Annuler mon inscription" in seen_again.text  # still there after two visits
        assert forged.status_code == 403
        assert cancelled.status_code == 200 and "est annulée" in cancelled.text
        assert "Votre inscription est confirmée" in promoted.text
        assert bad.status_code == 422 and "pas valide" in bad.text
        assert empty.status_code == 422 and "incomplet" in empty.text

    async def test_a_confirmed_seat_is_offered_nothing_and_a_manage_link_cannot_accept(self, site):
        browser, api = site
        webinar = await published(api, WEBINAR)
        awa = await api.post(
            f"/api/v1/events/{webinar}/registrations",
            json={"email": unique_email(), "first_name": "Awa", "last_name": "Diallo"},
        )
        manage = token_of(awa.json()["manage_url"])

        page = await browser.get("/inscription/accepter", params={"jeton": manage})
        form = await browser.get(f"/agenda/{webinar}")
        accept = await browser.post(
            "/inscription/accepter", data={"jeton": manage, "csrf_token": csrf_of(form.text)}
        )

        assert "Votre inscription est déjà confirmée" in page.text
        assert "Accepter la place</button>" not in page.text
        assert accept.status_code == 422 and "pas valide" in accept.text


class TestOfferedSeat:
    async def test_a_freed_seat_is_offered_and_taken_with_the_button_of_the_accept_page(self, site):
        browser, api = site
        event_id = await published(api, {**WEBINAR, "hold_minutes": 120})
        person = {"first_name": "Awa", "last_name": "Diallo"}
        first = await api.post(
            f"/api/v1/events/{event_id}/registrations", json={**person, "email": unique_email()}
        )
        second = await api.post(
            f"/api/v1/events/{event_id}/registrations", json={**person, "email": unique_email()}
        )
        waiting = await browser.get(
            "/inscription", params={"jeton": token_of(second.json()["manage_url"])}
        )
        await api.post(f"/api/v1/registrations/{token_of(first.json()['manage_url'])}/cancel")
        offered = await api.get(f"/api/v1/registrations/{token_of(second.json()['manage_url'])}")
        accept = token_of(offered.json()["accept_url"])

        page = await browser.get("/inscription/accepter", params={"jeton": accept})
        still_offered = await api.get(
            f"/api/v1/registrations/{token_of(second.json()['manage_url'])}"
        )
        taken = await browser.post(
            "/inscription/accepter", data={"jeton": accept, "csrf_token": csrf_of(page.text)}
        )

        assert "qui a 2 heures pour l'accepter" in unescape(waiting.text)
        assert offered.json()["status"] == "offered"
        assert "Accepter la place</button>" in page.text
        assert still_offered.json()["status"] == "offered"  # a GET takes nothing
        assert taken.status_code == 200 and "Votre inscription est confirmée" in taken.text
