"""Issues of letters, end to end on both lanes: the gateway (ASGI), the newsletters service on
a real NATS, the real SMTP sink. Events and data published on the bus fill the preview, a test
send reaches the sink with its CSS inlined and both parts, the archive shows only sent issues
without anyone's links, the audience narrows to a territory, and a scheduled issue is handed to
the sending engine when its time comes."""

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

from contracts.base import Theme
from contracts.dataquartiers import IndicatorPublishedV1
from contracts.events import EventCancelledV1, EventPublishedV1, EventSummaryV1, EventUpdatedV1
from contracts.events.common import EventFormat, EventType, Venue
from contracts.members import NetworkJoinedV1, NetworkLeftV1, PersonErasedV1, PersonUpdatedV1
from contracts.members.common import Territory
from services.gateway.store import Role, StaffStore
from services.newsletters import handlers
from services.newsletters.app import build_app as build_newsletters
from services.newsletters.store import (
    NewslettersUnitOfWork,
    contract_mapper,
    issues,
    reliability,
)
from services.newsletters.store.schema import network_members, person_addresses, subscribers
from services.runtime.db import session_factory
from services.runtime.service import ServiceApp
from tests.support.bus import consumed, publish
from tests.support.factories import unique_email
from tests.support.mail import read_mails
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
API = "/api/v1/newsletters"


class Clock:
    """The service's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


class Engine:
    """Stands in for the sending engine: records the issues handed to it, with
    the audience it would freeze, in the caller's transaction."""

    def __init__(self) -> None:
        self.started: list[tuple[uuid.UUID, list[str]]] = []
        self.started_by: list[str] = []
        self.staff_email = ""  # the platform's staff member

    async def start(self, work: NewslettersUnitOfWork, issue_id: uuid.UUID, by: str) -> None:
        issue = await work.issues.get(issue_id)
        assert issue is not None
        audience = await handlers.issue_audience(work, issue)
        self.started.append((issue_id, [r.email for r in audience]))
        self.started_by.append(by)


@asynccontextmanager
async def _platform(
    database: Any, nats_server: Any, mail_sink: Any, clock: Clock, engine: Engine | None
) -> AsyncIterator[tuple[ServiceApp, httpx.AsyncClient, dict[str, str]]]:
    settings = newsletters_settings(database("newsletters"), nats_server.url, mail_sink.port)
    settings = settings.model_copy(
        update={"secret_key": SecretStr(SECRET), "schedule_check_seconds": 0.1}
    )
    app = build_newsletters(settings, clock=clock, start_send=engine.start if engine else None)
    async with (
        running(app),
        gateway(database("gateway"), nats_server.url) as client,
    ):
        store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
        email = unique_email()
        if engine is not None:
            engine.staff_email = email
        staff = {"Authorization": f"Bearer {await store.add(email, Role.STAFF)}"}
        yield app, client, staff


def _uow(app: ServiceApp) -> Callable[[], NewslettersUnitOfWork]:
    def uow() -> NewslettersUnitOfWork:
        return NewslettersUnitOfWork(
            session_factory(app.engine),
            reliability,
            to_contract=contract_mapper(CENTRE),
            on_commit=app.relay.notify,
        )

    return uow


def _event(title: str, starts_at: datetime, *themes: Theme) -> EventSummaryV1:
    return EventSummaryV1(
        event_id=uuid.uuid4(),
        title=title,
        type=EventType.WORKSHOP,
        format=EventFormat.ONSITE,
        themes=themes,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        venue=Venue(name="Maison de quartier du Blosne", postcode="35200", city="Rennes"),
        url=f"{CENTRE.public_url}/agenda/{uuid.uuid4()}",
    )


def _published(event: EventSummaryV1, summary: str = "") -> EventPublishedV1:
    return EventPublishedV1(producer="events", centre=CENTRE.slug, event=event, summary=summary)


