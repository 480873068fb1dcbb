"""Subscribing to letters, end to end on both lanes: the gateway (ASGI), the newsletters service
on a real NATS, the real SMTP sink. Double opt-in through the mailed link, the RFC 8058
one-click POST exactly as a mail client sends it, the same answers for known and unknown
addresses, imports with the provenance of consent, erasure that leaves no trace, and the
3-year inactivity flag under a fixed clock."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr
from sqlalchemy import select

from contracts.base import ExportPersonDataV1
from contracts.members import MemberRegisteredV1, PersonErasedV1
from services.gateway.store import Role, StaffStore
from services.newsletters import handlers
from services.newsletters.app import build_app as build_newsletters
from services.newsletters.domain import LinkDurations, SubscriptionLinks
from services.newsletters.store import (
    NewslettersUnitOfWork,
    consents,
    contract_mapper,
    reliability,
    subscribers,
    subscriptions,
    transactional_mails,
)
from services.runtime.db import session_factory
from services.runtime.service import ServiceApp
from tests.support.bus import consumed, publish
from tests.support.factories import unique_email
from tests.support.mail import await_mail, read_mails
from tests.support.scan import find_text
from tests.support.services import (
    CENTRE,
    gateway,
    newsletters_settings,
    payload,
    running,
    stream_messages,
    wait_until,
)

SECRET = "reso-tests-newsletters-secret-0123456789"
ONE_CLICK = {"content-type": "application/x-www-form-urlencoded"}


def _links() -> SubscriptionLinks:
    """The signer of the test service's links (same secret), to read its unsubscribe URLs."""
    return SubscriptionLinks(SECRET, CENTRE.public_url, CENTRE.email, LinkDurations())


@asynccontextmanager
async def _platform(
    database: Any, nats_server: Any, mail_sink: Any, clock: Callable[[], datetime] | None = None
) -> AsyncIterator[tuple[ServiceApp, httpx.AsyncClient, dict[str, str], str]]:
    """newsletters and the gateway; yields the app, a client, staff headers, the db URL."""
    url = database("newsletters")
    settings = newsletters_settings(url, nats_server.url, mail_sink.port).model_copy(
        update={"secret_key": SecretStr(SECRET)}
    )
    async with (
        running(build_newsletters(settings, clock=clock)) as app,
        gateway(database("gateway"), nats_server.url) as client,
    ):
        store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
        staff = {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}
        yield app, client, staff, url


def _uow(app: ServiceApp) -> Callable[[], NewslettersUnitOfWork]:
    """A unit-of-work factory on the running app's database, to call a use case directly."""

    def uow() -> NewslettersUnitOfWork:
        return NewslettersUnitOfWork(
            session_factory(app.engine),
            reliability,
            to_contract=contract_mapper(CENTRE),
            on_commit=app.relay.notify,
        )

    return uow


async def _version(client: httpx.AsyncClient) -> str:
    letters = (await client.get("/api/v1/newsletters/letters")).json()["letters"]
    return str(letters[0]["consent_wording_version"])


async def _subscribe(client: httpx.AsyncClient, address: str, *letters: str) -> httpx.Response:
    return await client.post(
        "/api/v1/newsletters/subscriptions",
        json={
            "email": address,
            "letters": list(letters),
            "consent_wording_version": await _version(client),
        },
    )


def _mails_to(directory: Any, address: str) -> list[EmailMessage]:
    return [m for m in read_mails(directory) if address.lower() in str(m["To"]).lower()]


def _part(message: EmailMessage, kind: str) -> str:
    body = message.get_body(preferencelist=(kind,))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


def _link(message: EmailMessage, path: str) -> str:
    found = re.search(
        re.escape(CENTRE.public_url + path) + r"\?jeton=[\w.\-]+", _part(message, "plain")
    )
    assert found, f"no {path} link in the mail"
    return found.group(0)


def _token(link: str) -> str:
    return link.split("jeton=", 1)[1]


async def _rows(app: ServiceApp, table: Any, **where: Any) -> list[Any]:
    statement = select(table)
    for column, value in where.items():
        statement = statement.where(table.c[column] == value)
    async with app.engine.connect() as connection:
        return list((await connection.execute(statement)).all())


async def _subscriber(app: ServiceApp, address: str) -> Any:
    [row] = await _rows(app, subscribers, email_key=address.lower())
    return row


