"""From the events service to registrants' mailboxes (both lanes): the real events service and
the real newsletters service on one JetStream, a real SMTP sink. A change of the event, the
reminder due after a restart, and the cancellation each reach every registrant once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from faststream.nats import NatsBroker

from contracts.events import (
    CancelEventV1,
    CreateEventV1,
    EventV1,
    PublishEventV1,
    RegisterV1,
    RegistrationV1,
    UpdateEventV1,
)
from services.events.app import build_app as build_events
from services.newsletters.app import build_app as build_newsletters
from services.runtime.rpc import RpcClient
from tests.support.events import Clock, details, events_settings
from tests.support.factories import unique_email
from tests.support.mail import read_mails
from tests.support.services import newsletters_settings, running, wait_until

STAFF = "equipe@crpv-test.example.org"
TITLE = "Webinaire participation citoyenne"
LINK = "https://visio.example.org/salle-42"
# The webinar starts on 15 March 2027 at 10:00 Paris time; the 1-day reminder is due on
# 14 March at 09:00 Paris time (08:00 UTC).
AFTER_ONE_DAY = datetime(2027, 3, 14, 8, 30, tzinfo=UTC)


@asynccontextmanager
async def events_service(url: str, nats_url: str, clock: Clock) -> AsyncIterator[RpcClient]:
    app = build_events(events_settings(url, nats_url, reminder_sweep_seconds=0.2), clock=clock)
    async with running(app):
        client = NatsBroker(nats_url)
        await client.connect()
        try:
            yield RpcClient(client, timeout=60)
        finally:
            await client.stop()


def subjects(directory: Any, address: str) -> list[str]:
    return sorted(
        " ".join(str(mail["Subject"]).split())  # French non-breaking spaces read as spaces
        for mail in read_mails(directory)
        if address.lower() in str(mail["To"]).lower()
    )


def mail(directory: Any, address: str, starting: str) -> EmailMessage:
    [found] = [
        message
        for message in read_mails(directory)
        if address.lower() in str(message["To"]).lower()
        and str(message["Subject"]).startswith(starting)
    ]
    return found


def text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


class TestRegistrantsAreTold:
    async def test_a_change_the_last_reminder_and_the_cancellation_reach_each_registrant_once(
        self, database, nats_server, mail_sink
    ):
        url, nats_url, box = database("events"), nats_server.url, mail_sink.directory
        newsletters = build_newsletters(
            newsletters_settings(database("newsletters"), nats_url, mail_sink.port)
        )
        alice, bob, chloe = (unique_email(name) for name in ("alice", "bob", "chloe"))
        clock = Clock()
        async with running(newsletters):
            async with events_service(url, nats_url, clock) as rpc:
                created = await rpc.call(
                    CreateEventV1(details=details(capacity_online=2), by=STAFF), EventV1
                )
                event_id = created.event_id
                await rpc.call(PublishEventV1(event_id=event_id, by=STAFF), EventV1)
                for address in (alice, bob, chloe):
                    await rpc.call(
                        RegisterV1(
                            event_id=event_id, email=address, first_name="Awa", last_name="Diallo"
                        ),
                        RegistrationV1,
                    )
                await rpc.call(
                    UpdateEventV1(
                        event_id=event_id,
                        details=details(
                            capacity_online=2,
                            starts_at="2027-03-15T10:30:00",
                            ends_at="2027-03-15T12:30:00",
                        ),
                        by=STAFF,
                    ),
                    EventV1,
                )
                await wait_until(
                    lambda: all(
                        len(subjects(box, address)) == 2 for address in (alice, bob, chloe)
                    ),
                    timeout=60,
                )
            # Restarted after the last reminder's time: the seated are reminded, with the link.
            clock.now = AFTER_ONE_DAY
            async with events_service(url, nats_url, clock) as rpc:
                await wait_until(
                    lambda: all(len(subjects(box, address)) == 3 for address in (alice, bob)),
                    timeout=60,
                )
                await rpc.call(
                    CancelEventV1(
                        event_id=event_id, reason="L'intervenante est souffrante.", by=STAFF
                    ),
                    EventV1,
                )
                await wait_until(
                    lambda: (
                        len(subjects(box, alice)) == 4
                        and len(subjects(box, bob)) == 4
                        and len(subjects(box, chloe)) == 3
                    ),
                    timeout=60,
                )

        assert subjects(box, alice) == sorted(
            [
                f"Annulation : {TITLE}",
                f"Modification : {TITLE}",
                f"Rappel : {TITLE} le lundi 15 mars 2027 à 10 h 30",
                f"Votre inscription est confirmée – {TITLE}",
            ]
        )
        assert subjects(box, chloe) == sorted(
            [
                f"Annulation : {TITLE}",
                f"Modification : {TITLE}",
                f"Vous êtes sur liste d'attente – {TITLE}",
            ]
        )
        assert LINK in text(mail(box, bob, "Rappel"))
        assert "souffrante" in text(mail(box, chloe, "Annulation"))