EVERY_BLOCK: list[dict[str, Any]] = [
    {
        "type": "editorial",
        "title": "Édito",
        "markdown": "Bonne **lecture** ! <script>alert(1)</script> [piège](javascript:alert(1))",
    },
    {"type": "events", "title": "Prochains rendez-vous", "limit": 5},
    {"type": "data", "title": "Nouvelles données", "limit": 5},
    {
        "type": "publications",
        "title": "Publications",
        "items": [
            {
                "title": "Grand Angle n° 12",
                "summary": "La revue du centre.",
                "url": f"{CENTRE.public_url}/grand-angle/12",
                "image_url": f"{CENTRE.public_url}/img/ga12.png",
                "image_alt": "Couverture du Grand Angle n° 12",
            }
        ],
    },
]


async def _issue(
    client: httpx.AsyncClient, staff: dict[str, str], letter: str = "la-minute-pop", **body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/letters/{letter}/issues",
        json={"subject": "Le numéro de décembre", "blocks": EVERY_BLOCK} | body,
        headers=staff,
    )
    assert response.status_code == 201, response.text
    issue: dict[str, Any] = response.json()
    return issue


def _part(message: EmailMessage, kind: str) -> str:
    body = message.get_body(preferencelist=(kind,))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


class TestCompose:
    async def test_coming_events_and_new_data_published_on_the_bus_fill_the_preview(
        self, database, nats_server, mail_sink
    ):
        clock, engine = Clock(), Engine()
        soon = clock.now + timedelta(days=20)
        culture = _event("Rencontre culture et quartiers", soon, Theme.CULTURE)
        moved = _event("Atelier santé ville", soon + timedelta(days=2), Theme.HEALTH)
        cancelled = _event("Visite annulée", soon + timedelta(days=3), Theme.CULTURE)
        past = _event("Journée passée", clock.now - timedelta(days=3), Theme.CULTURE)
        members = _event("Réservé aux adhérents", soon, Theme.CULTURE).model_copy(
            update={"member_only": True}
        )
        facts = [
            _published(culture, "Une matinée d'échanges."),
            _published(moved),
            _published(cancelled),
            _published(past),
            _published(members),
            EventUpdatedV1(
                producer="events",
                centre=CENTRE.slug,
                event=moved.model_copy(update={"title": "Atelier santé ville (nouvelle date)"}),
                changes=("La date change.",),
                sequence=1,
                ics="BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
            ),
            EventCancelledV1(
                producer="events",
                centre=CENTRE.slug,
                event=cancelled,
                sequence=1,
                ics="BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n",
            ),
            IndicatorPublishedV1(
                producer="dataquartiers",
                centre=CENTRE.slug,
                dataset_id=uuid.uuid4(),
                indicator="taux_pauvrete",
                label="Taux de pauvreté",
                theme=Theme.DATA,
                vintage=2021,
                territories=("QN03502M", "QN03503I"),
                link=f"{CENTRE.public_url}/donnees/taux_pauvrete/2021",
            ),
        ]
        async with _platform(database, nats_server, mail_sink, clock, engine) as (
            _app,
            client,
            staff,
        ):
            for fact in facts:
                await publish(nats_server.url, fact)
            for fact in facts:
                await consumed(nats_server.url, "newsletters", fact.subject)
            issue = await _issue(client, staff)
            preview = await client.get(f"{API}/issues/{issue['id']}/preview", headers=staff)
            page = await client.get(f"{API}/issues/{issue['id']}/preview.html", headers=staff)
            culture_issue = await _issue(client, staff, "culture")
            culture_preview = await client.get(
                f"{API}/issues/{culture_issue['id']}/preview", headers=staff
            )
            anonymous = await client.get(f"{API}/issues/{issue['id']}/preview")
            listed = await client.get(f"{API}/letters/la-minute-pop/issues", headers=staff)

        assert issue["number"] == 1 and issue["status"] == "draft"
        assert [b["type"] for b in issue["blocks"]] == [
            "editorial",
            "events",
            "data",
            "publications",
        ]
        assert preview.status_code == 200, preview.text
        shown = preview.json()
        html, text = shown["html"], shown["text"]
        for title in (
            "Rencontre culture et quartiers",
            "Atelier santé ville (nouvelle date)",
            "Taux de pauvreté",
            "Grand Angle n° 12",
        ):
            assert title in html and title in text
        assert "Une matinée d'échanges." in html
        assert "Visite annulée" not in html and "Journée passée" not in html
        assert "Réservé aux adhérents" not in html
        assert "<script" not in html and 'href="javascript' not in html
        assert "<style" not in html and 'style="' in html
        assert "Bonjour Camille," in text
        assert shown["subject_line"] == "Le numéro de décembre"
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert '<html lang="fr">' in page.text and "Rencontre culture et quartiers" in page.text
        culture_html = culture_preview.json()["html"]
        assert "Rencontre culture et quartiers" in culture_html
        assert "Atelier santé ville" not in culture_html, "not a theme of the culture letter"
        assert "Taux de pauvreté" not in culture_html
        assert anonymous.status_code == 401
        assert [i["number"] for i in listed.json()["issues"]] == [1]

    async def test_staff_change_a_draft_and_bad_blocks_are_refused_in_french(
        self, database, nats_server, mail_sink
    ):
        async with _platform(database, nats_server, mail_sink, Clock(), Engine()) as (
            _app,
            client,
            staff,
        ):
            issue = await _issue(client, staff)
            changed = await client.patch(
                f"{API}/issues/{issue['id']}",
                json={"subject": "Le numéro de Noël", "audience": {"departments": ["35"]}},
                headers=staff,
            )
            no_alt = await client.post(
                f"{API}/letters/la-minute-pop/issues",
                json={
                    "subject": "Sans alt",
                    "blocks": [
                        {
                            "type": "publications",
                            "items": [
                                {
                                    "title": "Portrait",
                                    "url": "https://exemple.fr/p",
                                    "image_url": "https://exemple.fr/i.png",
                                }
                            ],
                        }
                    ],
                },
                headers=staff,
            )
            unknown_letter = await _post_issue(client, staff, "inconnue")
            unknown_department = await client.patch(
                f"{API}/issues/{issue['id']}",
                json={"audience": {"departments": ["99"]}},
                headers=staff,
            )
            second = await _issue(client, staff)

        assert changed.status_code == 200, changed.text
        assert changed.json()["subject"] == "Le numéro de Noël"
        assert changed.json()["audience"]["departments"] == ["35"]
        assert no_alt.status_code == 422
        assert "texte alternatif" in no_alt.text
        assert unknown_letter.status_code == 404
        assert unknown_department.status_code == 422
        assert "Département inconnu : 99." in unknown_department.text
        assert second["number"] == 2


