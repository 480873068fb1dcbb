"""Staff move a registrant of a hybrid event to the other mode: the rule (a seat if one is left
there, else the waiting list), the fact written to the outbox, and the mail it owes the person
(one per move, so a second move is mailed too)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from contracts.events import RegistrationChangedV1
from services.events.domain import agenda
from services.events.domain import registrations as regs
from services.events.domain.links import RegistrationLinks
from services.events.store import contract_mapper
from services.newsletters import handlers
from services.newsletters.domain import MailKind
from services.runtime.settings import CentreSettings
from tests.support import event_facts as facts
from tests.support.newsletters import as_received, mailer

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
CENTRE = CentreSettings(
    slug="crpv-test",
    name="Centre de test",
    email="bonjour@crpv.example.org",
    public_url="https://crpv.example.org",
)


def hybrid(onsite: int = 1, online: int = 5) -> agenda.Event:
    draft = agenda.EventDraft(
        title="Journée hybride",
        type="thematic_day",
        format="hybrid",
        starts_at=datetime(2027, 6, 13, 7, 30, tzinfo=UTC),
        ends_at=datetime(2027, 6, 13, 15, 0, tzinfo=UTC),
        venue=agenda.Place("Salle du Tertre", city="Laval", commune="53130"),
        video_link="https://visio.example.org/salle-7",
        capacity_onsite=onsite,
        capacity_online=online,
        themes=("participation-citoyenne",),
    )
    event = agenda.create(draft, NOW, lambda code: True)
    agenda.publish(event, NOW)
    return event


def confirmed(event: agenda.Event, mode: str) -> regs.Registration:
    return regs.Registration(
        id=uuid.uuid4(),
        event_id=event.id,
        email=f"{uuid.uuid4().hex[:8]}@example.org",
        first_name="Zoé",
        last_name="Martin",
        mode=mode,
        status="confirmed",
        registered_at=NOW,
        confirmed_at=NOW,
    )


class TestMoveToTheOtherMode:
    def test_keeps_a_seat_when_one_is_left_there_and_frees_the_old_one(self):
        event = hybrid()
        zoe = confirmed(event, "onsite")

        freed, recorded = regs.move(
            zoe, event, regs.Seats({"onsite": 1, "online": 2}, {}), NOW, mode="online",
            promote_now=False,
        )  # fmt: skip

        assert (zoe.mode, zoe.status, freed) == ("online", "confirmed", "onsite")
        assert recorded == []  # the handler records the move itself, not a second confirmation

    def test_waits_when_the_other_mode_is_full_and_still_frees_the_old_seat(self):
        event = hybrid(onsite=1)
        lea = confirmed(event, "online")

        freed, _ = regs.move(
            lea, event, regs.Seats({"onsite": 1, "online": 1}, {}), NOW, mode="onsite",
            promote_now=False,
        )  # fmt: skip

        assert (lea.mode, lea.status, lea.reason, freed) == (
            "onsite",
            "waitlisted",
            "full",
            "online",
        )


class TestChangedFact:
    def test_a_seated_move_carries_the_new_mode_the_old_one_and_the_calendar(self):
        event = hybrid()
        zoe = confirmed(event, "online")
        to_contract = contract_mapper(CENTRE, RegistrationLinks("a-secret-of-at-least-16", ""))

        fact = to_contract(regs.RegistrationChanged(zoe, event, "onsite", None, NOW))

        assert isinstance(fact, RegistrationChangedV1)
        assert (fact.mode, fact.previous_mode, fact.status, fact.position) == (
            "online",
            "onsite",
            "confirmed",
            None,
        )
        assert "BEGIN:VCALENDAR" in fact.ics

    def test_a_move_to_the_waiting_list_carries_the_position_and_no_calendar(self):
        event = hybrid()
        zoe = confirmed(event, "onsite")
        zoe.status = "waitlisted"
        to_contract = contract_mapper(CENTRE, RegistrationLinks("a-secret-of-at-least-16", ""))

        fact = to_contract(regs.RegistrationChanged(zoe, event, "online", 2, NOW))

        assert isinstance(fact, RegistrationChangedV1)
        assert (fact.status, fact.position, fact.ics) == ("waitlisted", 2, "")


class TestChangedMail:
    def test_tells_the_new_mode_with_the_seat_and_attaches_the_calendar(self):
        fact = facts.changed(event=facts.event_summary(format="hybrid"))
        [mail] = handlers.mails_for(fact)

        message = as_received(mailer(CENTRE).compose(mail, NOW))
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content().replace("\u00a0", " ") if body else ""

        assert mail.kind is MailKind.REGISTRATION_CHANGED
        assert (
            str(message["Subject"])
            == f"Votre inscription a changé : sur place – {fact.event.title}"
        )
        assert "vous participerez désormais sur place, et non plus en ligne" in text
        assert "Une place vous est réservée sur place." in text
        assert [p.get_filename() for p in message.iter_attachments()] == ["evenement.ics"]

    def test_tells_the_waiting_list_and_its_position_honestly(self):
        fact = facts.changed(status="waitlisted", position=2)
        [mail] = handlers.mails_for(fact)

        message = as_received(mailer(CENTRE).compose(mail, NOW))
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content().replace("\u00a0", " ").replace("\u202f", " ") if body else ""

        assert "vous êtes sur liste d'attente, en 2e position" in text
        assert list(message.iter_attachments()) == []

    def test_a_second_move_of_the_same_registration_owes_a_second_mail(self):
        registration_id = uuid.uuid4()
        first = facts.changed(registration_id=registration_id)
        back = facts.changed(registration_id=registration_id, mode="online", previous_mode="onsite")

        [one], [two] = handlers.mails_for(first), handlers.mails_for(back)

        assert one.dedupe_key != two.dedupe_key
