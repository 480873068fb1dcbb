"""The sending engine's rules without I/O: DSNs read with the stdlib, the automatic pause, the
back-off, the message of a delivery (MIME, headers, a Message-ID stable across attempts), and
the issue rendered once per send yet personal to each recipient."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html import unescape
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from contracts.newsletters import Cadence, IssueStatus, SendStatus
from services.newsletters.domain import LinkDurations, SubscriptionLinks
from services.newsletters.domain.bounces import read_dsn
from services.newsletters.domain.issues import Issue, render_issue
from services.newsletters.domain.issues import Recipient as IssueRecipient
from services.newsletters.domain.letters import Letter
from services.newsletters.domain.sending import (
    Delivery,
    DeliveryState,
    OutgoingMessage,
    Recipient,
    Send,
    SendRef,
    retry_after,
)
from services.newsletters.issue_mail import IssueRenderer, issue_composer
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
        first = compose(delivery, outgoing).data
        delivery.attempts = 2
        second = compose(delivery, outgoing).data
        head = first.split(b"\r\n\r\n")[0]
        assert head.isascii() and b"=?utf-8?" in head
        parsed = email.message_from_bytes(first, policy=email.policy.default)
        again = email.message_from_bytes(second, policy=email.policy.default)
        assert parsed["Message-ID"] == again["Message-ID"]
        assert parsed.get_content_type() == "multipart/alternative"
        assert str(parsed["Subject"]) == "La Minute Pop – décembre"
        assert str(parsed["To"]) == "Zoé Lefèvre <zoe@exemple.fr>"
        assert str(parsed["From"]) == f"{CENTRE.name} <{CENTRE.email}>"
        assert parsed["Date"] is not None
        assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
        assert _part(parsed, "html") == "<p>Bonjour Zoé,</p>\n"
        assert str(parsed["List-Id"]) == "La Minute Pop <la-minute-pop.crpv-test.example.org>"

    def test_a_name_cannot_add_a_header_and_a_line_too_long_for_smtp_is_encoded(self):
        compose = issue_composer(CENTRE)
        sneaky = Recipient(uuid.uuid4(), "x@exemple.fr", "Zoé\r\nBcc: espion@exemple.fr", None)
        delivery = Delivery(uuid.uuid4(), uuid.uuid4(), sneaky, DeliveryState.SENDING, 1, NOW)
        long_line = "é" * 2000
        outgoing = OutgoingMessage(subject="Objet", html=f"<p>{long_line}</p>", text=long_line)
        with pytest.raises(ValueError):  # the engine fails the delivery: never sent as it is
            compose(delivery, outgoing)
        plain = Recipient(uuid.uuid4(), "x@exemple.fr", "Zoé", None)
        delivery = Delivery(uuid.uuid4(), uuid.uuid4(), plain, DeliveryState.SENDING, 1, NOW)
        parsed = _parse(compose(delivery, outgoing).data)
        assert _part(parsed, "plain") == long_line + "\n"
        assert _part(parsed, "html") == f"<p>{long_line}</p>\n"

    @pytest.mark.parametrize(
        "name",
        ['Jean "Jo" Dupont', "a\\b", "O'Neil", "J. Doe", "Zoé <b>&", "Zoé", "李 小龙", "x,y",
         "Émile (maire)", "a_b=c", "Marie-Hélène de la Fontaine-Saint-Exupéry " * 3],
    )  # fmt: skip
    def test_the_recipients_name_reads_back_as_typed(self, name: str):
        compose = issue_composer(CENTRE)
        person = Recipient(uuid.uuid4(), "p@exemple.fr", name.strip(), None)
        delivery = Delivery(uuid.uuid4(), uuid.uuid4(), person, DeliveryState.SENDING, 1, NOW)
        message = compose(delivery, OutgoingMessage(subject="Objet", html="<p>x</p>", text="x"))
        to = _parse(message.data)["To"].addresses[0]
        assert (to.display_name, to.addr_spec) == (name.strip(), "p@exemple.fr")
        assert message.data.split(b"\r\n\r\n")[0].isascii()

    def test_a_non_ascii_address_gets_utf8_headers_as_they_are(self):
        compose = issue_composer(CENTRE)
        jose = Recipient(uuid.uuid4(), "josé@exemple.fr", "Zoé", "Lefèvre")
        delivery = Delivery(uuid.uuid4(), uuid.uuid4(), jose, DeliveryState.SENDING, 1, NOW)
        outgoing = OutgoingMessage(subject="La Minute – décembre", html="<p>é</p>", text="é")
        message = compose(delivery, outgoing)
        head = message.data.split(b"\r\n\r\n")[0].decode()
        assert "To: Zoé Lefèvre <josé@exemple.fr>\r\n" in head  # SMTPUTF8 (RFC 6531)
        assert "Subject: La Minute – décembre\r\n" in head
        assert message.recipients == ("josé@exemple.fr",)
        assert [p.get_content_type() for p in _parse(message.data).iter_parts()] == [
            "text/plain", "text/html",
        ]  # fmt: skip


# --- one rendering per send, personal per recipient -------------------------------------------

SECRET = "reso-tests-newsletters-secret-0123456789"
LETTER = Letter(
    id=uuid.uuid4(), slug="la-minute-pop", name="La Minute Pop", description="", themes=(),
    cadence=next(iter(Cadence)), sender_name="CRPV", sender_email="lettre@crpv-test.example.org",
)  # fmt: skip


def _issue() -> Issue:
    blocks = [{"type": "editorial", "title": "Édito", "markdown": "Bonne **lecture** & à bientôt"}]
    return Issue(
        id=uuid.uuid4(), letter=LETTER.slug, number=3, subject="La Minute Pop n° 3",
        preheader="", blocks=blocks, audience={}, status=IssueStatus.SENDING,
        frozen={"events": [], "data": []},
    )  # fmt: skip


def _stored(issue: Issue) -> Any:
    """A unit-of-work factory that only knows ``issue`` and its letter."""

    class Work:
        async def __aenter__(self) -> Any:
            async def get_issue(issue_id: uuid.UUID) -> Issue | None:
                return issue if issue_id == issue.id else None

            async def get_letter(slug: str) -> Letter | None:
                return LETTER if slug == LETTER.slug else None

            return SimpleNamespace(
                issues=SimpleNamespace(get=get_issue), letters=SimpleNamespace(get=get_letter)
            )

        async def __aexit__(self, *exc: object) -> None:
            return None

    return Work


def _parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert not parsed.defects
    return parsed


def _part(message: EmailMessage, kind: str) -> str:
    body = message.get_body((kind,))
    assert isinstance(body, EmailMessage)
    return str(body.get_content()).replace("\r\n", "\n")  # as sent: CRLF


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["jeton"][0]


_JETON = re.compile(r"jeton=[^\s\"&<>]+|desabonnement/[^\s\"&<>]+")


class TestRenderingOncePerSend:
    async def test_each_recipient_gets_their_own_name_escaped_and_their_own_links_only(self):
        links = SubscriptionLinks(SECRET, CENTRE.public_url, CENTRE.email, LinkDurations())
        issue = _issue()
        renderer = IssueRenderer(_stored(issue), links, CENTRE)
        compose = issue_composer(CENTRE)
        ref = SendRef(uuid.uuid4(), issue.id, LETTER.slug)
        zoe = Recipient(uuid.uuid4(), "zoe@exemple.fr", "Zoé <b>&", "Lefèvre")
        ines = Recipient(uuid.uuid4(), "ines@exemple.fr", 'Inès "&amp;"', None)
        nameless = Recipient(uuid.uuid4(), "anonyme@exemple.fr", None, None)
        messages = {}
        for person in (zoe, ines, nameless):
            delivery = Delivery(uuid.uuid4(), ref.send_id, person, DeliveryState.SENDING, 1, NOW)
            outgoing = await renderer.render(ref, person)
            messages[person.email] = (outgoing, _parse(compose(delivery, outgoing).data))

        for person in (zoe, ines, nameless):
            outgoing, parsed = messages[person.email]
            html, text = _part(parsed, "html"), _part(parsed, "plain")
            others = [p for p in (zoe, ines, nameless) if p is not person]
            # Their name: as typed in the text, escaped in the HTML (never markup).
            if person.first_name:
                assert f"Bonjour {person.first_name}," in text
                escaped = person.first_name.replace("&", "&amp;").replace("<", "&lt;")
                escaped = escaped.replace(">", "&gt;").replace('"', "&#34;")
                assert f"Bonjour {escaped}," in html
            else:
                assert "Bonjour," in text and "Bonjour," in html
            assert "<b>" not in html
            for other in others:
                if other.first_name:
                    assert other.first_name not in text
            # Their own links, signed for them, in both parts and in the headers; no one else's.
            hrefs = re.findall(r'href="([^"]+)"', html)
            preferences = unescape(next(h for h in hrefs if "jeton=" in h))
            unsubscribe = unescape(next(h for h in hrefs if "/desabonnement/" in h))
            assert links.read_preferences(_token(preferences)) == person.subscriber_id
            token = unsubscribe.rsplit("/", 1)[-1]
            assert links.read_unsubscribe(token) == (person.subscriber_id, LETTER.slug)
            assert preferences in text and unsubscribe in text
            assert str(parsed["List-Unsubscribe"]).startswith(f"<{unsubscribe}>, <mailto:")
            for other in others:
                theirs = links.unsubscribe_url(other.subscriber_id, LETTER.slug)
                assert theirs not in text and theirs not in html
                assert theirs not in str(parsed["List-Unsubscribe"])
            assert parsed["To"].addresses[0].display_name == person.display_name
            assert parsed["To"].addresses[0].addr_spec == person.email
            # Exactly what rendering the issue for this one recipient gives (the signed links
            # aside: the preferences link carries the second it was signed).
            reader = IssueRecipient(
                person.subscriber_id, person.email, person.first_name, person.last_name,
                person.subscriber_id, LETTER.slug,
            )  # fmt: skip
            alone = render_issue(issue, LETTER, reader, links, CENTRE)
            assert _JETON.sub("…", outgoing.text) == _JETON.sub("…", alone.text)
            assert _JETON.sub("…", unescape(outgoing.html)) == _JETON.sub("…", unescape(alone.html))
