"""Sending an issue, on both lanes, through the real newsletters service on a real NATS and the
real SMTP sink: every recipient gets exactly one well-formed message; 4xx are retried, 5xx fail
with an event; too many errors in a row pause the send; staff pause, resume and cancel; hard
bounces suppress an address."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from contracts.newsletters import IssueStatus
from services.gateway.store import Role, StaffStore
from services.newsletters.app import build_app as build_newsletters
from services.newsletters.domain.issues import list_id
from services.newsletters.domain.sending import Recipient
from services.newsletters.settings import NewslettersSettings
from services.runtime.mailsink import MailSink
from tests.support.factories import unique_email
from tests.support.sending import (
    PickyStore,
    TimedStore,
    an_issue,
    busiest_second,
    by_message_id,
    freeze,
    newsletters_db,
    recipients,
    sink_messages,
)
from tests.support.services import (
    CENTRE,
    gateway,
    newsletters_settings,
    payload,
    running,
    stream_messages,
    wait_until,
)

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
SECRET = "reso-tests-newsletters-secret-0123456789"
BOUNCE_SECRET = "secret-partage-du-serveur-de-mail"


def _settings(url: str, nats_url: str, smtp_port: int, **overrides: Any) -> NewslettersSettings:
    values: dict[str, Any] = {
        "secret_key": SecretStr(SECRET),
        "send_retry_base_seconds": 0.2,
        "send_batch_size": 10,
        "send_pause_after_errors": 5,
    }
    values.update(overrides)
    return newsletters_settings(url, nats_url, smtp_port).model_copy(update=values)


@asynccontextmanager
async def _staff_gateway(
    database: Any, nats_url: str, email: str | None = None
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    async with gateway(
        database("gateway"), nats_url, bounce_webhook_secret=SecretStr(BOUNCE_SECRET)
    ) as client:
        store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
        token = await store.add(email or unique_email(), Role.STAFF)
        yield client, {"Authorization": f"Bearer {token}"}


def _audience(people: list[Recipient]) -> Any:
    async def audience(work: Any, command: Any) -> list[Recipient]:
        return people

    return audience


async def _draft(url: str) -> str:
    """A draft numéro of La Minute Pop, with one block, in the (migrated) database."""
    async with newsletters_db(url) as uow, uow() as work:
        issue = await an_issue(work, status=IssueStatus.DRAFT)
        await work.commit()
    return str(issue.id)


async def _progress(
    client: httpx.AsyncClient, staff: dict[str, str], send_id: str
) -> dict[str, Any]:
    response = await client.get(f"/api/v1/newsletters/sends/{send_id}", headers=staff)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestSendingAnIssue:
    async def test_every_recipient_gets_one_well_formed_message_and_staff_see_it_done(
        self, database, nats_server, mail_sink
    ):
        zoe = Recipient(uuid.uuid4(), unique_email("zoe"), "Zoé", "Lefèvre")
        people = [*recipients(25), zoe]
        url = database("newsletters")
        app = build_newsletters(
            _settings(url, nats_server.url, mail_sink.port), audience=_audience(people)
        )
        async with running(app), _staff_gateway(database, nats_server.url) as (client, staff):
            issue = await _draft(url)
            started = await client.post(
                "/api/v1/newsletters/sends",
                json={"issue_id": issue, "letter": "la-minute-pop"},
                headers=staff,
            )
            assert started.status_code == 201, started.text
            assert started.json()["total"] == 26
            send_id = started.json()["send_id"]

            async def done() -> dict[str, Any] | None:
                body = await _progress(client, staff, send_id)
                return body if body["status"] == "done" else None

            final = await wait_until(done, timeout=30)
            assert (final["sent"], final["failed"], final["pending"]) == (26, 0, 0)
            # Starting the same issue again sends nothing more.
            again = await client.post(
                "/api/v1/newsletters/sends",
                json={"issue_id": issue, "letter": "la-minute-pop"},
                headers=staff,
            )
            assert again.json()["send_id"] == send_id

        messages = sink_messages(mail_sink.directory)
        assert sorted(str(m["To"].addresses[0].addr_spec).lower() for m in messages) == sorted(
            p.email.lower() for p in people
        )
        assert set(by_message_id(mail_sink.directory).values()) == {1}
        zoe_mail = next(m for m in messages if "Zoé" in str(m["To"]))
        assert zoe_mail.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in zoe_mail.iter_parts()] == ["text/plain", "text/html"]
        async with newsletters_db(url) as uow, uow() as work:
            letter = await work.letters.get("la-minute-pop")
        assert letter is not None and letter.sender_email
        # From the letter's sender.
        assert zoe_mail["From"].addresses[0].addr_spec == letter.sender_email
        assert zoe_mail["From"].addresses[0].display_name == letter.sender_name
        assert zoe_mail["Date"] is not None
        domain = letter.sender_email.rsplit("@", 1)[-1]
        assert str(zoe_mail["Message-ID"]).endswith(f"@{domain}>")
        assert str(zoe_mail["List-Id"]) == list_id(letter, CENTRE)
        assert zoe_mail["List-Id"].endswith(" <la-minute-pop.127.0.0.1>")
        assert str(zoe_mail["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
        unsubscribe = str(zoe_mail["List-Unsubscribe"])
        assert unsubscribe.startswith(f"<{CENTRE.public_url}/lettres/desabonnement/")
        assert "<mailto:" in unsubscribe
        assert "Bonjour Zoé," in zoe_mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        # The raw header is encoded (RFC 2047): UTF-8 travels in ASCII headers.
        raw = next(
            p.read_bytes().split(b"\r\n\r\n")[0]
            for p in mail_sink.messages()
            if zoe.email.encode() in p.read_bytes()
        )
        assert raw.isascii() and b"To: =?utf-8?q?Zo=C3=A9" in raw
        # The unsubscribe URLs as they are, on one line, never folded into encoded words.
        line = next(x for x in raw.split(b"\r\n") if x.startswith(b"List-Unsubscribe:"))
        assert line.decode() == f"List-Unsubscribe: {unsubscribe}"

    async def test_a_4xx_is_retried_a_5xx_fails_with_an_event(
        self, database, nats_server, tmp_path: Path
    ):
        sink = MailSink(tmp_path / "mail", handler=PickyStore(tmp_path / "mail"))
        sink.start()
        try:
            url = database("newsletters")
            app = build_newsletters(_settings(url, nats_server.url, sink.port))
            fine = recipients(5)
            busy = Recipient(uuid.uuid4(), unique_email("busy"), "Léa", None)
            refused = Recipient(uuid.uuid4(), unique_email("refuse"), "Marc", None)
            async with running(app), newsletters_db(url) as uow:
                send = await freeze(uow, [*fine, busy, refused])
                async with _staff_gateway(database, nats_server.url) as (client, staff):

                    async def settled() -> dict[str, Any] | None:
                        body = await _progress(client, staff, str(send.id))
                        return body if body["status"] == "done" else None

                    final = await wait_until(settled, timeout=30)
                assert (final["sent"], final["failed"]) == (6, 1)
                failed = await wait_until(
                    lambda: stream_messages(
                        nats_server.url, "NEWSLETTERS", "reso.newsletters.delivery.failed.v1"
                    )
                )
            assert [payload(m)["email"] for m in failed] == [refused.email]
            assert payload(failed[0])["error"].startswith("550")
            assert payload(failed[0])["permanent"] is True
            received = by_message_id(sink.directory)
            assert len(received) == 6 and set(received.values()) == {1}
            assert sink._controller.handler.tries[busy.email] == 2  # type: ignore[attr-defined]
        finally:
            sink.stop()

    async def test_errors_in_a_row_pause_the_send_and_staff_resume_or_cancel_it(
        self, database, nats_server, tmp_path: Path
    ):
        sink = MailSink(tmp_path / "mail", handler=PickyStore(tmp_path / "mail"))
        sink.start()
        try:
            url = database("newsletters")
            app = build_newsletters(_settings(url, nats_server.url, sink.port))
            down = recipients(8, prefix="down")
            async with running(app), newsletters_db(url) as uow:
                send = await freeze(uow, down + recipients(4))
                async with _staff_gateway(database, nats_server.url) as (client, staff):

                    async def paused() -> dict[str, Any] | None:
                        body = await _progress(client, staff, str(send.id))
                        return body if body["status"] == "paused" else None

                    state = await wait_until(paused, timeout=30)
                    assert "5 erreurs consécutives" in state["paused_reason"]
                    resumed = await client.post(
                        f"/api/v1/newsletters/sends/{send.id}/resume", headers=staff
                    )
                    assert resumed.json()["status"] == "sending"
                    cancelled = await client.post(
                        f"/api/v1/newsletters/sends/{send.id}/cancel", headers=staff
                    )
                    assert cancelled.json()["status"] == "cancelled"

                    async def settled() -> dict[str, Any] | None:
                        body = await _progress(client, staff, str(send.id))
                        return body if body["pending"] == 0 else None

                    final = await wait_until(settled, timeout=30)
                    assert final["sent"] + final["failed"] + final["cancelled"] == 12
                    assert final["cancelled"] > 0
                    refused = await client.post(
                        f"/api/v1/newsletters/sends/{send.id}/resume", headers=staff
                    )
                    assert refused.status_code == 409
            delivered = {str(m["To"].addresses[0].addr_spec) for m in sink_messages(sink.directory)}
            assert not delivered & {p.email for p in down}
        finally:
            sink.stop()


class TestCancellingASendUnderWay:
    async def test_the_issue_ends_cancelled_out_of_the_archive_with_what_was_sent_counted(
        self, database, nats_server, mail_sink
    ):
        people = recipients(30)
        url = database("newsletters")
        app = build_newsletters(
            _settings(url, nats_server.url, mail_sink.port, send_batch_size=2),
            audience=_audience(people),
        )
        director = unique_email("direction")
        async with (
            running(app),
            _staff_gateway(database, nats_server.url, director) as (client, staff),
        ):
            issue = await _draft(url)
            started = await client.post(
                "/api/v1/newsletters/sends",
                json={"issue_id": issue, "rate_per_second": 4},
                headers=staff,
            )
            assert started.status_code == 201, started.text
            send_id = started.json()["send_id"]

            async def some_sent() -> dict[str, Any] | None:
                body = await _progress(client, staff, send_id)
                return body if body["sent"] >= 2 else None

            await wait_until(some_sent, timeout=30)
            cancelled = await client.post(
                f"/api/v1/newsletters/sends/{send_id}/cancel", headers=staff
            )
            assert cancelled.status_code == 200, cancelled.text

            async def settled() -> dict[str, Any] | None:
                body = await _progress(client, staff, send_id)
                return body if body["pending"] == 0 else None

            final = await wait_until(settled, timeout=30)
            the_issue = await client.get(f"/api/v1/newsletters/issues/{issue}", headers=staff)
            archive = await client.get("/api/v1/newsletters/letters/la-minute-pop/archive")
            page = await client.get("/api/v1/newsletters/letters/la-minute-pop/archive/1")
            again = await client.post(f"/api/v1/newsletters/sends/{send_id}/cancel", headers=staff)
            resumed = await client.post(
                f"/api/v1/newsletters/sends/{send_id}/resume", headers=staff
            )

        assert cancelled.json()["status"] == "cancelled"
        assert (final["status"], final["cancelled_by"], final["started_by"]) == (
            "cancelled", director, director,
        )  # fmt: skip
        assert final["finished_at"] is not None
        # Every recipient in a final state; what left before the cancel is counted as sent.
        assert final["sent"] + final["failed"] + final["cancelled"] == 30
        assert 2 <= final["sent"] < 30 and final["cancelled"] > 0
        assert len(sink_messages(mail_sink.directory)) == final["sent"]
        assert the_issue.json()["status"] == "cancelled"
        assert the_issue.json()["sent_at"] is None
        assert archive.json()["issues"] == [] and page.status_code == 404
        assert again.status_code == 200 and again.json()["cancelled_by"] == director
        assert resumed.status_code == 409


class TestRateAcrossReplicas:
    async def test_two_senders_on_one_database_keep_together_to_the_send_s_rate(
        self, database, nats_server, tmp_path: Path
    ):
        from contracts.newsletters import GetSendProgressV1
        from services.newsletters.handlers.sending import send_progress

        url = database("newsletters")
        stores = [TimedStore(tmp_path / f"mail{i}") for i in range(2)]
        sinks = [MailSink(store.directory, handler=store) for store in stores]
        for sink in sinks:
            sink.start()
        try:
            replicas = [
                build_newsletters(_settings(url, nats_server.url, sink.port, send_batch_size=4))
                for sink in sinks
            ]
            async with running(replicas[0]), running(replicas[1]), newsletters_db(url) as uow:
                send = await freeze(uow, recipients(24), rate_per_second=5)

                async def done() -> bool:
                    progress = await send_progress(
                        GetSendProgressV1(send_id=send.id), uow, datetime.now(UTC)
                    )
                    return progress.status == "done"

                await wait_until(done, timeout=60)
        finally:
            for sink in sinks:
                sink.stop()
        arrivals = [t for store in stores for t in store.arrivals]
        assert len(arrivals) == 24
        assert all(store.arrivals for store in stores), "both replicas sent part of it"
        # 5 a second together, where each replica on its own at 5 a second would put about 10
        # in some second. Tolerance: a window that starts and ends on a slot holds 6.
        assert busiest_second(arrivals) <= 6
        # And over the whole send: 24 messages at 5 a second take 4.6 s from first to last.
        assert max(arrivals) - min(arrivals) >= 4.6 - 0.5


class TestLeasesAtASlowRate:
    async def test_replicas_lease_no_more_than_the_shared_rate_sends_within_half_a_lease(
        self, database
    ):
        from datetime import timedelta

        from services.newsletters.handlers.sending import SendingRules, claim_batch
        from services.runtime.migrations import upgrade

        url = database("newsletters")
        await upgrade("newsletters", url)
        rules = SendingRules(batch_size=10, lease=timedelta(seconds=8))
        async with newsletters_db(url) as uow:
            send = await freeze(uow, recipients(20), rate_per_second=1)
            now = datetime.now(UTC)
            first = await claim_batch(uow, rules, now)
            second = await claim_batch(uow, rules, now)  # another replica, meanwhile
            after = await claim_batch(uow, rules, now + timedelta(seconds=9))  # leases ran out

        # At 1 a second, only 4 messages can leave within half of an 8-second lease: a
        # replica holding 10 would still hold some when its lease ran out.
        assert first is not None and first[0].id == send.id and len(first[1]) == 4
        assert second is None
        assert after is not None and len(after[1]) == 4


DSN = """\
From: MAILER-DAEMON@mx.exemple.fr
To: bounces@crpv-test.example.org
Subject: Undelivered Mail Returned to Sender
Message-ID: <{report}@mx.exemple.fr>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain; charset=utf-8