async def _facts(nats_url: str, name: str, address: str) -> list[dict[str, Any]]:
    messages = await stream_messages(
        nats_url, "NEWSLETTERS", f"reso.newsletters.subscription.{name}.v1"
    )
    return [payload(m) for m in messages if payload(m)["email"] == address]


async def _confirmed(
    app: ServiceApp, client: httpx.AsyncClient, sink: Any, address: str, *letters: str
) -> Any:
    """Subscribe and follow the confirmation link; the subscriber row."""
    assert (await _subscribe(client, address, *letters)).status_code == 202

    def confirmation() -> list[EmailMessage]:
        mails = _mails_to(sink.directory, address)
        return [m for m in mails if str(m["Subject"]).startswith("Confirmez votre abonnement")]

    [mail] = await wait_until(confirmation, timeout=30)
    token = _token(_link(mail, "/lettres/confirmation"))
    response = await client.post("/api/v1/newsletters/subscriptions/confirm", json={"token": token})
    assert response.status_code == 200, response.text
    return await _subscriber(app, address)


class TestLetters:
    async def test_la_minute_pop_and_the_thematic_letters_are_seeded_and_staff_manage_letters(
        self, database, nats_server, mail_sink
    ):
        letter = {
            "slug": "jeunesse",
            "name": "Lettre Jeunesse",
            "description": "Les actions pour les jeunes des quartiers.",
            "themes": ["education", "participation-citoyenne"],
            "cadence": "quarterly",
            "sender_name": "CRPV de test",
            "sender_email": "lettres@crpv-test.example.org",
        }
        async with _platform(database, nats_server, mail_sink) as (_app, client, staff, _url):
            seeded = (await client.get("/api/v1/newsletters/letters")).json()["letters"]
            created = await client.post("/api/v1/newsletters/letters", json=letter, headers=staff)
            taken = await client.post("/api/v1/newsletters/letters", json=letter, headers=staff)
            anonymous = await client.post("/api/v1/newsletters/letters", json=letter)
            closed = await client.patch(
                "/api/v1/newsletters/letters/jeunesse",
                json={"active": False, "name": "Lettre Jeunesse et éducation"},
                headers=staff,
            )
            public = (await client.get("/api/v1/newsletters/letters")).json()["letters"]
            every = await client.get("/api/v1/newsletters/staff/letters", headers=staff)
            refused = await _subscribe(client, unique_email(), "jeunesse")
            missing = await client.patch(
                "/api/v1/newsletters/letters/inconnue", json={"active": True}, headers=staff
            )

        assert [(x["slug"], x["cadence"], x["themes"]) for x in seeded] == [
            ("la-minute-pop", "monthly", []),
            ("culture", "quarterly", ["culture"]),
            ("sante", "quarterly", ["sante"]),
            (
                "developpement-economique-transitions",
                "irregular",
                ["emploi-developpement-economique", "transitions"],
            ),
            ("urbanisme", "irregular", ["renouvellement-urbain", "gestion-urbaine-de-proximite"]),
            ("data-et-quartiers", "irregular", ["data-et-quartiers"]),
        ]
        assert seeded[0]["name"] == "La Minute Pop"
        assert "« La Minute Pop » (chaque mois)" in seeded[0]["consent_wording"]
        assert created.status_code == 201 and created.json()["themes"] == letter["themes"]
        assert taken.status_code == 409
        assert anonymous.status_code == 401
        assert closed.status_code == 200
        assert (closed.json()["active"], closed.json()["name"]) == (
            False,
            "Lettre Jeunesse et éducation",
        )
        assert closed.json()["cadence"] == "quarterly"
        assert "jeunesse" not in {x["slug"] for x in public}
        assert "jeunesse" in {x["slug"] for x in every.json()["letters"]}
        assert refused.status_code == 422
        assert missing.status_code == 404


