"""Every transactional mail newsletters sends: what each kind says (French, escaped, amounts,
Paris time), the rules of the mail store (one per dedupe key, links removed once settled) and
the sender (expired links are not sent)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from sqlalchemy import update
from structlog.testing import capture_logs

from contracts.members import (
    AccessLinkRequestedV1,
    MemberRegisteredV1,
    MembershipRenewedV1,
    PersonErasedV1,
    RecipientV1,
)
from services.newsletters import handlers
from services.newsletters.domain import (
    ACCESS_LINK_KINDS,
    FINAL_STATUSES,
    SUBSCRIBER_KINDS,
    DeliveryStatus,
    InvalidLink,
    MailKind,
    TransactionalMail,
    checked_link,
    renewal_key,
)
from services.newsletters.domain.issues import render_issue
from services.newsletters.formatting import euros, minutes_left, paris_datetime
from services.newsletters.settings import NewslettersSettings
from services.newsletters.store import DUE, transactional_mails
from services.runtime.settings import CentreSettings
from tests.support.factories import unique_email
from tests.support.issues import issue as sample_issue
from tests.support.issues import letter as sample_letter
from tests.support.newsletters import (
    Newsletters,
    as_received,
    event_mails,
    mailer,
    newsletters_on,
    owed,
    parts,
)
from tests.support.smtp import FakeSmtp

CENTRE = CentreSettings(
    slug="crpv-bretagne",
    name="Centre de ressources politique de la ville de Bretagne",
    email="contact@crpv-bretagne.example.org",
    public_url="https://crpv-bretagne.example.org",
)
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # 10 h 30 in Paris (winter time)
LINK = "https://crpv-bretagne.example.org/espace/lien?jeton=abc123&suite=%2Fprofil"
NBSP, NNBSP = "\u00a0", "\u202f"


def _plain(text: str) -> str:
    """Non-breaking spaces as plain spaces, to read French typography in assertions."""
    return text.replace(NBSP, " ").replace(NNBSP, " ").replace("&nbsp;", " ")


def _access_link(
    kind: MailKind, *, first_name: str = "Camille", expires_at: datetime | None = None
) -> TransactionalMail:
    return owed(
        kind,
        data={"first_name": first_name, "last_name": "Martin", "url": LINK},
        expires_at=expires_at or NOW + timedelta(minutes=15),
    )


def _renewal(
    *,
    dues: str = "1200.00",
    member_name: str | None = "Ville de Saint-Brieuc",
    member_type: str = "organisation",
    name: str = "Service des finances",
) -> TransactionalMail:
    return owed(
        MailKind.MEMBERSHIP_RENEWAL,
        name=name,
        data={
            "membership_id": str(uuid.uuid4()),
            "member_type": member_type,
            "member_name": member_name,
            "year": 2027,
            "dues": dues,
        },
    )


def _received(mail: TransactionalMail, *, centre: CentreSettings = CENTRE, **kw: Any) -> Any:
    return as_received(mailer(centre, **kw).compose(mail, NOW))


def _texts(mail: TransactionalMail, **kw: Any) -> tuple[str, str, str]:
    """Subject, plain text and HTML as the person reads them."""
    message = _received(mail, **kw)
    content = parts(message)
    return str(message["Subject"]), content["text/plain"], content["text/html"]


class TestFrenchFormats:
    @pytest.mark.parametrize(
        ("amount", "shown"),
        [
            ("1200.00", f"1{NNBSP}200,00{NBSP}€"),
            ("30.5", f"30,50{NBSP}€"),
            ("0", f"0,00{NBSP}€"),
            ("1234567.89", f"1{NNBSP}234{NNBSP}567,89{NBSP}€"),
            ("999.999", f"1{NNBSP}000,00{NBSP}€"),
        ],
    )
    def test_writes_amounts_with_spaced_thousands_a_decimal_comma_and_the_euro_sign_after(
        self, amount: str, shown: str
    ) -> None:
        assert euros(Decimal(amount)) == shown

    def test_writes_a_winter_moment_in_paris_time(self) -> None:
        assert _plain(paris_datetime(NOW)) == "lundi 2 mars 2026 à 10 h 30"

    def test_writes_a_summer_moment_in_paris_time(self) -> None:
        moment = datetime(2026, 7, 14, 20, 5, tzinfo=UTC)

        assert _plain(paris_datetime(moment)) == "mardi 14 juillet 2026 à 22 h 05"

    def test_writes_the_first_of_the_month_as_premier(self) -> None:
        moment = datetime(2026, 10, 31, 23, 15, tzinfo=UTC)  # already 1 November in Paris

        assert _plain(paris_datetime(moment)) == "dimanche 1er novembre 2026 à 0 h 15"

    def test_counts_whole_minutes_left_and_never_says_zero_while_a_link_works(self) -> None:
        assert minutes_left(NOW + timedelta(minutes=15), NOW) == 15
        assert minutes_left(NOW + timedelta(minutes=14, seconds=59), NOW) == 14
        assert minutes_left(NOW + timedelta(seconds=20), NOW) == 1


def _of_kind(kind: MailKind) -> TransactionalMail:
    if kind is MailKind.WELCOME:
        return owed(kind)
    if kind is MailKind.MEMBERSHIP_RENEWAL:
        return _renewal()
    if kind in ACCESS_LINK_KINDS:
        return _access_link(kind)
    if kind in SUBSCRIBER_KINDS:
        return owed(
            kind,
            data={"url": LINK, "letters": ["La Minute Pop", "Lettre Culture"]},
            expires_at=NOW + timedelta(days=7),
        )
    if kind is MailKind.ISSUE_TEST:
        rendered = render_issue(sample_issue(), sample_letter(), None, None, CENTRE)
        return owed(
            kind,
            name="",
            data={
                "subject": f"[TEST] {rendered.subject}",
                "html": rendered.html,
                "text": rendered.text,
            },
        )
    return event_mails()[kind]


class TestEveryKind:
    @pytest.mark.parametrize("kind", list(MailKind))
    def test_is_plain_text_then_html_declared_in_french(self, kind: MailKind) -> None:
        message = _received(_of_kind(kind))

        assert list(parts(message)) == ["text/plain", "text/html"]
        assert message.get_content_type() == (
            "multipart/mixed" if "ics" in _of_kind(kind).data else "multipart/alternative"
        )
        assert '<html lang="fr">' in parts(message)["text/html"]
        assert parts(message)["text/plain"].rstrip().endswith(CENTRE.name)

    @pytest.mark.parametrize("kind", list(MailKind))
    def test_carries_a_message_id_on_one_line_that_reads_back_unchanged(
        self, kind: MailKind
    ) -> None:
        domain = "centre-ressources-villes29.fr"  # the longest the documentation promises
        assert len(domain) == 29
        centre = CENTRE.model_copy(update={"email": f"contact@{domain}"})
        mail = _of_kind(kind)

        sent = mailer(centre).compose(mail, NOW)

        expected = f"<{mail.message_id_key}@{domain}>"
        lines = bytes(sent).decode().splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith("Message-ID:"))
        assert lines[at] == f"Message-ID: {expected}"
        assert len(lines[at]) <= 78
        assert not lines[at + 1].startswith((" ", "\t")), "the Message-ID header was folded"
        assert as_received(sent)["Message-ID"] == expected

    def test_the_same_mail_sent_again_carries_the_same_message_id(self) -> None:
        mail = _access_link(MailKind.SIGN_IN)

        first = mailer(CENTRE).compose(mail, NOW)
        again = mailer(CENTRE).compose(mail, NOW + timedelta(minutes=6))

        assert first["Message-ID"] == again["Message-ID"]
        assert first["Message-ID"].startswith("<link.")


class TestWelcomeMail:
    def test_asks_to_confirm_the_address_with_the_link_until_its_expiry_in_paris_time(
        self,
    ) -> None:
        mail = owed(
            MailKind.WELCOME,
            data={"first_name": "Léa", "last_name": "Bernard", "confirmation_url": LINK},
            expires_at=datetime(2026, 3, 4, 9, 30, tzinfo=UTC),
        )

        subject, text, html = _texts(mail)

        assert subject == f"Bienvenue dans le réseau du {CENTRE.name} – confirmez votre adresse"
        assert "Bonjour Léa," in text
        assert "confirmez votre adresse e-mail" in text
        assert LINK in text
        assert "jusqu'au mercredi 4 mars 2026 à 10 h 30 (heure de Paris)" in _plain(text)
        assert 'href="' + LINK.replace("&", "&amp;") + '"' in html
        assert "Confirmer mon adresse" in html
        assert "jusqu'au mercredi 4 mars 2026 à 10 h 30" in _plain(html)

    def test_without_a_confirmation_link_only_welcomes(self) -> None:
        subject, text, html = _texts(owed(MailKind.WELCOME))

        assert subject == f"Bienvenue dans le réseau du {CENTRE.name}"
        assert "est bien enregistrée" in text
        assert "confirm" not in text.lower() and "confirm" not in html.lower()


class TestAccessLinkMails:
    def test_confirm_signup_asks_to_confirm_the_pending_sign_up(self) -> None:
        subject, text, html = _texts(_access_link(MailKind.CONFIRM_SIGNUP))

        assert subject == f"Confirmez votre inscription – {CENTRE.name}"
        assert LINK in text and LINK.replace("&", "&amp;") in html
        assert "pas encore confirmée" in text
        assert "jusqu'au lundi 2 mars 2026 à 10 h 45 (heure de Paris)" in _plain(text)
        assert "Si vous n'avez rien demandé, ignorez ce message" in text

    def test_sign_in_gives_the_minutes_left_says_single_use_and_to_ignore_it_if_not_asked(
        self,
    ) -> None:
        subject, text, html = _texts(_access_link(MailKind.SIGN_IN))

        assert subject == f"Votre lien de connexion – {CENTRE.name}"
        assert "Ce lien est valable 15 minutes" in _plain(text)
        assert "valable 15 minutes" in _plain(html)
        assert "ne sert qu'une seule fois" in text
        assert "Si vous n'avez pas demandé à vous connecter, ignorez ce message" in text
        assert LINK in text

    def test_sign_in_says_one_minute_in_the_singular(self) -> None:
        mail = _access_link(MailKind.SIGN_IN, expires_at=NOW + timedelta(seconds=90))

        _, text, _ = _texts(mail)

        assert "valable 1 minute (" in _plain(text)

    def test_confirm_email_goes_to_the_new_address_and_asks_to_confirm_it(self) -> None:
        mail = _access_link(MailKind.CONFIRM_EMAIL)
        mail.email = "nouvelle.adresse@example.org"

        message = _received(mail)
        text = parts(message)["text/plain"]

        assert message["Subject"] == f"Confirmez votre nouvelle adresse – {CENTRE.name}"
        assert message["To"].addresses[0].addr_spec == "nouvelle.adresse@example.org"
        assert "écrive désormais à cette adresse" in text
        assert "l'adresse enregistrée ne\nchange pas" in text

    @pytest.mark.parametrize("kind", sorted(ACCESS_LINK_KINDS))
    def test_escapes_markup_typed_as_a_first_name_in_html_only(self, kind: MailKind) -> None:
        mail = _access_link(kind, first_name="<img src=x onerror=alert(1)>")

        _, text, html = _texts(mail)

        assert "<img" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "Bonjour <img src=x onerror=alert(1)>," in text


class TestRenewalMail:
    def test_calls_for_the_year_s_dues_with_the_amount_in_french(self) -> None:
        subject, text, html = _texts(_renewal(dues="1200.00"))

        assert subject == f"Appel à cotisation 2027 – {CENTRE.name}"
        assert "Bonjour Service des finances," in text
        assert "L'adhésion de Ville de Saint-Brieuc au" in text
        assert "pour l'année 2027" in text
        assert "Montant de la cotisation 2027 : 1 200,00 €" in _plain(text)
        assert "1 200,00 €" in _plain(html)

    def test_says_how_to_pay_with_the_default_instructions(self) -> None:
        _, text, html = _texts(_renewal())

        assert "Comment régler" in text and "Comment régler" in html
        assert "par virement, par chèque" in text
        assert "mandat administratif" in html

    def test_prints_the_centre_s_own_payment_instructions_as_escaped_paragraphs(self) -> None:
        instructions = "Virement : IBAN FR76 1234 <à compléter>\nBIC ABCDEFGH\n\nMerci & à bientôt."

        _, text, html = _texts(_renewal(), payment=instructions)

        assert instructions in text
        assert "Virement : IBAN FR76 1234 &lt;à compléter&gt;<br>\nBIC ABCDEFGH</p>" in html
        assert ">Merci &amp; à bientôt.</p>" in html

    def test_escapes_the_member_and_recipient_names_in_html(self) -> None:
        mail = _renewal(member_name="Asso <b>Quartiers</b>", name="Léa <i>Dupont</i>")

        _, text, html = _texts(mail)

        assert "<b>" not in html and "<i>" not in html
        assert "Asso &lt;b&gt;Quartiers&lt;/b&gt;" in html
        assert "Léa &lt;i&gt;Dupont&lt;/i&gt;" in html
        assert "L'adhésion de Asso <b>Quartiers</b>" in text

    def test_speaks_to_a_person_member_about_their_own_membership(self) -> None:
        _, text, _ = _texts(_renewal(member_type="person", member_name="Léa Dupont", name=""))

        assert text.startswith("Bonjour,\n")
        assert "Votre adhésion au" in text

    def test_asks_for_nothing_when_the_year_is_free(self) -> None:
        subject, text, _ = _texts(_renewal(dues="0.00"))

        assert subject == f"Renouvellement de votre adhésion 2027 – {CENTRE.name}"
        assert "Aucune cotisation n'est demandée pour 2027" in text
        assert "Comment régler" not in text

    def test_links_to_the_centre_s_site(self) -> None:
        _, text, html = _texts(_renewal())

        assert f"{CENTRE.public_url}/" in text
        assert f'href="{CENTRE.public_url}/"' in html


class TestMailRules:
    def test_a_sent_access_link_keeps_no_link_but_what_the_record_needs(self) -> None:
        mail = _access_link(MailKind.SIGN_IN)

        mail.sent("<x@crpv-bretagne.example.org>")

        assert mail.status is DeliveryStatus.SENT
        assert mail.data == {"first_name": "Camille", "last_name": "Martin"}
        assert mail.expires_at is not None

    def test_a_temporary_failure_keeps_the_link_for_the_next_attempt(self) -> None:
        mail = _access_link(MailKind.SIGN_IN)

        mail.failed_temporarily("421 try later", NOW, max_attempts=8)

        assert mail.data["url"] == LINK

    @pytest.mark.parametrize("settle", ["permanent failure", "last attempt", "expiry"])
    def test_a_mail_that_will_never_be_sent_keeps_no_link(self, settle: str) -> None:
        mail = _access_link(MailKind.CONFIRM_EMAIL)

        if settle == "permanent failure":
            mail.failed_permanently("550 no such user")
        elif settle == "last attempt":
            mail.failed_temporarily("421 try later", NOW, max_attempts=1)
        else:
            mail.expired()

        assert mail.status in FINAL_STATUSES
        assert "url" not in mail.data

    def test_a_welcome_mail_once_sent_keeps_no_confirmation_link(self) -> None:
        mail = owed(
            MailKind.WELCOME,
            data={"first_name": "Léa", "last_name": "B", "confirmation_url": LINK},
            expires_at=NOW + timedelta(days=2),
        )

        event = mail.sent("<x@y>")

        assert "confirmation_url" not in mail.data
        assert event is not None

    def test_only_a_welcome_mail_announces_that_it_was_sent(self) -> None:
        assert _renewal().sent("<x@y>") is None
        assert _access_link(MailKind.SIGN_IN).sent("<x@y>") is None

    def test_expires_at_the_link_s_expiry(self) -> None:
        mail = _access_link(MailKind.SIGN_IN, expires_at=NOW)

        assert mail.has_expired(NOW)
        assert not mail.has_expired(NOW - timedelta(seconds=1))
        assert not owed(MailKind.WELCOME).has_expired(NOW + timedelta(days=3650))

    def test_one_renewal_call_per_membership_and_address_whatever_its_case(self) -> None:
        membership = uuid.uuid4()

        assert renewal_key(membership, "Mairie@Exemple.fr") == renewal_key(
            membership, "mairie@exemple.fr "
        )
        assert renewal_key(membership, "a@exemple.fr") != renewal_key(uuid.uuid4(), "a@exemple.fr")

    @pytest.mark.parametrize(
        "url", ["javascript:alert(1)", "/espace/lien?jeton=1", "ftp://exemple.fr/x", "https://"]
    )
    def test_refuses_to_mail_a_link_that_is_not_absolute_http(self, url: str) -> None:
        with pytest.raises(InvalidLink):
            checked_link(url)

    def test_the_sender_s_due_rows_are_exactly_the_unsettled_ones(self) -> None:
        unsettled = {status.value for status in DeliveryStatus if status not in FINAL_STATUSES}

        assert "status IN ({})".format(", ".join(f"'{s}'" for s in sorted(unsettled))) == DUE


@pytest.fixture
async def newsletters(tmp_path: Path) -> AsyncIterator[Newsletters]:
    async with newsletters_on(f"sqlite+aiosqlite:///{tmp_path / 'newsletters.db'}", CENTRE) as db:
        yield db


def _link_event(
    purpose: str = "sign_in", *, expires_in: timedelta = timedelta(minutes=15), **kw: Any
) -> AccessLinkRequestedV1:
    values: dict[str, Any] = {
        "producer": "members",
        "centre": CENTRE.slug,
        "person_id": uuid.uuid4(),
        "email": unique_email(),
        "first_name": "Camille",
        "last_name": "Martin",
        "purpose": purpose,
        "url": LINK,
        "expires_at": datetime.now(UTC) + expires_in,
    }
    values.update(kw)
    return AccessLinkRequestedV1(**values)


def _renewed(*recipients: RecipientV1, **kw: Any) -> MembershipRenewedV1:
    values: dict[str, Any] = {
        "producer": "members",
        "centre": CENTRE.slug,
        "membership_id": uuid.uuid4(),
        "previous_membership_id": uuid.uuid4(),
        "member_type": "organisation",
        "member_id": uuid.uuid4(),
        "year": 2027,
        "dues": Decimal("1200.00"),
        "member_name": "Ville de Saint-Brieuc",
        "recipients": recipients,
    }
    values.update(kw)
    return MembershipRenewedV1(**values)


def _text(message: EmailMessage) -> str:
    return parts(as_received(message))["text/plain"]


class SenderDied(BaseException):
    """The process sending a mail is killed (SIGKILL): nothing after it runs."""


class TestSenderThatDies:
    """Several newsletters replicas send; one killed mid-send must not keep a mail forever."""

    async def test_its_mail_waits_for_the_lease_then_another_sender_sends_it_once(
        self, newsletters: Newsletters
    ) -> None:
        held, released = _link_event(), _link_event()
        await handlers.on_access_link_requested(held, newsletters.uow)
        dying = FakeSmtp([SenderDied()])
        with pytest.raises(SenderDied):  # claimed for the default lease (5 minutes)
            await handlers.send_next_mail(
                newsletters.uow, dying.send, mailer(CENTRE), max_attempts=8
            )
        await handlers.on_access_link_requested(released, newsletters.uow)
        dying = FakeSmtp([SenderDied()])
        with pytest.raises(SenderDied):  # claimed for a lease already over
            await handlers.send_next_mail(
                newsletters.uow, dying.send, mailer(CENTRE), max_attempts=8, lease=timedelta(0)
            )
        survivor = FakeSmtp()

        assert await newsletters.send_all(survivor) == 1

        [message] = survivor.accepted
        assert message["To"].addresses[0].addr_spec == released.email
        [held_row] = await newsletters.rows(person_id=str(held.person_id))
        assert held_row.status == "sending"

    def test_the_lease_must_outlast_an_smtp_exchange(self) -> None:
        with pytest.raises(ValueError, match="SEND_LEASE_SECONDS"):
            NewslettersSettings(send_lease_seconds=20, smtp_timeout_seconds=30)


class TestOweAccessLinkMail:
    async def test_owes_one_mail_per_request_even_when_it_is_delivered_twice(
        self, newsletters: Newsletters
    ) -> None:
        event = _link_event()

        first = await handlers.on_access_link_requested(event, newsletters.uow)
        again = await handlers.on_access_link_requested(event, newsletters.uow)

        assert (first, again) == (True, False)
        [row] = await newsletters.rows(person_id=str(event.person_id))
        assert (row.kind, row.status, row.email) == ("sign_in", "pending", str(event.email))

    async def test_owes_a_mail_for_each_new_request_of_one_person(
        self, newsletters: Newsletters
    ) -> None:
        person = uuid.uuid4()

        for _ in range(2):
            await handlers.on_access_link_requested(_link_event(person_id=person), newsletters.uow)

        assert len(await newsletters.rows(person_id=str(person))) == 2

    async def test_refuses_a_link_that_is_not_absolute_http_and_owes_nothing(
        self, newsletters: Newsletters
    ) -> None:
        event = _link_event(url="javascript:alert(1)")

        with pytest.raises(InvalidLink):
            await handlers.on_access_link_requested(event, newsletters.uow)

        assert await newsletters.rows(person_id=str(event.person_id)) == []

    async def test_sends_the_link_then_keeps_no_trace_of_it(self, newsletters: Newsletters) -> None:
        event = _link_event("confirm_email")
        await handlers.on_access_link_requested(event, newsletters.uow)
        smtp = FakeSmtp()

        assert await newsletters.send_next(smtp) is True

        [message] = smtp.accepted
        assert LINK in _text(message)
        [row] = await newsletters.rows(person_id=str(event.person_id))
        assert row.status == "sent" and row.message_id == message["Message-ID"]
        assert "jeton" not in row.data and "url" not in row.data
        assert await newsletters.outbox_subjects() == []

    async def test_does_not_send_a_link_that_expired_before_it_could_be_sent_and_says_so(
        self, newsletters: Newsletters
    ) -> None:
        event = _link_event(expires_in=timedelta(seconds=-1))
        await handlers.on_access_link_requested(event, newsletters.uow)
        smtp = FakeSmtp()

        with capture_logs() as logs:
            assert await newsletters.send_next(smtp) is True

        assert smtp.attempts == 0
        [row] = await newsletters.rows(person_id=str(event.person_id))
        assert row.status == "expired"
        assert "jeton" not in row.data
        assert any("expired" in entry["event"] for entry in logs), logs
        assert await newsletters.send_next(smtp) is False

    async def test_does_not_retry_a_link_once_it_has_expired(
        self, newsletters: Newsletters
    ) -> None:
        event = _link_event(expires_in=timedelta(minutes=15))
        await handlers.on_access_link_requested(event, newsletters.uow)
        greylisted = aiosmtplib.SMTPResponseException(451, "4.7.1 Greylisted")
        smtp = FakeSmtp(failures=[greylisted])
        await newsletters.send_next(smtp)
        [row] = await newsletters.rows(person_id=str(event.person_id))
        assert row.status == "pending" and "jeton" in row.data

        # The retry comes due after the link stopped working.
        async with newsletters.engine.begin() as connection:
            await connection.execute(
                update(transactional_mails)
                .where(transactional_mails.c.id == row.id)
                .values(
                    next_attempt_at=datetime.now(UTC),
                    expires_at=datetime.now(UTC) - timedelta(seconds=1),
                )
            )
        await newsletters.send_next(smtp)

        [row] = await newsletters.rows(person_id=str(event.person_id))
        assert row.status == "expired"
        assert smtp.attempts == 1

    async def test_fails_for_good_on_a_5xx_and_keeps_no_link(
        self, newsletters: Newsletters
    ) -> None:
        event = _link_event("confirm_signup")
        await handlers.on_access_link_requested(event, newsletters.uow)
        smtp = FakeSmtp(failures=[aiosmtplib.SMTPRecipientRefused(550, "5.1.1 No such user", "x")])

        await newsletters.send_next(smtp)

        [row] = await newsletters.rows(person_id=str(event.person_id))
        assert row.status == "failed" and row.last_error.startswith("550")
        assert "jeton" not in row.data


class TestOweWelcomeMail:
    async def test_a_welcome_whose_confirmation_link_expired_is_not_sent_nor_announced(
        self, newsletters: Newsletters
    ) -> None:
        event = MemberRegisteredV1(
            producer="members",
            centre=CENTRE.slug,
            person_id=uuid.uuid4(),
            first_name="Léa",
            last_name="Bernard",
            email=unique_email(),
            confirmation_url=LINK,
            confirmation_expires_at=datetime.now(UTC) - timedelta(minutes=1),
        )
        await handlers.on_member_registered(event, newsletters.uow)
        smtp = FakeSmtp()

        await newsletters.send_next(smtp)

        [row] = await newsletters.rows(person_id=str(event.person_id))
        assert row.status == "expired" and "jeton" not in row.data
        assert smtp.attempts == 0
        assert await newsletters.outbox_subjects() == []


class TestOweRenewalMails:
    async def test_owes_one_call_per_recipient_address(self, newsletters: Newsletters) -> None:
        mayor, finance = unique_email("maire"), unique_email("finances")
        person = uuid.uuid4()
        event = _renewed(
            RecipientV1(person_id=person, name="Léa Dupont", email=mayor),
            RecipientV1(name="Service des finances", email=finance),
            RecipientV1(name="Finances (copie)", email=finance.upper()),
        )

        added = await handlers.on_membership_renewed(event, newsletters.uow)
        again = await handlers.on_membership_renewed(event, newsletters.uow)
        reissued = await handlers.on_membership_renewed(
            event.model_copy(update={"event_id": uuid.uuid4()}), newsletters.uow
        )
        smtp = FakeSmtp()
        sent = await newsletters.send_all(smtp)

        assert (added, again, reissued, sent) == (2, 0, 0, 2)
        assert sorted(m["To"].addresses[0].addr_spec for m in smtp.accepted) == sorted(
            [mayor, finance]
        )
        assert all("1 200,00 €" in _plain(_text(m)) for m in smtp.accepted)
        [tied] = await newsletters.rows(person_id=str(person))
        assert tied.email == mayor
        assert await newsletters.outbox_subjects() == []

    async def test_owes_nothing_when_there_is_no_one_to_mail(
        self, newsletters: Newsletters
    ) -> None:
        event = _renewed()

        assert await handlers.on_membership_renewed(event, newsletters.uow) == 0

    async def test_ties_a_person_member_s_own_address_to_the_person_for_erasure(
        self, newsletters: Newsletters
    ) -> None:
        member = uuid.uuid4()
        event = _renewed(
            RecipientV1(name="Léa Dupont", email=unique_email()),
            member_type="person",
            member_id=member,
            member_name="Léa Dupont",
        )

        await handlers.on_membership_renewed(event, newsletters.uow)

        assert len(await newsletters.rows(person_id=str(member))) == 1


class TestErasePerson:
    async def test_deletes_every_mail_of_the_person_whatever_its_kind_and_only_theirs(
        self, newsletters: Newsletters
    ) -> None:
        person, other = uuid.uuid4(), uuid.uuid4()
        address = unique_email()
        for who in (person, other):
            await handlers.on_member_registered(
                MemberRegisteredV1(
                    producer="members",
                    centre=CENTRE.slug,
                    person_id=who,
                    first_name="Léa",
                    last_name="Bernard",
                    email=address if who == person else unique_email(),
                ),
                newsletters.uow,
            )
            await handlers.on_access_link_requested(_link_event(person_id=who), newsletters.uow)
        organisation_contact = unique_email("contact")
        await handlers.on_membership_renewed(
            _renewed(
                RecipientV1(person_id=person, name="Léa Bernard", email=address),
                RecipientV1(name="Contact", email=organisation_contact),
            ),
            newsletters.uow,
        )
        await newsletters.send_next(FakeSmtp())  # one of them is even sent already

        deleted = await handlers.on_person_erased(
            PersonErasedV1(producer="members", centre=CENTRE.slug, person_id=person),
            newsletters.uow,
        )

        assert deleted == 3
        assert await newsletters.rows(person_id=str(person)) == []
        assert await newsletters.rows(email=address) == []
        assert len(await newsletters.rows(person_id=str(other))) == 2
        assert len(await newsletters.rows(email=organisation_contact)) == 1
