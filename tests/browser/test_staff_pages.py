"""What staff do in the back office in a browser: sign in with their API token, create and
publish an event, check a registrant in; and an axe scan of the main staff pages, signed in."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from services.gateway.store import Role, StaffStore
from services.platform import Platform
from services.runtime.db import create_engine
from tests.browser.conftest import Visit, axe_violations, mailed_link
from tests.support.factories import unique_email

STAFF_PAGES = {
    "/equipe",
    "/equipe/evenements",
    "/equipe/evenements/nouveau",
    "/equipe/evenements/{event_id}",
    "/equipe/evenements/{event_id}/inscrits",
    # downloads, not pages
    "/equipe/evenements/{event_id}/presences.csv",
    "/equipe/evenements/{event_id}/emargement.pdf",
    "/equipe/evenements/{event_id}/attestations.pdf",
    "/equipe/rapport",
    "/equipe/rapport.csv",
    "/equipe/personnes",
    "/equipe/personnes/export.csv",
    "/equipe/personnes/export.xlsx",
    "/equipe/lettres",
    "/equipe/lettres/{letter}/nouveau",
    "/equipe/numeros/{issue_id}",
    "/equipe/numeros/{issue_id}/apercu.html",  # the mail itself, as mail clients get it
    "/equipe/numeros/{issue_id}/envoi",  # scanned in test_staff_sending.py
    "/equipe/envois/{send_id}/progression",  # JSON for the send page's script, not a page
}
"""Staff routes test_accessibility.py leaves to this file (they need a staff session)."""


def staff_token(platform: Platform, role: Role = Role.STAFF, partner: str | None = None) -> str:
    """A staff account in the platform's gateway database, as `reso staff add` makes it."""

    async def add() -> str:
        engine = create_engine(f"sqlite+aiosqlite:///{platform.var / 'gateway.db'}")
        try:
            return await StaffStore(engine).add(unique_email(role.value), role, partner)
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as thread:  # Playwright's loop runs in this one
        return thread.submit(asyncio.run, add()).result()


def sign_in(visit: Visit, token: str) -> None:
    visit.page.goto("/equipe/connexion")
    visit.shot("sign-in")
    visit.page.get_by_label("Jeton d'accès").fill(token)
    visit.page.get_by_role("button", name="Me connecter").click()


def create_event(visit: Visit, title: str) -> None:
    page = visit.page
    page.get_by_role("link", name="Nouvel évènement").click()
    page.get_by_label("Titre", exact=True).fill(title)
    page.get_by_label("Type", exact=True).select_option("workshop")
    page.get_by_role("radio", name="Sur place").check()
    page.get_by_label("Culture").check()
    page.get_by_label("Début", exact=True).fill("2027-09-14T14:00")
    page.get_by_label("Fin", exact=True).fill("2027-09-14T17:00")
    page.get_by_label("Nom du lieu").fill("Maison de quartier du Blosne")
    page.get_by_label("Ville", exact=True).fill("Rennes")
    page.get_by_label("Places sur place (vide : sans limite)").fill("20")
    visit.shot("event-form")
    # by the keyboard: a click right after a full-page screenshot of this long form may miss
    page.get_by_role("button", name="Enregistrer").press("Enter")


