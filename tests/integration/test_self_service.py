"""A person signs up, confirms their address, signs in by a mailed link and looks after their
own record: profile, ties, memberships, networks, address, erasure. The links are read where
newsletters reads them, on the bus (both lanes)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import nats
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select, update

from contracts.newsletters import SubscriptionCancelledV1, SubscriptionConfirmedV1
from services.events.app import build_app as build_events
from services.gateway.auth import SESSION_COOKIE
from services.gateway.store import Role, StaffStore
from services.members import handlers
from services.members.app import build_app as build_members
from services.members.app import self_service_of
from services.members.store import access_links
from services.members.store import consents as consents_table
from services.newsletters.app import build_app as build_newsletters
from tests.support.events import events_settings
from tests.support.factories import sign_up_payload, unique_email
from tests.support.mail import await_mail
from tests.support.services import (
    LINK_SECRET,
    gateway,
    members_settings,
    members_uow,
    newsletters_settings,
    payload,
    running,
    stream_messages,
    wait_until,
)

REGISTERED = "reso.members.member.registered.v1"
LINKS = "reso.members.access_link.requested.v1"


@pytest.fixture
async def site(database, nats_server):
    settings = members_settings(database("members"), nats_server.url)
    async with (
        running(build_members(settings)) as members,
        gateway(database("gateway"), nats_server.url) as client,
    ):
        client.members = members  # type: ignore[attr-defined]
        client.members_settings = settings  # type: ignore[attr-defined]
        client.nats_url = nats_server.url  # type: ignore[attr-defined]
        yield client


async def link_for(site, subject: str, email: str, *, count: int = 1, purpose: str | None = None):
    """The token of the ``count``-th link mailed to ``email`` (waits for the event)."""

    async def arrived():
        found = [payload(m) for m in await stream_messages(site.nats_url, "MEMBERS", subject)]
        mine = [
            event
            for event in found
            if event["email"].lower() == email.lower()
            and (purpose is None or event.get("purpose") == purpose)
        ]
        return mine if len(mine) >= count else None

    events = await wait_until(arrived)
    url = events[count - 1].get("confirmation_url") or events[count - 1]["url"]
    return parse_qs(urlsplit(url).query)["jeton"][0], events


async def signed_up(site, **overrides: str) -> tuple[str, dict[str, str]]:
    """A person who signed up and confirmed their address; their id and sign-up data."""
    person = sign_up_payload(**overrides)
    person_id = (await site.post("/api/v1/signup", json=person)).json()["id"]
    token, _ = await link_for(site, REGISTERED, person["email"])
    confirmed = await site.post("/api/v1/me/confirmation", json={"token": token})
    assert confirmed.status_code == 200, confirmed.text
    return person_id, person


async def signed_in(site, **overrides: str) -> tuple[str, dict[str, str]]:
    """A confirmed person with a session cookie on ``site``."""
    person_id, person = await signed_up(site, **overrides)
    await site.post("/api/v1/me/link", json={"email": person["email"]})
    token, _ = await link_for(site, LINKS, person["email"], purpose="sign_in")
    session = await site.post("/api/v1/me/session", json={"token": token})
    assert session.status_code == 200, session.text
    return person_id, person


class TestConfirmSignUp:
    async def test_the_welcome_mail_link_confirms_the_address_once_and_for_all(self, site):
        person = sign_up_payload()
        person_id = (await site.post("/api/v1/signup", json=person)).json()["id"]
        token, events = await link_for(site, REGISTERED, person["email"])

        before = await site.get(f"/api/v1/me/confirmation?jeton={token}")
        first = await site.post("/api/v1/me/confirmation", json={"token": token})
        again = await site.post("/api/v1/me/confirmation", json={"token": token})
        confirmed = await wait_until(
            lambda: stream_messages(site.nats_url, "MEMBERS", "reso.members.person.confirmed.v1")
        )

        assert events[0]["confirmation_expires_at"]
        assert before.status_code == 405  # the API never confirms on a GET
        assert first.status_code == 200 and first.json()["person_id"] == person_id
        assert again.status_code == 200
        assert [payload(e)["person_id"] for e in confirmed] == [person_id]

    async def test_a_tampered_or_foreign_token_is_refused_in_french(self, site):
        person = sign_up_payload()
        await site.post("/api/v1/signup", json=person)
        token, _ = await link_for(site, REGISTERED, person["email"])
        forged = URLSafeTimedSerializer("not-our-secret-0123456789", salt="reso.members.links")

        tampered = await site.post("/api/v1/me/confirmation", json={"token": token[:-3] + "abc"})
        foreign = await site.post(
            "/api/v1/me/confirmation",
            json={"token": forged.dumps({"u": "confirm_signup", "p": str(uuid.uuid4())})},
        )
        wrong_use = await site.post("/api/v1/me/session", json={"token": token})

        assert (tampered.status_code, foreign.status_code) == (422, 422)
        assert "lien" in tampered.json()["error"]["message"]
        assert wrong_use.status_code == 422

    async def test_an_expired_link_is_gone(self, site):
        person = sign_up_payload()
        person_id = (await site.post("/api/v1/signup", json=person)).json()["id"]

        class EightDaysAgo(TimestampSigner):
            def get_timestamp(self) -> int:
                return int((datetime.now(UTC) - timedelta(days=8)).timestamp())

        signer = URLSafeTimedSerializer(LINK_SECRET, salt="reso.members.links", signer=EightDaysAgo)
        old = signer.dumps({"u": "confirm_signup", "p": person_id, "k": person["email"].lower()})
        response = await site.post("/api/v1/me/confirmation", json={"token": old})

        assert response.status_code == 410
        assert "expiré" in response.json()["error"]["message"]


class TestAskForALink:
    async def test_answers_the_same_for_known_unconfirmed_and_unknown_addresses(self, site):
        _, confirmed = await signed_up(site)
        unconfirmed = sign_up_payload()
        unconfirmed_id = (await site.post("/api/v1/signup", json=unconfirmed)).json()["id"]
        async with site.members.engine.begin() as connection:  # signed up two minutes ago
            await connection.execute(
                update(access_links)
                .where(access_links.c.person_id == unconfirmed_id)
                .values(created_at=datetime.now(UTC) - timedelta(minutes=2))
            )

        answers = [
            await site.post("/api/v1/me/link", json={"email": address})
            for address in (confirmed["email"], unconfirmed["email"], unique_email("inconnu"))
        ]
        _, sign_in = await link_for(site, LINKS, confirmed["email"])
        _, again = await link_for(site, LINKS, unconfirmed["email"])

        assert {a.status_code for a in answers} == {202}
        assert len({a.text for a in answers}) == 1
        assert [e["purpose"] for e in sign_in] == ["sign_in"]
        assert [e["purpose"] for e in again] == ["confirm_signup"]

    async def test_a_fresh_sign_up_is_not_mailed_a_second_link_at_once(self, site):
        person = sign_up_payload()
        await site.post("/api/v1/signup", json=person)

        await site.post("/api/v1/me/link", json={"email": person["email"]})
        later = sign_up_payload()
        await site.post("/api/v1/signup", json=later)
        await link_for(site, REGISTERED, later["email"])  # the relay got past the request
        events = [payload(m) for m in await stream_messages(site.nats_url, "MEMBERS", LINKS)]

        assert person["email"] not in [e["email"] for e in events]

    async def test_a_double_click_mails_one_link(self, site):
        _, person = await signed_up(site)

        for _ in range(3):
            await site.post("/api/v1/me/link", json={"email": person["email"]})
        _, links = await link_for(site, LINKS, person["email"])
        await site.post("/api/v1/me/link", json={"email": unique_email()})  # a later event
        await link_for(site, LINKS, person["email"])  # the stream has caught up
        _, links = await link_for(site, LINKS, person["email"])

        assert len(links) == 1


class TestSignIn:
    async def test_a_sign_in_link_opens_the_space_once(self, site):
        person_id, person = await signed_up(site, first_name="Awa")
        await site.post("/api/v1/me/link", json={"email": person["email"]})
        token, _ = await link_for(site, LINKS, person["email"], purpose="sign_in")

        anonymous = await site.get("/api/v1/me")
        session = await site.post("/api/v1/me/session", json={"token": token})
        space = await site.get("/api/v1/me")
        reused = await site.post("/api/v1/me/session", json={"token": token})

        assert anonymous.status_code == 401
        assert session.status_code == 200
        cookie = session.headers["set-cookie"]
        assert SESSION_COOKIE in cookie
        assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
        assert space.json()["person"]["person_id"] == person_id
        assert space.json()["person"]["first_name"] == "Awa"
        assert [c["purpose"] for c in space.json()["consents"]] == ["signup"]
        assert reused.status_code == 410

    async def test_signing_out_closes_the_session(self, site):
        await signed_in(site)

        out = await site.delete("/api/v1/me/session")
        after = await site.get("/api/v1/me")

        assert out.status_code == 204 and after.status_code == 401

    async def test_a_person_session_opens_no_staff_route_and_a_staff_token_no_space(self, site):
        person_id, _ = await signed_in(site)
        store: StaffStore = site.app.state.staff
        staff = {"Authorization": f"Bearer {await store.add(unique_email(), Role.ADMIN)}"}

        staff_route = await site.get(f"/api/v1/people/{person_id}")
        site.cookies.clear()
        space = await site.get("/api/v1/me", headers=staff)

        assert staff_route.status_code == 401
        assert space.status_code == 401


class TestPersonalSpace:
    async def test_a_person_edits_their_profile_and_the_audit_log_says_they_did(self, site):
        person_id, _ = await signed_in(site)
        store: StaffStore = site.app.state.staff
        staff = {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}

        changed = await site.patch(
            "/api/v1/me", json={"title": "Médiatrice santé", "territory": {"commune": "29019"}}
        )
        refused = await site.patch("/api/v1/me", json={"email": unique_email()})
        log = await site.get(f"/api/v1/people/{person_id}/audit", headers=staff)

        assert changed.status_code == 200
        assert changed.json()["territory"]["department"] == "29"
        assert refused.status_code == 422  # the address changes through a link only
        assert log.json()["entries"][-1]["by"] == "self"
        assert log.json()["entries"][-1]["action"] == "updated"

    async def test_a_declared_tie_waits_for_staff_before_it_gives_member_access(self, site):
        person_id, _ = await signed_in(site)
        store: StaffStore = site.app.state.staff
        staff = {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}
        organisation = await site.post(
            "/api/v1/organisations",
            json={"kind": "association", "name": "Maison des habitants du Blosne"},
            headers=staff,
        )
        organisation_id = organisation.json()["id"]
        year = await site.post(
            "/api/v1/memberships",
            json={"member_type": "organisation", "member_id": organisation_id, "year": 2026},
            headers=staff,
        )
        await site.post(
            f"/api/v1/memberships/{year.json()['membership_id']}/waiver",
            json={"reason": "structure partenaire"},
            headers=staff,
        )

        found = await site.get("/api/v1/me/organisations", params={"q": "blosne"})
        declared = await site.post(
            "/api/v1/me/affiliations",
            json={"organisation_id": organisation_id, "role": "animatrice", "start": "2026-01-05"},
        )
        tie = declared.json()["affiliation_id"]
        access = f"/api/v1/people/{person_id}/access"
        before = await site.get(access, params={"on": "2026-06-01"}, headers=staff)
        self_verify = await site.patch(f"/api/v1/me/affiliations/{tie}", json={"verified": True})
        await site.patch(f"/api/v1/affiliations/{tie}", json={"verified": True}, headers=staff)
        after = await site.get(access, params={"on": "2026-06-01"}, headers=staff)
        withdraw = await site.delete(f"/api/v1/me/affiliations/{tie}")

        assert [o["name"] for o in found.json()] == ["Maison des habitants du Blosne"]
        assert declared.status_code == 201 and declared.json()["verified"] is False
        assert before.json()["member"] is False
        assert self_verify.status_code == 422
        assert after.json()["member"] is True
        assert withdraw.status_code == 409  # verified: it ends with a date, not a withdrawal

    async def test_a_person_cannot_touch_someone_elses_tie(self, site):
        other_id, _ = await signed_up(site)
        store: StaffStore = site.app.state.staff
        staff = {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}
        organisation = await site.post(
            "/api/v1/organisations", json={"kind": "association", "name": "Autre"}, headers=staff
        )
        theirs = await site.post(
            f"/api/v1/people/{other_id}/affiliations",
            json={"organisation_id": organisation.json()["id"], "role": "x", "start": "2026-01-01"},
            headers=staff,
        )
        await signed_in(site)
        tie = theirs.json()["affiliation_id"]

        changed = await site.patch(f"/api/v1/me/affiliations/{tie}", json={"role": "moi"})
        removed = await site.delete(f"/api/v1/me/affiliations/{tie}")

        assert (changed.status_code, removed.status_code) == (404, 404)

    async def test_a_person_joins_for_a_year_and_joins_and_leaves_networks(self, site):
        await signed_in(site)

        joined_year = await site.post("/api/v1/me/memberships", json={"year": 2027})
        opened_twice = await site.post("/api/v1/me/memberships", json={"year": 2027})
        open_network = await site.put("/api/v1/me/networks/mediateurs-sante")
        closed_network = await site.put("/api/v1/me/networks/agents-de-l-etat-delegues-du-prefet")
        left = await site.delete("/api/v1/me/networks/mediateurs-sante")
        space = (await site.get("/api/v1/me")).json()

        assert joined_year.status_code == 201 and joined_year.json()["status"] == "pending"
        assert opened_twice.status_code == 409
        assert open_network.json()["status"] == "member"
        assert closed_network.json()["status"] == "requested"
        assert left.json()["status"] == "left"
        assert [m["year"] for m in space["memberships"]] == [2027]
        statuses = {n["slug"]: n["status"] for n in space["networks"]}
        assert statuses["mediateurs-sante"] == "left"
        assert statuses["agents-de-l-etat-delegues-du-prefet"] == "requested"
        assert statuses["gusp"] is None


class TestNewsletterConsents:
    async def test_a_subscription_and_its_withdrawal_show_among_the_persons_consents(self, site):
        person_id, person = await signed_in(site)
        confirmed = SubscriptionConfirmedV1(
            producer="newsletters",
            centre="crpv-test",
            subscription_id=uuid.uuid4(),
            letter="la-minute-pop",
            letter_name="La Minute Pop",
            email=person["email"].upper(),
            wording="Je veux recevoir La Minute Pop chaque mois.",
            wording_version="2026-12",
        )
        cancelled = SubscriptionCancelledV1(
            producer="newsletters",
            centre="crpv-test",
            subscription_id=confirmed.subscription_id,
            letter="la-minute-pop",
            letter_name="La Minute Pop",
            email=person["email"],
            person_id=uuid.UUID(person_id),
            reason="one_click",
        )
        stranger = confirmed.model_copy(
            update={"event_id": uuid.uuid4(), "email": unique_email("abonnee")}
        )
        connection = await nats.connect(site.nats_url)
        js = connection.jetstream()
        for event, msg_id in ((confirmed, "a"), (confirmed, "b"), (stranger, "c")):
            await js.publish(
                event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id}
            )

        async def consents():
            space = (await site.get("/api/v1/me")).json()
            return {c["purpose"]: c for c in space["consents"]}

        subscribed = await wait_until(lambda: _having(consents(), "newsletter:la-minute-pop", True))
        await js.publish(
            cancelled.subject, cancelled.model_dump_json().encode(), headers={"Nats-Msg-Id": "d"}
        )
        withdrawn = await wait_until(lambda: _having(consents(), "newsletter:la-minute-pop", False))
        await connection.close()
        async with site.members.engine.connect() as db:
            records = (
                await db.execute(
                    select(consents_table.c.person_id, consents_table.c.granted).where(
                        consents_table.c.purpose == "newsletter:la-minute-pop"
                    )
                )
            ).all()

        assert subscribed["wording"] == "Je veux recevoir La Minute Pop chaque mois."
        assert withdrawn["wording"] == "La Minute Pop : Désabonnement en un clic."
        assert sorted(records) == [(person_id, False), (person_id, True)]  # once each


async def _having(consents, purpose: str, granted: bool):
    found = (await consents).get(purpose)
    return found if found is not None and found["granted"] is granted else None


class TestChangeAddress:
    async def test_the_address_changes_only_once_the_link_sent_to_it_is_followed(self, site):
        person_id, person = await signed_in(site)
        new = unique_email("nouvelle")

        asked = await site.post("/api/v1/me/email", json={"email": new})
        unchanged = (await site.get("/api/v1/me")).json()["person"]["email"]
        token, _ = await link_for(site, LINKS, new, purpose="confirm_email")
        confirmed = await site.post("/api/v1/me/email/confirmation", json={"token": token})
        changed = (await site.get("/api/v1/me")).json()["person"]["email"]
        old_link = await site.post("/api/v1/me/link", json={"email": person["email"]})

        assert asked.status_code == 202
        assert unchanged == person["email"]
        assert confirmed.status_code == 200 and confirmed.json()["person_id"] == person_id
        assert changed == new
        assert old_link.status_code == 202

    async def test_someone_elses_address_gets_no_link_and_the_same_answer(self, site):
        _, other = await signed_up(site)
        await signed_in(site)

        taken = await site.post("/api/v1/me/email", json={"email": other["email"]})
        free = await site.post("/api/v1/me/email", json={"email": unique_email()})
        events = [payload(m) for m in await stream_messages(site.nats_url, "MEMBERS", LINKS)]

        assert taken.json() == free.json()
        assert not [
            e for e in events if e["purpose"] == "confirm_email" and e["email"] == other["email"]
        ]


class TestDownloadMyData:
    async def test_holds_what_every_service_keeps_about_the_person_and_nobody_else(
        self, database, nats_server, mail_sink
    ):
        settings = members_settings(database("members"), nats_server.url)
        newsletters = build_newsletters(
            newsletters_settings(database("newsletters"), nats_server.url, mail_sink.port)
        )
        events = build_events(events_settings(database("events"), nats_server.url))
        async with (
            running(build_members(settings)) as members,
            running(newsletters),
            running(events),
            gateway(database("gateway"), nats_server.url) as site,
        ):
            site.members = members  # type: ignore[attr-defined]
            site.nats_url = nats_server.url  # type: ignore[attr-defined]
            other_id, _ = await signed_up(site)
            person_id, person = await signed_in(site, first_name="Maëlle")
            await site.patch("/api/v1/me", json={"title": "Coordinatrice PRE"})
            await site.put("/api/v1/me/networks/programmes-de-reussite-educative")
            await await_mail(mail_sink.directory, [person["email"]], settle=0.2)

            anonymous = await _anonymous_get(site, "/api/v1/me/export")
            exported = await site.get("/api/v1/me/export")

        assert anonymous.status_code == 401
        assert exported.status_code == 200
        assert "attachment" in exported.headers["content-disposition"]
        document = exported.json()
        assert document["person_id"] == person_id
        assert set(document["services"]) == {"members", "newsletters", "events"}
        assert document["services"]["events"] == {"registrations": [], "applications": []}
        members_part = document["services"]["members"]
        assert members_part["person"]["first_name"] == "Maëlle"
        assert members_part["person"]["title"] == "Coordinatrice PRE"
        assert [c["purpose"] for c in members_part["consents"]] == ["signup"]
        assert {e["action"] for e in members_part["audit_log"]} >= {"signed_up", "updated"}
        assert "programmes-de-reussite-educative" in members_part["network_history"]
        assert all("jeton" not in str(link) for link in members_part["links_mailed"])
        mails = document["services"]["newsletters"]["mails"]
        assert mails and {m["to"] for m in mails} == {person["email"]}
        assert other_id not in exported.text


async def _anonymous_get(site, path: str):
    cookies = dict(site.cookies)
    site.cookies.clear()
    try:
        return await site.get(path)
    finally:
        site.cookies.update(cookies)


class TestEraseMyself:
    async def test_a_person_erases_themself_and_is_signed_out(self, site):
        person_id, person = await signed_in(site)

        unconfirmed = await site.post("/api/v1/me/erasure", json={"confirm": False})
        erased = await site.post("/api/v1/me/erasure", json={"confirm": True})
        after = await site.get("/api/v1/me")
        events = await wait_until(
            lambda: stream_messages(site.nats_url, "MEMBERS", "reso.members.person.erased.v1")
        )
        link = await site.post("/api/v1/me/link", json={"email": person["email"]})

        assert unconfirmed.status_code == 422
        assert erased.status_code == 204
        assert after.status_code == 401
        assert [payload(e)["person_id"] for e in events] == [person_id]
        assert link.status_code == 202


class TestStaffErasure:
    async def test_ends_the_persons_sessions(self, site):
        person_id, _ = await signed_in(site)
        store: StaffStore = site.app.state.staff
        staff = {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}

        before = await site.get("/api/v1/me")
        await site.delete(f"/api/v1/people/{person_id}", headers=staff)
        after = await site.get("/api/v1/me")

        assert (before.status_code, after.status_code) == (200, 401)


class TestUnconfirmedSignUps:
    async def test_are_erased_after_the_retention_period_and_confirmed_ones_stay(self, site):
        kept_id, _ = await signed_up(site)
        stale = sign_up_payload()
        stale_id = (await site.post("/api/v1/signup", json=stale)).json()["id"]
        service = self_service_of(site.members_settings)
        uow = members_uow(site.members)

        soon = await handlers.purge_unconfirmed(uow, service, datetime.now(UTC))
        later = await handlers.purge_unconfirmed(
            uow, service, datetime.now(UTC) + timedelta(days=31)
        )
        erased = await wait_until(
            lambda: stream_messages(site.nats_url, "MEMBERS", "reso.members.person.erased.v1")
        )

        assert (soon, later) == (0, 1)
        assert [payload(e)["person_id"] for e in erased] == [stale_id]
        assert kept_id != stale_id


class TestLinkPages:
    async def test_opening_a_link_asks_first_and_the_form_signs_in(self, site):
        _, person = await signed_up(site, first_name="Inès")
        await site.post("/api/v1/me/link", json={"email": person["email"]})
        token, _ = await link_for(site, LINKS, person["email"], purpose="sign_in")

        page = await site.get("/espace/connexion", params={"jeton": token})
        page_again = await site.get("/espace/connexion", params={"jeton": token})
        signed = await site.post("/espace/connexion", data={"jeton": token})
        space = await site.get("/espace")

        assert page.status_code == 200 and 'lang="fr"' in page.text
        assert "Me connecter" in page.text and page_again.status_code == 200
        assert signed.status_code == 303 and signed.headers["location"] == "/espace"
        assert "Bonjour Inès" in space.text
        assert "Télécharger toutes mes données" in space.text

    async def test_the_space_asks_for_a_link_signs_out_and_erases_with_its_own_forms(self, site):
        _, person = await signed_up(site, first_name="Loïc")

        anonymous = await site.get("/espace")
        asked = await site.post("/espace/lien", data={"email": person["email"]})
        token, _ = await link_for(site, LINKS, person["email"], purpose="sign_in")
        await site.post("/espace/connexion", data={"jeton": token})
        signed_in_page = await site.get("/espace")
        out = await site.post("/espace/deconnexion")
        signed_out_page = await site.get("/espace")
        await site.post("/api/v1/me/link", json={"email": person["email"]})
        unticked = await site.post("/espace/effacement", data={})
        site.cookies.clear()

        assert 'action="/espace/lien"' in anonymous.text
        assert asked.status_code == 200 and "un lien vient d" in asked.text
        assert "Bonjour Loïc" in signed_in_page.text
        assert out.status_code == 303 and out.headers["location"] == "/espace"
        assert "Bonjour" not in signed_out_page.text
        assert unticked.status_code == 401  # signed out: nothing to erase from here

    async def test_the_erase_form_erases_the_person_signed_in(self, site):
        person_id, _ = await signed_in(site)
        store: StaffStore = site.app.state.staff
        staff = {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}

        unticked = await site.post("/espace/effacement", data={})
        erased = await site.post("/espace/effacement", data={"confirm": "oui"})
        read = await site.get(f"/api/v1/people/{person_id}", headers=staff)

        assert unticked.status_code == 422 and "Cochez la case" in unticked.text
        assert erased.status_code == 200 and "effacées" in erased.text
        assert read.status_code == 404

    async def test_a_used_link_page_explains_in_french(self, site):
        _, person = await signed_up(site)
        await site.post("/api/v1/me/link", json={"email": person["email"]})
        token, _ = await link_for(site, LINKS, person["email"], purpose="sign_in")
        await site.post("/espace/connexion", data={"jeton": token})

        again = await site.post("/espace/connexion", data={"jeton": token})

        assert again.status_code == 410
        assert "déjà servi" in again.text