async def _post_issue(client: httpx.AsyncClient, staff: dict[str, str], letter: str) -> Any:
    return await client.post(
        f"{API}/letters/{letter}/issues", json={"subject": "Un numéro"}, headers=staff
    )


class TestTestSend:
    async def test_reaches_the_sink_prefixed_test_with_inlined_css_and_both_parts(
        self, database, nats_server, mail_sink
    ):
        first, second = unique_email("test-a"), unique_email("test-b")
        async with _platform(database, nats_server, mail_sink, Clock(), Engine()) as (
            _app,
            client,
            staff,
        ):
            issue = await _issue(client, staff, preheader="L'agenda de l'hiver")
            sent = await client.post(
                f"{API}/issues/{issue['id']}/test",
                json={"recipients": [first, second]},
                headers=staff,
            )

            def arrived() -> list[EmailMessage]:
                mails = [
                    m
                    for m in read_mails(mail_sink.directory)
                    if str(m["To"]).lower() in (first.lower(), second.lower())
                ]
                return mails if len(mails) == 2 else []

            mails = await wait_until(arrived, timeout=30)
            refused = await client.post(
                f"{API}/issues/{issue['id']}/test", json={"recipients": []}, headers=staff
            )

        assert sent.status_code == 202 and sent.json() == {"queued": 2}
        for message in mails:
            assert message["Subject"] == "[TEST] Le numéro de décembre"
            assert message.get_content_type() == "multipart/alternative"
            assert CENTRE.name in str(message["From"])
            assert message["Date"] and message["Message-ID"]
            html, text = _part(message, "html"), _part(message, "plain")
            assert '<html lang="fr">' in html
            assert "<style" not in html and 'style="' in html
            assert "L'agenda de l'hiver" in html
            assert "Grand Angle n° 12" in text and "Se désabonner de cette lettre" in text
        assert refused.status_code == 422


