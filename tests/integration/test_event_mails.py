"""Every mail the events service's facts call for reaches its recipient once: the facts published
on a real JetStream (with ``Nats-Msg-Id``, as the events outbox relay does), the newsletters
service on both database lanes, a real SMTP sink; calendar files read back with ``icalendar``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import icalendar
from sqlalchemy import select

from contracts.events import RegistrationConfirmedV1
from services.newsletters.app import build_app as build_newsletters
from services.newsletters.store import transactional_mails
from services.runtime.service import ServiceApp
from tests.support import event_facts as facts
from tests.support.bus import consumed, publish
from tests.support.mail import await_mail, read_mails
from tests.support.services import CENTRE, newsletters_settings, running, wait_until

WHEN = "jeudi 13 mars 2031, de 9 h 30 à 12 h 00 (heure de Paris)"


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _newsletters(database: Any, nats_server: Any, mail_sink: Any) -> ServiceApp:
    return build_newsletters(
        newsletters_settings(database("newsletters"), nats_server.url, mail_sink.port)
    )


def _mails_to(directory: Any, address: str) -> list[EmailMessage]:
    return [m for m in read_mails(directory) if address.lower() in str(m["To"]).lower()]


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return _plain(body.get_content()).replace("\r\n", "\n")


def _calendars(message: EmailMessage) -> list[tuple[EmailMessage, Any]]:
    """Each calendar file attached, with the calendar ``icalendar`` reads from it."""
    return [
        (part, icalendar.Calendar.from_ical(part.get_content()))
        for part in message.iter_attachments()
        if isinstance(part, EmailMessage) and part.get_content_type() == "text/calendar"
    ]


async def _rows(app: ServiceApp, **where: Any) -> list[Any]:
    statement = select(transactional_mails)
    for column, value in where.items():
        statement = statement.where(transactional_mails.c[column] == value)
    async with app.engine.connect() as connection:
        return list((await connection.execute(statement)).all())


class TestRegistrationMails:
    async def test_each_registration_fact_gets_its_french_mail_with_the_right_calendar(
        self, database, nats_server, mail_sink
    ):
        sent = {
            "confirmed": facts.confirmed(),
            "promoted": facts.promoted(mode="online"),
            "waitlisted": facts.waitlisted(position=2, reason="organisation_quota"),
            "offered": facts.offered(),
            "cancelled": facts.cancelled(by="staff", ics=facts.calendar("CANCEL")),
            "reminder": facts.reminder(
                mode="online", last=True, video_link="https://visio.example.org/salle/42"
            ),
        }
        addresses = {name: str(fact.email) for name, fact in sent.items()}
        app = _newsletters(database, nats_server, mail_sink)
        async with running(app):
            for fact in sent.values():
                await publish(nats_server.url, fact)
            counts = await await_mail(mail_sink.directory, list(addresses.values()))
            settled = {
                name: await wait_until(lambda a=address: _sent_row(app, a))
                for name, address in addresses.items()
            }

        assert [counts[a] for a in addresses.values()] == [1] * len(sent)
        mail = {name: _mails_to(mail_sink.directory, a)[0] for name, a in addresses.items()}
        title = facts.event_summary().title
        assert mail["confirmed"]["Subject"] == f"Votre inscription est confirmée – {title}"
        assert f"Date : {WHEN}" in _text(mail["confirmed"])
        assert sent["confirmed"].manage_url in _text(mail["confirmed"])
        [(part, calendar)] = _calendars(mail["confirmed"])
        assert (part.get_param("method"), part.get_param("charset")) == ("REQUEST", "utf-8")
        assert part.get_filename() == "evenement.ics"
        assert str(calendar["METHOD"]) == "REQUEST"
        assert calendar.walk("VEVENT")[0].decoded("DTSTART") == facts.STARTS

        assert mail["promoted"]["Subject"].startswith(
            "Une place s'est libérée : vous êtes inscrit·e"
        )
        assert "Lieu : en ligne" in _text(mail["promoted"])
        assert len(_calendars(mail["promoted"])) == 1

        assert mail["waitlisted"]["Subject"] == f"Vous êtes sur liste d'attente – {title}"
        assert "vous n'avez pas encore de place" in _text(mail["waitlisted"])
        assert "même structure" in _text(mail["waitlisted"])
        assert "en 2e position" in _text(mail["waitlisted"])
        assert _calendars(mail["waitlisted"]) == []

        assert _plain(mail["offered"]["Subject"]).startswith("Une place vous attend jusqu'au ")
        assert sent["offered"].accept_url in _text(mail["offered"])

        assert mail["cancelled"]["Subject"] == f"Votre inscription est annulée – {title}"
        assert f"L'équipe du {CENTRE.name} a annulé votre inscription." in _text(mail["cancelled"])
        [(part, calendar)] = _calendars(mail["cancelled"])
        assert (part.get_param("method"), str(calendar["METHOD"])) == ("CANCEL", "CANCEL")

        assert _plain(mail["reminder"]["Subject"]) == (
            f"Rappel : {title} le jeudi 13 mars 2031 à 9 h 30"
        )
        assert "https://visio.example.org/salle/42" in _text(mail["reminder"])

        for name, row in settled.items():
            assert row.message_id == mail[name]["Message-ID"]
            assert "jeton" not in row.data and "VCALENDAR" not in row.data
            assert "visio.example.org" not in row.data
            assert row.person_id == str(sent[name].person_id)

    async def test_a_confirmation_delivered_twice_is_mailed_once(
        self, database, nats_server, mail_sink
    ):
        fact = facts.confirmed(person_id=None)  # a guest, not a member
        address = str(fact.email)
        app = _newsletters(database, nats_server, mail_sink)
        async with running(app):
            await publish(nats_server.url, fact)
            await publish(nats_server.url, fact)  # same Nats-Msg-Id: JetStream drops it
            await publish(nats_server.url, fact, msg_id=f"{fact.event_id}-later")  # stored
            repeated = fact.model_copy(update={"event_id": uuid.uuid4()})
            await publish(nats_server.url, repeated)  # the same fact emitted again
            await consumed(nats_server.url, "newsletters", RegistrationConfirmedV1.subject)
            counts = await await_mail(mail_sink.directory, [address], settle=1.5)
            rows = await _rows(app, email=address)

        assert counts[address] == 1
        [row] = rows
        assert (row.kind, row.status, row.person_id) == ("registration_confirmed", "sent", None)

    async def test_a_seat_offered_whose_hold_has_passed_is_not_sent(
        self, database, nats_server, mail_sink
    ):
        late = facts.offered(hold_until=datetime.now(UTC) - timedelta(seconds=1))
        in_time = facts.offered()
        app = _newsletters(database, nats_server, mail_sink)
        async with running(app):
            await publish(nats_server.url, late)
            await publish(nats_server.url, in_time)
            counts = await await_mail(mail_sink.directory, [str(in_time.email)])
            [row] = await wait_until(
                lambda: _rows(app, email=str(late.email), status="expired"), timeout=15
            )

        assert counts[str(in_time.email)] == 1
        assert str(late.email) not in counts
        assert (row.attempts, row.message_id) == (0, None)
        assert "jeton" not in row.data


class TestEventNotices:
    async def test_an_update_reaches_each_of_its_three_registrants_once(
        self, database, nats_server, mail_sink
    ):
        registrants = [
            facts.registrant("confirmed"),
            facts.registrant("confirmed", person_id=None),
            facts.registrant("waitlisted"),
        ]
        fact = facts.event_updated(*registrants, sequence=4)
        addresses = [str(r.email) for r in registrants]
        app = _newsletters(database, nats_server, mail_sink)
        async with running(app):
            await publish(nats_server.url, fact)
            await publish(nats_server.url, fact, msg_id=f"{fact.event_id}-later")
            await consumed(nats_server.url, "newsletters", fact.subject)
            counts = await await_mail(mail_sink.directory, addresses, settle=1.5)
            rows = await _rows(app, kind="event_updated")

        assert [counts[a] for a in addresses] == [1, 1, 1]
        assert len(rows) == 3
        for registrant, address in zip(registrants, addresses, strict=True):
            [mail] = _mails_to(mail_sink.directory, address)
            assert mail["Subject"] == f"Modification : {fact.event.title}"
            assert "- Nouvelle salle : salle Jean-Zay" in _text(mail)
            calendars = _calendars(mail)
            if registrant.status == "confirmed":
                [(_, calendar)] = calendars
                [event] = calendar.walk("VEVENT")
                assert (str(calendar["METHOD"]), int(event["SEQUENCE"])) == ("REQUEST", 4)
            else:
                assert calendars == []
                assert "sur liste d'attente" in _text(mail)

    async def test_a_cancellation_tells_every_registrant_why_with_the_calendar_cancellation(
        self, database, nats_server, mail_sink
    ):
        registrants = [facts.registrant("confirmed"), facts.registrant("offered")]
        fact = facts.event_cancelled(*registrants)
        addresses = [str(r.email) for r in registrants]
        async with running(_newsletters(database, nats_server, mail_sink)):
            await publish(nats_server.url, fact)
            counts = await await_mail(mail_sink.directory, addresses)

        assert [counts[a] for a in addresses] == [1, 1]
        confirmed, offered = (_mails_to(mail_sink.directory, a)[0] for a in addresses)
        for mail in (confirmed, offered):
            assert mail["Subject"] == f"Annulation : {fact.event.title}"
            assert "L'intervenante est souffrante" in _text(mail)
        [(part, calendar)] = _calendars(confirmed)
        assert (part.get_filename(), str(calendar["METHOD"])) == ("annulation.ics", "CANCEL")
        assert _calendars(offered) == []


class TestApplicationMails:
    async def test_the_applicant_gets_the_acknowledgement_then_each_decision_once(
        self, database, nats_server, mail_sink
    ):
        submitted = facts.application_submitted()
        address = str(submitted.email)
        same = {
            "application_id": submitted.application_id,
            "email": address,
            "reference": submitted.reference,
        }
        waiting = facts.application_decided(decision="waiting", **same)
        selected = facts.application_decided(
            decision="selected", message="Félicitations !\nRendez-vous le 12 avril.", **same
        )
        app = _newsletters(database, nats_server, mail_sink)
        async with running(app):
            for fact in (submitted, waiting, selected):
                await publish(nats_server.url, fact)
            await publish(nats_server.url, selected, msg_id=f"{selected.event_id}-later")
            await consumed(nats_server.url, "newsletters", selected.subject)
            await wait_until(lambda: len(_mails_to(mail_sink.directory, address)) >= 3)
            await await_mail(mail_sink.directory, [address], settle=1.5)

        subjects = sorted(m["Subject"] for m in _mails_to(mail_sink.directory, address))
        assert subjects == [
            "Candidature retenue – Trophées des quartiers 2031",
            "Candidature sur liste d'attente – Trophées des quartiers 2031",
            "Votre candidature est bien reçue – Trophées des quartiers 2031",
        ]
        texts = {m["Subject"]: _text(m) for m in _mails_to(mail_sink.directory, address)}
        assert "Votre numéro de dossier : LQT-2031-0007" in texts[subjects[2]]
        assert "Félicitations !\nRendez-vous le 12 avril." in texts[subjects[0]]


async def _sent_row(app: ServiceApp, address: str) -> Any:
    rows = await _rows(app, email=address, status="sent")
    return rows[0] if rows else None