class TestDoubleOptIn:
    async def test_the_mailed_link_activates_the_subscription_with_its_consent_and_the_fact(
        self, database, nats_server, mail_sink
    ):
        address = unique_email("abonnee")
        async with _platform(database, nats_server, mail_sink) as (app, client, _, _url):
            letters = (await client.get("/api/v1/newsletters/letters")).json()["letters"]
            pop = next(letter for letter in letters if letter["slug"] == "la-minute-pop")
            answer = await _subscribe(client, address, "la-minute-pop", "culture")
            await await_mail(mail_sink.directory, [address])
            subscriber = await _subscriber(app, address)
            pending = await _rows(app, subscriptions, subscriber_id=subscriber.id)

            [mail] = _mails_to(mail_sink.directory, address)
            link = _link(mail, "/lettres/confirmation")
            page = await client.get(urlsplit(link).path + "?" + urlsplit(link).query)
            after_page = await _rows(app, subscriptions, subscriber_id=subscriber.id)
            done = await client.post("/lettres/confirmation", data={"jeton": _token(link)})
            active = await _rows(app, subscriptions, subscriber_id=subscriber.id)
            records = await _rows(app, consents, subscriber_id=subscriber.id)
            facts = await wait_until(lambda: _facts(nats_server.url, "confirmed", address))

        assert answer.status_code == 202
        assert {row.status for row in pending} == {"pending"}
        assert mail["Subject"] == f"Confirmez votre abonnement – {CENTRE.name}"
        assert "La Minute Pop" in _part(mail, "plain")
        assert link.replace("&", "&amp;") in _part(mail, "html")
        assert page.status_code == 200 and "Confirmer mon abonnement" in page.text
        assert {row.status for row in after_page} == {"pending"}, "opening the link changes nothing"
        assert done.status_code == 200 and "confirmé. Vous recevez" in done.text
        assert {row.status for row in active} == {"active"}
        by_letter = {row.letter: row for row in records}
        assert set(by_letter) == {"la-minute-pop", "culture"}
        assert by_letter["la-minute-pop"].wording == pop["consent_wording"]
        assert by_letter["la-minute-pop"].wording_version == pop["consent_wording_version"]
        assert {(row.source, row.granted) for row in records} == {("form", True)}
        assert {fact["letter"] for fact in facts} == {"la-minute-pop", "culture"}
        fact = next(f for f in facts if f["letter"] == "la-minute-pop")
        assert (fact["source"], fact["wording"], fact["letter_name"]) == (
            "form",
            pop["consent_wording"],
            "La Minute Pop",
        )

    async def test_the_answers_are_the_same_for_known_and_unknown_addresses(
        self, database, nats_server, mail_sink
    ):
        known, unknown = unique_email("connue"), unique_email("inconnue")
        async with _platform(database, nats_server, mail_sink) as (app, client, _, _url):
            await _confirmed(app, client, mail_sink, known, "sante")
            again = await _subscribe(client, known, "sante")
            new = await _subscribe(client, unknown, "sante")
            link_known = await client.post(
                "/api/v1/newsletters/preferences/link", json={"email": known}
            )
            link_unknown = await client.post(
                "/api/v1/newsletters/preferences/link", json={"email": unique_email("personne")}
            )
            await await_mail(mail_sink.directory, [unknown])
            counts = [len(_mails_to(mail_sink.directory, known))]
            await wait_until(lambda: len(_mails_to(mail_sink.directory, known)) == 2)

        assert (again.status_code, again.json()) == (new.status_code, new.json())
        assert again.status_code == 202
        assert (link_known.status_code, link_known.json()) == (
            link_unknown.status_code,
            link_unknown.json(),
        )
        assert counts[0] >= 1
        prefs = _mails_to(mail_sink.directory, known)[-1]
        assert prefs["Subject"] == f"Vos préférences d'abonnement – {CENTRE.name}"

    async def test_an_unknown_letter_or_an_outdated_wording_is_refused_in_french(
        self, database, nats_server, mail_sink
    ):
        async with _platform(database, nats_server, mail_sink) as (_app, client, _, _url):
            unknown = await _subscribe(client, unique_email(), "lettre-inconnue")
            outdated = await client.post(
                "/api/v1/newsletters/subscriptions",
                json={
                    "email": unique_email(),
                    "letters": ["culture"],
                    "consent_wording_version": "1999-01",
                },
            )
            bad_commune = await client.post(
                "/api/v1/newsletters/subscriptions",
                json={
                    "email": unique_email(),
                    "letters": ["culture"],
                    "consent_wording_version": await _version(client),
                    "profile": {"department": "35", "commune": "44109"},
                },
            )

        assert (
            unknown.status_code == 422 and "lettre-inconnue" in unknown.json()["error"]["message"]
        )
        assert outdated.status_code == 422 and "rechargez" in outdated.json()["error"]["message"]
        assert bad_commune.status_code == 422


