"""Composing and sending an issue in the back office, through the gateway and the real
newsletters service (both lanes): editing an issue keeps every block in its order, blocks are
added, moved and removed without JavaScript; staff send an issue now, follow its progress on
the send page and its JSON twin, and pause, resume and cancel it."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import httpx

from services.gateway.store import Role, StaffStore
from services.newsletters.app import build_app as build_newsletters
from services.newsletters.domain.sending import Recipient
from tests.integration.test_staff_pages import sign_in, text
from tests.support.factories import unique_email
from tests.support.sending import recipients, sink_messages
from tests.support.services import gateway, newsletters_settings, running, wait_until

LETTER = "la-minute-pop"
THREE_BLOCKS = [
    {
        "type": "publications",
        "title": "À lire",
        "items": [
            {
                "title": "Grand Angle n° 12",
                "url": "https://crpv.example.org/grand-angle/12",
                "summary": "La participation des habitants.",
                "image_url": "https://crpv.example.org/grand-angle/12.png",
                "image_alt": "Couverture du Grand Angle n° 12",
            },
            {"title": "Portrait : Awa", "url": "https://crpv.example.org/portraits/awa"},
        ],
    },
    {"type": "editorial", "title": "Édito", "markdown": "Bonne **lecture** à toutes et à tous."},
    {"type": "data", "title": "Chiffres du mois", "limit": 3},
]


class Form(HTMLParser):
    """The fields of one form of a page, as a browser would send them (without pressing any
    button: the caller adds the one it presses)."""

    def __init__(self, page: str, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.textarea: str | None = None
        self.fields: list[tuple[str, str]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = found.get("action") == self.action
        elif self.inside and tag == "input" and "name" in found:
            kind = found.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in found:
                return
            self.fields.append((found["name"], found.get("value", "")))
        elif self.inside and tag == "textarea":
            self.textarea = found["name"]
            self.fields.append((self.textarea, ""))

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None

    def set(self, name: str, value: str) -> Form:
        self.fields = [(n, value if n == name else v) for n, v in self.fields]
        if name not in dict(self.fields):
            self.fields.append((name, value))
        return self

    def drop(self, name: str) -> Form:
        self.fields = [(n, v) for n, v in self.fields if n != name]
        return self

    def data(self, **pressed: str) -> list[tuple[str, str]]:
        return [*self.fields, *pressed.items()]


@asynccontextmanager
async def _back_office(
    database: Any, nats_server: Any, mail_sink: Any, people: list[Recipient] | None = None
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """The newsletters service (its audience: ``people``, or the letter's subscribers) and
    the gateway, with a staff member signed in; also the headers of a staff API token."""
    settings = newsletters_settings(database("newsletters"), nats_server.url, mail_sink.port)
    overrides: dict[str, Any] = {}
    if people is not None:

        async def audience(work: Any, issue: Any) -> list[Recipient]:
            return people

        overrides["audience"] = audience
    async with (
        running(build_newsletters(settings, **overrides)),
        gateway(database("gateway"), nats_server.url) as client,
    ):
        await sign_in(client, Role.STAFF)
        store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
        api = {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}
        yield client, api


async def _issue(client: httpx.AsyncClient, api: dict[str, str], **body: Any) -> dict[str, Any]:
    created = await client.post(
        f"/api/v1/newsletters/letters/{LETTER}/issues",
        json={"subject": "Le numéro de décembre", **body},
        headers=api,
    )
    assert created.status_code == 201, created.text
    issue: dict[str, Any] = created.json()
    return issue


async def _blocks(client: httpx.AsyncClient, api: dict[str, str], issue_id: str) -> list[Any]:
    found = await client.get(f"/api/v1/newsletters/issues/{issue_id}", headers=api)
    assert found.status_code == 200, found.text
    return list(found.json()["blocks"])


async def _post(
    client: httpx.AsyncClient, url: str, fields: list[tuple[str, str]]
) -> httpx.Response:
    """Send the fields as a browser sends a form (a name may come back several times)."""
    return await client.post(
        url,
        content=urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def _kinds(blocks: list[Any]) -> list[str]:
    return [block["type"] for block in blocks]


class TestEditingTheBlocksOfAnIssue:
    async def test_an_issue_of_three_kinds_of_blocks_keeps_them_all_in_order_when_edited(
        self, database, nats_server, mail_sink
    ):
        async with _back_office(database, nats_server, mail_sink) as (client, api):
            issue = await _issue(client, api, blocks=THREE_BLOCKS)
            url = f"/equipe/numeros/{issue['id']}"
            page = await client.get(url)
            form = Form(page.text, url).set("subject", "Le numéro de décembre, relu")
            form.set("b1_markdown", "Bonne lecture, et bonnes fêtes.")
            saved = await _post(client, url, form.data())
            blocks = await _blocks(client, api, issue["id"])

        assert page.status_code == 200
        assert 'value="Couverture du Grand Angle n° 12"' in page.text
        assert saved.status_code == 303, text(saved)
        assert _kinds(blocks) == ["publications", "editorial", "data"]
        assert blocks[0]["title"] == "À lire"
        assert blocks[0]["items"] == [
            {
                "title": "Grand Angle n° 12",
                "url": "https://crpv.example.org/grand-angle/12",
                "summary": "La participation des habitants.",
                "image_url": "https://crpv.example.org/grand-angle/12.png",
                "image_alt": "Couverture du Grand Angle n° 12",
            },
            {
                "title": "Portrait : Awa",
                "url": "https://crpv.example.org/portraits/awa",
                "summary": "",
                "image_url": None,
                "image_alt": "",
            },
        ]
        assert blocks[1]["markdown"] == "Bonne lecture, et bonnes fêtes."
        assert blocks[2] == {"type": "data", "title": "Chiffres du mois", "limit": 3}

    async def test_staff_add_a_block_move_it_first_and_remove_another_without_javascript(
        self, database, nats_server, mail_sink
    ):
        async with _back_office(database, nats_server, mail_sink) as (client, api):
            issue = await _issue(client, api, blocks=THREE_BLOCKS)
            url = f"/equipe/numeros/{issue['id']}"
            page = await client.get(url)
            added = await _post(client, url, Form(page.text, url).data(ajouter="events"))
            unchanged = await _blocks(client, api, issue["id"])
            form = Form(added.text, url)
            form.set("b3_title", "Nos rendez-vous").set("b3_limit", "4").set("b3_position", "1")
            form.set("b1_remove", "oui")  # the editorial
            saved = await _post(client, url, form.data())
            blocks = await _blocks(client, api, issue["id"])

        assert added.status_code == 200
        assert "Bloc 4 ajouté : les prochains rendez-vous." in text(added)
        assert "Bloc 4 : prochains rendez-vous de l'agenda" in text(added)
        assert _kinds(unchanged) == ["publications", "editorial", "data"]  # nothing saved yet
        assert saved.status_code == 303, text(saved)
        assert _kinds(blocks) == ["events", "publications", "data"]
        assert blocks[0] == {"type": "events", "title": "Nos rendez-vous", "limit": 4}

    async def test_a_new_issue_is_composed_of_the_blocks_added_and_an_empty_one_is_left_out(
        self, database, nats_server, mail_sink
    ):
        new = f"/equipe/lettres/{LETTER}/nouveau"
        async with _back_office(database, nats_server, mail_sink) as (client, api):
            page = await client.get(new)
            form = Form(page.text, new).set("subject", "Deux éditos")
            form.set("b0_markdown", "Premier texte.")
            added = await _post(client, new, form.data(ajouter="editorial"))
            form = Form(added.text, new).set("b4_markdown", "Second texte.")
            form.set("b1_include", "oui")  # the coming events, ticked
            created = await _post(client, new, form.data())
            issue_id = created.headers["location"].rsplit("/", 1)[1]
            blocks = await _blocks(client, api, issue_id)

        assert created.status_code == 303, text(created)
        assert _kinds(blocks) == ["editorial", "events", "editorial"]  # publications: empty
        assert [b.get("markdown") for b in blocks] == ["Premier texte.", None, "Second texte."]

    async def test_a_wrong_link_is_tied_to_its_field_and_every_block_is_shown_again(
        self, database, nats_server, mail_sink
    ):
        async with _back_office(database, nats_server, mail_sink) as (client, api):
            issue = await _issue(client, api, blocks=THREE_BLOCKS)
            url = f"/equipe/numeros/{issue['id']}"
            before = await _blocks(client, api, issue["id"])
            page = await client.get(url)
            form = Form(page.text, url).set("b0_p1_url", "crpv.example.org/sans-protocole")
            refused = await _post(client, url, form.data())
            after = await _blocks(client, api, issue["id"])

        assert refused.status_code == 422
        assert "Rien n'a été enregistré" in text(refused)
        assert 'href="#b0_p1_url"' in refused.text
        assert 'id="b0_p1_url" name="b0_p1_url"' in refused.text
        assert 'aria-describedby="b0_p1_url-erreur"' in refused.text
        assert "adresse http ou https complète attendue" in text(refused)
        assert 'value="crpv.example.org/sans-protocole"' in refused.text  # as typed
        assert "Bonne **lecture** à toutes et à tous." in refused.text
        assert after == before


class TestSendingFromTheBackOffice:
    async def test_staff_send_an_issue_now_and_follow_it_to_its_end(
        self, database, nats_server, mail_sink
    ):
        people = recipients(4, "envoi")
        async with _back_office(database, nats_server, mail_sink, people) as (client, api):
            issue = await _issue(
                client, api, subject="Envoyé depuis le back office", blocks=THREE_BLOCKS[1:2]
            )
            url = f"/equipe/numeros/{issue['id']}"
            before = await client.get(f"{url}/envoi")
            shown = await client.get(url)
            unconfirmed = await client.post(f"{url}/envoi")
            started = await client.post(f"{url}/envoi", data={"confirmation": "oui"})
            page = await client.get(f"{url}/envoi")
            send_id = re.search(r"/equipe/envois/([0-9a-f-]{36})/progression", page.text)
            assert send_id, page.text
            progression = f"/equipe/envois/{send_id.group(1)}/progression"

            async def finished() -> dict[str, Any] | None:
                answer = await client.get(progression)
                assert answer.status_code == 200, answer.text
                body: dict[str, Any] = answer.json()
                return body if body["final"] else None

            final = await wait_until(finished, timeout=30)
            after = await client.get(f"{url}/envoi")
            edited = await client.get(url)
            listed = await client.get("/equipe/lettres")
            client.cookies.clear()
            anonymous = await client.get(progression)

        assert before.status_code == 404
        assert "Ce numéro n'a pas été envoyé" in text(before)
        assert "Je confirme l'envoi de ce numéro maintenant à ses" in text(shown)
        assert unconfirmed.status_code == 422
        assert "cochez la case qui confirme l'envoi" in text(unconfirmed)
        assert started.status_code == 303
        assert started.headers["location"] == f"{url}/envoi"
        assert page.status_code == 200
        assert '<progress id="send-bar" max="4"' in page.text
        assert '<script src="/static/staff-send.js" defer></script>' in page.text
        assert 'aria-live="polite"' in page.text
        assert final["status"] == "done"
        assert final["fields"]["status"] == "terminé"
        assert (final["value"], final["max"], final["actions"]) == (4, 4, [])
        assert final["fields"]["sent"] == "4" and final["fields"]["pending"] == "0"
        assert "État de l'envoi : terminé. 4 envoyé(s), 0 en échec." in text(after)
        assert '<progress id="send-bar" max="4" value="4">' in after.text
        assert "Mettre l'envoi en pause" not in _visible(after.text)
        assert "Suivre l'envoi de ce numéro" in text(edited)
        assert "suivre l'envoi du n° " in text(listed)
        assert anonymous.status_code == 401
        mails = [
            m for m in sink_messages(mail_sink.directory)
            if m["Subject"] == "Envoyé depuis le back office"
        ]  # fmt: skip
        assert sorted(str(m["To"].addresses[0].addr_spec) for m in mails) == sorted(
            p.email for p in people
        )

    async def test_staff_pause_resume_and_cancel_a_send_from_its_page(
        self, database, nats_server, mail_sink
    ):
        people = recipients(30, "lent")
        async with _back_office(database, nats_server, mail_sink, people) as (client, api):
            issue = await _issue(client, api, blocks=THREE_BLOCKS[1:2])
            slow = await client.post(
                "/api/v1/newsletters/sends",
                json={"issue_id": issue["id"], "rate_per_second": 0.5},
                headers=api,
            )
            assert slow.status_code == 201, slow.text
            send = f"/equipe/envois/{slow.json()['send_id']}"
            paused = await client.post(f"{send}/pause")
            paused_page = await client.get(paused.headers["location"])
            resumed = await client.post(f"{send}/reprise")
            resumed_page = await client.get(resumed.headers["location"])
            cancelled = await client.post(f"{send}/annulation")
            cancelled_page = await client.get(cancelled.headers["location"])
            refused = await client.post(f"{send}/reprise")
            unknown = await client.post(f"/equipe/envois/{uuid.uuid4()}/pause")

        page_url = f"/equipe/numeros/{issue['id']}/envoi"
        assert paused.status_code == resumed.status_code == cancelled.status_code == 303
        assert paused.headers["location"] == page_url
        assert "État de l'envoi : en pause" in text(paused_page)
        assert "Reprendre l'envoi" in _visible(paused_page.text)
        assert "Mettre l'envoi en pause" not in _visible(paused_page.text)
        assert "État de l'envoi : en cours." in text(resumed_page)
        assert "Mettre l'envoi en pause" in _visible(resumed_page.text)
        assert "État de l'envoi : annulé." in text(cancelled_page)
        assert "Annuler l'envoi" not in _visible(cancelled_page.text)
        assert refused.status_code == 409
        assert "Cet envoi est déjà annulé : il ne peut reprendre." in text(refused)
        assert unknown.status_code == 404
        assert "Cet envoi n'existe pas." in text(unknown)


def _visible(page: str) -> str:
    """The page's text without the forms it hides (``hidden``), as a sighted person reads it."""
    return text(
        httpx.Response(200, text=re.sub(r"<form[^>]* hidden>.*?</form>", "", page, flags=re.S))
    )
