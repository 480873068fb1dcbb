"""Every mail members asks for reaches its recipient once: members' events published on a real
JetStream (with ``Nats-Msg-Id``, as the outbox relay does), the newsletters service on both
database lanes, a real SMTP sink."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

from sqlalchemy import func, select

from contracts.members import (
    AccessLinkRequestedV1,
    MemberRegisteredV1,
    MembershipRenewedV1,
    PersonErasedV1,
    RecipientV1,
)
from services.newsletters.app import build_app as build_newsletters
from services.newsletters.store import transactional_mails
from services.runtime.service import ServiceApp
from tests.support.bus import consumed, publish
from tests.support.factories import unique_email
from tests.support.mail import await_mail, read_mails
from tests.support.scan import find_text
from tests.support.services import (
    CENTRE,
    newsletters_settings,
    running,
    stream_messages,
    wait_until,
)

LINK = "https://crpv-test.example.org/espace/lien?jeton=s3cr3t&n=1"


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _mails_to(directory: Any, address: str) -> list[EmailMessage]:
    return [m for m in read_mails(directory) if address.lower() in str(m["To"]).lower()]


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return _plain(body.get_content())


def _html(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert isinstance(body, EmailMessage)
    return _plain(body.get_content())


def _registered(address: str, **kw: Any) -> MemberRegisteredV1:
    values: dict[str, Any] = {
        "producer": "members",
        "centre": CENTRE.slug,
        "person_id": uuid.uuid4(),
        "first_name": "Léa",
        "last_name": "Bernard",
        "email": address,
    }
    values.update(kw)
    return MemberRegisteredV1(**values)


def _link(address: str, purpose: str = "sign_in", **kw: Any) -> AccessLinkRequestedV1:
    values: dict[str, Any] = {
        "producer": "members",
        "centre": CENTRE.slug,
        "person_id": uuid.uuid4(),
        "email": address,
        "first_name": "Yanis",
        "last_name": "Le Goff",
        "purpose": purpose,
        "url": LINK,
        "expires_at": datetime.now(UTC) + timedelta(minutes=15),
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
        "member_name": "Ville de Lorient",
        "recipients": recipients,
    }
    values.update(kw)
    return MembershipRenewedV1(**values)


async def _rows(app: ServiceApp, **where: Any) -> list[Any]:
    statement = select(transactional_mails)
    for column, value in where.items():
        statement = statement.where(transactional_mails.c[column] == value)
    async with app.engine.connect() as connection:
        return list((await connection.execute(statement)).all())


async def _count(app: ServiceApp, **where: Any) -> int:
    statement = select(func.count()).select_from(transactional_mails)
    for column, value in where.items():
        statement = statement.where(transactional_mails.c[column] == value)
    async with app.engine.connect() as connection:
        return int((await connection.execute(statement)).scalar_one())


def _newsletters(database: Any, nats_server: Any, mail_sink: Any) -> ServiceApp:
    return build_newsletters(
        newsletters_settings(database("newsletters"), nats_server.url, mail_sink.port)
    )


class TestWelcomeMailWithConfirmation:
    async def test_asks_the_new_person_to_confirm_with_the_link_before_it_expires(
        self, database, nats_server, mail_sink
    ):
        address = unique_email("lea")
        expires = datetime(2031, 7, 14, 8, 0, tzinfo=UTC)  # 10 h 00 in Paris (summer time)
        event = _registered(address, confirmation_url=LINK, confirmation_expires_at=expires)
        app = _newsletters(database, nats_server, mail_sink)
        async with running(app):
            await publish(nats_server.url, event)
            counts = await await_mail(mail_sink.directory, [address])
            sent = await stream_messages(
                nats_server.url, "NEWSLETTERS", "reso.newsletters.welcome.sent.v1"
            )
            [row] = await _rows(app, person_id=str(event.person_id))

        assert counts[address] == 1
        [mail] = _mails_to(mail_sink.directory, address)
        assert mail["Subject"] == (
            f"Bienvenue dans le réseau du {CENTRE.name} – confirmez votre adresse"
        )
        assert LINK in _text(mail)
        assert LINK.replace("&", "&amp;") in _html(mail)
        assert "jusqu'au lundi 14 juillet 2031 à 10 h 00 (heure de Paris)" in _text(mail)
        assert len(sent) == 1
        assert (row.status, row.message_id) == ("sent", mail["Message-ID"])
        assert "jeton" not in row.data


class TestAccessLinkMails:
    async def test_one_mail_per_request_even_when_the_same_event_is_delivered_twice(
        self, database, nats_server, mail_sink
    ):
        address = unique_email("yanis")
        event = _link(address, "sign_in")
        app = _newsletters(database, nats_server, mail_sink)
        async with running(app):
            await publish(nats_server.url, event)
            await publish(nats_server.url, event)  # same Nats-Msg-Id: JetStream drops it
            await publish(nats_server.url, event, msg_id=f"{event.event_id}-later")  # stored
            await consumed(nats_server.url, "newsletters", event.subject)
            counts = await await_mail(mail_sink.directory, [address], settle=1.5)
            stored = await stream_messages(nats_server.url, "MEMBERS", event.subject)
            rows = await _rows(app, person_id=str(event.person_id))

        assert len(stored) == 2, "the second copy must reach the consumer"
        assert counts[address] == 1
        [mail] = _mails_to(mail_sink.directory, address)
        assert mail["Subject"] == f"Votre lien de connexion – {CENTRE.name}"
        assert LINK in _text(mail)
        assert "valable 15 minutes" in _text(mail) or "valable 14 minutes" in _text(mail)
        [row] = rows
        assert (row.kind, row.status) == ("sign_in", "sent")
        assert "jeton" not in row.data

    async def test_each_purpose_gets_its_own_french_mail(self, database, nats_server, mail_sink):
        subjects = {
            "confirm_signup": f"Confirmez votre inscription – {CENTRE.name}",
            "sign_in": f"Votre lien de connexion – {CENTRE.name}",
            "confirm_email": f"Confirmez votre nouvelle adresse – {CENTRE.name}",
        }
        addresses = {purpose: unique_email(purpose.replace("_", "-")) for purpose in subjects}
        async with running(_newsletters(database, nats_server, mail_sink)):
            for purpose, address in addresses.items():
                await publish(nats_server.url, _link(address, purpose))
            counts = await await_mail(mail_sink.directory, list(addresses.values()))

        assert [counts[a] for a in addresses.values()] == [1, 1, 1]
        for purpose, address in addresses.items():
            [mail] = _mails_to(mail_sink.directory, address)
            assert mail["Subject"] == subjects[purpose]
            assert LINK in _text(mail)

    async def test_a_link_that_expired_before_it_could_be_sent_is_not_sent(
        self, database, nats_server, mail_sink
    ):
        late, in_time = unique_email("trop-tard"), unique_email("a-temps")
        expired = _link(late, expires_at=datetime.now(UTC) - timedelta(seconds=1))
        app = _newsletters(database, nats_server, mail_sink)
        async with running(app):
            await publish(nats_server.url, expired)
            await publish(nats_server.url, _link(in_time))
            counts = await await_mail(mail_sink.directory, [in_time])
            await wait_until(lambda: _count(app, email=late, status="expired"))
            [row] = await _rows(app, email=late)

        assert counts[in_time] == 1
        assert late not in counts
        assert (row.status, row.attempts, row.message_id) == ("expired", 0, None)
        assert "jeton" not in row.data


class TestRenewalMails:
    async def test_each_recipient_gets_one_call_for_dues_with_the_amount(
        self, database, nats_server, mail_sink
    ):
        mayor, finance = unique_email("maire"), unique_email("finances")
        event = _renewed(
            RecipientV1(person_id=uuid.uuid4(), name="Awa Diallo", email=mayor),
            RecipientV1(name="Service des finances", email=finance),
            RecipientV1(name="Finances", email=finance.upper()),  # the same address again
        )
        app = _newsletters(database, nats_server, mail_sink)
        async with running(app):
            await publish(nats_server.url, event)
            await publish(nats_server.url, event, msg_id=f"{event.event_id}-later")
            await consumed(nats_server.url, "newsletters", event.subject)
            counts = await await_mail(mail_sink.directory, [mayor, finance], settle=1.5)
            rows = await _count(app, kind="membership_renewal")

        assert (counts[mayor], counts[finance]) == (1, 1)
        assert rows == 2
        for address, greeting in ((mayor, "Bonjour Awa Diallo,"), (finance, "Bonjour Service")):
            [mail] = _mails_to(mail_sink.directory, address)
            assert mail["Subject"] == f"Appel à cotisation 2027 – {CENTRE.name}"
            assert _text(mail).startswith(greeting)
            assert "Montant de la cotisation 2027 : 1 200,00 €" in _text(mail)
            assert "1 200,00 €" in _html(mail)
            assert "L'adhésion de Ville de Lorient" in _text(mail)


class TestErasure:
    async def test_erasing_a_person_deletes_their_mails_of_every_kind(
        self, database, nats_server, mail_sink
    ):
        url = database("newsletters")
        app = build_newsletters(newsletters_settings(url, nats_server.url, mail_sink.port))
        address, other, contact = unique_email("efface"), unique_email("reste"), unique_email("o")
        person = uuid.uuid4()
        events = [
            _registered(address, person_id=person, confirmation_url=LINK),
            _link(address, "sign_in", person_id=person),
            _renewed(
                RecipientV1(person_id=person, name="Léa Bernard", email=address),
                RecipientV1(name="Contact de la mairie", email=contact),
            ),
            _registered(other),
        ]
        async with running(app):
            for event in events:
                await publish(nats_server.url, event)
            await wait_until(lambda: len(_mails_to(mail_sink.directory, address)) == 3, timeout=30)
            await await_mail(mail_sink.directory, [other, contact])
            before = await _count(app, person_id=str(person))
            found_before = await find_text(url, address)

            await publish(
                nats_server.url,
                PersonErasedV1(producer="members", centre=CENTRE.slug, person_id=person),
            )
            await wait_until(lambda: _count_is(app, 0, person_id=str(person)))
            found_after = await find_text(url, address)
            remaining = {row.email for row in await _rows(app)}

        assert before == 3
        assert found_before
        assert found_after == []
        assert remaining == {other, contact}


async def _count_is(app: ServiceApp, expected: int, **where: Any) -> bool:
    return await _count(app, **where) == expected
