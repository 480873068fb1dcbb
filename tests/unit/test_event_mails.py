"""Every mail the events service's facts call for: what each kind says (French, escaped, Paris
time, the calendar file attached), the rules of the mail store for them (one per dedupe key,
links and calendar files removed once settled, an offer or a reminder that came too late is not
sent) and how a message with an attachment is built."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import icalendar
import pytest

from contracts.members import PersonErasedV1
from services.newsletters import handlers
from services.newsletters.domain import (
    CREDENTIAL_KEYS,
    DeliveryStatus,
    InvalidCalendar,
    InvalidLink,
    MailKind,
    TransactionalMail,
    checked_calendar,
    decision_key,
    event_updated_key,
    offer_key,
    registration_key,
    reminder_key,
)
from services.newsletters.formatting import event_place, ordinal, paris_span
from services.newsletters.mailer import Attachment, Rendered, calendar_attachment, compose
from services.runtime.settings import CentreSettings
from tests.support import event_facts as facts
from tests.support.newsletters import (
    Newsletters,
    as_received,
    event_mails,
    mailer,
    newsletters_on,
)
from tests.support.smtp import FakeSmtp

CENTRE = CentreSettings(
    slug="crpv-test",
    name="Centre de ressources politique de la ville de Bretagne",
    email="contact@crpv-bretagne.example.org",
    public_url="https://crpv-bretagne.example.org",
)
NOW = datetime(2031, 3, 2, 9, 30, tzinfo=UTC)
NBSP, NNBSP = "\u00a0", "\u202f"
WHEN = "jeudi 13 mars 2031, de 9 h 30 à 12 h 00 (heure de Paris)"
PLACE = "Maison de quartier du Blosne, 7 boulevard de Yougoslavie, 35200 Rennes"


def _plain(text: str) -> str:
    return text.replace(NBSP, " ").replace(NNBSP, " ").replace("&nbsp;", " ")


def _only(fact: handlers.EventsFact) -> TransactionalMail:
    [mail] = handlers.mails_for(fact)
    return mail


def _received(mail: TransactionalMail) -> EmailMessage:
    return as_received(mailer(CENTRE).compose(mail, NOW))


def _body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert isinstance(part, EmailMessage)
    content: str = part.get_content()
    return content


def _texts(mail: TransactionalMail) -> tuple[str, str, str]:
    """Subject, plain text (typography flattened) and HTML (as sent) as the person gets them."""
    message = _received(mail)
    return str(message["Subject"]), _plain(_body(message, "plain")), _body(message, "html")


def _attachments(message: EmailMessage) -> list[EmailMessage]:
    return [part for part in message.iter_attachments() if isinstance(part, EmailMessage)]


def _calendar_of(message: EmailMessage) -> Any:
    [part] = _attachments(message)
    return icalendar.Calendar.from_ical(part.get_content())


EVENT_KINDS = sorted(event_mails())


class TestFrenchFormatsForEvents:
    def test_writes_an_event_within_a_day_as_a_date_and_two_times_in_paris(self) -> None:
        starts = datetime(2031, 7, 10, 7, 0, tzinfo=UTC)  # summer: 9 h 00 in Paris

        span = paris_span(starts, starts + timedelta(hours=8))

        assert _plain(span) == "jeudi 10 juillet 2031, de 9 h 00 à 17 h 00"
        assert _plain(paris_span(starts, starts, article=True)).startswith("le jeudi 10 juillet")

    def test_writes_an_event_over_several_days_from_one_moment_to_the_other(self) -> None:
        starts = datetime(2031, 3, 13, 8, 30, tzinfo=UTC)

        span = paris_span(starts, starts + timedelta(days=1, hours=8), article=True)

        assert _plain(span) == "du jeudi 13 mars 2031 à 9 h 30 au vendredi 14 mars 2031 à 17 h 30"

    def test_ranks_a_waiting_list_position_in_french(self) -> None:
        assert [ordinal(n) for n in (1, 2, 10)] == ["1re", "2e", "10e"]

    def test_says_where_one_attends_online_on_site_or_both_when_the_mode_is_not_known(
        self,
    ) -> None:
        venue = {"name": "Salle Jean-Zay", "street": "", "postcode": "29200", "city": "Brest"}

        assert event_place("online", None, None) == "en ligne"
        assert event_place("hybrid", venue, "online") == "en ligne"
        assert event_place("hybrid", venue, "onsite") == "Salle Jean-Zay, 29200 Brest"
        assert event_place("hybrid", venue, None) == "Salle Jean-Zay, 29200 Brest, ou en ligne"
        assert event_place("onsite", None, "onsite") == "lieu à préciser"


class TestAttachments:
    ICS = facts.calendar("REQUEST")

    def _message(self, *attachments: Attachment) -> EmailMessage:
        return compose(
            Rendered(subject="Objet", text="Texte é\n", html="<p>HTML é</p>\n"),
            sender_name="Centre",
            sender_email="contact@crpv.example.org",
            to_name="Léa Bernard",
            to_email="lea@example.org",
            message_id_key="reg.x",
            attachments=attachments,
        )

    def test_a_mail_client_sees_mixed_content_whose_body_is_text_then_html(self) -> None:
        message = as_received(self._message(calendar_attachment(self.ICS)))

        assert message.get_content_type() == "multipart/mixed"
        body, calendar = message.iter_parts()
        assert body.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "text/html"]
        assert _body(message, "plain") == "Texte é\n"
        assert _body(message, "html") == "<p>HTML é</p>\n"
        assert calendar.get_content_disposition() == "attachment"

    def test_the_calendar_reads_back_with_its_type_method_charset_name_and_exact_bytes(
        self,
    ) -> None:
        message = as_received(self._message(calendar_attachment(self.ICS)))

        [part] = _attachments(message)
        assert part.get_content_type() == "text/calendar"
        assert part.get_param("method") == "REQUEST"
        assert part.get_param("charset") == "utf-8"
        assert part.get_filename() == "evenement.ics"
        assert part.get_payload(decode=True) == self.ICS.encode()
        assert "\r\n" in part.get_content()

    def test_a_cancellation_is_named_as_one_and_carries_the_cancel_method(self) -> None:
        attachment = calendar_attachment(facts.calendar("CANCEL"))

        assert attachment.filename == "annulation.ics"
        assert dict(attachment.params) == {"method": "CANCEL", "charset": "utf-8"}

    def test_without_attachments_the_message_stays_an_alternative(self) -> None:
        message = as_received(self._message())

        assert message.get_content_type() == "multipart/alternative"

    def test_accents_in_the_calendar_survive_the_trip(self) -> None:
        ics = facts.calendar(title="Fresque du climat à Saint-Étienne, édition 2")

        [part] = _attachments(as_received(self._message(calendar_attachment(ics))))

        calendar = icalendar.Calendar.from_ical(part.get_content())
        [event] = calendar.walk("VEVENT")
        assert str(event["SUMMARY"]) == "Fresque du climat à Saint-Étienne, édition 2"


class TestEveryEventKind:
    @pytest.mark.parametrize("kind", EVENT_KINDS)
    def test_is_french_text_and_html_signed_by_the_centre(self, kind: MailKind) -> None:
        message = _received(event_mails()[kind])

        assert '<html lang="fr">' in _body(message, "html")
        assert _body(message, "plain").rstrip().endswith(CENTRE.name)
        assert message["Message-ID"].endswith("@crpv-bretagne.example.org>")

    @pytest.mark.parametrize("kind", EVENT_KINDS)
    def test_escapes_markup_in_names_and_titles_in_html_only(self, kind: MailKind) -> None:
        markup = "<img src=x onerror=alert(1)>"
        mail = event_mails()[kind]
        mail.data["first_name"] = markup
        if "event" in mail.data:
            mail.data["event"]["title"] = f"Atelier {markup}"
        else:
            mail.data["call_title"] = f"Appel {markup}"

        _, text, html = _texts(mail)

        assert "<img" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert f"Bonjour {markup}," in text

    @pytest.mark.parametrize("kind", EVENT_KINDS)
    def test_keeps_no_link_nor_calendar_once_settled(self, kind: MailKind) -> None:
        mail = event_mails()[kind]

        mail.sent("<x@crpv-bretagne.example.org>")

        assert not set(mail.data) & set(CREDENTIAL_KEYS)
        assert "first_name" in mail.data


class TestRegistrationConfirmedMail:
    def test_confirms_with_the_event_in_paris_time_its_place_and_the_manage_link(self) -> None:
        fact = facts.confirmed()

        subject, text, html = _texts(_only(fact))

        assert subject == f"Votre inscription est confirmée – {fact.event.title}"
        assert "Bonjour Léa," in text
        assert "Votre inscription est confirmée : une place vous est réservée." in text
        assert f"Date : {WHEN}" in text
        assert f"Lieu : {PLACE}" in text
        assert fact.manage_url in text
        assert 'href="' + fact.manage_url.replace("&", "&amp;") + '"' in html
        assert "Voir ou annuler mon inscription" in html
        assert WHEN in _plain(html)
        assert "Le fichier joint (evenement.ics) ajoute l'événement à votre agenda." in text

    def test_attaches_the_event_s_calendar_file_as_an_invitation(self) -> None:
        fact = facts.confirmed()

        message = _received(_only(fact))

        [part] = _attachments(message)
        assert (part.get_content_type(), part.get_param("method")) == ("text/calendar", "REQUEST")
        calendar = _calendar_of(message)
        assert str(calendar["METHOD"]) == "REQUEST"
        [event] = calendar.walk("VEVENT")
        assert str(event["UID"]).startswith(str(fact.event.event_id))
        assert event.decoded("DTSTART") == facts.STARTS

    def test_says_online_for_an_online_attendance_of_a_hybrid_event(self) -> None:
        fact = facts.confirmed(mode="online", event=facts.event_summary(format="hybrid"))

        _, text, _ = _texts(_only(fact))

        assert "pour suivre l'événement en ligne" in text
        assert "Lieu : en ligne" in text


class TestRegistrationPromotedMail:
    def test_says_a_seat_freed_up_and_the_person_is_registered_with_the_calendar(self) -> None:
        fact = facts.promoted()

        message = _received(_only(fact))
        text = _plain(_body(message, "plain"))

        assert message["Subject"] == (
            f"Une place s'est libérée : vous êtes inscrit·e – {fact.event.title}"
        )
        assert "Vous êtes inscrit·e : vous n'avez rien d'autre à faire." in text
        assert fact.manage_url in text
        assert str(_calendar_of(message)["METHOD"]) == "REQUEST"


class TestRegistrationWaitlistedMail:
    def test_says_honestly_that_there_is_no_seat_yet_and_the_position(self) -> None:
        fact = facts.waitlisted(position=1)

        subject, text, html = _texts(_only(fact))

        assert subject == f"Vous êtes sur liste d'attente – {fact.event.title}"
        assert "toutes les places sont prises" in text
        assert "vous n'avez pas encore de place" in text
        assert "en 1re position" in text
        assert "ne comptez pas encore\nsur une place" in text
        assert "<strong>vous n'avez pas encore de place</strong>" in html
        assert fact.manage_url in text
        assert not _attachments(_received(_only(fact)))

    def test_gives_the_quota_of_the_person_s_organisation_as_the_reason(self) -> None:
        _, text, _ = _texts(_only(facts.waitlisted(reason="organisation_quota", position=2)))

        assert "le nombre de places ouvertes aux personnes d'une même structure est atteint" in text
        assert "en 2e position" in text

    def test_names_the_mode_whose_seats_are_gone_on_a_hybrid_event(self) -> None:
        fact = facts.waitlisted(mode="online", event=facts.event_summary(format="hybrid"))

        _, text, _ = _texts(_only(fact))

        assert "toutes les places en ligne sont prises" in text


class TestRegistrationOfferedMail:
    def test_holds_the_seat_until_a_deadline_in_paris_time_with_the_accept_link(self) -> None:
        hold = datetime(2031, 3, 4, 17, 0, tzinfo=UTC)  # 18 h 00 in Paris
        fact = facts.offered(hold_until=hold)

        subject, text, html = _texts(_only(fact))

        assert _plain(subject) == (
            f"Une place vous attend jusqu'au mardi 4 mars 2031 à 18 h 00 – {fact.event.title}"
        )
        assert "réservée jusqu'au mardi 4 mars 2031 à 18 h 00 (heure de Paris)" in text
        assert "Vous n'êtes pas encore inscrit·e" in text
        assert fact.accept_url in text
        assert 'href="' + fact.accept_url + '"' in html and "Accepter la place" in html
        assert "proposée à la personne suivante" in text
        assert not _attachments(_received(_only(fact)))


class TestRegistrationCancelledMail:
    @pytest.mark.parametrize(
        ("by", "says"),
        [
            ("self", "Comme vous l'avez demandé, votre inscription est annulée."),
            ("staff", f"L'équipe du {CENTRE.name} a annulé votre inscription."),
            ("offer_expired", "n'a pas été acceptée à temps : elle a été proposée à\nla personne"),
        ],
    )
    def test_says_who_cancelled(self, by: str, says: str) -> None:
        fact = facts.cancelled(by=by)

        subject, text, _ = _texts(_only(fact))

        assert subject == f"Votre inscription est annulée – {fact.event.title}"
        assert says in text
        assert fact.manage_url not in text

    def test_attaches_the_calendar_cancellation_when_the_fact_carries_one(self) -> None:
        fact = facts.cancelled(ics=facts.calendar("CANCEL"))

        message = _received(_only(fact))

        [part] = _attachments(message)
        assert (part.get_param("method"), part.get_filename()) == ("CANCEL", "annulation.ics")
        assert "retire l'événement de votre agenda" in _body(message, "plain")

    def test_attaches_nothing_without_one(self) -> None:
        message = _received(_only(facts.cancelled(by="offer_expired")))

        assert message.get_content_type() == "multipart/alternative"
        assert "votre agenda" not in _body(message, "plain")


class TestReminderMail:
    def test_reminds_of_the_event_on_its_day_with_the_manage_link(self) -> None:
        fact = facts.reminder()

        subject, text, _ = _texts(_only(fact))

        assert _plain(subject) == f"Rappel : {fact.event.title} le jeudi 13 mars 2031 à 9 h 30"
        assert f"Date : {WHEN}" in text
        assert fact.manage_url in text
        assert "rejoindre" not in text

    def test_gives_the_video_link_on_the_last_reminder_of_an_online_attendance(self) -> None:
        video = "https://visio.example.org/rejoindre/8f3a?pwd=x&y=1"
        fact = facts.reminder(mode="online", last=True, video_link=video)

        _, text, html = _texts(_only(fact))

        assert "Pour rejoindre l'événement en ligne" in text
        assert video in text
        assert 'href="' + video.replace("&", "&amp;") + '"' in html
        assert "Lieu : en ligne" in text


class TestEventUpdatedMail:
    def test_lists_what_changed_and_the_updated_event_with_its_calendar(self) -> None:
        fact = facts.event_updated(facts.registrant("confirmed"), sequence=3)

        message = _received(_only(fact))
        text = _plain(_body(message, "plain"))
        html = _body(message, "html")

        assert message["Subject"] == f"Modification : {fact.event.title}"
        assert "auquel vous êtes inscrit·e, change :" in text
        assert "- Nouvel horaire : de 10 h 00 à 12 h 30\n- Nouvelle salle : salle Jean-Zay" in text
        assert "<li" in html and "Nouvelle salle : salle Jean-Zay</li>" in html
        assert "met à jour l'événement dans votre agenda" in text
        calendar = _calendar_of(message)
        [event] = calendar.walk("VEVENT")
        assert (str(calendar["METHOD"]), int(event["SEQUENCE"])) == ("REQUEST", 3)

    def test_tells_someone_waiting_without_a_calendar_they_have_no_seat_for(self) -> None:
        fact = facts.event_updated(facts.registrant("waitlisted"))

        message = _received(_only(fact))

        assert "pour lequel vous êtes sur liste d'attente" in _plain(_body(message, "plain"))
        assert not _attachments(message)

    def test_escapes_the_changes_in_html(self) -> None:
        fact = facts.event_updated(facts.registrant(), changes=("Salle <b>B</b> & C",))

        _, _, html = _texts(_only(fact))

        assert "Salle &lt;b&gt;B&lt;/b&gt; &amp; C" in html


class TestEventCancelledMail:
    def test_announces_the_cancellation_with_the_reason_and_the_calendar_cancellation(
        self,
    ) -> None:
        fact = facts.event_cancelled(facts.registrant("confirmed"))

        message = _received(_only(fact))
        text = _plain(_body(message, "plain"))

        assert message["Subject"] == f"Annulation : {fact.event.title}"
        assert f"prévu le {WHEN}, est annulé." in text
        assert "L'intervenante est souffrante" in text
        assert "Votre inscription est annulée : vous n'avez rien à faire." in text
        [part] = _attachments(message)
        assert (part.get_param("method"), part.get_filename()) == ("CANCEL", "annulation.ics")

    def test_escapes_the_reason_into_paragraphs(self) -> None:
        fact = facts.event_cancelled(facts.registrant("offered"), reason="Grève <SNCF>\n\nDésolés")

        _, text, html = _texts(_only(fact))

        assert "Votre demande d'inscription est annulée" in text
        assert ">Grève &lt;SNCF&gt;</p>" in html and ">Désolés</p>" in html


class TestApplicationMails:
    def test_acknowledges_an_application_with_its_reference(self) -> None:
        fact = facts.application_submitted()

        subject, text, html = _texts(_only(fact))

        assert subject == "Votre candidature est bien reçue – Trophées des quartiers 2031"
        assert "à l'appel « Trophées des quartiers 2031 »" in text
        assert "(structure : Association Vivre au Blosne)" in text
        assert "le lundi 3 février 2031 à 17 h 45 (heure de Paris)" in text
        assert "Votre numéro de dossier : LQT-2031-0007" in text
        assert "<strong>LQT-2031-0007</strong>" in html

    @pytest.mark.parametrize(
        ("decision", "subject", "says"),
        [
            ("selected", "Candidature retenue", "est retenue."),
            ("waiting", "Candidature sur liste d'attente", "n'est pas retenue pour l'instant"),
            ("rejected", "Candidature non retenue", "n'est pas retenue.\nMerci"),
        ],
    )
    def test_tells_the_decision(self, decision: str, subject: str, says: str) -> None:
        fact = facts.application_decided(decision=decision)

        got, text, _ = _texts(_only(fact))

        assert got == f"{subject} – Trophées des quartiers 2031"
        assert says in text
        assert "dossier LQT-2031-0007" in text

    def test_gives_staff_s_message_as_written_and_escaped_in_html(self) -> None:
        message = "Bravo !\nLe jury a aimé <votre> projet.\n\nÀ bientôt & merci."
        fact = facts.application_decided(message=message)

        _, text, html = _texts(_only(fact))

        assert f"Message de l'équipe :\n\n{_plain(message)}" in text
        assert "Le jury a aimé &lt;votre&gt; projet.</p>" in html
        assert ">À bientôt &amp; merci.</p>" in html

    def test_says_nothing_of_a_message_when_staff_wrote_none(self) -> None:
        _, text, html = _texts(_only(facts.application_decided(message="")))

        assert "Message de l'équipe" not in text and "Message de l'équipe" not in html


class TestEventMailRules:
    def test_one_mail_of_a_kind_per_registration(self) -> None:
        registration = uuid.uuid4()
        kind = MailKind.REGISTRATION_CONFIRMED

        assert registration_key(kind, registration) == f"registration_confirmed:{registration}"
        assert registration_key(kind, registration) != registration_key(
            MailKind.REGISTRATION_CANCELLED, registration
        )

    def test_a_new_offer_or_another_reminder_rule_is_a_new_mail(self) -> None:
        registration = uuid.uuid4()

        assert offer_key(registration, NOW) != offer_key(registration, NOW + timedelta(days=1))
        assert reminder_key(registration, "7d") != reminder_key(registration, "1d")

    def test_one_notice_per_change_and_registration(self) -> None:
        event, registration = uuid.uuid4(), uuid.uuid4()

        assert event_updated_key(event, 1, registration) != event_updated_key(
            event, 2, registration
        )
        assert decision_key(event, "waiting") != decision_key(event, "selected")

    def test_keys_of_one_fact_are_the_same_whatever_its_event_id(self) -> None:
        fact = facts.event_updated(facts.registrant(), facts.registrant())
        repeated = fact.model_copy(update={"event_id": uuid.uuid4()})

        assert [m.dedupe_key for m in handlers.mails_for(fact)] == [
            m.dedupe_key for m in handlers.mails_for(repeated)
        ]

    def test_keeps_the_person_id_when_the_registrant_is_a_member_only(self) -> None:
        member, guest = facts.registrant(), facts.registrant(person_id=None)

        mails = handlers.mails_for(facts.event_updated(member, guest))

        assert [m.person_id for m in mails] == [member.person_id, None]
        assert _only(facts.confirmed(person_id=None)).person_id is None

    def test_notifies_no_registrant_whose_registration_is_already_cancelled(self) -> None:
        fact = facts.event_cancelled(facts.registrant("cancelled"), facts.registrant("waitlisted"))

        assert [m.data["status"] for m in handlers.mails_for(fact)] == ["waitlisted"]

    def test_an_offer_expires_when_its_hold_ends_and_a_reminder_when_the_event_ends(self) -> None:
        offer = _only(facts.offered(hold_until=NOW))
        remind = _only(facts.reminder())

        assert offer.has_expired(NOW) and not offer.has_expired(NOW - timedelta(seconds=1))
        assert remind.expires_at == facts.ENDS

    @pytest.mark.parametrize(
        "fact",
        [
            facts.confirmed(manage_url="javascript:alert(1)"),
            facts.offered(accept_url="/inscription/accepter"),
            facts.reminder(video_link="ftp://visio.example.org/x"),
            facts.event_updated(facts.registrant(), event=facts.event_summary(url="agenda/x")),
        ],
    )
    def test_refuses_a_link_that_is_not_absolute_http(self, fact: handlers.EventsFact) -> None:
        with pytest.raises(InvalidLink):
            handlers.mails_for(fact)

    @pytest.mark.parametrize(
        "fact",
        [
            facts.confirmed(ics=facts.calendar("CANCEL")),
            facts.promoted(ics="pas un calendrier"),
            facts.cancelled(ics=facts.calendar("REQUEST")),
            facts.event_cancelled(facts.registrant(), ics=facts.calendar("REQUEST")),
        ],
    )
    def test_refuses_a_calendar_that_is_not_the_one_the_fact_promises(
        self, fact: handlers.EventsFact
    ) -> None:
        with pytest.raises(InvalidCalendar):
            handlers.mails_for(fact)

    def test_gives_a_calendar_crlf_line_ends(self) -> None:
        ics = "BEGIN:VCALENDAR\nMETHOD:REQUEST\nEND:VCALENDAR\n"

        assert checked_calendar(ics, "REQUEST") == ics.replace("\n", "\r\n")


@pytest.fixture
async def newsletters(tmp_path: Path) -> AsyncIterator[Newsletters]:
    async with newsletters_on(f"sqlite+aiosqlite:///{tmp_path / 'newsletters.db'}", CENTRE) as db:
        yield db


class TestOweEventMails:
    async def test_owes_one_confirmation_whether_the_fact_is_redelivered_or_repeated(
        self, newsletters: Newsletters
    ) -> None:
        fact = facts.confirmed()
        repeated = fact.model_copy(update={"event_id": uuid.uuid4()})

        counts = [
            await handlers.on_events_fact(fact, newsletters.uow),
            await handlers.on_events_fact(fact, newsletters.uow),
            await handlers.on_events_fact(repeated, newsletters.uow),
        ]

        assert counts == [1, 0, 0]
        [row] = await newsletters.rows(email=str(fact.email))
        assert (row.kind, row.status) == ("registration_confirmed", "pending")
        assert row.person_id == str(fact.person_id)

    async def test_sends_the_confirmation_then_keeps_neither_link_nor_calendar(
        self, newsletters: Newsletters
    ) -> None:
        fact = facts.confirmed()
        await handlers.on_events_fact(fact, newsletters.uow)
        smtp = FakeSmtp()

        assert await newsletters.send_all(smtp) == 1

        [message] = smtp.accepted
        assert _attachments(as_received(message))
        [row] = await newsletters.rows(email=str(fact.email))
        assert row.status == "sent" and row.message_id == message["Message-ID"]
        assert "jeton" not in row.data and "VCALENDAR" not in row.data
        assert fact.event.title in row.data
        assert await newsletters.outbox_subjects() == []

    async def test_an_update_owes_each_registrant_one_notice_per_change(
        self, newsletters: Newsletters
    ) -> None:
        registrants = [facts.registrant(), facts.registrant(), facts.registrant("waitlisted")]
        fact = facts.event_updated(*registrants, sequence=1)
        repeated = fact.model_copy(update={"event_id": uuid.uuid4()})
        next_change = facts.event_updated(*registrants, event=fact.event, sequence=2)

        counts = [
            await handlers.on_events_fact(f, newsletters.uow) for f in (fact, repeated, next_change)
        ]
        smtp = FakeSmtp()
        sent = await newsletters.send_all(smtp)

        assert counts == [3, 0, 3]
        assert sent == 6
        with_calendar = [m for m in smtp.accepted if _attachments(as_received(m))]
        assert len(with_calendar) == 4  # the two confirmed registrants, for each change

    async def test_does_not_send_a_seat_offered_once_its_hold_has_ended(
        self, newsletters: Newsletters
    ) -> None:
        fact = facts.offered(hold_until=datetime.now(UTC) - timedelta(seconds=1))
        await handlers.on_events_fact(fact, newsletters.uow)
        smtp = FakeSmtp()

        await newsletters.send_all(smtp)

        assert smtp.attempts == 0
        [row] = await newsletters.rows(email=str(fact.email))
        assert row.status == DeliveryStatus.EXPIRED
        assert row.last_error == "place proposée : délai passé avant l'envoi"
        assert "jeton" not in row.data

    async def test_does_not_send_a_reminder_once_the_event_is_over(
        self, newsletters: Newsletters
    ) -> None:
        past = facts.event_summary(
            starts_at=datetime.now(UTC) - timedelta(hours=3),
            ends_at=datetime.now(UTC) - timedelta(hours=1),
        )
        fact = facts.reminder(event=past)
        await handlers.on_events_fact(fact, newsletters.uow)
        smtp = FakeSmtp()

        await newsletters.send_all(smtp)

        [row] = await newsletters.rows(email=str(fact.email))
        assert (row.status, smtp.attempts) == ("expired", 0)

    async def test_a_fact_with_a_bad_link_owes_nothing(self, newsletters: Newsletters) -> None:
        fact = facts.waitlisted(manage_url="javascript:alert(1)")

        with pytest.raises(InvalidLink):
            await handlers.on_events_fact(fact, newsletters.uow)

        assert await newsletters.rows(email=str(fact.email)) == []

    async def test_erasing_a_member_deletes_their_event_mails_and_no_guest_s(
        self, newsletters: Newsletters
    ) -> None:
        member = uuid.uuid4()
        guest = facts.registrant(person_id=None)
        await handlers.on_events_fact(facts.confirmed(person_id=member), newsletters.uow)
        await handlers.on_events_fact(
            facts.event_updated(facts.registrant(person_id=member), guest), newsletters.uow
        )
        await handlers.on_events_fact(
            facts.application_submitted(person_id=member), newsletters.uow
        )

        deleted = await handlers.on_person_erased(
            PersonErasedV1(producer="members", centre=CENTRE.slug, person_id=member),
            newsletters.uow,
        )

        assert deleted == 3
        assert len(await newsletters.rows(email=str(guest.email))) == 1
