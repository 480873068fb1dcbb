"""Calls for applications end to end: staff define and open a call through the gateway, people
tied to an organisation apply (the events service asks members for the organisation's kind and
the person's ties over real NATS), staff score, decide and publish; the facts reach the EVENTS
stream exactly once (both lanes). The events service runs on a fixed clock."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from contracts.events import ApplicationSubmittedV1
from contracts.events.calls import ApplicationV1, SubmitApplicationV1
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
from services.events.domain.links import RegistrationLinks
from services.events.handlers.calls import forget_person, person_data
from services.events.settings import EventsSettings
from services.events.store import EventsUnitOfWork, applications, contract_mapper, reliability
from services.gateway.auth import SESSION_COOKIE
from services.gateway.store import Role
from services.members.app import build_app as build_members
from services.newsletters.app import build_app as build_newsletters
from services.runtime.db import session_factory
from services.runtime.service import ServiceApp
from tests.support.factories import unique_email
from tests.support.mail import await_mail, read_mails
from tests.support.services import (
    CENTRE,
    gateway,
    members_settings,
    nats_settings,
    newsletters_settings,
    payload,
    running,
    stream_messages,
    wait_until,
)

SUBMITTED = "reso.events.application.submitted.v1"
DECIDED = "reso.events.application.decided.v1"
BEFORE = datetime(2027, 3, 20, 9, 0, tzinfo=UTC)
# 28 March 2027, 12:00 in Paris is 10:00 UTC: clocks went forward that night.
DEADLINE_PARIS = "2027-03-28T12:00:00"
AFTER = datetime(2027, 3, 28, 10, 0, tzinfo=UTC)


class Clock:
    """The events service's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def events_settings(database_url: str, nats_url: str) -> EventsSettings:
    return EventsSettings(
        database_url=database_url,
        nats=nats_settings(nats_url),
        centre=CENTRE,
        outbox_poll_seconds=0.2,
    )


def events_uow(app: ServiceApp):
    def uow() -> EventsUnitOfWork:
        return EventsUnitOfWork(
            session_factory(app.engine),
            reliability,
            to_contract=contract_mapper(
                CENTRE, RegistrationLinks("calls-erasure-test-secret", CENTRE.public_url)
            ),
            on_commit=app.relay.notify,
        )

    return uow


@pytest.fixture
async def site(database, nats_server):
    clock = Clock(BEFORE)
    async with (
        running(build_members(members_settings(database("members"), nats_server.url))),
        running(
            build_events(events_settings(database("events"), nats_server.url), clock=clock)
        ) as events,
        gateway(database("gateway"), nats_server.url) as client,
    ):
        token = await client.app.state.staff.add(unique_email("equipe"), Role.STAFF)
        client.staff = {"Authorization": f"Bearer {token}"}  # type: ignore[attr-defined]
        client.clock = clock  # type: ignore[attr-defined]
        client.events = events  # type: ignore[attr-defined]
        client.nats_url = nats_server.url  # type: ignore[attr-defined]
        yield client


def call_body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "title": "Labo Quartiers en Transitions",
        "description": "Le centre accompagne de 2 à 4 territoires en transition.",
        "eligible_kinds": ["epci"],
        "sections": [
            {
                "key": "territoire",
                "label": "Présentation du territoire",
                "help": "Quartiers, contrat de ville, acteurs.",
                "min_chars": 20,
                "max_chars": 2000,
            },
            {"key": "motivation", "label": "Motivation", "max_chars": 1000},
        ],
        "criteria": [
            {"key": "pertinence", "label": "Pertinence", "weight": 2, "max_score": 5},
            {"key": "partenariat", "label": "Partenariat", "weight": 1, "max_score": 10},
        ],
        "places": 2,
        "deadline": DEADLINE_PARIS,
        "reference_prefix": f"LQT-{uuid.uuid4().hex[:6].upper()}",
    }
    body.update(changes)
    return body


async def open_call(site, **changes: object) -> dict:
    created = await site.post("/api/v1/staff/calls", json=call_body(**changes), headers=site.staff)
    assert created.status_code == 201, created.text
    call_id = created.json()["call_id"]
    opened = await site.post(f"/api/v1/staff/calls/{call_id}/open", headers=site.staff)
    assert opened.status_code == 200, opened.text
    return opened.json()