class TestPreferences:
    async def test_the_preferences_link_shows_and_changes_subscriptions_keeping_the_data(
        self, database, nats_server, mail_sink
    ):
        address = unique_email("prefs")
        async with _platform(database, nats_server, mail_sink) as (app, client, _, _url):
            subscriber = await _confirmed(app, client, mail_sink, address, "culture", "sante")
            await client.post("/api/v1/newsletters/preferences/link", json={"email": address})
            await wait_until(lambda: len(_mails_to(mail_sink.directory, address)) == 2)
            token = _token(
                _link(_mails_to(mail_sink.directory, address)[-1], "/lettres/preferences")
            )
            seen = await client.get("/api/v1/newsletters/preferences", params={"token": token})
            page = await client.get("/lettres/preferences", params={"jeton": token})
            changed = await client.put(
                "/api/v1/newsletters/preferences",
                json={
                    "token": token,
                    "letters": ["culture", "urbanisme"],
                    "consent_wording_version": await _version(client),
                    "profile": {"organisation": "Ville de Lorient", "commune": "56121"},
                },
            )
            rows = await _rows(app, subscriptions, subscriber_id=subscriber.id)
            after = await _subscriber(app, address)
            cancelled = await wait_until(lambda: _facts(nats_server.url, "cancelled", address))

        assert seen.status_code == 200
        mine = {s["letter"]: s["status"] for s in seen.json()["subscriptions"]}
        assert mine["culture"] == mine["sante"] == "active"
        assert mine["la-minute-pop"] == "unsubscribed"
        assert page.status_code == 200 and 'name="lettres" value="culture"' in page.text
        assert changed.status_code == 200, changed.text
        assert {row.letter: row.status for row in rows} == {
            "culture": "active",
            "sante": "unsubscribed",
            "urbanisme": "active",
        }
        assert (after.organisation, after.commune, after.email) == (
            "Ville de Lorient",
            "56121",
            address,
        )
        assert [(f["letter"], f["reason"]) for f in cancelled] == [("sante", "unsubscribed")]


class TestOneClickUnsubscribe:
    async def test_the_post_a_mail_client_sends_unsubscribes_and_a_get_never_does(
        self, database, nats_server, mail_sink
    ):
        address = unique_email("clic")
        async with _platform(database, nats_server, mail_sink) as (app, client, _, _url):
            subscriber = await _confirmed(app, client, mail_sink, address, "la-minute-pop")
            headers = _links().list_unsubscribe_headers(uuid.UUID(subscriber.id), "la-minute-pop")
            https_url, mailto = re.findall(r"<([^>]+)>", headers["List-Unsubscribe"])
            path = urlsplit(https_url).path

            client.cookies.clear()
            shown = await client.get(path)
            shown_api = await client.get(
                "/api/v1/newsletters/unsubscribe/" + path.rsplit("/", 1)[1]
            )
            still = await _rows(app, subscriptions, subscriber_id=subscriber.id)
            posted = await client.post(
                path, content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK
            )
            ended = await _rows(app, subscriptions, subscriber_id=subscriber.id)
            again = await client.post(
                path, content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK
            )
            bare = await client.post(path, content=b"", headers=ONE_CLICK)
            facts = await wait_until(lambda: _facts(nats_server.url, "cancelled", address))

        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert https_url.startswith(CENTRE.public_url + "/lettres/desabonnement/")
        assert mailto.startswith(f"mailto:{CENTRE.email}?subject=")
        assert shown.status_code == 200 and "Me désabonner" in shown.text
        assert 'name="List-Unsubscribe" value="One-Click"' in shown.text
        assert shown_api.status_code == 200 and shown_api.json()["letter"] == "la-minute-pop"
        assert [row.status for row in still] == ["active"], "a GET never unsubscribes"
        assert posted.status_code == 200 and "vous ne recevrez plus" in posted.text
        assert [row.status for row in ended] == ["unsubscribed"]
        assert again.status_code == 200 and again.text == posted.text
        assert bare.status_code == 400
        assert [(f["letter"], f["reason"]) for f in facts] == [("la-minute-pop", "one_click")]

    async def test_the_api_one_click_route_takes_the_same_post(
        self, database, nats_server, mail_sink
    ):
        address = unique_email("api")
        async with _platform(database, nats_server, mail_sink) as (app, client, _, _url):
            subscriber = await _confirmed(app, client, mail_sink, address, "culture")
            token = _links().unsubscribe_token(uuid.UUID(subscriber.id), "culture")
            posted = await client.post(
                f"/api/v1/newsletters/unsubscribe/{token}",
                content=b"List-Unsubscribe=One-Click",
                headers=ONE_CLICK,
            )
            forged = await client.post(
                f"/api/v1/newsletters/unsubscribe/{token[:-3]}xyz",
                content=b"List-Unsubscribe=One-Click",
                headers=ONE_CLICK,
            )
            [row] = await _rows(app, subscriptions, subscriber_id=subscriber.id)

        assert posted.status_code == 200, posted.text
        assert row.status == "unsubscribed"
        assert forged.status_code == 422


