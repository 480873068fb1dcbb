"""The staff back office through the gateway and the real events service (both lanes): staff
sign in with their API token, create and publish an event through the forms, check a registrant
in and download the attendance documents; anonymous, wrong-role and signed-out requests are
refused with French pages."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from typing import Any

import httpx

from services.events.app import build_app as build_events
from services.gateway.store import Role, StaffStore
from services.members.app import build_app as build_members
from services.newsletters.app import build_app as build_newsletters
from tests.support.events import Clock, events_settings
from tests.support.factories import unique_email
from tests.support.mail import read_mails
from tests.support.services import (
    gateway,
    members_settings,
    newsletters_settings,
    running,
    wait_until,
)

FORM = {
    "title": "Atelier mémoire des quartiers",
    "summary": "Un atelier pour recueillir la mémoire des habitants.",
    "type": "workshop",
    "format": "onsite",
    "themes": ["culture", "participation-citoyenne"],
    "starts_at": "2027-06-13T09:30",
    "ends_at": "2027-06-13T12:00",
    "venue_name": "Maison de quartier du Blosne",
    "venue_city": "Rennes",
    "venue_commune": "35238",
    "capacity_onsite": "1",
    "hold_minutes": "0",
}


async def sign_in(client: httpx.AsyncClient, role: Role) -> httpx.Response:
    store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
    token = await store.add(unique_email(role.value), role)
    return await client.post("/equipe/connexion", data={"jeton": token})


def text(answer: httpx.Response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", answer.text)).split())


class TestStaffPages:
    async def test_staff_sign_in_create_publish_check_in_and_download_the_sheet(
        self, database, nats_server
    ):
        events = build_events(events_settings(database("events"), nats_server.url), clock=Clock())
        async with running(events), gateway(database("gateway"), nats_server.url) as client:
            anonymous = await client.get("/equipe/evenements")
            wrong = await client.post("/equipe/connexion", data={"jeton": "reso_faux"})
            signed_in = await sign_in(client, Role.STAFF)
            cookie = signed_in.headers["set-cookie"]

            invalid = await client.post(
                "/equipe/evenements/nouveau", data={**FORM, "ends_at": "", "title": ""}
            )
            created = await client.post("/equipe/evenements/nouveau", data=FORM)
            event_url = created.headers["location"]
            draft = await client.get(event_url)
            published = await client.post(f"{event_url}/publication")
            listed = await client.get("/equipe/evenements")
            shown = await client.get(event_url)

            event_id = event_url.rsplit("/", 1)[1]
            store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
            api = {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}
            for first, last in (("Zoé", "Martin"), ("Léa", "Attente")):
                registered = await client.post(
                    f"/api/v1/events/{event_id}/registrants",
                    json={"first_name": first, "last_name": last, "email": unique_email()},
                    headers=api,
                )
                assert registered.status_code == 201, registered.text
            zoe = (await client.get(f"/api/v1/events/{event_id}/registrants", headers=api)).json()[
                "registrations"
            ][0]
            before = await client.get(f"{event_url}/inscrits")
            listed_api = await client.get(f"/api/v1/events/{event_id}/registrants", headers=api)
            [waiting] = [
                r for r in listed_api.json()["registrations"] if r["status"] == "waitlisted"
            ]
            refused = await client.post(
                f"/equipe/inscriptions/{waiting['registration_id']}/presence",
                data={"present": "oui"},
            )
            unknown = await client.get(f"/equipe/evenements/{uuid.uuid4()}")
            checked = await client.post(
                f"/equipe/inscriptions/{zoe['registration_id']}/presence", data={"present": "oui"}
            )
            after = await client.get(f"{event_url}/inscrits")
            promoted = await client.post(
                f"/equipe/inscriptions/{waiting['registration_id']}/promotion"
            )
            after_promotion = await client.get(f"{event_url}/inscrits")
            dropped = await client.post(
                f"/equipe/inscriptions/{waiting['registration_id']}/annulation"
            )
            after_cancel = await client.get(f"{event_url}/inscrits")
            sheet = await client.get(f"{event_url}/emargement.pdf")
            attendance = await client.get(f"{event_url}/presences.csv")
            period = {"du": "2027-06-01", "au": "2027-06-30"}
            report = await client.get("/equipe/rapport", params=period)
            report_csv = await client.get("/equipe/rapport.csv", params=period)
            backwards = await client.get(
                "/equipe/rapport", params={"du": "2027-06-30", "au": "2027-06-01"}
            )

            signed_out = await client.post("/equipe/deconnexion")
            after_sign_out = await client.get("/equipe/evenements")

        assert anonymous.status_code == 401
        assert "Connectez-vous" in text(anonymous)
        assert wrong.status_code == 401 and "n'est pas valide" in text(wrong)
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/equipe/evenements"
        assert "reso_staff=" in cookie and "HttpOnly" in cookie
        assert "SameSite=strict" in cookie and "Path=/equipe" in cookie
        assert "Secure" not in cookie  # served over http here

        assert invalid.status_code == 422
        assert "Titre :" in text(invalid) and "Fin :" in text(invalid)
        assert created.status_code == 303
        assert "brouillon" in text(draft)
        assert 'value="2027-06-13T09:30"' in draft.text  # Paris time, as it was typed
        assert published.status_code == 303
        assert "publiée" in text(shown)
        assert "Atelier mémoire des quartiers" in text(listed)

        assert "Martin Zoé" in text(before) and "Attente Léa" in text(before)
        assert "Liste d'attente, dans l'ordre (1)" in text(before)
        assert "Présent·e (" not in text(before)
        assert refused.status_code == 409 and "Action refusée" in text(refused)
        assert "confirmée" in text(refused)  # the service's reason, in French
        assert unknown.status_code == 404 and "Page introuvable" in text(unknown)
        assert checked.status_code == 303
        assert "Présent·e (" in text(after)
        assert promoted.status_code == 303
        assert "Liste d'attente, dans l'ordre (0)" in text(after_promotion)
        assert "Attente Léa" in text(after_promotion)  # seated past the capacity of one
        assert dropped.status_code == 303
        assert "Attente Léa" not in text(after_cancel)
        assert "Inscriptions annulées : 1." in text(after_cancel)
        assert sheet.status_code == 200
        assert sheet.headers["content-type"] == "application/pdf"
        assert sheet.content.startswith(b"%PDF")
        rows = list(csv.reader(io.StringIO(attendance.content.decode("utf-8-sig")), delimiter=";"))
        assert [(row[0], row[4]) for row in rows[1:]] == [("Martin", "oui")]

        assert "Atelier 1 1 1" in text(report)  # the workshop: one event, registrant, attendee
        assert "Règles de comptage" in text(report)
        assert report_csv.headers["content-type"] == "text/csv; charset=utf-8"
        assert (
            'filename="rapport-activite-2027-06-01-2027-06-30.csv"'
            in report_csv.headers["content-disposition"]
        )
        assert backwards.status_code == 422 and "précède son début" in text(backwards)

        assert signed_out.status_code == 303
        assert after_sign_out.status_code == 401

    async def test_a_wrong_role_gets_a_french_refusal_and_a_revoked_session_ends(
        self, database, nats_server
    ):
        async with gateway(database("gateway"), nats_server.url) as client:
            signed_in = await sign_in(client, Role.DATA)
            refused = await client.get("/equipe/evenements")
            form = await client.get("/equipe/evenements/nouveau")

        assert signed_in.status_code == 303
        assert refused.status_code == 403 and form.status_code == 403
        assert "Accès refusé" in text(refused)
        assert "Votre rôle ne donne pas accès à cette page." in text(refused)


class TestStaffLetterPages:
    async def test_staff_compose_an_issue_preview_it_and_send_a_test(
        self, database, nats_server, mail_sink
    ):
        tester = unique_email("relecture")
        settings = newsletters_settings(database("newsletters"), nats_server.url, mail_sink.port)
        async with (
            running(build_newsletters(settings)),
            gateway(database("gateway"), nats_server.url) as client,
        ):
            await sign_in(client, Role.STAFF)
            letters = await client.get("/equipe/lettres")
            invalid = await client.post(
                "/equipe/lettres/la-minute-pop/nouveau",
                data={
                    "subject": "Décembre",
                    "b0_type": "publications",
                    "b0_p0_title": "Sans adresse",
                },
            )
            created = await client.post(
                "/equipe/lettres/la-minute-pop/nouveau",
                data={
                    "subject": "Le numéro de décembre",
                    "b0_type": "editorial",
                    "b0_title": "Édito",
                    "b0_markdown": "Bonne **lecture** à toutes et à tous.",
                    "b1_type": "events",
                    "b1_include": "oui",
                    "b2_type": "publications",
                    "b2_p0_title": "Grand Angle n° 12",
                    "b2_p0_url": "https://crpv.example.org/grand-angle/12",
                },
            )
            issue_url = created.headers["location"]
            shown = await client.get(issue_url)
            html = await client.get(f"{issue_url}/apercu.html")
            tested = await client.post(f"{issue_url}/test", data={"recipients": tester})

            def arrived() -> list[Any]:
                return [
                    m for m in read_mails(mail_sink.directory) if str(m["To"]).lower() == tester
                ]

            [mail] = await wait_until(arrived, timeout=30)
            listed = await client.get("/equipe/lettres")

        assert letters.status_code == 200 and "Aucun numéro." in text(letters)
        assert invalid.status_code == 422 and "Rien n'a été enregistré" in text(invalid)
        assert created.status_code == 303
        assert "État : brouillon" in text(shown)
        assert "Bonne lecture à toutes et à tous." in text(shown)  # the text part, previewed
        assert "Grand Angle n° 12" in html.text
        assert "sandbox" in html.headers.get_list("content-security-policy")
        assert tested.status_code == 200
        assert "Envoi de test parti vers 1 adresse(s)." in text(tested)
        assert mail["Subject"] == "[TEST] Le numéro de décembre"
        assert "Le numéro de décembre" in text(listed)


async def test_the_staff_session_cookie_is_secure_over_https(database, nats_server):
    async with gateway(database("gateway"), nats_server.url, https=True) as client:
        signed_in = await sign_in(client, Role.ADMIN)

    cookie = signed_in.headers["set-cookie"]
    assert signed_in.status_code == 303
    assert "reso_staff=" in cookie and "Secure" in cookie and "SameSite=strict" in cookie


async def test_staff_search_people_with_filters_and_export_them(database, nats_server):
    members = build_members(members_settings(database("members"), nats_server.url))
    async with running(members), gateway(database("gateway"), nats_server.url) as client:
        store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
        api = {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}
        for first, last in (("Zoé", "Martin"), ("Hugo", "Bernard")):
            added = await client.post(
                "/api/v1/people",
                json={"first_name": first, "last_name": last, "email": unique_email()},
                headers=api,
            )
            assert added.status_code == 201, added.text
        await sign_in(client, Role.STAFF)
        everyone = await client.get("/equipe/personnes")
        martin = await client.get("/equipe/personnes", params={"q": "martin"})
        bad = await client.get("/equipe/personnes", params={"department": "12345"})
        exported = await client.get("/equipe/personnes/export.csv", params={"q": "martin"})

    assert "2 personne(s) trouvée(s)." in text(everyone)
    assert "Bernard Hugo" in text(everyone) and "Martin Zoé" in text(everyone)
    assert "1 personne(s) trouvée(s)." in text(martin) and "Bernard" not in text(martin)
    assert "export.csv?q=martin" in martin.text
    assert bad.status_code == 422 and "filtres est invalide" in text(bad)
    assert exported.status_code == 200
    body = exported.content.decode("utf-8-sig")
    assert "Martin" in body and "Bernard" not in body