class TestArchive:
    async def test_lists_and_shows_only_sent_issues_without_personal_links(
        self, database, nats_server, mail_sink
    ):
        clock, engine = Clock(), Engine()
        async with _platform(database, nats_server, mail_sink, clock, engine) as (
            app,
            client,
            staff,
        ):
            sent = await _issue(client, staff, subject="Le numéro de novembre")
            draft = await _issue(client, staff, subject="Le brouillon de décembre")
            uow = _uow(app)
            await handlers.begin_sending(uow, uuid.UUID(sent["id"]), clock.now, engine.start)
            async with uow() as work:
                issue = await work.issues.get(uuid.UUID(sent["id"]))
                assert issue is not None
                issue.mark_sent(clock.now)
                await work.issues.save(issue)
                await work.commit()
            listed = await client.get(f"{API}/letters/la-minute-pop/archive")
            read = await client.get(f"{API}/letters/la-minute-pop/archive/1")
            unsent = await client.get(f"{API}/letters/la-minute-pop/archive/{draft['number']}")
            page = await client.get("/lettres/la-minute-pop/numeros")
            issue_page = await client.get("/lettres/la-minute-pop/numeros/1")
            draft_page = await client.get(f"/lettres/la-minute-pop/numeros/{draft['number']}")
            unknown = await client.get("/lettres/inconnue/numeros")
            home = await client.get("/")

        assert listed.status_code == 200
        assert [(i["number"], i["subject"]) for i in listed.json()["issues"]] == [
            (1, "Le numéro de novembre")
        ]
        body = read.json()
        assert body["issue"]["letter_name"] == "La Minute Pop"
        assert "Grand Angle n° 12" in body["html"]
        assert "jeton" not in body["html"] and "desabonnement" not in body["html"]
        assert "jeton" not in body["text"]
        assert unsent.status_code == 404
        assert page.status_code == 200 and "Le numéro de novembre" in page.text
        assert "Le brouillon de décembre" not in page.text
        assert '<html lang="fr">' in page.text
        assert issue_page.status_code == 200 and "Grand Angle n° 12" in issue_page.text
        assert draft_page.status_code == 404 and "Numéro introuvable" in draft_page.text
        assert unknown.status_code == 404
        assert 'href="/lettres/la-minute-pop/numeros/1">Le numéro de novembre</a>' in home.text
        assert "Le brouillon de décembre" not in home.text


CSV = (
    "Prénom;Nom;Courriel;Structure;Département;Commune;Date de consentement\r\n"
    "Awa;Diallo;{a};;35;35238;12/03/2024\r\n"
    "Yann;Le Goff;{b};;29;29019;12/03/2024\r\n"
    "Nina;Roux;{c};;;35238;12/03/2024\r\n"
    "Paul;Morin;{d};;;;12/03/2024\r\n"
)


