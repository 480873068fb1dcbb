"""The back-office review pages through the gateway and the real services (both lanes): staff
move a registrant of a hybrid event between modes; read, score and decide applications to a
call and publish the decisions (the applicant gets the French mail); search organisations and
import them from a CSV file after reading the dry-run report."""

from __future__ import annotations

import html
import re
import uuid
from datetime import date
from email.message import EmailMessage
from typing import Any

import httpx

from contracts.members import (
    AddAffiliationV1,
    AffiliationV1,
    CreateOrganisationV1,
    CreatePersonV1,
    OrganisationKind,
    OrganisationV1,
    PersonV1,
)
from services.events.app import build_app as build_events
from services.gateway.auth import SESSION_COOKIE
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


async def sign_in(client: httpx.AsyncClient, role: Role = Role.STAFF) -> dict[str, str]:
    """Sign a new staff account in (session cookie); returns bearer headers of another one."""
    store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
    token = await store.add(unique_email(role.value), role)
    signed_in = await client.post("/equipe/connexion", data={"jeton": token})
    assert signed_in.status_code == 303
    return {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}


def text(answer: httpx.Response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", answer.text)).split())


def _row(answer: httpx.Response, name: str) -> str:
    """The text of the table row whose header cell is ``name``."""
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", answer.text, re.S):
        if f">{name}<" in row:
            return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())
    raise AssertionError(f"no row {name!r}")


class TestRegistrantModeChange:
    async def test_staff_move_a_registrant_online_and_one_onsite_waits_when_it_is_full(
        self, database, nats_server, mail_sink
    ):
        events = build_events(events_settings(database("events"), nats_server.url), clock=Clock())
        settings = newsletters_settings(database("newsletters"), nats_server.url, mail_sink.port)
        async with (
            running(events),
            running(build_newsletters(settings)),
            gateway(database("gateway"), nats_server.url) as client,
        ):
            api = await sign_in(client)
            created = await client.post(
                "/api/v1/events",
                json={
                    "title": "Journée hybride des conseils citoyens",
                    "type": "thematic_day",
                    "format": "hybrid",
                    "themes": ["participation-citoyenne"],
                    "starts_at": "2027-06-13T09:30:00",
                    "ends_at": "2027-06-13T17:00:00",
                    "venue": {"name": "Salle du Tertre", "city": "Laval", "commune": "53130"},
                    "video_link": "https://visio.example.org/salle-7",
                    "capacity_onsite": 1,
                    "capacity_online": 5,
                },
                headers=api,
            )
            assert created.status_code == 201, created.text
            event_id = created.json()["event_id"]
            assert (
                await client.post(f"/api/v1/events/{event_id}/publish", headers=api)
            ).status_code == 200
            ids, emails = {}, {"Zoé": unique_email("zoe"), "Léa": unique_email("lea")}
            for first, mode in (("Zoé", "onsite"), ("Léa", "online")):
                registered = await client.post(
                    f"/api/v1/events/{event_id}/registrants",
                    json={
                        "first_name": first,
                        "last_name": "Martin",
                        "email": emails[first],
                        "mode": mode,
                    },
                    headers=api,
                )
                assert registered.status_code == 201, registered.text
                ids[first] = registered.json()["registration_id"]
            page = f"/equipe/evenements/{event_id}/inscrits"

            before = await client.get(page)
            to_online = await client.post(
                f"/equipe/inscriptions/{ids['Zoé']}/mode", data={"mode": "online"}
            )
            after = await client.get(page)
            back_full = await client.post(
                f"/equipe/inscriptions/{ids['Léa']}/mode", data={"mode": "onsite"}
            )
            to_onsite_free = await client.get(page)
            full = await client.post(
                f"/equipe/inscriptions/{ids['Zoé']}/mode", data={"mode": "onsite"}
            )
            after_full = await client.get(page)
            nonsense = await client.post(
                f"/equipe/inscriptions/{ids['Zoé']}/mode", data={"mode": "ailleurs"}
            )
            title = "Journée hybride des conseils citoyens"
            zoe_mails = await wait_until(
                lambda: _subjects_once(mail_sink.directory, emails["Zoé"], 3)
            )

        assert "Passer en ligne" in _row(before, "Martin Zoé")
        assert "Places en ligne restantes : 4." in _row(before, "Martin Zoé")
        assert "Complet sur place : perdra sa place" in _row(before, "Martin Léa")
        assert to_online.status_code == 303
        assert to_online.headers["location"].endswith(f"/inscrits#r-{ids['Zoé']}")
        assert "en ligne" in _row(after, "Martin Zoé")
        assert "confirmée" in _row(after, "Martin Zoé")
        # the seat Zoé freed on site goes to Léa, who asked for it
        assert back_full.status_code == 303
        assert "sur place" in _row(to_onsite_free, "Martin Léa")
        assert "confirmée" in _row(to_onsite_free, "Martin Léa")
        # on site is full again: Zoé keeps her registration but waits, as the service decides
        assert full.status_code == 303
        assert "Liste d'attente, dans l'ordre (1)" in text(after_full)
        assert "sur place" in _row(after_full, "Martin Zoé")
        assert nonsense.status_code == 422
        assert "Choisissez « sur place » ou « en ligne »." in text(nonsense)
        # each move is mailed, with the seat it keeps or the waiting list it joins
        assert sorted(zoe_mails) == [
            f"Votre inscription a changé : en ligne – {title}",
            f"Votre inscription a changé : sur place – {title}",
            f"Votre inscription est confirmée – {title}",
        ]


