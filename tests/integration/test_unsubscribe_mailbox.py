"""Unsubscribing by mail, on both lanes: mails written as a mail client writes them from a
letter's ``List-Unsubscribe`` mailto, dropped in a real mbox file, read by
``reso newsletters unsubscribes`` (a real process) against the running newsletters service. A
valid token ends the subscription once, with its consent record and fact; a mail without one is
reported and changes nothing."""

from __future__ import annotations

import asyncio
import mailbox
import os
import re
import sys
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pydantic import SecretStr
from sqlalchemy import select

from services.gateway.store import Role
from services.newsletters.app import build_app as build_newsletters
from services.newsletters.domain import LinkDurations, SubscriptionLinks
from services.newsletters.store import consents, subscribers, subscriptions
from services.runtime.service import ServiceApp
from tests.support.factories import unique_email
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
LINKS = SubscriptionLinks(SECRET, CENTRE.public_url, CENTRE.email, LinkDurations())


async def _rows(app: ServiceApp, table: Any, **where: Any) -> list[Any]:
    statement = select(table)
    for column, value in where.items():
        statement = statement.where(table.c[column] == value)
    async with app.engine.connect() as connection:
        return list((await connection.execute(statement)).all())


def _reply_to_mailto(address: str, mailto: str, *, decode: bool = True) -> bytes:
    """The mail a client sends for ``mailto:<box>?subject=<…>``: to the box, with that subject
    (decoded, as clients do; or left percent-encoded, as some do)."""
    match = re.fullmatch(r"mailto:([^?]+)\?subject=(.+)", mailto)
    assert match is not None, mailto
    message = EmailMessage()
    message["From"] = address
    message["To"] = match.group(1)
    message["Subject"] = unquote(match.group(2)) if decode else match.group(2)
    message["Message-ID"] = f"<{uuid.uuid4().hex}@client.exemple.fr>"
    message.set_content("")
    return message.as_bytes()


def _plain(address: str, subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = address
    message["To"] = CENTRE.email
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@client.exemple.fr>"
    message.set_content(body)
    return message.as_bytes()


async def _cli(nats_url: str, *args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESO_")}
    env["RESO_NATS_URL"] = nats_url
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "newsletters", "unsubscribes", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def _subscribed(client: Any, app: ServiceApp, address: str, *letters: str) -> Any:
    """An address with active subscriptions to ``letters`` (imported: active at once)."""
    store = client.app.state.staff
    staff = {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}
    for letter in letters:
        imported = await client.post(
            "/api/v1/newsletters/subscribers/import",
            params={
                "letter": letter,
                "source": "Formulaire papier, rencontre régionale",
                "wording": "J'accepte de recevoir cette lettre par e-mail.",
                "consented_on": "2025-06-30",
                "dry_run": "false",
            },
            content=f"email\n{address}\n".encode(),
            headers={**staff, "content-type": "text/csv"},
        )
        assert imported.status_code == 200, imported.text
        assert imported.json()["created"] == 1, imported.text
    [row] = await _rows(app, subscribers, email_key=address.lower())
    return row


class TestUnsubscribingByMail:
    async def test_a_mail_to_the_mailto_address_unsubscribes_once_and_others_are_only_reported(
        self, database, nats_server, mail_sink, tmp_path: Path
    ):
        address = unique_email("parmail")
        settings = newsletters_settings(
            database("newsletters"), nats_server.url, mail_sink.port
        ).model_copy(update={"secret_key": SecretStr(SECRET)})
        mbox = tmp_path / "desabonnement.mbox"
        async with (
            running(build_newsletters(settings)) as app,
            gateway(database("gateway"), nats_server.url) as client,
        ):
            subscriber = await _subscribed(client, app, address, "la-minute-pop", "culture")
            subscriber_id = uuid.UUID(subscriber.id)
            pop = LINKS.list_unsubscribe_headers(subscriber_id, "la-minute-pop")
            [_, pop_mailto] = re.findall(r"<([^>]+)>", pop["List-Unsubscribe"])
            culture_mailto = LINKS.unsubscribe_mailto(subscriber_id, "culture")
            forged = SubscriptionLinks(
                "another-secret-of-someone-else-0123", CENTRE.public_url, CENTRE.email,
                LinkDurations(),
            ).unsubscribe_mailto(subscriber_id, "culture")  # fmt: skip

            box = mailbox.mbox(str(mbox))
            for raw in (
                _reply_to_mailto(address, pop_mailto),
                _plain(address, "Re: La Minute Pop", "Merci pour cette lettre !"),
                _reply_to_mailto(address, forged),
                _reply_to_mailto(address, culture_mailto, decode=False),
                _reply_to_mailto(address, pop_mailto),  # sent twice
            ):
                box.add(mailbox.mboxMessage(raw))
            box.flush()
            box.close()

            code, first = await _cli(nats_server.url, "--mbox", str(mbox), "--remove")
            ended = await _rows(app, subscriptions, subscriber_id=subscriber.id)
            withdrawals = await _rows(app, consents, subscriber_id=subscriber.id, granted=False)
            left = [str(m["Subject"]) for m in mailbox.mbox(str(mbox))]
            again_code, again = await _cli(nats_server.url, "--mbox", str(mbox))
            withdrawals_after = await _rows(
                app, consents, subscriber_id=subscriber.id, granted=False
            )

            async def facts() -> list[dict[str, Any]]:
                messages = await stream_messages(
                    nats_server.url, "NEWSLETTERS", "reso.newsletters.subscription.cancelled.v1"
                )
                return [payload(m) for m in messages if payload(m)["email"] == address]

            cancelled = await wait_until(lambda: _two(facts), timeout=15)

        assert code == 0, first
        assert first.count("unsubscribed from la-minute-pop") == 1
        assert first.count("unsubscribed from culture") == 1
        assert "nothing to do (la-minute-pop, already ended)" in first
        assert first.count("no valid token, left alone") == 2
        assert "5 mails: 2 unsubscribed, 1 already done, 2 without a valid token" in first
        assert sorted((row.letter, row.status) for row in ended) == [
            ("culture", "unsubscribed"), ("la-minute-pop", "unsubscribed"),
        ]  # fmt: skip
        assert sorted((w.letter, w.source) for w in withdrawals) == [
            ("culture", "mail"), ("la-minute-pop", "mail"),
        ]  # fmt: skip
        assert len(left) == 2 and "Re: La Minute Pop" in left, "the others stay for a person"
        assert again_code == 0
        assert "2 mails: 0 unsubscribed, 0 already done, 2 without a valid token" in again
        assert len(withdrawals_after) == 2
        assert sorted((f["letter"], f["reason"]) for f in cancelled) == [
            ("culture", "mail"), ("la-minute-pop", "mail"),
        ]  # fmt: skip


async def _two(facts: Any) -> list[dict[str, Any]] | None:
    found: list[dict[str, Any]] = await facts()
    return found if len(found) >= 2 else None