async def applicant(site, kind: OrganisationKind = OrganisationKind.EPCI):
    """A person tied to an organisation of ``kind``, signed in: (person, organisation, cookies)."""
    rpc = site.app.state.rpc
    organisation = await rpc.call(
        CreateOrganisationV1(kind=kind, name=f"Territoire {uuid.uuid4().hex[:6]}", created_by="t"),
        OrganisationV1,
    )
    person = await rpc.call(
        CreatePersonV1(first_name="Léa", last_name="Martin", email=unique_email(), by="t"),
        PersonV1,
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
    session = await site.app.state.person_sessions.open(person.person_id)
    return person, organisation, {"Cookie": f"{SESSION_COOKIE}={session.token}"}


ANSWERS = {
    "territoire": "Trois quartiers prioritaires, 12 000 habitants, un contrat de ville 2024-2030.",
    "motivation": "Engager les habitants dans la transition écologique.",
}


async def submitted_in(site, call: dict, *, kind=OrganisationKind.EPCI):
    person, organisation, cookies = await applicant(site, kind)
    path = f"/api/v1/calls/{call['call_id']}/applications/{organisation.organisation_id}"
    response = await site.post(f"{path}/submit", json={"answers": ANSWERS}, headers=cookies)
    assert response.status_code == 200, response.text
    return response.json(), person, cookies


async def facts(site, subject: str, application_id: str) -> list[dict]:
    found = [payload(m) for m in await stream_messages(site.nats_url, "EVENTS", subject)]
    return [fact for fact in found if fact["application_id"] == application_id]


async def outbox_rows(site, subject: str) -> int:
    async with site.events.engine.connect() as connection:
        statement = select(func.count()).where(reliability.outbox.c.subject == subject)
        return int((await connection.execute(statement)).scalar_one())


async def outbox_flushed(site) -> bool:
    async with site.events.engine.connect() as connection:
        statement = select(func.count()).where(reliability.outbox.c.published_at.is_(None))
        return int((await connection.execute(statement)).scalar_one()) == 0


class TestApplying:
    async def test_a_draft_is_saved_incomplete_then_submitted_with_an_acknowledgement(self, site):
        call = await open_call(site)
        assert call["deadline_label"] == "28 mars 2027 à 12 h 00 (heure de Paris)"
        assert call["deadline_paris"].startswith("2027-03-28T12:00:00+02:00")
        person, organisation, cookies = await applicant(site)
        path = f"/api/v1/calls/{call['call_id']}/applications/{organisation.organisation_id}"

        draft = await site.put(path, json={"answers": {"motivation": "À venir."}}, headers=cookies)
        assert draft.status_code == 200, draft.text
        assert draft.json()["status"] == "draft"
        assert draft.json()["missing"] == ["territoire"]
        incomplete = await site.post(f"{path}/submit", json={}, headers=cookies)
        assert incomplete.status_code == 422
        assert "Présentation du territoire" in incomplete.json()["error"]["message"]

        done = await site.post(f"{path}/submit", json={"answers": ANSWERS}, headers=cookies)
        assert done.status_code == 200, done.text
        assert done.json()["reference"] == f"{call['reference_prefix']}-0001"
        mine = await site.get(f"/api/v1/calls/{call['call_id']}/applications/mine", headers=cookies)
        assert [a["status"] for a in mine.json()["items"]] == ["submitted"]

        [fact] = await wait_until(lambda: facts(site, SUBMITTED, done.json()["application_id"]))
        fact = ApplicationSubmittedV1.model_validate(fact)
        assert (fact.email, fact.first_name) == (person.email, "Léa")
        assert fact.organisation_name == organisation.name
        assert fact.call_title == "Labo Quartiers en Transitions"

    async def test_a_retried_submission_announces_the_application_exactly_once(self, site):
        call = await open_call(site)
        person, organisation, _ = await applicant(site)
        command = SubmitApplicationV1(
            call_id=call["call_id"],
            person_id=person.person_id,
            organisation_id=organisation.organisation_id,
            answers=ANSWERS,
        )
        rpc = site.app.state.rpc
        first, second = [await rpc.call(command, ApplicationV1) for _ in range(2)]
        assert first.reference == second.reference == f"{call['reference_prefix']}-0001"
        await wait_until(lambda: outbox_flushed(site))
        assert len(await facts(site, SUBMITTED, str(first.application_id))) == 1
        assert await outbox_rows(site, SUBMITTED) == 1

    async def test_submission_after_the_paris_deadline_is_refused_in_french(self, site):
        call = await open_call(site)
        _, organisation, cookies = await applicant(site)
        path = f"/api/v1/calls/{call['call_id']}/applications/{organisation.organisation_id}"
        assert (await site.put(path, json={"answers": ANSWERS}, headers=cookies)).is_success
        site.clock.now = AFTER

        late = await site.post(f"{path}/submit", json={}, headers=cookies)
        assert late.status_code == 422
        assert late.json()["error"]["message"] == (
            "La date limite de dépôt était le 28 mars 2027 à 12 h 00 (heure de Paris) : "
            "les candidatures ne sont plus acceptées."
        )
        listed = await site.get("/api/v1/calls")
        assert call["call_id"] not in [c["call_id"] for c in listed.json()["items"]]
        assert await outbox_rows(site, SUBMITTED) == 0

    async def test_a_commune_cannot_apply_to_a_call_for_epci(self, site):
        call = await open_call(site)
        _, commune, cookies = await applicant(site, OrganisationKind.COMMUNE)
        path = f"/api/v1/calls/{call['call_id']}/applications/{commune.organisation_id}"
        refused = await site.put(path, json={"answers": ANSWERS}, headers=cookies)
        assert refused.status_code == 422
        assert "réservé aux organisations de type : epci" in refused.json()["error"]["message"]

    async def test_a_person_cannot_apply_for_an_organisation_they_are_not_tied_to(self, site):
        call = await open_call(site)
        _, organisation, _ = await applicant(site)
        _, _, stranger = await applicant(site)
        path = f"/api/v1/calls/{call['call_id']}/applications/{organisation.organisation_id}"
        refused = await site.put(path, json={"answers": ANSWERS}, headers=stranger)
        assert refused.status_code == 422
        assert "pas rattaché" in refused.json()["error"]["message"]

    async def test_concurrent_submissions_are_numbered_without_gaps(self, site):
        call = await open_call(site)
        people = [await applicant(site) for _ in range(6)]
        rpc = site.app.state.rpc
        replies = await asyncio.gather(
            *(
                rpc.call(
                    SubmitApplicationV1(
                        call_id=call["call_id"],
                        person_id=person.person_id,
                        organisation_id=organisation.organisation_id,
                        answers=ANSWERS,
                    ),
                    ApplicationV1,
                    # six at once, serialised by the numbering: room for a loaded machine
                    timeout=60,
                )
                for person, organisation, _ in people
            )
        )
        prefix = call["reference_prefix"]
        assert sorted(r.reference for r in replies) == [f"{prefix}-{n:04d}" for n in range(1, 7)]

    async def test_anyone_signed_out_is_asked_to_sign_in_to_apply(self, site):
        call = await open_call(site)
        refused = await site.put(
            f"/api/v1/calls/{call['call_id']}/applications/{uuid.uuid4()}", json={"answers": {}}
        )
        assert refused.status_code == 401


UNKNOWN_ID = "3f6d2a1c-8b4e-4c7a-9e15-0d2b6a7c4f81"
"""An id no call or application has: fixed, so that every pytest-xdist worker collects the
same test ids."""


class TestStaffRoutes:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/api/v1/staff/calls"),
            ("POST", "/api/v1/staff/calls"),
            ("POST", f"/api/v1/staff/calls/{UNKNOWN_ID}/open"),
            ("GET", f"/api/v1/staff/calls/{UNKNOWN_ID}/applications"),
            ("PUT", f"/api/v1/staff/applications/{UNKNOWN_ID}/scores"),
            ("PUT", f"/api/v1/staff/applications/{UNKNOWN_ID}/decision"),
            ("POST", f"/api/v1/staff/calls/{UNKNOWN_ID}/decisions/publish"),
        ],
    )
    async def test_refuse_anonymous_callers_and_signed_in_applicants(self, site, method, path):
        anonymous = await site.request(method, path, json={})
        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["message"] == "Authentification requise."
        _, _, cookies = await applicant(site)
        assert (await site.request(method, path, json={}, headers=cookies)).status_code == 401

    async def test_a_draft_call_is_hidden_from_the_public(self, site):
        created = await site.post("/api/v1/staff/calls", json=call_body(), headers=site.staff)
        call_id = created.json()["call_id"]
        assert (await site.get(f"/api/v1/calls/{call_id}")).status_code == 404
        staff_view = await site.get(f"/api/v1/staff/calls/{call_id}", headers=site.staff)
        assert staff_view.json()["status"] == "draft"