class TestAudience:
    async def test_narrows_the_letter_s_subscribers_to_a_department_a_commune_or_a_qpv(
        self, database, nats_server, mail_sink
    ):
        a, b, c, d = (unique_email(n) for n in ("rennes", "brest", "villejean", "ailleurs"))
        async with _platform(database, nats_server, mail_sink, Clock(), Engine()) as (
            app,
            client,
            staff,
        ):
            imported = await client.post(
                f"{API}/subscribers/import",
                params={
                    "letter": "la-minute-pop",
                    "source": "Formulaire papier, rencontre régionale",
                    "wording": "J'accepte de recevoir La Minute Pop par e-mail.",
                    "dry_run": "false",
                },
                content=CSV.format(a=a, b=b, c=c, d=d).encode("utf-8"),
                headers={**staff, "content-type": "text/csv"},
            )
            assert imported.status_code == 200, imported.text
            audiences = {}
            for name, audience in {
                "everyone": {},
                "department": {"departments": ["35"]},
                "commune": {"communes": ["29019"]},
                "qpv": {"qpvs": ["QN03502M"]},
            }.items():
                issue = await _issue(client, staff, audience=audience)
                async with _uow(app)() as work:
                    found = await work.issues.get(uuid.UUID(issue["id"]))
                    assert found is not None
                    audiences[name] = {r.email for r in await handlers.issue_audience(work, found)}
            preview = await client.get(f"{API}/issues/{issue['id']}/preview", headers=staff)

        assert audiences["everyone"] == {a, b, c, d}
        assert audiences["department"] == {a, c}
        assert audiences["commune"] == {b}
        assert audiences["qpv"] == {a, c}
        assert preview.json()["audience_size"] == 2


def _person(person_id: uuid.UUID, email: str) -> PersonUpdatedV1:
    return PersonUpdatedV1(
        producer="members",
        centre=CENTRE.slug,
        person_id=person_id,
        first_name="Prénom",
        last_name="Nom",
        email=email,
        kind="project_leader",
        college="acteurs_territoriaux",
        territory=Territory(department="35"),
    )


def _network(
    kind: type[NetworkJoinedV1] | type[NetworkLeftV1], person_id: uuid.UUID, at: datetime
) -> NetworkJoinedV1 | NetworkLeftV1:
    return kind(
        producer="members",
        centre=CENTRE.slug,
        network_slug="sante",
        person_id=person_id,
        occurred_at=at,
    )


class TestNetworkAudience:
    async def test_an_issue_for_a_network_reaches_its_current_members_among_the_subscribers(
        self, database, nats_server, mail_sink
    ):
        a, b, c, d = (unique_email(n) for n in ("rennes", "brest", "villejean", "ailleurs"))
        member, former, outsider = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        then = datetime(2026, 11, 2, 9, tzinfo=UTC)
        facts = [
            _person(member, a.upper()),  # addresses compare case-insensitively
            _person(former, b),
            _person(outsider, unique_email("pas-abonnee")),
            _network(NetworkJoinedV1, member, then),
            # The leave arrives before the older join (two subjects): the leave still wins.
            _network(NetworkLeftV1, former, then + timedelta(days=3)),
            _network(NetworkJoinedV1, former, then),
            _network(NetworkJoinedV1, outsider, then),
        ]
        async with _platform(database, nats_server, mail_sink, Clock(), None) as (
            app,
            client,
            staff,
        ):
            imported = await client.post(
                f"{API}/subscribers/import",
                params={
                    "letter": "la-minute-pop",
                    "source": "Formulaire papier, rencontre régionale",
                    "wording": "J'accepte de recevoir La Minute Pop par e-mail.",
                    "dry_run": "false",
                },
                content=CSV.format(a=a, b=b, c=c, d=d).encode("utf-8"),
                headers={**staff, "content-type": "text/csv"},
            )
            assert imported.status_code == 200, imported.text
            for fact in facts:
                await publish(nats_server.url, fact)
            for fact in facts:
                await consumed(nats_server.url, "newsletters", fact.subject)
            both = await _issue(
                client, staff, audience={"networks": ["sante"], "communes": ["29019"]}
            )
            both_preview = await client.get(f"{API}/issues/{both['id']}/preview", headers=staff)
            issue = await _issue(client, staff, audience={"networks": ["sante"]})
            preview = await client.get(f"{API}/issues/{issue['id']}/preview", headers=staff)
            sent = await client.post(f"{API}/issues/{issue['id']}/send", headers=staff)
            assert sent.status_code == 200, sent.text

            async def finished() -> dict[str, Any] | None:
                got = await client.get(f"{API}/issues/{issue['id']}", headers=staff)
                body: dict[str, Any] = got.json()
                return body if body["status"] == "sent" else None

            await wait_until(finished, timeout=30)
            ours = {a.lower(), b.lower(), c.lower(), d.lower()}
            mails = [m for m in read_mails(mail_sink.directory) if _to(m) in ours]

            erased = PersonErasedV1(producer="members", centre=CENTRE.slug, person_id=member)
            await publish(nats_server.url, erased)
            await consumed(nats_server.url, "newsletters", erased.subject)
            async with _uow(app)() as work:
                kept = {
                    row.person_id
                    for table in (network_members, person_addresses)
                    for row in await work.session.execute(select(table.c.person_id))
                }

        assert issue["audience"]["networks"] == ["sante"]
        assert preview.json()["audience_size"] == 1
        assert both_preview.json()["audience_size"] == 2, "a network and a commune add up"
        assert [_to(m) for m in mails] == [a.lower()]
        assert str(member) not in kept and str(former) in kept, "erasure reaches the projection"


