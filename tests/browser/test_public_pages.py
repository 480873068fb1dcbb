"""The public pages in a browser: a person registers to an event through its page and gets the
confirmation mail with its calendar file; subscribes to a letter through ``/lettres`` and
confirms by the mailed link. Screenshots of each step go to ``var/screenshots/``."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import icalendar
from sqlalchemy.ext.asyncio import AsyncEngine

from services.gateway.store import PersonSessions, Role, StaffStore
from services.platform import Platform
from services.runtime.db import create_engine
from tests.browser.conftest import Visit, axe_violations, mailed_link
from tests.support.factories import unique_email
from tests.support.mail import read_mails

EVENT: dict[str, Any] = {
    "title": "Webinaire : les conseils citoyens dix ans après",
    "summary": "Retours d'expérience de trois territoires.",
    "type": "webinar",
    "format": "online",
    "themes": ["participation-citoyenne"],
    "starts_at": "2030-03-15T10:00:00",
    "ends_at": "2030-03-15T12:00:00",
    "video_link": "https://visio.example.org/salle-42",
    "capacity_online": 50,
}
CALL: dict[str, Any] = {
    "title": "Labo Quartiers en Transitions",
    "description": "Le centre accompagne de 2 à 4 territoires en transition.",
    "eligible_kinds": ["epci"],
    "sections": [{"key": "motivation", "label": "Motivation", "max_chars": 1000}],
    "places": 2,
    "deadline": "2030-03-28T12:00:00",
    "reference_prefix": "LQT",
}


def _in_gateway_db(work: Callable[[AsyncEngine], Awaitable[str]], platform: Platform) -> str:
    """Run ``work`` on the platform's gateway database, in a thread of its own: Playwright's
    sync API runs an event loop in this one."""

    async def run() -> str:
        engine = create_engine(f"sqlite+aiosqlite:///{platform.var / 'gateway.db'}")
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, run()).result()


def staff_headers(platform: Platform) -> dict[str, str]:
    """A staff account added to the platform's gateway database, as ``reso staff add`` does."""

    async def add(engine: AsyncEngine) -> str:
        return await StaffStore(engine).add(unique_email("equipe"), Role.STAFF)

    return {"Authorization": f"Bearer {_in_gateway_db(add, platform)}"}


def signed_in_applicant(platform: Platform) -> tuple[str, str]:
    """A person tied to an EPCI, and a session of theirs: (organisation name, session token)."""
    base, staff = platform.gateway_url, staff_headers(platform)
    name = f"Communauté d'agglomération {uuid.uuid4().hex[:4]}"
    organisation = httpx.post(
        f"{base}/api/v1/organisations", json={"kind": "epci", "name": name}, headers=staff
    )
    assert organisation.status_code == 201, organisation.text
    person = httpx.post(
        f"{base}/api/v1/people",
        json={"first_name": "Léa", "last_name": "Martin", "email": unique_email("lea")},
        headers=staff,
    )
    assert person.status_code == 201, person.text
    person_id = person.json()["person_id"]
    tie = httpx.post(
        f"{base}/api/v1/people/{person_id}/affiliations",
        json={
            "organisation_id": organisation.json()["id"],
            "role": "Cheffe de projet politique de la ville",
            "start": "2026-01-01",
        },
        headers=staff,
    )
    assert tie.status_code == 201, tie.text

    async def open_session(engine: AsyncEngine) -> str:
        sessions = PersonSessions(engine, timedelta(hours=1))
        return (await sessions.open(uuid.UUID(person_id))).token

    return name, _in_gateway_db(open_session, platform)


def published_event(platform: Platform, **changes: Any) -> str:
    base, staff = platform.gateway_url, staff_headers(platform)
    created = httpx.post(f"{base}/api/v1/events", json={**EVENT, **changes}, headers=staff)
    assert created.status_code == 201, created.text
    event_id = str(created.json()["event_id"])
    published = httpx.post(f"{base}/api/v1/events/{event_id}/publish", headers=staff)
    assert published.status_code == 200, published.text
    return event_id


def opened_call(platform: Platform) -> str:
    base, staff = platform.gateway_url, staff_headers(platform)
    body = {**CALL, "reference_prefix": f"LQT{uuid.uuid4().hex[:4].upper()}"}
    created = httpx.post(f"{base}/api/v1/staff/calls", json=body, headers=staff)
    assert created.status_code == 201, created.text
    call_id = str(created.json()["call_id"])
    assert httpx.post(f"{base}/api/v1/staff/calls/{call_id}/open", headers=staff).status_code == 200
    return call_id


