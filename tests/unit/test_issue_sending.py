"""The sending engine's rules without I/O: DSNs read with the stdlib, the automatic pause, the
back-off, and the message of a delivery (MIME, headers, a Message-ID stable across attempts)."""

from __future__ import annotations

import email
import email.policy
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts.newsletters import SendStatus
from services.newsletters.domain.bounces import read_dsn
from services.newsletters.domain.sending import (
    Delivery,
    DeliveryState,
    OutgoingMessage,
    Recipient,
    Send,
    retry_after,
)
from services.newsletters.issue_mail import issue_composer
from services.runtime.errors import Conflict
from tests.support.services import CENTRE

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)

POSTFIX_DSN = b"""\
Return-Path: <>
From: MAILER-DAEMON@smtp.exemple.fr (Mail Delivery System)
To: bonjour@crpv-test.example.org
Subject: Undelivered Mail Returned to Sender
Message-Id: <20261202090000.4F2A1C0123@smtp.exemple.fr>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4F2A1C0123.1733130000/smtp.exemple.fr"

--4F2A1C0123.1733130000/smtp.exemple.fr
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host smtp.exemple.fr.

--4F2A1C0123.1733130000/smtp.exemple.fr
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; smtp.exemple.fr
X-Postfix-Queue-ID: 4F2A1C0123
Arrival-Date: Wed,  2 Dec 2026 09:59:58 +0100 (CET)

Final-Recipient: rfc822; parti@mairie-exemple.fr
Original-Recipient: rfc822;parti@mairie-exemple.fr
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.mairie-exemple.fr
Diagnostic-Code: smtp; 550 5.1.1 <parti@mairie-exemple.fr>: Recipient address
    rejected: User unknown in virtual mailbox table

Final-Recipient: rfc822; pleine@asso-exemple.org
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full

Final-Recipient: rfc822; lente@asso-exemple.org
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx.asso-exemple.org: Connection timed out

Final-Recipient: rfc822; recu@asso-exemple.org
Action: delivered
Status: 2.0.0

--4F2A1C0123.1733130000/smtp.exemple.fr
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Message-ID: <issue.abcdef@crpv-test.example.org>
Subject: La Minute Pop

--4F2A1C0123.1733130000/smtp.exemple.fr--
"""


class TestReadingDeliveryStatusNotifications:
    def test_a_postfix_report_tells_hard_and_soft_bounces_apart(self):
        notice = read_dsn(POSTFIX_DSN.replace(b"\n", b"\r\n"))
        assert notice is not None
        assert notice.report_id == "<20261202090000.4F2A1C0123@smtp.exemple.fr>"
        found = {b.email: (b.hard, b.status) for b in notice.bounces}
        assert found == {
            "parti@mairie-exemple.fr": (True, "5.1.1"),
            "pleine@asso-exemple.org": (False, "5.2.2"),  # a full mailbox is not for ever
            "lente@asso-exemple.org": (False, "4.4.1"),
        }
        assert "User unknown" in notice.bounces[0].diagnostic

    def test_an_ordinary_reply_is_not_a_report(self):
        reply = b"From: a@exemple.fr\r\nSubject: Re: La Minute Pop\r\n\r\nMerci !\r\n"
        assert read_dsn(reply) is None


def _send() -> Send:
    return Send(uuid.uuid4(), uuid.uuid4(), "la-minute-pop", SendStatus.SENDING, 10, 10.0, 1000,
                NOW, "redaction@crpv-test.example.org")  # fmt: skip


class TestAutomaticPause:
    def test_a_send_pauses_itself_after_n_errors_in_a_row_only(self):
        send = _send()
        send.count_outcomes(["451 a", "451 b", None, "451 c", "451 d"], pause_after=3)
        assert send.status is SendStatus.SENDING and send.consecutive_errors == 2
        send.count_outcomes(["421 e"], pause_after=3)
        assert send.status is SendStatus.PAUSED
        assert send.paused_reason is not None and "3 erreurs consécutives" in send.paused_reason
        send.resume()
        assert (send.status, send.consecutive_errors, send.paused_reason) == (
            SendStatus.SENDING, 0, None,
        )  # fmt: skip

    def test_a_cancelled_send_cannot_resume_and_keeps_who_cancelled_it(self):
        send = _send()
        send.cancel(NOW, "direction@crpv-test.example.org")
        send.cancel(NOW, "quelqu-un@crpv-test.example.org")
        assert send.cancelled_by == "direction@crpv-test.example.org"
        with pytest.raises(Conflict):
            send.resume()


def test_retries_back_off_exponentially_up_to_an_hour():
    base = timedelta(minutes=1)
    assert [retry_after(n, base) for n in (1, 2, 3)] == [base, 2 * base, 4 * base]
    assert retry_after(12, base) == timedelta(hours=1)


class TestDeliveryMessage:
    def test_multipart_alternative_with_encoded_headers_and_a_message_id_stable_across_tries(self):
        compose = issue_composer(CENTRE)
        recipient = Recipient(uuid.uuid4(), "zoe@exemple.fr", "Zoé", "Lefèvre")
        delivery = Delivery(uuid.uuid4(), uuid.uuid4(), recipient, DeliveryState.SENDING, 1, NOW)
        outgoing = OutgoingMessage(
            subject="La Minute Pop – décembre",
            html="<p>Bonjour Zoé,</p>",
            text="Bonjour Zoé,\n",
            headers={"List-Id": "La Minute Pop <la-minute-pop.crpv-test.example.org>"},
        )
        first = compose(delivery, outgoing).as_bytes()
        delivery.attempts = 2
        second = compose(delivery, outgoing).as_bytes()
        head = first.split(b"\n\n")[0]
        assert head.isascii() and b"=?utf-8?" in head
        parsed = email.message_from_bytes(first, policy=email.policy.default)
        again = email.message_from_bytes(second, policy=email.policy.default)
        assert parsed["Message-ID"] == again["Message-ID"]
        assert parsed.get_content_type() == "multipart/alternative"
        assert str(parsed["Subject"]) == "La Minute Pop – décembre"
        assert str(parsed["To"]) == "Zoé Lefèvre <zoe@exemple.fr>"
        assert str(parsed["From"]) == f"{CENTRE.name} <{CENTRE.email}>"
        assert parsed["Date"] is not None