Votre message n'a pas pu être remis.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.exemple.fr
Arrival-Date: Wed, 2 Dec 2026 10:00:00 +0100

Final-Recipient: rfc822; {address}
Original-Recipient: rfc822;{address}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diagnostic}

--BOUNDARY
Content-Type: text/rfc822-headers

From: Centre de ressources de test <bonjour@crpv-test.example.org>
Subject: La Minute Pop

--BOUNDARY--
"""


def dsn(address: str, *, hard: bool = True) -> bytes:
    fields = (
        {"action": "failed", "status": "5.1.1", "diagnostic": "550 5.1.1 User unknown"}
        if hard
        else {"action": "delayed", "status": "4.2.2", "diagnostic": "452 4.2.2 Mailbox full"}
    )
    text = DSN.format(report=uuid.uuid4().hex, address=address, **fields)
    return text.replace("\n", "\r\n").encode()


class TestBounces:
    async def test_hard_bounces_and_soft_ones_past_the_threshold_are_left_out_of_later_sends(
        self, database, nats_server, mail_sink, tmp_path: Path
    ):
        mbox = tmp_path / "bounces.mbox"
        url = database("newsletters")
        settings = _settings(
            url,
            nats_server.url,
            mail_sink.port,
            bounce_mailbox=str(mbox),
            bounce_poll_seconds=0.2,
            bounce_soft_threshold=2,
        )
        gone, full, fine = recipients(1, "gone")[0], recipients(1, "full")[0], recipients(1)[0]
        async with (
            running(build_newsletters(settings)),
            newsletters_db(url) as uow,
            _staff_gateway(database, nats_server.url) as (client, staff),
        ):
            # The mail server POSTs a hard bounce to the webhook, with the shared secret.
            report = dsn(gone.email)
            headers = {"content-type": "message/rfc822"}
            denied = await client.post(
                "/api/v1/newsletters/bounces", content=report,
                headers=headers | {"x-reso-bounce-secret": "mauvais"},
            )  # fmt: skip
            assert denied.status_code == 401
            posted = await client.post(
                "/api/v1/newsletters/bounces", content=report,
                headers=headers | {"x-reso-bounce-secret": BOUNCE_SECRET},
            )  # fmt: skip
            assert posted.status_code == 200, posted.text
            assert posted.json()["hard"] == [gone.email]
            # Read again (a retried webhook): counted once.
            again = await client.post(
                "/api/v1/newsletters/bounces", content=report,
                headers=headers | {"x-reso-bounce-secret": BOUNCE_SECRET},
            )  # fmt: skip
            assert again.json()["ignored"] is True
            # Two soft bounces dropped in the mailbox file: the threshold is reached.
            import mailbox

            box = mailbox.mbox(str(mbox))
            for _ in range(2):
                box.add(mailbox.mboxMessage(dsn(full.email, hard=False)))
            box.flush()
            box.close()
            await wait_until(lambda: len(mailbox.mbox(str(mbox))) == 0, timeout=15)

            send = await freeze(uow, [gone, full, fine])
            assert send.total == 1

            async def done() -> dict[str, Any] | None:
                body = await _progress(client, staff, str(send.id))
                return body if body["status"] == "done" else None

            await wait_until(done, timeout=30)
        delivered = [
            str(m["To"].addresses[0].addr_spec) for m in sink_messages(mail_sink.directory)
        ]
        assert delivered == [fine.email]


class TestSendCommand:
    async def test_reso_newsletters_send_follows_the_send_to_the_end_on_one_line(
        self, database, nats_server, mail_sink
    ):
        people = recipients(12)
        url = database("newsletters")
        app = build_newsletters(
            _settings(url, nats_server.url, mail_sink.port), audience=_audience(people)
        )
        async with running(app):
            env = {k: v for k, v in os.environ.items() if not k.startswith("RESO_")}
            env["RESO_NATS_URL"] = nats_server.url
            issue = await _draft(url)
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "services.cli", "newsletters", "send", issue,
                "--letter", "la-minute-pop", env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            output, _ = await asyncio.wait_for(process.communicate(), 60)
        text = output.decode()
        assert process.returncode == 0, text
        last = text.strip().split("\r")[-1]
        assert "100.0% done: 12 sent, 0 failed, 0 cancelled, 0 pending" in last
        assert len(sink_messages(mail_sink.directory)) == 12


class TestErasure:
    async def test_erasing_an_address_leaves_no_delivery_nor_bounce_of_it(self, database):
        from sqlalchemy import func, select

        from contracts.newsletters import EraseSubscriberV1
        from services.newsletters.handlers import erase_subscriber
        from services.newsletters.handlers.sending import report_bounce
        from services.newsletters.store import address_bounces, issue_deliveries
        from services.runtime.migrations import upgrade

        url = database("newsletters")
        await upgrade("newsletters", url)
        erased, kept = recipients(2)
        async with newsletters_db(url) as uow:
            await freeze(uow, [erased, kept])
            await report_bounce(dsn(erased.email, hard=False), uow, soft_threshold=3, now=NOW)
            await erase_subscriber(EraseSubscriberV1(email=erased.email, by="dpo@crpv.org"), uow)
            async with uow() as work:
                left = await work.session.scalar(
                    select(func.count())
                    .select_from(issue_deliveries)
                    .where(func.lower(issue_deliveries.c.email) == erased.email.lower())
                )
                bounces = await work.session.scalar(
                    select(func.count()).select_from(address_bounces)
                )
                others = await work.session.scalar(
                    select(func.count()).select_from(issue_deliveries)
                )
        assert (left, bounces, others) == (0, 0, 1)
