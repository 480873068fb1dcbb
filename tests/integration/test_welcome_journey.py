"""A person registered with members receives exactly one welcome e-mail from newsletters,
through real NATS JetStream, a real database (both lanes) and a real SMTP server."""

from __future__ import annotations

from faststream.nats import NatsBroker

from contracts.members import PersonRegisteredReplyV1, RegisterPersonV1
from services.members.app import build_app as build_members
from services.newsletters.app import build_app as build_newsletters
from services.runtime.rpc import RpcClient
from tests.support.factories import unique_email
from tests.support.mail import await_mail, read_mails
from tests.support.services import (
    CENTRE,
    members_settings,
    newsletters_settings,
    running,
    stream_messages,
)


class TestWelcomeJourney:
    async def test_a_new_person_gets_one_french_welcome_mail_and_a_second_sign_up_sends_none(
        self, database, nats_server, mail_sink
    ):
        members = build_members(members_settings(database("members"), nats_server.url))
        newsletters = build_newsletters(
            newsletters_settings(database("newsletters"), nats_server.url, mail_sink.port)
        )
        address = unique_email("lea")
        async with running(members), running(newsletters):
            client = NatsBroker(nats_server.url)
            await client.connect()
            rpc = RpcClient(client, timeout=5)
            first = await rpc.call(
                RegisterPersonV1(first_name="Léa", last_name="Bernard", email=address),
                PersonRegisteredReplyV1,
            )
            again = await rpc.call(
                RegisterPersonV1(first_name="Autre", last_name="Nom", email=address.upper()),
                PersonRegisteredReplyV1,
            )
            counts = await await_mail(mail_sink.directory, [address], settle=1.5)
            events = await stream_messages(
                nats_server.url, "MEMBERS", "reso.members.member.registered.v1"
            )
            await client.stop()

        assert again.person_id == first.person_id
        assert counts[address] == 1
        assert len(events) == 1
        assert events[0].headers["Nats-Msg-Id"]
        [mail] = [m for m in read_mails(mail_sink.directory) if address in m["To"]]
        assert "Bienvenue" in mail["Subject"]
        assert mail["From"].addresses[0].display_name == CENTRE.name
        assert mail["From"].addresses[0].addr_spec == CENTRE.email
        assert mail["Message-ID"] and mail["Date"]
        assert mail.get_content_type() == "multipart/alternative"
        text = mail.get_body(preferencelist=("plain",)).get_content()
        html = mail.get_body(preferencelist=("html",)).get_content()
        assert "Bonjour Léa" in text
        assert 'lang="fr"' in html and "Léa" in html


class TestAddressesThatAreHardToMail:
    async def test_an_internationalised_address_is_mailed_and_never_blocks_the_next_person(
        self, database, nats_server, mail_sink
    ):
        members = build_members(members_settings(database("members"), nats_server.url))
        newsletters = build_newsletters(
            newsletters_settings(database("newsletters"), nats_server.url, mail_sink.port)
        )
        accented = f"josé.{unique_email('x').split('@')[0]}@exemple.fr"
        after = unique_email("apres")
        async with running(members), running(newsletters):
            client = NatsBroker(nats_server.url)
            await client.connect()
            rpc = RpcClient(client, timeout=5)
            for first_name, address in (("José", accented), ("Inès", after)):
                await rpc.call(
                    RegisterPersonV1(first_name=first_name, last_name="Ruiz", email=address),
                    PersonRegisteredReplyV1,
                )
            counts = await await_mail(mail_sink.directory, [after, accented])
            await client.stop()
        assert counts[after] == 1
        assert counts[accented] == 1