def public_samples(platform: Platform) -> dict[str, str]:
    """Sample ids and links for the accessibility scan of the public pages."""
    event_id = published_event(platform, capacity_online=1)
    base = platform.gateway_url
    first = httpx.post(
        f"{base}/api/v1/events/{event_id}/registrations",
        json={"email": unique_email("a11y"), "first_name": "Awa", "last_name": "Diallo"},
    )
    waiting = httpx.post(
        f"{base}/api/v1/events/{event_id}/registrations",
        json={"email": unique_email("a11y"), "first_name": "Léo", "last_name": "Martin"},
    )
    return {
        "event": event_id,
        "manage": str(first.json()["manage_url"]).split("/inscription", 1)[1],
        "waiting": str(waiting.json()["manage_url"]).split("/inscription", 1)[1],
        "call": opened_call(platform),
    }


def calendar_mail(platform: Platform, address: str, timeout: float = 30) -> Any:
    """The first mail to ``address`` that carries a calendar file."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in read_mails(platform.mail_dir):
            if address.lower() not in str(message["To"]).lower():
                continue
            for part in message.walk():
                if part.get_content_type() == "text/calendar":
                    return part
        time.sleep(0.1)
    raise AssertionError(f"no mail with a calendar file to {address} after {timeout}s")


def test_a_person_registers_through_the_event_page_and_gets_the_calendar_file_by_mail(
    platform: Platform, visit: Visit
) -> None:
    event_id = published_event(platform)
    address = unique_email("inscrite")
    page = visit.page

    page.goto("/")
    visit.shot("home")
    page.get_by_role("link", name="Tout l'agenda").click()
    page.get_by_label("Thème").select_option(label="Participation citoyenne")
    page.get_by_role("button", name="Filtrer").click()
    visit.shot("agenda-filtered")
    page.locator(f'a[href="/agenda/{event_id}"]').click()
    visit.shot("event")
    page.get_by_role("button", name="M'inscrire").click()
    visit.shot("event-errors")
    assert page.locator("#email-erreur").inner_text() == "Ce champ est obligatoire."
    page.get_by_label("Adresse e-mail").fill(address)
    page.get_by_label("Prénom").fill("Awa")
    page.get_by_label("Nom", exact=True).fill("Diallo")
    page.get_by_role("button", name="M'inscrire").click()
    visit.shot("registered")

    assert page.get_by_role("status").inner_text().startswith("Votre inscription est confirmée")
    part = calendar_mail(platform, address)
    calendar = icalendar.Calendar.from_ical(part.get_content())
    [vevent] = calendar.events
    assert str(vevent["SUMMARY"]) == EVENT["title"]
    assert vevent.decoded("DTSTART").isoformat() == "2030-03-15T10:00:00+01:00"
    assert f"/agenda/{event_id}" in str(vevent["URL"])
    assert visit.csp_violations() == []


def test_a_person_subscribes_through_the_letters_page_and_confirms_by_the_mailed_link(
    platform: Platform, visit: Visit
) -> None:
    address = unique_email("lectrice")
    page = visit.page

    page.goto("/lettres")
    visit.shot("letters")
    page.locator('input[name="lettres"]').first.check()
    page.get_by_label("Adresse e-mail").fill(address)
    page.get_by_role("button", name="M'abonner").click()
    visit.shot("check-your-inbox")
    assert page.get_by_role("heading", level=1).inner_text() == "Vérifiez votre boîte"

    page.goto(mailed_link(platform.mail_dir, address, "/lettres/confirmation"))
    page.get_by_role("button", name="Confirmer mon abonnement").click()
    visit.shot("confirmed")

    assert page.get_by_role("status").inner_text().startswith("Merci, c'est confirmé")
    assert visit.csp_violations() == []


def test_a_signed_in_person_saves_a_draft_then_submits_and_reads_the_reference(
    platform: Platform, axe_visit: Visit
) -> None:
    call_id = opened_call(platform)
    organisation, session = signed_in_applicant(platform)
    axe_visit.context.add_cookies(
        [{"name": "reso_session", "value": session, "url": platform.gateway_url}]
    )
    page = axe_visit.page

    page.goto("/appels")
    axe_visit.shot("calls")
    page.locator(f'a[href="/appels/{call_id}"]').click()
    axe_visit.shot("call-form")
    assert axe_violations(page) == []
    assert page.get_by_label("Structure qui candidate").inner_text().strip() == organisation
    page.get_by_label("Motivation").fill("Engager les habitants dans la transition.")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    axe_visit.shot("draft-saved")
    assert page.get_by_role("status").inner_text().startswith("Votre brouillon est enregistré")
    page.get_by_role("button", name="Déposer ma candidature").click()
    axe_visit.shot("submitted")

    assert "Référence de l'accusé de réception : LQT" in page.get_by_role("status").inner_text()
    assert axe_violations(page) == []