CSV = (
    "Prénom;Nom;Courriel;Structure;Département;Commune;Date de consentement\r\n"
    "Awa;Diallo;{a};Centre social;35;35238;12/03/2024\r\n"
    "Yann;Le Goff;{b};;;;\r\n"
    "Mauvaise;Adresse;pas-une-adresse;;;;\r\n"
)


class TestImport:
    async def test_imported_subscribers_are_active_with_how_they_consented_and_get_no_mail(
        self, database, nats_server, mail_sink
    ):
        first, second = unique_email("import-a"), unique_email("import-b")
        data = CSV.format(a=first, b=second).encode("cp1252")
        params = {
            "letter": "data-et-quartiers",
            "source": "Formulaire papier, rencontre régionale de Rennes",
            "wording": "J'accepte de recevoir la lettre Data et Quartiers par e-mail.",
            "consented_on": "2025-06-30",
        }
        async with _platform(database, nats_server, mail_sink) as (app, client, staff, _url):
            headers = {**staff, "content-type": "text/csv"}
            dry = await client.post(
                "/api/v1/newsletters/subscribers/import",
                params=params,
                content=data,
                headers=headers,
            )
            after_dry = await _rows(app, subscriptions, letter="data-et-quartiers")
            real = await client.post(
                "/api/v1/newsletters/subscribers/import",
                params={**params, "dry_run": "false"},
                content=data,
                headers=headers,
            )
            again = await client.post(
                "/api/v1/newsletters/subscribers/import",
                params={**params, "dry_run": "false"},
                content=data,
                headers=headers,
            )
            a, b = await _subscriber(app, first), await _subscriber(app, second)
            records = {
                row.subscriber_id: row
                for row in await _rows(app, consents, letter="data-et-quartiers")
            }
            listed = await client.get(
                "/api/v1/newsletters/letters/data-et-quartiers/subscribers", headers=staff
            )
            mails = await _rows(app, transactional_mails, email=first)
            facts = await wait_until(lambda: _facts(nats_server.url, "confirmed", first))
            anonymous = await client.post(
                "/api/v1/newsletters/subscribers/import", params=params, content=data
            )

        assert dry.status_code == 200 and dry.json()["created"] == 2 and after_dry == []
        report = real.json()
        assert (report["created"], report["valid"], report["read"]) == (2, 2, 3)
        assert [e["line"] for e in report["errors"]] == [4]
        assert (again.json()["created"], again.json()["already_known"]) == (0, 2)
        assert (a.organisation, a.department, a.commune) == ("Centre social", "35", "35238")
        consent_a = records[a.id]
        assert (consent_a.source, consent_a.granted) == ("import", True)
        assert consent_a.wording == params["wording"]
        assert params["source"] in consent_a.provenance
        assert consent_a.at == datetime(2024, 3, 12, 12, tzinfo=UTC)
        assert records[b.id].at == datetime(2025, 6, 30, 12, tzinfo=UTC)
        assert {s["email"] for s in listed.json()["subscribers"]} == {first, second}
        assert mails == [], "imported subscribers get no confirmation mail"
        assert [(f["source"], f["wording"]) for f in facts] == [("import", params["wording"])]
        assert anonymous.status_code == 401