def test_staff_sign_in_create_and_publish_an_event_and_check_a_registrant_in(
    platform: Platform, visit: Visit
) -> None:
    page = visit.page
    sign_in(visit, staff_token(platform))
    visit.shot("events")
    assert page.get_by_role("heading", level=1).inner_text() == "Évènements"
    [cookie] = [c for c in visit.context.cookies() if c["name"] == "reso_staff"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/equipe"

    create_event(visit, "Atelier mémoire des quartiers")
    visit.shot("draft")
    assert "brouillon" in page.get_by_role("status").inner_text()
    page.get_by_role("button", name="Publier sur l'agenda").click()
    visit.shot("published")
    assert "publiée" in page.get_by_role("status").inner_text()

    event_id = page.url.rstrip("/").rsplit("/", 1)[1]
    registered = httpx.post(
        f"{platform.gateway_url}/api/v1/events/{event_id}/registrations",
        json={"email": unique_email("inscrite"), "first_name": "Zoé", "last_name": "Martin"},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text

    page.get_by_role("link", name="Inscrits, liste d'attente et émargement").click()
    visit.shot("registrants")
    row = page.get_by_role("row", name="Martin Zoé")
    row.get_by_role("button", name="Marquer présent·e").click()
    visit.shot("checked-in")
    assert "Présent·e (" in page.get_by_role("row", name="Martin Zoé").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Feuille d'émargement (PDF)").click()
    assert download.value.suggested_filename.startswith("emargement-")

    page.get_by_role("button", name="Me déconnecter").click()
    visit.shot("signed-out")
    assert page.get_by_role("button", name="Me connecter").is_visible()
    assert visit.csp_violations() == []


def compose_issue(visit: Visit, subject: str) -> None:
    page = visit.page
    page.get_by_role("link", name="Lettres d'information").click()
    visit.shot("letters")
    page.get_by_role("link", name="Composer un numéro de").first.click()
    page.get_by_label("Objet du message").fill(subject)
    page.get_by_label("Titre de l'éditorial").fill("Édito")
    page.get_by_label("Texte (Markdown)").fill("Bonne **lecture** à toutes et à tous.")
    page.get_by_label("Prochains rendez-vous de l'agenda").check()
    page.get_by_label("Publication 1 : titre").fill("Grand Angle n° 12")
    page.get_by_label("Publication 1 : adresse (https://…)").fill(
        "https://crpv.example.org/grand-angle/12"
    )
    visit.shot("compose")
    page.get_by_role("button", name="Enregistrer le numéro").press("Enter")


def test_staff_compose_an_issue_and_send_a_test(platform: Platform, visit: Visit) -> None:
    page = visit.page
    tester = unique_email("relecture")
    sign_in(visit, staff_token(platform))
    compose_issue(visit, "Le numéro de décembre")
    visit.shot("issue")
    assert "brouillon" in page.get_by_role("status").inner_text()
    assert "Bonne lecture à toutes et à tous." in page.locator("pre").inner_text()

    page.get_by_label("Adresses de test").fill(tester)
    page.get_by_role("button", name="Envoyer un test").click()
    visit.shot("test-sent")

    assert "Envoi de test parti vers 1 adresse(s)." in page.get_by_role("status").inner_text()
    assert mailed_link(platform.mail_dir, tester, "/lettres/")
    assert visit.csp_violations() == []


def test_a_data_partner_is_refused_the_back_office_in_french(
    platform: Platform, visit: Visit
) -> None:
    sign_in(visit, staff_token(platform, Role.DATA, partner="Nantes Métropole"))
    visit.shot("refused")

    assert visit.page.get_by_role("heading", level=1).inner_text() == "Accès refusé"


def test_the_main_staff_pages_have_no_serious_or_critical_violation(
    platform: Platform, axe_visit: Visit
) -> None:
    sign_in(axe_visit, staff_token(platform))
    create_event(axe_visit, "Journée accessible")
    event_url = axe_visit.page.url
    compose_issue(axe_visit, "Numéro accessible")
    issue_url = axe_visit.page.url
    found: dict[str, Any] = {}
    for url in (
        "/equipe/evenements",
        "/equipe/evenements/nouveau",
        event_url,
        f"{event_url}/inscrits",
        "/equipe/lettres",
        issue_url,
        "/equipe/rapport?du=2027-01-01&au=2027-12-31",
        "/equipe/personnes",
    ):
        axe_visit.page.goto(url)
        axe_visit.shot(url.rsplit("/", 1)[1])
        violations = axe_violations(axe_visit.page)
        if violations:
            found[url] = violations

    assert not found, found