async def _rows(app: ServiceApp, table: Any) -> list[Any]:
    async with app.engine.connect() as connection:
        return list((await connection.execute(select(table))).all())


class TestSubscribersTiedToPeople:
    async def test_a_member_s_subscription_follows_the_person_through_an_address_change(
        self, database, nats_server, mail_sink
    ):
        old_a, new_a, b, nobody = (unique_email(n) for n in ("awa", "awa-neuf", "yann", "nina"))
        awa, yann = uuid.uuid4(), uuid.uuid4()
        then = datetime(2026, 11, 2, 9, tzinfo=UTC)
        moved = _person(awa, new_a).model_copy(update={"occurred_at": then + timedelta(days=1)})
        async with _platform(database, nats_server, mail_sink, Clock(), None) as (
            app,
            client,
            staff,
        ):

            async def members_say(*facts: Any) -> None:
                for fact in facts:
                    await publish(nats_server.url, fact)
                for fact in facts:
                    await consumed(nats_server.url, "newsletters", fact.subject)

            async def imported(*addresses: str) -> None:
                response = await client.post(
                    f"{API}/subscribers/import",
                    params={
                        "letter": "la-minute-pop",
                        "source": "Formulaire papier, rencontre régionale",
                        "wording": "J'accepte de recevoir La Minute Pop par e-mail.",
                        "dry_run": "false",
                    },
                    content=CSV.format(a=addresses[0], b=addresses[1], c=addresses[2],
                                       d=unique_email("autre")).encode("utf-8"),
                    headers={**staff, "content-type": "text/csv"},
                )  # fmt: skip
                assert response.status_code == 200, response.text

            # Awa subscribed before members spoke of her; then she changed her address
            # (newsletters never mailed her at the old one). Yann was known before subscribing.
            await members_say(
                _person(yann, b).model_copy(update={"occurred_at": then}),
            )
            await imported(old_a, b, nobody)
            await members_say(
                _person(awa, old_a).model_copy(update={"occurred_at": then}),
                moved,
                _network(NetworkJoinedV1, awa, then),
            )
            tied = {
                row.email_key: row.person_id
                for row in await _rows(app, subscribers)
                if row.email_key in {old_a.lower(), b.lower(), nobody.lower()}
            }
            issue = await _issue(client, staff, audience={"networks": ["sante"]})
            preview = await client.get(f"{API}/issues/{issue['id']}/preview", headers=staff)
            await members_say(PersonErasedV1(producer="members", centre=CENTRE.slug,
                                             person_id=awa))  # fmt: skip
            left = {row.email_key for row in await _rows(app, subscribers)}

        assert tied == {old_a.lower(): str(awa), b.lower(): str(yann), nobody.lower(): None}
        assert preview.json()["audience_size"] == 1, "the network reaches Awa's subscription"
        assert old_a.lower() not in left, "erasing Awa reaches the address never mailed"
        assert {b.lower(), nobody.lower()} <= left