class TestReviewAndDecisions:
    async def test_reviewers_score_and_the_weighted_average_shows(self, site):
        call = await open_call(site)
        application, _, _ = await submitted_in(site, call)
        path = f"/api/v1/staff/applications/{application['application_id']}/scores"
        other = await site.app.state.staff.add(unique_email("relecteur"), Role.STAFF)
        first = await site.put(
            path,
            json={"scores": {"pertinence": 4, "partenariat": 5}, "comment": "Solide."},
            headers=site.staff,
        )
        assert first.status_code == 200, first.text
        second = await site.put(
            path,
            json={"scores": {"pertinence": 5, "partenariat": 8}},
            headers={"Authorization": f"Bearer {other}"},
        )
        # 70 % and (2*1 + 1*0.8)/3 = 93.33 %: the mean is 81.67 %.
        assert second.json()["summary"]["average"] == 81.67
        assert [r["total"] for r in second.json()["reviews"]] == [70.0, 93.33]
        too_high = await site.put(path, json={"scores": {"pertinence": 6}}, headers=site.staff)
        assert too_high.status_code == 422
        assert "la note va de 0 à 5" in too_high.json()["error"]["message"]

    async def test_decisions_stay_within_the_places_and_are_announced_once(self, site):
        call = await open_call(site, places=1)
        first, _, first_cookies = await submitted_in(site, call)
        second, _, _ = await submitted_in(site, call)
        closed = await site.post(f"/api/v1/staff/calls/{call['call_id']}/close", headers=site.staff)
        assert closed.json()["status"] == "closed"

        async def decide(application, decision, message=""):
            path = f"/api/v1/staff/applications/{application['application_id']}/decision"
            body = {"decision": decision, "message": message}
            return await site.put(path, json=body, headers=site.staff)

        assert (await decide(first, "selected", "Félicitations !")).status_code == 200
        over = await decide(second, "selected")
        assert over.status_code == 422
        assert "Les 1 places de l'appel sont déjà attribuées" in over.json()["error"]["message"]
        assert (await decide(second, "waiting", "Vous êtes en liste d'attente.")).is_success

        mine_path = f"/api/v1/calls/{call['call_id']}/applications/mine"
        hidden = await site.get(mine_path, headers=first_cookies)
        assert hidden.json()["items"][0]["decision"] is None  # not made known yet

        publish = f"/api/v1/staff/calls/{call['call_id']}/decisions/publish"
        published = await site.post(publish, headers=site.staff)
        assert published.json() == {"call_id": call["call_id"], "announced": 2, "undecided": 0}
        again = await site.post(publish, headers=site.staff)
        assert again.json()["announced"] == 0

        await wait_until(lambda: outbox_flushed(site))
        [selected] = await facts(site, DECIDED, first["application_id"])
        [waiting] = await facts(site, DECIDED, second["application_id"])
        assert (selected["decision"], selected["message"]) == ("selected", "Félicitations !")
        assert waiting["decision"] == "waiting"
        shown = await site.get(mine_path, headers=first_cookies)
        assert shown.json()["items"][0]["decision"] == "selected"
        listed = await site.get(
            f"/api/v1/staff/calls/{call['call_id']}/applications", headers=site.staff
        )
        assert listed.json()["selected"] == 1
        assert all(item["decision_published"] for item in listed.json()["items"])

    async def test_concurrent_selections_never_exceed_the_places(self, site):
        call = await open_call(site, places=2)
        submitted = [(await submitted_in(site, call))[0] for _ in range(5)]
        await site.post(f"/api/v1/staff/calls/{call['call_id']}/close", headers=site.staff)
        answers = await asyncio.gather(
            *(
                site.put(
                    f"/api/v1/staff/applications/{application['application_id']}/decision",
                    json={"decision": "selected"},
                    headers=site.staff,
                )
                for application in submitted
            )
        )
        assert sorted(answer.status_code for answer in answers) == [200, 200, 422, 422, 422]
        listed = await site.get(
            f"/api/v1/staff/calls/{call['call_id']}/applications", headers=site.staff
        )
        assert listed.json()["selected"] == 2


