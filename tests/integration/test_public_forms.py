"""The public forms over the gateway with the real services (both lanes): subscribing to letters
through ``/lettres`` (the confirmation mail reaches the SMTP sink, the same answer for a known
address), signing up through ``/adhesion``; errors next to their fields, CSRF enforced."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from services.members.app import build_app as build_members
from services.newsletters.app import build_app as build_newsletters
from tests.support.factories import unique_email
from tests.support.mail import await_mail, read_mails
from tests.support.services import gateway, members_settings, newsletters_settings, running


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


@pytest.fixture
async def browser(database, nats_server, mail_sink) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends only what a browser sends (no CSRF header of its own)."""
    async with (
        running(build_members(members_settings(database("members"), nats_server.url))),
        running(
            build_newsletters(
                newsletters_settings(database("newsletters"), nats_server.url, mail_sink.port)
            )
        ),
        gateway(database("gateway"), nats_server.url) as api,
    ):
        transport = httpx.ASGITransport(app=api.app)  # type: ignore[attr-defined]
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


def plain(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None, "a mail without a text part"
    return str(body.get_content())


async def post_form(client: httpx.AsyncClient, path: str, data: dict[str, Any]) -> httpx.Response:
    page = await client.get(path)
    return await client.post(path, data={"csrf_token": csrf_of(page.text), **data})


class TestLettersPage:
    async def test_the_page_shows_each_letter_with_its_consent_wording_and_the_answer_is_the_same(
        self, browser, mail_sink
    ):
        page = await browser.get("/lettres")
        slug = re.search(r'name="lettres" value="([^"]+)"', page.text)
        assert slug, "no letter to choose"
        version = re.search(r'name="version" value="([^"]+)"', page.text)
        assert version
        address = unique_email("abonnee")
        form = {"email": address, "lettres": slug.group(1), "version": version.group(1)}

        first = await post_form(browser, "/lettres", form)
        again = await post_form(browser, "/lettres", form)
        await await_mail(mail_sink.directory, [address])

        assert page.status_code == 200
        assert 'aria-describedby="consentement-' in page.text
        assert first.status_code == 200 and "Vérifiez votre boîte" in first.text
        assert again.text.count("Vérifiez votre boîte") == first.text.count("Vérifiez votre boîte")
        assert re.sub(r'value="[^"]+"', "", again.text) == re.sub(r'value="[^"]+"', "", first.text)
        mails = [m for m in read_mails(mail_sink.directory) if address in str(m["To"])]
        assert mails and "/lettres/confirmation?jeton=" in plain(mails[0])

    async def test_errors_are_tied_to_their_fields_and_a_forged_form_is_refused(self, browser):
        refused = await post_form(browser, "/lettres", {"email": "pas-une-adresse"})
        forged = await browser.post("/lettres", data={"email": unique_email()})

        assert refused.status_code == 422
        assert 'aria-describedby="email-erreur"' in refused.text
        assert 'id="letters-erreur"' in refused.text
        assert 'value="pas-une-adresse"' in refused.text
        assert forged.status_code == 403


class TestSignUpPage:
    async def test_signing_up_mails_the_confirmation_link_and_errors_stay_by_their_fields(
        self, browser, mail_sink
    ):
        address = unique_email("adherente")

        page = await browser.get("/adhesion")
        missing = await post_form(browser, "/adhesion", {"email": address, "first_name": "Inès"})
        done = await post_form(
            browser, "/adhesion", {"email": address, "first_name": "Inès", "last_name": "Morel"}
        )
        forged = await browser.post(
            "/adhesion", data={"email": unique_email(), "first_name": "A", "last_name": "B"}
        )
        await await_mail(mail_sink.directory, [address])

        assert page.status_code == 200 and '<label for="last_name">Nom</label>' in page.text
        assert missing.status_code == 422
        assert '<p id="last_name-erreur" class="field-error">Ce champ est obligatoire.</p>' in (
            missing.text
        )
        assert done.status_code == 200 and "Vérifiez votre boîte" in done.text
        assert forged.status_code == 403
        [mail] = [m for m in read_mails(mail_sink.directory) if address in str(m["To"])]
        assert "/espace/confirmation?jeton=" in plain(mail)
