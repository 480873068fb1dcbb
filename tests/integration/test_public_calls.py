"""The calls-for-applications pages with the real members and events services (both lanes):
the list and the call with its deadline in Europe/Paris, the invitation to sign in, a draft
saved then submitted through the page with its acknowledgement reference, errors by field; and
a signed-in person registering to an event for their organisation (the same services)."""

from __future__ import annotations

from tests.integration import test_calls
from tests.integration.test_calls import ANSWERS, applicant, open_call
from tests.integration.test_public_pages import WORKSHOP

site = test_calls.site  # the fixture: members, events on a fixed clock, the gateway


class TestCallPages:
    async def test_anonymous_visitors_see_the_deadline_in_paris_and_are_invited_to_sign_in(
        self,
        site,
    ):
        call = await open_call(site)

        listed = await site.get("/appels")
        page = await site.get(f"/appels/{call['call_id']}")
        post = await site.post(f"/appels/{call['call_id']}", data={"action": "brouillon"})
        unknown = await site.get("/appels/00000000-0000-4000-8000-000000000000")

        assert f'href="/appels/{call["call_id"]}"' in listed.text
        assert "28 mars 2027 à 12 h 00 (heure de Paris)" in listed.text
        assert "Date limite : 28 mars 2027 à 12 h 00 (heure de Paris)" in page.text
        assert "Recevoir un lien de connexion" in page.text
        assert post.status_code == 401
        assert unknown.status_code == 404

    async def test_a_draft_is_saved_then_submitted_and_the_reference_is_shown(
        self,
        site,
    ):
        call = await open_call(site)
        _, organisation, cookies = await applicant(site)
        path = f"/appels/{call['call_id']}"
        base = {"organisation": str(organisation.organisation_id)}

        form = await site.get(path, headers=cookies)
        draft = await site.post(
            path,
            data={**base, "action": "brouillon", "section_motivation": "À venir."},
            headers=cookies,
        )
        incomplete = await site.post(
            path,
            data={**base, "action": "deposer", "section_territoire": "Court"},
            headers=cookies,
        )
        submitted = await site.post(
            path,
            data={
                **base,
                "action": "deposer",
                "section_territoire": ANSWERS["territoire"],
                "section_motivation": ANSWERS["motivation"],
            },
            headers=cookies,
        )
        again = await site.get(path, headers=cookies)

        assert 'name="section_territoire"' in form.text and organisation.name in form.text
        assert "De 20 à 2000 caractères." in form.text
        assert draft.status_code == 200 and "Votre brouillon est enregistré" in draft.text
        assert ">À venir.</textarea>" in draft.text
        assert incomplete.status_code == 422
        assert 'aria-describedby="aide_territoire section_territoire-erreur"' in incomplete.text
        assert "20 caractères au moins." in incomplete.text
        assert 'id="section_motivation-erreur"' in incomplete.text
        assert submitted.status_code == 200
        assert f"Référence de l'accusé de réception : {call['reference_prefix']}" in (
            submitted.text.replace("&#39;", "'")
        )
        assert "déposée (référence" in again.text
        assert 'name="section_territoire"' not in again.text  # a submitted one is not edited


class TestSignedInRegistration:
    async def test_a_signed_in_person_registers_for_their_organisation_and_chooses_how_to_attend(
        self,
        site,
    ):
        created = await site.post("/api/v1/events", json=WORKSHOP, headers=site.staff)
        event_id = created.json()["event_id"]
        await site.post(f"/api/v1/events/{event_id}/publish", headers=site.staff)
        person, organisation, cookies = await applicant(site)
        form = {"email": person.email, "first_name": "Léa", "last_name": "Martin"}

        page = await site.get(f"/agenda/{event_id}", headers=cookies)
        stranger = await site.post(
            f"/agenda/{event_id}",
            data={**form, "mode": "online", "organisation": ANY_ID},
            headers=cookies,
        )
        done = await site.post(
            f"/agenda/{event_id}",
            data={**form, "mode": "online", "organisation": str(organisation.organisation_id)},
            headers=cookies,
        )
        registrants = await site.get(f"/api/v1/events/{event_id}/registrants", headers=site.staff)

        assert f'<option value="{organisation.organisation_id}"' in page.text
        assert stranger.status_code == 422 and 'id="organisation-erreur"' in stranger.text
        assert done.status_code == 200 and "Votre inscription est confirmée (en ligne)" in done.text
        [registration] = registrants.json()["registrations"]
        assert registration["organisation_id"] == str(organisation.organisation_id)
        assert registration["mode"] == "online"
        assert registration["person_id"] == str(person.person_id)


ANY_ID = "00000000-0000-4000-8000-000000000000"