class TestErasure:
    async def test_forgets_the_applicant_and_keeps_the_organisations_application(self, site):
        call = await open_call(site)
        application, person, _ = await submitted_in(site, call)
        uow = events_uow(site.events)
        async with uow() as work:
            await forget_person(work, person.person_id)
            await work.commit()
        async with site.events.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(applications).where(applications.c.id == application["application_id"])
                )
            ).one()
        assert (row.person_id, row.first_name, row.last_name, row.email) == (None, "", "", "")
        assert row.organisation_name == application["organisation_name"]
        assert row.reference == application["reference"]
        async with uow() as work:
            assert await person_data(work, person.person_id) == []

    async def test_a_person_gets_what_they_wrote_for_their_right_of_access(self, site):
        call = await open_call(site)
        application, person, _ = await submitted_in(site, call)
        async with events_uow(site.events)() as work:
            [held] = await person_data(work, person.person_id)
        assert held["reference"] == application["reference"]
        assert held["answers"] == ANSWERS
        assert held["email"] == person.email


class TestMails:
    async def test_the_applicant_is_mailed_the_acknowledgement_and_the_published_decision(
        self, database, nats_server, mail_sink
    ):
        clock = Clock(BEFORE)
        newsletters = build_newsletters(
            newsletters_settings(database("newsletters"), nats_server.url, mail_sink.port)
        )
        async with (
            running(build_members(members_settings(database("members"), nats_server.url))),
            running(
                build_events(events_settings(database("events"), nats_server.url), clock=clock)
            ),
            running(newsletters),
            gateway(database("gateway"), nats_server.url) as site,
        ):
            token = await site.app.state.staff.add(unique_email("equipe"), Role.STAFF)
            site.staff = {"Authorization": f"Bearer {token}"}  # type: ignore[attr-defined]
            call = await open_call(site)
            application, person, _ = await submitted_in(site, call)
            address = str(person.email)
            await wait_until(lambda: len(_mails_to(mail_sink.directory, address)) >= 1)

            await site.post(f"/api/v1/staff/calls/{call['call_id']}/close", headers=site.staff)
            decided = await site.put(
                f"/api/v1/staff/applications/{application['application_id']}/decision",
                json={"decision": "selected", "message": "Félicitations !"},
                headers=site.staff,
            )
            assert decided.status_code == 200, decided.text
            publish = f"/api/v1/staff/calls/{call['call_id']}/decisions/publish"
            assert (await site.post(publish, headers=site.staff)).json()["announced"] == 1
            await wait_until(lambda: len(_mails_to(mail_sink.directory, address)) >= 2)
            await await_mail(mail_sink.directory, [address], settle=1.0)

        mails = {m["Subject"]: m for m in _mails_to(mail_sink.directory, address)}
        title = "Labo Quartiers en Transitions"
        assert sorted(mails) == [
            f"Candidature retenue – {title}",
            f"Votre candidature est bien reçue – {title}",
        ]
        acknowledgement = _text(mails[f"Votre candidature est bien reçue – {title}"])
        assert f"Votre numéro de dossier : {application['reference']}" in acknowledgement
        assert "Félicitations !" in _text(mails[f"Candidature retenue – {title}"])


def _mails_to(directory, address: str) -> list[EmailMessage]:
    return [m for m in read_mails(directory) if address.lower() in str(m["To"]).lower()]


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return body.get_content().replace("\u00a0", " ").replace("\u202f", " ")
