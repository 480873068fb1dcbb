"""The welcome e-mail: its content (mailer) and how its delivery is retried (domain, handler)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from contracts.members import MemberRegisteredV1
from services.newsletters import handlers
from services.newsletters.domain import DeliveryStatus, MailKind, TransactionalMail
from services.runtime.settings import CentreSettings
from tests.support.factories import unique_email
from tests.support.newsletters import (
    Newsletters,
    as_received,
    mailer,
    newsletters_on,
    owed,
)
from tests.support.newsletters import parts as _parts
from tests.support.smtp import FakeSmtp

CENTRE = CentreSettings(
    slug="crpv-bretagne",
    name="Centre de ressources politique de la ville de Bretagne",
    email="contact@crpv-bretagne.example.org",
    public_url="https://crpv-bretagne.example.org",
)
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _welcome_mail(first_name: str = "Camille", last_name: str = "Martin") -> TransactionalMail:
    return owed(
        MailKind.WELCOME,
        data={"first_name": first_name, "last_name": last_name},
        name=f"{first_name} {last_name}",
        address="camille.martin@example.org",
    )


def _welcome(first_name: str = "Camille", last_name: str = "Martin") -> EmailMessage:
    """The welcome e-mail as the SMTP server receives it (serialised, then parsed back)."""
    return as_received(mailer(CENTRE).compose(_welcome_mail(first_name, last_name), NOW))


def _owed_mail(attempts: int = 0) -> TransactionalMail:
    mail = owed(MailKind.WELCOME)
    mail.attempts = attempts
    mail.next_attempt_at = NOW
    return mail


class TestWelcomeMailContent:
    def test_has_a_french_subject_naming_the_centre(self) -> None:
        rendered = mailer(CENTRE).render(_welcome_mail(), NOW)

        assert rendered.subject == f"Bienvenue dans le réseau du {CENTRE.name}"
        assert _welcome()["Subject"] == rendered.subject

    def test_offers_plain_text_first_then_html(self) -> None:
        message = _welcome()

        assert message.get_content_type() == "multipart/alternative"
        assert [part.get_content_type() for part in message.iter_parts()] == [
            "text/plain",
            "text/html",
        ]

    def test_greets_the_person_by_first_name_in_both_parts(self) -> None:
        parts = _parts(_welcome(first_name="Yanis"))

        assert "Bonjour Yanis," in parts["text/plain"]
        assert "Bienvenue, Yanis" in parts["text/html"]

    def test_comes_from_the_centre_by_name(self) -> None:
        [sender] = _welcome()["From"].addresses

        assert sender.display_name == CENTRE.name
        assert sender.addr_spec == CENTRE.email

    def test_is_addressed_to_the_person_by_name(self) -> None:
        [recipient] = _welcome(first_name="Awa", last_name="Diallo")["To"].addresses

        assert recipient.display_name == "Awa Diallo"
        assert recipient.addr_spec == "camille.martin@example.org"

    def test_carries_a_message_id_on_the_centre_domain_and_a_date(self) -> None:
        before = datetime.now(UTC).replace(microsecond=0)
        mail = _welcome_mail()
        message = as_received(mailer(CENTRE).compose(mail, NOW))

        assert message["Message-ID"] == f"<{mail.message_id_key}@crpv-bretagne.example.org>"
        assert mail.message_id_key.startswith("welcome.")
        assert parsedate_to_datetime(message["Date"]) >= before

    def test_carries_the_same_message_id_each_time_the_same_mail_is_sent(self) -> None:
        mail = _welcome_mail()

        first = mailer(CENTRE).compose(mail, NOW)
        again = mailer(CENTRE).compose(mail, NOW + timedelta(minutes=5))

        assert first["Message-ID"] == again["Message-ID"]

    def test_two_welcome_mails_never_share_a_message_id(self) -> None:
        assert _welcome()["Message-ID"] != _welcome()["Message-ID"]

    def test_escapes_markup_typed_as_a_first_name_in_the_html_part(self) -> None:
        parts = _parts(_welcome(first_name="<script>alert(1)</script>"))

        assert "<script>" not in parts["text/html"]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in parts["text/html"]

    def test_keeps_the_first_name_literal_in_the_text_part(self) -> None:
        parts = _parts(_welcome(first_name="<script>alert(1)</script>"))

        assert "Bonjour <script>alert(1)</script>," in parts["text/plain"]

    def test_declares_the_html_part_in_french(self) -> None:
        assert '<html lang="fr">' in _parts(_welcome())["text/html"]

    def test_links_to_the_centre_agenda(self) -> None:
        parts = _parts(_welcome())

        assert f'href="{CENTRE.public_url}/"' in parts["text/html"]
        assert f"{CENTRE.public_url}/" in parts["text/plain"]


class TestWelcomeMailDelivery:
    def test_a_temporary_failure_schedules_a_retry(self) -> None:
        mail = _owed_mail()

        mail.failed_temporarily("451 4.7.1 Greylisted", NOW, max_attempts=8)

        assert mail.status is DeliveryStatus.PENDING
        assert mail.attempts == 1
        assert mail.next_attempt_at > NOW
        assert mail.last_error == "451 4.7.1 Greylisted"

    def test_waits_longer_after_each_temporary_failure(self) -> None:
        mail = _owed_mail()
        delays = []
        for _ in range(5):
            mail.failed_temporarily("421 try later", NOW, max_attempts=8)
            delays.append(mail.next_attempt_at - NOW)

        assert delays == sorted(delays)
        assert len(set(delays)) == len(delays)

    def test_never_waits_more_than_an_hour_between_attempts(self) -> None:
        mail = _owed_mail()
        for _ in range(20):
            mail.failed_temporarily("421 try later", NOW, max_attempts=100)

        assert mail.next_attempt_at - NOW == timedelta(hours=1)

    def test_gives_up_after_the_last_allowed_attempt(self) -> None:
        mail = _owed_mail()
        for _ in range(2):
            mail.failed_temporarily("421 try later", NOW, max_attempts=3)
        assert mail.status is DeliveryStatus.PENDING

        mail.failed_temporarily("421 try later", NOW, max_attempts=3)

        assert mail.status is DeliveryStatus.FAILED
        assert mail.attempts == 3

    def test_a_permanent_failure_gives_up_at_once(self) -> None:
        mail = _owed_mail()

        mail.failed_permanently("550 5.1.1 No such user")

        assert mail.status is DeliveryStatus.FAILED
        assert mail.attempts == 1
        assert mail.last_error == "550 5.1.1 No such user"

    def test_a_sent_mail_keeps_its_message_id_and_tells_who_was_welcomed(self) -> None:
        mail = _owed_mail()

        event = mail.sent("<1@crpv-bretagne.example.org>")

        assert mail.status is DeliveryStatus.SENT
        assert mail.message_id == "<1@crpv-bretagne.example.org>"
        assert event is not None and event.person_id == mail.person_id


async def _owe_welcome(newsletters: Newsletters) -> uuid.UUID:
    """A person registered: the service now owes them a welcome mail."""
    event = MemberRegisteredV1(
        producer="members",
        centre=CENTRE.slug,
        person_id=uuid.uuid4(),
        first_name="Camille",
        last_name="Martin",
        email=unique_email(),
    )
    await handlers.on_member_registered(event, newsletters.uow)
    return event.person_id


async def _mail_of(newsletters: Newsletters, person_id: uuid.UUID) -> object:
    [row] = await newsletters.rows(person_id=str(person_id), kind="welcome")
    return row


@pytest.fixture
async def newsletters(tmp_path: Path) -> AsyncIterator[Newsletters]:
    async with newsletters_on(f"sqlite+aiosqlite:///{tmp_path / 'newsletters.db'}", CENTRE) as db:
        yield db


class TestSendNextWelcome:
    async def test_sends_the_owed_mail_and_announces_it(self, newsletters: Newsletters) -> None:
        person_id = await _owe_welcome(newsletters)
        smtp = FakeSmtp()

        assert await newsletters.send_next(smtp) is True

        [message] = smtp.accepted
        row: Any = await _mail_of(newsletters, person_id)
        assert row.status == DeliveryStatus.SENT
        assert row.message_id == message["Message-ID"]
        assert await newsletters.outbox_subjects() == ["reso.newsletters.welcome.sent.v1"]

    async def test_has_nothing_to_send_once_the_mail_is_sent(
        self, newsletters: Newsletters
    ) -> None:
        await _owe_welcome(newsletters)
        smtp = FakeSmtp()
        await newsletters.send_next(smtp)

        assert await newsletters.send_next(smtp) is False
        assert len(smtp.accepted) == 1

    @pytest.mark.parametrize(
        "failure",
        [
            aiosmtplib.SMTPResponseException(451, "4.7.1 Greylisted, try again later"),
            aiosmtplib.SMTPServerDisconnected("Connection lost"),
            ConnectionRefusedError(111, "Connection refused"),
        ],
        ids=["4xx", "disconnected", "refused"],
    )
    async def test_retries_later_when_the_server_answers_4xx_or_cannot_be_reached(
        self, newsletters: Newsletters, failure: BaseException
    ) -> None:
        person_id = await _owe_welcome(newsletters)
        smtp = FakeSmtp(failures=[failure])

        await newsletters.send_next(smtp)

        row: Any = await _mail_of(newsletters, person_id)
        assert row.status == DeliveryStatus.PENDING
        assert row.attempts == 1
        assert row.next_attempt_at > datetime.now(UTC)
        assert await newsletters.send_next(smtp) is False, "the retry must wait its delay"
        assert await newsletters.outbox_subjects() == []

    async def test_gives_up_when_the_last_attempt_fails_temporarily(
        self, newsletters: Newsletters
    ) -> None:
        person_id = await _owe_welcome(newsletters)
        smtp = FakeSmtp(failures=[aiosmtplib.SMTPResponseException(421, "Service not available")])

        await newsletters.send_next(smtp, max_attempts=1)

        row: Any = await _mail_of(newsletters, person_id)
        assert row.status == DeliveryStatus.FAILED
        assert row.last_error == "421 Service not available"

    async def test_fails_for_good_when_the_server_answers_5xx(
        self, newsletters: Newsletters
    ) -> None:
        person_id = await _owe_welcome(newsletters)
        smtp = FakeSmtp(failures=[aiosmtplib.SMTPRecipientRefused(550, "5.1.1 No such user", "x")])

        await newsletters.send_next(smtp)

        row: Any = await _mail_of(newsletters, person_id)
        assert row.status == DeliveryStatus.FAILED
        assert row.attempts == 1
        assert row.last_error.startswith("550")
        assert await newsletters.outbox_subjects() == []
