"""The events model: seats, the waiting list, promotions and offers, quotas, the event's life,
calendar files and signed links (no I/O)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from services.events.domain import agenda, calendar
from services.events.domain import registrations as regs
from services.events.domain.links import RegistrationLinks
from services.runtime.errors import Conflict, InvalidInput

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
SITE = calendar.CalendarSite("CRPV test", "https://crpv.example.org", "bonjour@crpv.example.org")


def draft(**overrides: object) -> agenda.EventDraft:
    values: dict[str, object] = {
        "title": "Journée thématique à Laval",
        "type": "thematic_day",
        "format": "onsite",
        "starts_at": datetime(2027, 6, 13, 7, 30, tzinfo=UTC),
        "ends_at": datetime(2027, 6, 13, 15, 0, tzinfo=UTC),
        "venue": agenda.Place("Salle polyvalente", city="Laval", commune="53130"),
        "capacity_onsite": 2,
        "themes": ("participation-citoyenne",),
    }
    values.update(overrides)
    return agenda.EventDraft(**values)  # type: ignore[arg-type]


def published(**overrides: object) -> agenda.Event:
    event = agenda.create(draft(**overrides), NOW, lambda code: True)
    agenda.publish(event, NOW)
    return event


def registration(event: agenda.Event, mode: str = "onsite", **fields: object) -> regs.Registration:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "event_id": event.id,
        "email": f"{uuid.uuid4().hex[:8]}@example.org",
        "first_name": "Awa",
        "last_name": "Diallo",
        "mode": mode,
        "status": "waitlisted",
        "registered_at": NOW,
    }
    values.update(fields)
    return regs.Registration(**values)  # type: ignore[arg-type]


def seats(onsite: int = 0, online: int = 0, **by_organisation: int) -> regs.Seats:
    return regs.Seats(
        {"onsite": onsite, "online": online},
        {uuid.UUID(key.removeprefix("o")): value for key, value in by_organisation.items()},
    )


class TestPlace:
    def test_confirms_while_seats_remain_then_waits_in_order(self):
        event = published()
        first, second, third = (registration(event) for _ in range(3))
        regs.place(first, event, seats(onsite=1), NOW)
        regs.place(second, event, seats(onsite=2), NOW)
        regs.place(third, event, seats(onsite=2), NOW)
        assert first.status == "confirmed"
        assert (second.status, second.reason) == ("waitlisted", "full")
        assert third.queue_no > second.queue_no

    def test_a_hybrid_event_counts_each_mode_on_its_own(self):
        event = published(format="hybrid", capacity_onsite=1, capacity_online=1)
        online = registration(event, "online")
        regs.place(online, event, seats(onsite=1, online=0), NOW)
        assert online.status == "confirmed"

    def test_an_organisation_at_its_cap_waits_with_the_quota_as_reason(self):
        organisation = uuid.uuid4()
        event = published(capacity_onsite=10, organisation_cap=1)
        late = registration(event, organisation_id=organisation)
        regs.place(late, event, regs.Seats({"onsite": 1}, {organisation: 1}), NOW)
        assert (late.status, late.reason) == ("waitlisted", "organisation_quota")

    def test_no_capacity_means_no_limit(self):
        event = published(capacity_onsite=None)
        someone = registration(event)
        regs.place(someone, event, seats(onsite=5000), NOW)
        assert someone.status == "confirmed"

    def test_a_second_active_registration_of_one_address_is_refused(self):
        event = published()
        with pytest.raises(Conflict):
            regs.check_can_register(registration(event, status="confirmed"))
        regs.check_can_register(registration(event, status="cancelled"))


class TestPromotion:
    def test_the_first_waiting_person_of_the_freed_mode_is_promoted_at_once(self):
        event = published(format="hybrid", capacity_onsite=1, capacity_online=1)
        online = registration(event, "online", queue_no=1)
        onsite = registration(event, "onsite", queue_no=2)
        chosen = regs.next_in_line(event, [online, onsite], seats(onsite=0, online=1))
        assert chosen is onsite
        fact = regs.promote(onsite, event, NOW)
        assert isinstance(fact, regs.RegistrationPromoted)
        assert onsite.status == "confirmed"

    def test_a_person_whose_organisation_is_at_its_cap_is_skipped(self):
        organisation = uuid.uuid4()
        event = published(capacity_onsite=3, organisation_cap=1)
        capped = registration(event, organisation_id=organisation, queue_no=1)
        other = registration(event, queue_no=2)
        held = regs.Seats({"onsite": 2}, {organisation: 1})
        assert regs.next_in_line(event, [capped, other], held) is other

    def test_with_a_hold_time_the_seat_is_offered_until_it_expires(self):
        event = published(hold_minutes=120)
        waiting = registration(event)
        fact = regs.promote(waiting, event, NOW)
        assert isinstance(fact, regs.RegistrationOffered)
        assert waiting.status == "offered"
        assert fact.hold_until == NOW + timedelta(hours=2)

    def test_an_offer_is_accepted_in_time_and_refused_after(self):
        event = published(hold_minutes=60)
        on_time, late = registration(event), registration(event)
        regs.promote(on_time, event, NOW)
        regs.promote(late, event, NOW)
        regs.accept_offer(on_time, event, NOW + timedelta(minutes=59))
        assert on_time.status == "confirmed"
        with pytest.raises(Conflict):
            regs.accept_offer(late, event, NOW + timedelta(minutes=60))

    def test_nobody_is_promoted_for_a_cancelled_event(self):
        event = published()
        agenda.cancel(event, "", NOW)
        assert regs.next_in_line(event, [registration(event)], seats()) is None

    def test_cancelling_a_seat_frees_its_mode_and_a_waiting_place_frees_none(self):
        event = published()
        held, waiting = registration(event, status="confirmed"), registration(event)
        assert regs.cancel(held, "self", NOW) == "onsite"
        assert regs.cancel(waiting, "self", NOW) == ""
        with pytest.raises(Conflict):
            regs.cancel(held, "self", NOW)


class TestEventLife:
    def test_an_onsite_event_needs_a_known_commune(self):
        with pytest.raises(InvalidInput):
            agenda.create(draft(), NOW, lambda code: False)
        with pytest.raises(InvalidInput):
            agenda.create(draft(venue=None), NOW, lambda code: True)

    def test_the_end_must_follow_the_start(self):
        with pytest.raises(InvalidInput):
            agenda.create(draft(ends_at=draft().starts_at), NOW, lambda code: True)

    def test_registrations_open_only_when_published_and_inside_the_window(self):
        event = agenda.create(
            draft(registration_opens_at=NOW + timedelta(days=1)), NOW, lambda code: True
        )
        with pytest.raises(Conflict):
            event.check_open(NOW + timedelta(days=2))
        agenda.publish(event, NOW)
        with pytest.raises(Conflict):
            event.check_open(NOW)
        event.check_open(NOW + timedelta(days=2))
        with pytest.raises(Conflict):
            event.check_open(event.draft.starts_at)

    def test_a_new_time_is_a_notable_change_that_bumps_the_sequence(self):
        event = published()
        later = replace(event.draft, starts_at=event.draft.starts_at + timedelta(hours=1))
        changes = agenda.update(event, later, NOW, lambda code: True)
        assert changes == (
            "Nouvel horaire : du 13/06/2027 10:30 au 13/06/2027 17:00 (heure de Paris).",
        )
        assert event.sequence == 1

    def test_a_new_summary_is_not_notable_and_keeps_the_sequence(self):
        event = published()
        changes = agenda.update(
            event, replace(event.draft, summary="Coquille corrigée"), NOW, lambda code: True
        )
        assert changes == ()
        assert event.sequence == 0

    def test_a_cancelled_event_cannot_be_published_or_changed(self):
        event = published()
        agenda.cancel(event, "Grève", NOW)
        with pytest.raises(Conflict):
            agenda.publish(event, NOW)
        with pytest.raises(Conflict):
            agenda.update(event, event.draft, NOW, lambda code: True)


class TestCalendar:
    def test_an_event_file_has_a_stable_uid_paris_times_and_its_timezone(self):
        event = published()
        first = icalendar.Calendar.from_ical(calendar.event_ics(event, SITE, stamp=NOW))
        again = icalendar.Calendar.from_ical(
            calendar.event_ics(event, SITE, stamp=NOW + timedelta(days=1))
        )
        (vevent,) = first.events
        assert first["METHOD"] == "REQUEST"
        assert str(vevent["UID"]) == str(again.events[0]["UID"]) == f"{event.id}@crpv.example.org"
        assert vevent["DTSTART"].params["TZID"] == "Europe/Paris"
        assert vevent.start == datetime(2027, 6, 13, 9, 30, tzinfo=agenda.PARIS)
        assert [tz.tz_name for tz in first.timezones] == ["Europe/Paris"]
        assert first.get_missing_tzids() == set()

    def test_a_notable_change_bumps_the_sequence_of_the_file(self):
        event = published()
        later = replace(event.draft, starts_at=event.draft.starts_at + timedelta(hours=1))
        agenda.update(event, later, NOW, lambda code: True)
        vevent = icalendar.Calendar.from_ical(calendar.event_ics(event, SITE, stamp=NOW)).events[0]
        assert vevent["SEQUENCE"] == 1

    def test_a_cancelled_event_is_a_cancel_method_with_the_same_uid(self):
        event = published()
        before = icalendar.Calendar.from_ical(calendar.event_ics(event, SITE, stamp=NOW))
        agenda.cancel(event, "", NOW)
        after = icalendar.Calendar.from_ical(calendar.event_ics(event, SITE, stamp=NOW))
        assert after["METHOD"] == "CANCEL"
        assert after.events[0]["STATUS"] == "CANCELLED"
        assert after.events[0]["UID"] == before.events[0]["UID"]
        assert after.events[0]["SEQUENCE"] > before.events[0]["SEQUENCE"]

    def test_the_video_link_never_goes_in_a_calendar_file(self):
        event = published(format="online", venue=None, video_link="https://visio.example.org/x")
        assert "visio.example.org" not in calendar.event_ics(event, SITE, stamp=NOW)

    def test_the_agenda_feed_lists_every_event_given(self):
        events = [published(), published(title="Webinaire")]
        feed = icalendar.Calendar.from_ical(calendar.agenda_ics(events, SITE, stamp=NOW))
        assert sorted(str(e["SUMMARY"]) for e in feed.events) == [
            "Journée thématique à Laval",
            "Webinaire",
        ]
        assert "METHOD" not in feed


class TestLinks:
    def test_a_link_names_its_registration_and_purpose_and_a_forged_one_is_refused(self):
        links = RegistrationLinks("a-secret-of-at-least-16", "https://crpv.example.org")
        registration_id = uuid.uuid4()
        token = links.token("accept", registration_id)
        assert links.read(token, "accept") == ("accept", registration_id)
        with pytest.raises(InvalidInput):
            links.read(token, "manage")
        other = RegistrationLinks("another-secret-of-16+", "https://crpv.example.org")
        with pytest.raises(InvalidInput):
            other.read(token, "accept")
