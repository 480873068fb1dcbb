"""The reminder.due fact the events service writes for a reminder recorded: its stable id, its
rule, and the online link only on the last reminder of an online attendance."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from contracts.events import ReminderDueV1
from services.events.domain import agenda, reminders
from services.events.domain import registrations as regs
from services.events.domain.links import RegistrationLinks
from services.events.store import contract_mapper
from services.runtime.settings import CentreSettings

NOW = datetime(2027, 3, 14, 8, 30, tzinfo=UTC)
CENTRE = CentreSettings(
    slug="crpv-test", name="Centre de test", public_url="https://crpv.example.org"
)
to_contract = contract_mapper(
    CENTRE, RegistrationLinks("a-secret-of-at-least-16", CENTRE.public_url)
)
RULES = reminders.parse_rules("7d@09:00,1d@09:00")
LINK = "https://visio.example.org/x"


def hybrid_day() -> agenda.Event:
    draft = agenda.EventDraft(
        title="Journée",
        type="thematic_day",
        format="hybrid",
        starts_at=datetime(2027, 3, 15, 9, 0, tzinfo=UTC),
        ends_at=datetime(2027, 3, 15, 17, 0, tzinfo=UTC),
        venue=agenda.Place(name="Salle du Tertre", city="Laval", commune="53130"),
        video_link=LINK,
        capacity_onsite=10,
        capacity_online=10,
    )
    created = agenda.create(draft, NOW, lambda code: True)
    agenda.publish(created, NOW)
    return created


def seat(on: agenda.Event, mode: str) -> regs.Registration:
    return regs.Registration(
        id=uuid.uuid4(),
        event_id=on.id,
        email="awa.diallo@example.org",
        first_name="Awa",
        last_name="Diallo",
        mode=mode,
        status="confirmed",
        registered_at=datetime(2027, 3, 1, tzinfo=UTC),
        confirmed_at=datetime(2027, 3, 1, tzinfo=UTC),
    )


def fact(registration: regs.Registration, on: agenda.Event, now: datetime) -> ReminderDueV1 | None:
    due = reminders.due_reminder(
        RULES,
        starts_at=on.draft.starts_at,
        registered_at=registration.confirmed_at or registration.registered_at,
        now=now,
    )
    if due is None:
        return None
    made = to_contract(
        reminders.ReminderDue(
            registration, on, due, reminders.video_link_for(due, registration, on), now
        )
    )
    assert isinstance(made, ReminderDueV1)
    return made


class TestReminderFacts:
    def test_the_last_reminder_of_an_online_attendee_carries_the_link(self):
        day = hybrid_day()
        online = seat(day, "online")
        made = fact(online, day, NOW)
        assert made is not None
        assert (made.rule, made.last, made.video_link) == ("1d@09:00", True, LINK)
        assert made.event_id == reminders.reminder_event_id(online.id, RULES[1])

    def test_an_onsite_attendee_of_a_hybrid_event_never_gets_the_link(self):
        day = hybrid_day()
        made = fact(seat(day, "onsite"), day, NOW)
        assert made is not None and made.last and made.video_link is None

    def test_an_earlier_reminder_carries_no_link(self):
        day = hybrid_day()
        made = fact(seat(day, "online"), day, datetime(2027, 3, 8, 9, 0, tzinfo=UTC))
        assert made is not None
        assert (made.rule, made.last, made.video_link) == ("7d@09:00", False, None)

    def test_the_same_registration_and_rule_always_make_the_same_message_id(self):
        day = hybrid_day()
        online = seat(day, "online")
        assert fact(online, day, NOW).event_id == fact(online, day, NOW).event_id  # type: ignore[union-attr]