class TestSchedule:
    async def test_a_scheduled_issue_goes_to_the_engine_when_its_paris_time_comes(
        self, database, nats_server, mail_sink
    ):
        clock, engine = Clock(), Engine()
        async with _platform(database, nats_server, mail_sink, clock, engine) as (
            app,
            client,
            staff,
        ):
            issue = await _issue(client, staff)
            other = await _issue(client, staff, subject="À annuler")
            scheduled = await client.post(
                f"{API}/issues/{issue['id']}/schedule",
                json={"at": "2099-01-05T09:00:00"},
                headers=staff,
            )
            past = await client.post(
                f"{API}/issues/{other['id']}/schedule",
                json={"at": "2020-01-05T09:00:00"},
                headers=staff,
            )
            await client.post(
                f"{API}/issues/{other['id']}/schedule",
                json={"at": "2099-02-01T09:00:00+01:00"},
                headers=staff,
            )
            cancelled = await client.post(f"{API}/issues/{other['id']}/cancel", headers=staff)
            clock.now = datetime(2099, 1, 5, 8, 0, 1, tzinfo=UTC)
            await wait_until(lambda: engine.started, timeout=15)
            async with app.engine.connect() as connection:
                rows = {
                    row.id: row
                    for row in await connection.execute(
                        select(issues.c.id, issues.c.status, issues.c.frozen)
                    )
                }
            again = await client.post(f"{API}/issues/{issue['id']}/cancel", headers=staff)
            changed = await client.patch(
                f"{API}/issues/{issue['id']}", json={"subject": "Trop tard"}, headers=staff
            )

        assert scheduled.status_code == 200, scheduled.text
        assert scheduled.json()["scheduled_at"] == "2099-01-05T08:00:00Z"
        assert scheduled.json()["status"] == "scheduled"
        assert past.status_code == 422 and "futur" in past.text
        assert cancelled.json()["status"] == "cancelled"
        assert [issue_id for issue_id, _ in engine.started] == [uuid.UUID(issue["id"])]
        assert engine.started_by == [engine.staff_email], "started by who scheduled it"
        assert rows[issue["id"]].status == "sending"
        assert rows[issue["id"]].frozen is not None
        assert rows[other["id"]].status == "cancelled"
        assert again.status_code == 409 and changed.status_code == 409


class TestScheduleWithTheEngine:
    async def test_a_scheduled_issue_without_subscribers_is_sent_and_archived_at_its_time(
        self, database, nats_server, mail_sink
    ):
        clock = Clock()
        async with _platform(database, nats_server, mail_sink, clock, None) as (
            _app,
            client,
            staff,
        ):
            issue = await _issue(client, staff, audience={"communes": ["29019"]})
            scheduled = await client.post(
                f"{API}/issues/{issue['id']}/schedule",
                json={"at": "2099-01-05T09:00:00"},
                headers=staff,
            )
            before = await client.get(f"{API}/letters/la-minute-pop/archive")
            clock.now = datetime(2099, 1, 5, 8, 0, 1, tzinfo=UTC)

            async def archived() -> Any:
                got = await client.get(f"{API}/letters/la-minute-pop/archive")
                return got.json()["issues"] or None

            issues = await wait_until(archived, timeout=15)
            final = await client.get(f"{API}/issues/{issue['id']}", headers=staff)

        assert scheduled.status_code == 200, scheduled.text
        assert before.json()["issues"] == []
        assert [i["number"] for i in issues] == [issue["number"]]
        assert final.json()["status"] == "sent"


def _to(message: EmailMessage) -> str:
    return str(message["To"].addresses[0].addr_spec).lower()