# --- calls for applications ----------------------------------------------------------------------

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
    "places": 1,
    "deadline": "2027-03-28T12:00:00",
}
ANSWERS = {
    "territoire": "Trois quartiers prioritaires, 12 000 habitants.",
    "motivation": "Engager les habitants dans la transition écologique.",
}


async def submitted(client: httpx.AsyncClient, call_id: str, name: str) -> tuple[str, str]:
    """An application of a new EPCI named ``name``: (application id, applicant's address)."""
    rpc = client.app.state.rpc  # type: ignore[attr-defined]
    organisation = await rpc.call(
        CreateOrganisationV1(kind=OrganisationKind.EPCI, name=name, created_by="t"),
        OrganisationV1,
    )
    email = unique_email("candidate")
    person = await rpc.call(
        CreatePersonV1(first_name="Léa", last_name="Martin", email=email, by="t"), PersonV1
    )
    await rpc.call(
        AddAffiliationV1(
            person_id=person.person_id,
            organisation_id=organisation.organisation_id,
            role="Cheffe de projet politique de la ville",
            start=date(2026, 1, 1),
            by="t",
        ),
        AffiliationV1,
    )
    session = await client.app.state.person_sessions.open(person.person_id)  # type: ignore[attr-defined]
    answer = await client.post(
        f"/api/v1/calls/{call_id}/applications/{organisation.organisation_id}/submit",
        json={"answers": ANSWERS},
        headers={"Cookie": f"{SESSION_COOKIE}={session.token}"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["application_id"], email


def _subjects_once(directory: Any, address: str, count: int) -> list[str] | None:
    """The subjects of the mails to ``address`` in the order sent, once there are ``count``."""
    subjects = [str(m["Subject"]) for m in _mails_to(directory, address)]
    return subjects if len(subjects) >= count else None


def _mails_to(directory: Any, address: str) -> list[EmailMessage]:
    return [m for m in read_mails(directory) if address.lower() in str(m["To"]).lower()]


class TestApplicationsReview:
    async def test_staff_score_and_decide_within_the_places_and_publish_the_decisions(
        self, database, nats_server, mail_sink
    ):
        settings = newsletters_settings(database("newsletters"), nats_server.url, mail_sink.port)
        async with (
            running(build_members(members_settings(database("members"), nats_server.url))),
            running(
                build_events(events_settings(database("events"), nats_server.url), clock=Clock())
            ),
            running(build_newsletters(settings)),
            gateway(database("gateway"), nats_server.url) as client,
        ):
            api = await sign_in(client)
            body = {**CALL, "reference_prefix": f"LQT-{uuid.uuid4().hex[:6].upper()}"}
            created = await client.post("/api/v1/staff/calls", json=body, headers=api)
            call_id = created.json()["call_id"]
            await client.post(f"/api/v1/staff/calls/{call_id}/open", headers=api)
            first, first_email = await submitted(client, call_id, "Agglo du Tertre")
            second, _ = await submitted(client, call_id, "Agglo des Rives")
            await wait_until(lambda: len(_mails_to(mail_sink.directory, first_email)) >= 1)

            calls = await client.get("/equipe/appels")
            application = await client.get(f"/equipe/candidatures/{first}")
            too_high = await client.post(
                f"/equipe/candidatures/{first}/evaluation",
                data={"score_pertinence": "9", "score_partenariat": "8"},
            )
            scored = await client.post(
                f"/equipe/candidatures/{first}/evaluation",
                data={"score_pertinence": "5", "score_partenariat": "8", "comment": "Solide."},
            )
            after_score = await client.get(f"/equipe/candidatures/{first}")
            still_open = await client.post(
                f"/equipe/candidatures/{first}/decision", data={"decision": "selected"}
            )
            closed = await client.post(f"/equipe/appels/{call_id}/cloture")
            selected = await client.post(
                f"/equipe/candidatures/{first}/decision",
                data={"decision": "selected", "message": "Félicitations !"},
            )
            over_places = await client.post(
                f"/equipe/candidatures/{second}/decision", data={"decision": "selected"}
            )
            no_choice = await client.post(f"/equipe/candidatures/{second}/decision", data={})
            waiting = await client.post(
                f"/equipe/candidatures/{second}/decision", data={"decision": "waiting"}
            )
            listed = await client.get(f"/equipe/appels/{call_id}")
            only_waiting = await client.get(f"/equipe/appels/{call_id}?statut=attente")
            to_review = await client.get(f"/equipe/appels/{call_id}?statut=a-evaluer")
            published = await client.post(f"/equipe/appels/{call_id}/publication")
            after_publish = await client.get(published.headers["location"])
            await wait_until(lambda: len(_mails_to(mail_sink.directory, first_email)) >= 2)
            unknown = await client.get(f"/equipe/candidatures/{uuid.uuid4()}")

        title = "Labo Quartiers en Transitions"
        assert "ouvert" in _row(calls, title)
        assert _row(calls, title).endswith("2 2 0 0 / 1")  # submitted, to review, decided, places
        assert "Présentation du territoire" in text(application)
        assert ANSWERS["territoire"] in text(application)
        assert too_high.status_code == 422
        assert 'aria-invalid="true" aria-describedby="score_pertinence-erreur"' in too_high.text
        assert "Critère « Pertinence » : la note va de 0 à 5." in text(too_high)
        assert scored.status_code == 303
        assert "Solide." in text(after_score)
        assert still_open.status_code == 409
        assert "Clôturez l'appel avant de décider" in text(still_open)
        assert closed.status_code == 303
        assert selected.status_code == 303
        assert over_places.status_code == 409
        assert 'id="decision-erreur"' in over_places.text
        assert "Les 1 places de l'appel sont déjà attribuées" in text(over_places)
        assert no_choice.status_code == 422 and "Choisissez une décision." in text(no_choice)
        assert waiting.status_code == 303
        assert "Retenue (non publiée)" in text(listed)
        assert "Liste d'attente (non publiée)" in text(listed)
        assert "Agglo des Rives" in text(only_waiting)
        assert "Agglo du Tertre" not in text(only_waiting)
        assert "Agglo des Rives" in text(to_review) and "Agglo du Tertre" not in text(to_review)
        assert published.status_code == 303
        assert "Les décisions sont publiées" in text(after_publish)
        assert "(non publiée)" not in text(after_publish)
        subjects = [m["Subject"] for m in _mails_to(mail_sink.directory, first_email)]
        assert f"Candidature retenue – {title}" in subjects
        assert unknown.status_code == 404 and "Candidature introuvable." in text(unknown)


# --- organisations and imports -------------------------------------------------------------------

ORGANISATIONS_CSV = (
    "Raison sociale;Type;SIREN;Adresse;Code postal;Commune;Département\n"
    "Mairie de Rennes {tag};Mairie;213502388;Place de la Mairie;35000;35238;35\n"
    "Association Quartiers {tag};Association;;12 rue de Brest;35000;Rennes;\n"
    "Bailleur sans type {tag};;;1 rue du Port;35000;35238;35\n"
    "Mairie mal notée {tag};Mairie;213502389;Place;35000;35238;35\n"
)
PEOPLE_CSV = "Nom;Prénom;E-mail\nMartin;Zoé;{zoe}\nDurand;Léo;pas-une-adresse\n"


def _upload(content: str, name: str = "liste.csv") -> dict[str, Any]:
    return {"files": {"fichier": (name, content.encode("cp1252"), "text/csv")}}


def _proof(answer: httpx.Response) -> dict[str, str]:
    """The hidden fields of the report's « Importer » form."""
    fields = dict(re.findall(r'name="(fichier_verifie|nom)" value="([^"]*)"', answer.text))
    return {name: html.unescape(value) for name, value in fields.items()}


class TestOrganisationsAndImports:
    async def test_staff_read_the_dry_run_report_then_import_and_find_the_organisations(
        self, database, nats_server
    ):
        tag = uuid.uuid4().hex[:6]
        async with (
            running(build_members(members_settings(database("members"), nats_server.url))),
            gateway(database("gateway"), nats_server.url, upload_max_bytes=4000) as client,
        ):
            await sign_in(client)
            form = await client.get("/equipe/organisations/import")
            dry_run = await client.post(
                "/equipe/organisations/import", **_upload(ORGANISATIONS_CSV.format(tag=tag))
            )
            before = await client.get("/equipe/organisations", params={"q": tag})
            imported = await client.post(
                "/equipe/organisations/import/application", data=_proof(dry_run)
            )
            again = await client.post(
                "/equipe/organisations/import/application", data=_proof(dry_run)
            )
            forged = await client.post(
                "/equipe/organisations/import/application",
                data={"fichier_verifie": "organisations:autre.csv.abc", "nom": "x.csv"},
            )
            found = await client.get("/equipe/organisations", params={"q": tag})
            associations = await client.get(
                "/equipe/organisations", params={"q": tag, "kind": "association"}
            )
            bad_filter = await client.get("/equipe/organisations", params={"department": "3500"})
            link = re.search(r'href="(/equipe/organisations/[0-9a-f-]{36})">Mairie de', found.text)
            assert link, found.text
            card = await client.get(link.group(1))
            exported = await client.get("/equipe/organisations/export.csv", params={"q": tag})
            too_large = await client.post(
                "/equipe/organisations/import", **_upload("Nom;Type\n" + "x;Mairie\n" * 600)
            )
            empty = await client.post("/equipe/organisations/import", **_upload(""))
            no_file = await client.post("/equipe/organisations/import", data={"x": "y"})

        assert form.status_code == 200
        assert 'enctype="multipart/form-data"' in form.text and 'name="csrf_token"' in form.text
        assert dry_run.status_code == 200
        report = text(dry_run)
        assert "Vérification seulement : rien n'a encore été importé." in report
        assert "Lignes lues 4" in report and "Lignes valides 2" in report
        assert "Lignes refusées 2" in report
        assert _row(dry_run, "4") == "4 type de structure manquant"
        assert _row(dry_run, "5").startswith("5 SIREN invalide « 213502389 »")
        assert "Aucune organisation ne correspond." in text(before)
        assert imported.status_code == 200
        assert "2 créée(s), 0 déjà connue(s) (inchangée(s)), 2 ligne(s) refusée(s)" in text(
            imported
        )
        assert again.status_code == 409
        assert "déjà été importé" in text(again)
        assert forged.status_code == 422 and "a expiré" in text(forged)
        assert "2 organisation(s) trouvée(s)." in text(found)
        assert "Association Quartiers" in text(associations)
        assert "Mairie de Rennes" not in text(associations)
        assert bad_filter.status_code == 422
        assert 'aria-describedby="department-erreur"' in bad_filter.text
        assert "SIREN 213502388" in text(card)
        assert exported.status_code == 200
        assert f"Mairie de Rennes {tag}" in exported.content.decode("utf-8-sig")
        assert too_large.status_code == 413
        assert "Le fichier dépasse la taille maximale" in text(too_large)
        assert 'aria-describedby="fichier-aide fichier-erreur"' in too_large.text
        assert empty.status_code == 422 and "Le fichier est vide." in text(empty)
        assert no_file.status_code == 422 and "Choisissez un fichier CSV." in text(no_file)

    async def test_people_import_has_the_same_two_steps(self, database, nats_server):
        zoe = unique_email("zoe")
        async with (
            running(build_members(members_settings(database("members"), nats_server.url))),
            gateway(database("gateway"), nats_server.url) as client,
        ):
            await sign_in(client)
            dry_run = await client.post(
                "/equipe/personnes/import", **_upload(PEOPLE_CSV.format(zoe=zoe))
            )
            imported = await client.post(
                "/equipe/personnes/import/application", data=_proof(dry_run)
            )
            found = await client.get("/equipe/personnes", params={"q": zoe})

        assert "Lignes valides 1" in text(dry_run) and "Lignes refusées 1" in text(dry_run)
        assert "adresse" in _row(dry_run, "3").lower()
        assert "1 créée(s)" in text(imported)
        assert "1 personne(s) trouvée(s)." in text(found)