class TestErasure:
    async def test_staff_erasure_leaves_no_trace_of_the_address(
        self, database, nats_server, mail_sink
    ):
        address = unique_email("effacee")
        async with _platform(database, nats_server, mail_sink) as (app, client, staff, url):
            await _confirmed(app, client, mail_sink, address, "culture", "urbanisme")
            await wait_until(lambda: _facts(nats_server.url, "confirmed", address))
            before = await find_text(url, address)
            erased = await client.post(
                "/api/v1/newsletters/subscribers/erase", json={"email": address}, headers=staff
            )
            again = await client.post(
                "/api/v1/newsletters/subscribers/erase", json={"email": address}, headers=staff
            )
            after = await find_text(url, address)

        assert "subscribers.email" in before and "outbox.payload" in before
        assert erased.json() == {"erased": True}
        assert again.json() == {"erased": False}
        assert after == []

    async def test_erasing_a_person_erases_the_subscriptions_of_the_address_they_were_mailed_at(
        self, database, nats_server, mail_sink
    ):
        address = unique_email("membre")
        person_id = uuid.uuid4()
        registered = MemberRegisteredV1(
            producer="members",
            centre=CENTRE.slug,
            person_id=person_id,
            first_name="Inès",
            last_name="Moreau",
            email=address,
        )
        async with _platform(database, nats_server, mail_sink) as (app, client, _, url):
            await publish(nats_server.url, registered)
            await await_mail(mail_sink.directory, [address], settle=0.2)
            await _confirmed(app, client, mail_sink, address, "la-minute-pop")
            before = await find_text(url, address)
            exported = await handlers.export_person_data(
                ExportPersonDataV1(person_id=person_id), _uow(app)
            )
            erased = PersonErasedV1(producer="members", centre=CENTRE.slug, person_id=person_id)
            await publish(nats_server.url, erased)
            await consumed(nats_server.url, "newsletters", erased.subject)
            after = await find_text(url, address)

        assert "subscribers.email" in before
        [mine] = exported.data["subscriptions"]
        assert mine["email"] == address
        assert mine["subscriptions"] == [{"letter": "la-minute-pop", "status": "active"}]
        assert after == []


class TestInactivity:
    async def test_subscribers_without_activity_for_three_years_are_flagged_for_review(
        self, database, nats_server, mail_sink
    ):
        now = datetime(2030, 1, 15, 9, 0, tzinfo=UTC)
        old, recent = unique_email("ancienne"), unique_email("recente")
        data = f"email;date_consentement\r\n{old};10/01/2027\r\n{recent};20/01/2027\r\n".encode()
        params = {
            "letter": "la-minute-pop",
            "source": "Liste de diffusion de l'ancien site",
            "wording": "J'accepte de recevoir La Minute Pop chaque mois.",
            "dry_run": "false",
        }
        async with _platform(database, nats_server, mail_sink, clock=lambda: now) as (
            _app,
            client,
            staff,
            _url,
        ):
            imported = await client.post(
                "/api/v1/newsletters/subscribers/import",
                params=params,
                content=data,
                headers={**staff, "content-type": "text/csv"},
            )
            flagged = await client.post("/api/v1/newsletters/subscribers/inactive", headers=staff)
            listed = await client.get("/api/v1/newsletters/subscribers/inactive", headers=staff)
            again = await client.post("/api/v1/newsletters/subscribers/inactive", headers=staff)

        assert imported.json()["created"] == 2
        assert flagged.json() == {"flagged": 1}
        [one] = listed.json()["subscribers"]
        assert one["email"] == old
        assert one["flagged_inactive_at"].startswith("2030-01-15")
        assert again.json() == {"flagged": 0}

    async def test_addresses_that_never_confirmed_are_erased_once_their_link_expired(
        self, database, nats_server, mail_sink
    ):
        start = datetime.now(UTC)  # fixed from here on; mails go out on the real clock
        silent, confirmed = unique_email("silencieuse"), unique_email("confirmee")
        async with _platform(database, nats_server, mail_sink, clock=lambda: start) as (
            app,
            client,
            _,
            url,
        ):
            await _confirmed(app, client, mail_sink, confirmed, "culture")
            await _subscribe(client, silent, "culture")
            await wait_until(lambda: _mails_to(mail_sink.directory, silent))

            uow = _uow(app)
            too_early = await handlers.purge_never_confirmed(
                uow, _links(), start + timedelta(days=6)
            )
            later = await handlers.purge_never_confirmed(uow, _links(), start + timedelta(days=8))
            left = await find_text(url, silent)
            kept = await _subscriber(app, confirmed)

        assert (too_early, later) == (0, 1)
        assert left == []
        assert kept.email == confirmed