class TestSendNow:
    async def test_staff_send_now_hands_the_issue_to_the_engine_once(
        self, database, nats_server, mail_sink
    ):
        engine = Engine()
        async with _platform(database, nats_server, mail_sink, Clock(), engine) as (
            _app,
            client,
            staff,
        ):
            issue = await _issue(client, staff)
            sent = await client.post(f"{API}/issues/{issue['id']}/send", headers=staff)
            again = await client.post(f"{API}/issues/{issue['id']}/send", headers=staff)

        assert sent.status_code == 200, sent.text
        assert sent.json()["status"] == "sending"
        assert [issue_id for issue_id, _ in engine.started] == [uuid.UUID(issue["id"])]
        assert engine.started_by == [engine.staff_email], "started by who sent it now"
        assert again.status_code == 409

    async def test_send_now_mails_the_audience_once_then_the_issue_is_sent_and_archived(
        self, database, nats_server, mail_sink
    ):
        a, b, c, d = (unique_email(n) for n in ("rennes", "brest", "villejean", "ailleurs"))
        async with _platform(database, nats_server, mail_sink, Clock(), None) as (
            app,
            client,
            staff,
        ):
            imported = await client.post(
                f"{API}/subscribers/import",
                params={
                    "letter": "la-minute-pop",
                    "source": "Formulaire papier, rencontre régionale",
                    "wording": "J'accepte de recevoir La Minute Pop par e-mail.",
                    "dry_run": "false",
                },
                content=CSV.format(a=a, b=b, c=c, d=d).encode("utf-8"),
                headers={**staff, "content-type": "text/csv"},
            )
            assert imported.status_code == 200, imported.text
            issue = await _issue(client, staff, audience={"departments": ["35"]})
            sent = await client.post(f"{API}/issues/{issue['id']}/send", headers=staff)
            assert sent.status_code == 200, sent.text

            async def finished() -> dict[str, Any] | None:
                got = await client.get(f"{API}/issues/{issue['id']}", headers=staff)
                body: dict[str, Any] = got.json()
                return body if body["status"] == "sent" else None

            final = await wait_until(finished, timeout=30)
            archive = await client.get(f"{API}/letters/la-minute-pop/archive")
            ours = {a.lower(), b.lower(), c.lower(), d.lower()}
            mails = [m for m in read_mails(mail_sink.directory) if _to(m) in ours]
            awa = next(m for m in mails if _to(m) == a.lower())
            https_url = re.findall(r"<([^>]+)>", str(awa["List-Unsubscribe"]))[0]
            client.cookies.clear()
            unsubscribed = await client.post(
                urlsplit(https_url).path,
                content=b"List-Unsubscribe=One-Click",
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
            async with _uow(app)() as work:
                found = await work.issues.get(uuid.UUID(issue["id"]))
                assert found is not None
                left = {r.email for r in await handlers.issue_audience(work, found)}
            facts = await wait_until(
                lambda: stream_messages(
                    nats_server.url, "NEWSLETTERS", "reso.newsletters.issue.sent.v1"
                )
            )

        # Department 35 only, one message each.
        assert sorted(_to(m) for m in mails) == sorted([a.lower(), c.lower()])
        assert awa["Subject"] == "Le numéro de décembre"
        assert "Bonjour Awa," in _part(awa, "plain")
        assert "Bonne <strong>lecture</strong>" in _part(awa, "html")
        assert str(awa["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
        assert unsubscribed.status_code == 200, unsubscribed.text
        assert left == {c}, "the one-click link of the message unsubscribed its reader"
        assert final["sent_at"] is not None
        assert [i["number"] for i in archive.json()["issues"]] == [issue["number"]]
        assert len(facts) == 1
        fact = payload(facts[0])
        assert (fact["issue_id"], fact["letter"], fact["number"]) == (
            issue["id"],
            "la-minute-pop",
            issue["number"],
        )
        assert (fact["recipients"], fact["sent"], fact["failed"]) == (2, 2, 0)
        assert a not in str(fact) and c not in str(fact), "counts only, no personal data"
