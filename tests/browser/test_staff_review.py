"""Staff review in a browser: read an application to a call, score it, close the call, decide
and publish (the applicant gets the decision's mail); import organisations from a CSV file
after reading the dry-run report. Each page is scanned by axe-core on the way."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from services.gateway.store import PersonSessions
from services.platform import Platform
from tests.browser.conftest import Visit, axe_violations
from tests.browser.test_public_pages import _in_gateway_db, published_event, staff_headers
from tests.browser.test_staff_pages import sign_in, staff_token
from tests.support.factories import unique_email
from tests.support.mail import mails_when

REVIEW_PAGES = {
    "/equipe/appels",
    "/equipe/appels/{call_id}",
    "/equipe/candidatures/{application_id}",
    "/equipe/organisations",
    "/equipe/organisations/{organisation_id}",
    "/equipe/organisations/export.csv",  # a download, not a page
    "/equipe/organisations/import",
    "/equipe/personnes/import",
}
"""Staff routes test_accessibility.py leaves to this file (they need a staff session)."""

CALL = {
    "title": "Labo Quartiers en Transitions",
    "description": "Le centre accompagne deux territoires en transition.",
    "eligible_kinds": ["epci"],
    "sections": [
        {"key": "territoire", "label": "Présentation du territoire", "max_chars": 2000},
        {"key": "motivation", "label": "Motivation", "max_chars": 1000},
    ],
    "criteria": [
        {"key": "pertinence", "label": "Pertinence", "weight": 2, "max_score": 5},
        {"key": "partenariat", "label": "Partenariat", "weight": 1, "max_score": 10},
    ],
    "places": 2,
    "deadline": "2030-03-28T12:00:00",
}


def submitted_application(platform: Platform, call_id: str, name: str) -> str:
    """An EPCI named ``name`` applies to the call through the API; its applicant's address."""
    base, staff = platform.gateway_url, staff_headers(platform)
    organisation = httpx.post(
        f"{base}/api/v1/organisations", json={"kind": "epci", "name": name}, headers=staff
    )
    assert organisation.status_code == 201, organisation.text
    email = unique_email("candidate")
    person = httpx.post(
        f"{base}/api/v1/people",
        json={"first_name": "Léa", "last_name": "Martin", "email": email},
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

    session = _in_gateway_db(open_session, platform)
    with httpx.Client(base_url=base, timeout=10) as applicant:
        applicant.get("/appels")  # the CSRF cookie the site's own forms would carry
        applicant.cookies.set("reso_session", session)
        submitted = applicant.post(
            f"/api/v1/calls/{call_id}/applications/{organisation.json()['id']}/submit",
            json={
                "answers": {
                    "territoire": "Trois quartiers prioritaires, 12 000 habitants.",
                    "motivation": "Engager les habitants dans la transition écologique.",
                }
            },
            headers={"X-CSRF-Token": applicant.cookies["reso_csrf"]},
        )
    assert submitted.status_code == 200, submitted.text
    return email


def mail_subjects(mail_dir: Path, address: str, awaited: str, timeout: float = 30) -> list[str]:
    """The subjects of the mails to ``address``, once one is ``awaited`` (or the time is up)."""

    def subjects(mails: list[Any]) -> list[str]:
        return [str(m["Subject"]) for m in mails if address.lower() in str(m["To"]).lower()]

    return subjects(mails_when(mail_dir, lambda m: awaited in subjects(m), timeout=timeout))


def test_staff_review_an_application_decide_it_and_publish_the_decision(
    platform: Platform, axe_visit: Visit
) -> None:
    base, staff = platform.gateway_url, staff_headers(platform)
    title = f"Labo Quartiers {uuid.uuid4().hex[:4]}"
    body = {**CALL, "title": title, "reference_prefix": f"LQT{uuid.uuid4().hex[:4].upper()}"}
    created = httpx.post(f"{base}/api/v1/staff/calls", json=body, headers=staff)
    assert created.status_code == 201, created.text
    call_id = created.json()["call_id"]
    assert httpx.post(f"{base}/api/v1/staff/calls/{call_id}/open", headers=staff).is_success
    applicant = submitted_application(platform, call_id, f"Agglo du Tertre {title[-4:]}")
    page, found = axe_visit.page, {}

    def scan(name: str) -> None:
        axe_visit.shot(name)
        violations = axe_violations(page)
        if violations:
            found[name] = violations

    sign_in(axe_visit, staff_token(platform))
    page.get_by_role("link", name="Appels", exact=True).click()
    scan("calls")
    page.get_by_role("link", name=title).click()
    scan("call")
    page.locator("tbody th a").first.click()
    scan("application")
    assert "Trois quartiers prioritaires" in page.get_by_role("main").inner_text()

    page.get_by_label("Pertinence (sur 5, coefficient 2.0)").fill("9")
    page.get_by_role("button", name="Enregistrer ma note").click()
    scan("score-refused")
    assert page.get_by_text("Critère « Pertinence » : la note va de 0 à 5.").is_visible()
    page.get_by_label("Pertinence (sur 5, coefficient 2.0)").fill("4")
    page.get_by_label("Partenariat (sur 10)").fill("8")
    page.get_by_role("button", name="Enregistrer ma note").click()
    assert "Votre évaluation est enregistrée." in page.get_by_role("status").inner_text()

    page.get_by_role("link", name=f"Retour à l'appel « {title} »").click()
    page.get_by_role("button", name="Clore l'appel").click()
    assert "L'appel est clos" in page.get_by_role("status").inner_text()
    page.locator("tbody th a").first.click()
    page.get_by_role("radio", name="Retenue", exact=True).check()
    page.get_by_label("Message au candidat").fill("Félicitations, à bientôt !")
    page.get_by_role("button", name="Enregistrer la décision").click()
    scan("decided")
    assert "La décision est enregistrée." in page.get_by_role("status").inner_text()

    page.get_by_role("link", name=f"Retour à l'appel « {title} »").click()
    assert "Retenue (non publiée)" in page.get_by_role("table").inner_text()
    page.get_by_role("button", name="Publier les décisions").click()
    scan("published")
    assert "Les décisions sont publiées" in page.get_by_role("status").inner_text()

    decided = f"Candidature retenue – {title}"
    assert decided in mail_subjects(platform.mail_dir, applicant, decided)
    assert not found, found


def test_staff_import_organisations_after_reading_the_dry_run_report(
    platform: Platform, axe_visit: Visit
) -> None:
    tag = uuid.uuid4().hex[:6]
    csv = (
        "Raison sociale;Type;SIREN;Adresse;Code postal;Commune;Département\n"
        f"Association Quartiers {tag};Association;;12 rue de Brest;35000;Rennes;\n"
        f"Centre social du Blosne {tag};Centre social;;3 bd de Yougoslavie;35200;Rennes;\n"
        f"Sans type {tag};;;1 rue du Port;35000;35238;35\n"
    )
    page, found = axe_visit.page, {}

    def scan(name: str) -> None:
        axe_visit.shot(name)
        violations = axe_violations(page)
        if violations:
            found[name] = violations

    sign_in(axe_visit, staff_token(platform))
    page.get_by_role("link", name="Organisations", exact=True).click()
    scan("organisations")
    page.get_by_role("link", name="Importer des organisations (fichier CSV)").click()
    scan("import-form")
    page.get_by_label("Fichier CSV").set_input_files(
        {"name": "structures.csv", "mimeType": "text/csv", "buffer": csv.encode("cp1252")}
    )
    page.get_by_role("button", name="Vérifier le fichier").click()
    scan("dry-run-report")
    assert "rien n'a encore été importé" in page.get_by_role("status").inner_text()
    refused = page.get_by_role("table", name="Lignes refusées, avec leur raison")
    assert refused.get_by_role("row", name="4").inner_text().split("\t")[-1].strip() == (
        "type de structure manquant"
    )

    page.get_by_role("button", name="Importer", exact=True).click()
    scan("imported")
    assert page.get_by_role("status").inner_text().startswith("2 créée(s), 0 déjà connue(s)")

    page.get_by_role("link", name="Organisations", exact=True).click()
    page.get_by_label("Nom ou SIREN").fill(tag)
    page.get_by_label("Type").select_option("social_centre")
    page.get_by_role("button", name="Rechercher").click()
    scan("searched")
    assert page.get_by_role("status").inner_text() == "1 organisation(s) trouvée(s)."
    page.get_by_role("link", name=f"Centre social du Blosne {tag}").click()
    scan("organisation")
    assert page.get_by_role("heading", level=1).inner_text() == f"Centre social du Blosne {tag}"

    page.goto("/equipe/personnes/import")
    scan("people-import-form")
    assert not found, found


def test_staff_move_a_registrant_of_a_hybrid_event_online(
    platform: Platform, axe_visit: Visit
) -> None:
    event_id = published_event(
        platform,
        title="Journée hybride des conseils citoyens",
        type="thematic_day",
        format="hybrid",
        venue={"name": "Salle du Tertre", "city": "Laval", "commune": "53130"},
        capacity_onsite=1,
    )
    registered = httpx.post(
        f"{platform.gateway_url}/api/v1/events/{event_id}/registrations",
        json={
            "email": unique_email("hybride"),
            "first_name": "Zoé",
            "last_name": "Martin",
            "mode": "onsite",
        },
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    page = axe_visit.page

    sign_in(axe_visit, staff_token(platform))
    page.goto(f"/equipe/evenements/{event_id}/inscrits")
    axe_visit.shot("registrants")
    before = axe_violations(page)
    row = page.get_by_role("row", name="Martin Zoé")
    assert "Places en ligne restantes : 50." in row.inner_text()
    row.get_by_role("button", name="Passer en ligne").click()
    axe_visit.shot("moved-online")

    row = page.get_by_role("row", name="Martin Zoé")
    assert "en ligne" in row.inner_text() and "confirmée" in row.inner_text()
    assert "Places sur place restantes : 1." in row.inner_text()
    assert before == [] and axe_violations(page) == []
