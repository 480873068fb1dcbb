"""Reminder rules of the events service: parsing, instants across clock changes, which is due."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel, ValidationError, field_validator

from services.events.domain.reminders import (
    DEFAULT_RULES,
    InvalidReminderRules,
    ReminderRule,
    due_reminder,
    format_rules,
    last_rule,
    next_due_at,
    parse_rules,
    reminder_event_id,
    reminder_key,
    schedule,
)

PARIS = ZoneInfo("Europe/Paris")
SEVEN_DAYS, ONE_DAY = ReminderRule.parse("7d@09:00"), ReminderRule.parse("1d@09:00")
RULES = (SEVEN_DAYS, ONE_DAY)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class TestParseRule:
    def test_reads_days_before_at_a_paris_time(self) -> None:
        rule = ReminderRule.parse("7d@09:00")
        assert (rule.kind, rule.amount, rule.at) == ("days", 7, time(9, 0))

    def test_reads_hours_before_the_start(self) -> None:
        rule = ReminderRule.parse("2h")
        assert (rule.kind, rule.amount, rule.at) == ("hours", 2, None)

    @pytest.mark.parametrize("text", ["7d@9:00", " 7D @ 09:00 ", "7d@09:00"])
    def test_gives_one_canonical_text_whatever_the_spelling(self, text: str) -> None:
        rule = ReminderRule.parse(text)
        assert rule.text == "7d@09:00"
        assert str(rule) == "7d@09:00"
        assert rule == SEVEN_DAYS

    def test_reads_the_day_of_the_event_itself(self) -> None:
        assert ReminderRule.parse("0d@08:00").text == "0d@08:00"

    @pytest.mark.parametrize(
        ("text", "why"),
        [
            ("7", "expected '<days>d@<HH:MM>'"),
            ("7d", "expected '<days>d@<HH:MM>'"),
            ("7d@25:00", "25:00 is not a time"),
            ("7d@09:60", "9:60 is not a time"),
            ("0h", "between 1 and"),
            ("-1d@09:00", "expected"),
            ("400d@09:00", "at most 366 days"),
            ("1w", "expected"),
        ],
    )
    def test_says_what_is_wrong_with_a_bad_rule(self, text: str, why: str) -> None:
        with pytest.raises(InvalidReminderRules, match=why):
            ReminderRule.parse(text)


class TestParseRules:
    def test_reads_a_comma_separated_list_in_order(self) -> None:
        assert parse_rules("7d@09:00, 1d@09:00,2h") == (
            SEVEN_DAYS,
            ONE_DAY,
            ReminderRule.parse("2h"),
        )

    def test_reads_the_default(self) -> None:
        assert parse_rules(DEFAULT_RULES) == RULES

    def test_reads_an_empty_setting_as_no_reminders(self) -> None:
        assert parse_rules("") == ()
        assert parse_rules("  ") == ()

    def test_names_the_item_that_does_not_parse(self) -> None:
        with pytest.raises(InvalidReminderRules, match=r"item 2, '1 jour'"):
            parse_rules("7d@09:00, 1 jour")

    def test_refuses_an_empty_item(self) -> None:
        with pytest.raises(InvalidReminderRules, match="item 2 is empty"):
            parse_rules("7d@09:00,,1d@09:00")

    def test_refuses_a_rule_given_twice_even_spelt_differently(self) -> None:
        with pytest.raises(InvalidReminderRules, match="'7d@09:00' is given twice"):
            parse_rules("7d@09:00, 7D@9:00")

    def test_writes_back_what_it_reads(self) -> None:
        assert parse_rules(format_rules(parse_rules(" 7D@9:00 ,2H"))) == parse_rules("7d@09:00,2h")

    def test_reports_a_bad_setting_as_a_validation_error_of_that_setting(self) -> None:
        class Settings(BaseModel):
            reminder_rules: str = DEFAULT_RULES

            @field_validator("reminder_rules")
            @classmethod
            def _check(cls, value: str) -> str:
                return format_rules(parse_rules(value))

        assert Settings(reminder_rules=" 7D@9:00 , 2H").reminder_rules == "7d@09:00,2h"
        with pytest.raises(ValidationError, match=r"reminder_rules\n.*item 1, '7 jours'"):
            Settings(reminder_rules="7 jours")


class TestDueInstant:
    def test_is_days_before_at_the_paris_time_in_utc(self) -> None:
        starts = paris(2027, 6, 13, 9, 30)  # summer: UTC+2
        assert SEVEN_DAYS.due_at(starts) == utc(2027, 6, 6, 7, 0)
        assert SEVEN_DAYS.due_at(starts).tzinfo == UTC

    def test_keeps_nine_in_paris_when_the_clocks_go_forward_in_between(self) -> None:
        # Clocks go forward on Sunday 28 March 2027; the event is on Tuesday 30 March.
        starts = paris(2027, 3, 30, 14, 0)
        assert SEVEN_DAYS.due_at(starts) == utc(2027, 3, 23, 8, 0)  # 09:00 winter time
        assert ONE_DAY.due_at(starts) == utc(2027, 3, 29, 7, 0)  # 09:00 summer time
        assert [due.astimezone(PARIS).hour for _, due in schedule(RULES, starts)] == [9, 9]

    def test_keeps_nine_in_paris_when_the_clocks_go_back_in_between(self) -> None:
        # Clocks go back on Sunday 31 October 2027; the event is on Thursday 4 November.
        starts = paris(2027, 11, 4, 14, 0)
        assert SEVEN_DAYS.due_at(starts) == utc(2027, 10, 28, 7, 0)  # 09:00 summer time
        assert ONE_DAY.due_at(starts) == utc(2027, 11, 3, 8, 0)  # 09:00 winter time

    def test_counts_days_from_the_paris_date_not_the_utc_date(self) -> None:
        starts = paris(2027, 6, 13, 0, 30)  # still 12 June in UTC
        assert ONE_DAY.due_at(starts) == utc(2027, 6, 12, 7, 0)

    def test_counts_hours_as_elapsed_time_across_the_night_of_the_change(self) -> None:
        starts = paris(2027, 3, 28, 4, 0)  # 02:00 UTC, an hour after the change
        due = ReminderRule.parse("2h").due_at(starts)
        assert due == utc(2027, 3, 28, 0, 0)
        assert due.astimezone(PARIS).hour == 1  # three wall-clock hours earlier

    def test_moves_a_time_in_the_spring_gap_after_the_gap(self) -> None:
        starts = paris(2027, 3, 29, 10, 0)
        due = ReminderRule.parse("1d@02:30").due_at(starts)
        assert due == utc(2027, 3, 28, 1, 30)
        assert due.astimezone(PARIS).time() == time(3, 30)

    def test_takes_the_first_of_a_time_that_happens_twice_in_autumn(self) -> None:
        starts = paris(2027, 11, 1, 10, 0)
        assert ReminderRule.parse("1d@02:30").due_at(starts) == utc(2027, 10, 31, 0, 30)

    def test_refuses_a_naive_start(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            SEVEN_DAYS.due_at(datetime(2027, 6, 13, 9, 30))


class TestLastRule:
    def test_is_the_rule_that_fires_last_before_the_event(self) -> None:
        starts = paris(2027, 6, 13, 9, 30)
        assert last_rule([ONE_DAY, SEVEN_DAYS], starts) == ONE_DAY
        two_hours = ReminderRule.parse("2h")
        assert last_rule([two_hours, ONE_DAY, SEVEN_DAYS], starts) == two_hours

    def test_ignores_a_rule_that_would_fire_after_the_start(self) -> None:
        morning = ReminderRule.parse("0d@10:00")
        assert last_rule([ONE_DAY, morning], paris(2027, 6, 13, 9, 30)) == ONE_DAY
        assert last_rule([ONE_DAY, morning], paris(2027, 6, 13, 14, 0)) == morning

    def test_is_none_without_rules(self) -> None:
        assert last_rule([], paris(2027, 6, 13, 9, 30)) is None

    def test_breaks_a_tie_the_same_way_whatever_the_order(self) -> None:
        starts = paris(2027, 6, 13, 11, 0)
        same = [ReminderRule.parse("2h"), ReminderRule.parse("0d@09:00")]
        assert last_rule(same, starts) == last_rule(same[::-1], starts)


class TestNextDueAt:
    def test_is_the_next_rule_instant_after_the_given_moment(self) -> None:
        starts = paris(2027, 6, 13, 9, 30)
        assert next_due_at(RULES, starts_at=starts, after=paris(2027, 6, 1)) == utc(2027, 6, 6, 7)
        assert next_due_at(RULES, starts_at=starts, after=paris(2027, 6, 6, 9)) == utc(
            2027, 6, 12, 7
        )
        assert next_due_at(RULES, starts_at=starts, after=paris(2027, 6, 12, 9)) is None


class TestDueReminder:
    starts = paris(2027, 6, 13, 9, 30)  # a Sunday; reminders on the 6th and the 12th at 09:00
    registered = paris(2027, 5, 2, 15, 0)

    def due(
        self, now: datetime, *, registered_at: datetime | None = None, sent: tuple[str, ...] = ()
    ) -> str | None:
        reminder = due_reminder(
            RULES,
            starts_at=self.starts,
            registered_at=registered_at or self.registered,
            now=now,
            sent=sent,
        )
        return reminder.rule.text if reminder else None

    def test_nothing_is_due_before_the_first_rule(self) -> None:
        assert self.due(paris(2027, 6, 6, 8, 59)) is None

    def test_the_seven_day_reminder_is_due_from_its_instant(self) -> None:
        assert self.due(paris(2027, 6, 6, 9, 0)) == "7d@09:00"
        assert self.due(paris(2027, 6, 8, 12, 0)) == "7d@09:00"

    def test_a_recorded_reminder_is_not_due_again(self) -> None:
        assert self.due(paris(2027, 6, 6, 9, 1), sent=("7d@09:00",)) is None

    def test_a_rule_recorded_in_another_spelling_counts_as_sent(self) -> None:
        assert self.due(paris(2027, 6, 6, 9, 1), sent=("7D@9:00",)) is None

    def test_the_last_reminder_says_it_is_the_last(self) -> None:
        reminder = due_reminder(
            RULES,
            starts_at=self.starts,
            registered_at=self.registered,
            now=paris(2027, 6, 12, 9, 0),
            sent={SEVEN_DAYS},
        )
        assert reminder is not None
        assert (reminder.rule, reminder.last) == (ONE_DAY, True)
        assert reminder.due_at == utc(2027, 6, 12, 7, 0)
        first = due_reminder(
            RULES, starts_at=self.starts, registered_at=self.registered, now=paris(2027, 6, 6, 9)
        )
        assert first is not None and first.last is False

    def test_someone_registered_two_days_before_gets_the_one_day_reminder_only(self) -> None:
        two_days_before = paris(2027, 6, 11, 10, 0)
        assert self.due(paris(2027, 6, 11, 10, 5), registered_at=two_days_before) is None
        assert self.due(paris(2027, 6, 12, 9, 0), registered_at=two_days_before) == "1d@09:00"

    def test_someone_registered_after_the_last_reminder_gets_none(self) -> None:
        late = paris(2027, 6, 12, 18, 0)
        assert self.due(paris(2027, 6, 12, 18, 1), registered_at=late) is None
        assert self.due(paris(2027, 6, 13, 9, 0), registered_at=late) is None

    def test_after_an_outage_only_the_latest_missed_reminder_is_sent(self) -> None:
        # Down from the 5th to the 12th at 10:00: the 7-day reminder is superseded.
        assert self.due(paris(2027, 6, 12, 10, 0)) == "1d@09:00"
        assert self.due(paris(2027, 6, 12, 10, 1), sent=("1d@09:00",)) is None

    def test_nothing_is_due_once_the_event_has_started(self) -> None:
        assert self.due(paris(2027, 6, 13, 9, 30)) is None

    def test_a_moved_event_does_not_resend_a_rule_already_sent(self) -> None:
        moved = self.starts + timedelta(days=14)
        reminder = due_reminder(
            RULES,
            starts_at=moved,
            registered_at=self.registered,
            now=moved - timedelta(days=6),
            sent=("7d@09:00",),
        )
        assert reminder is None

    def test_without_rules_nothing_is_ever_due(self) -> None:
        now = paris(2027, 6, 12, 9, 0)
        assert (
            due_reminder((), starts_at=self.starts, registered_at=self.registered, now=now) is None
        )


class TestReminderIdentity:
    def test_is_the_registration_and_the_canonical_rule(self) -> None:
        registration = uuid.UUID("00000000-0000-0000-0000-000000000001")
        assert reminder_key(registration, ReminderRule.parse("7D@9:00")) == (
            "00000000-0000-0000-0000-000000000001:7d@09:00"
        )

    def test_gives_the_same_event_id_on_every_replica_and_another_per_rule(self) -> None:
        registration = uuid.uuid4()
        assert reminder_event_id(registration, SEVEN_DAYS) == reminder_event_id(
            registration, ReminderRule.parse("7d@9:00")
        )
        assert reminder_event_id(registration, SEVEN_DAYS) != reminder_event_id(
            registration, ONE_DAY
        )
        assert reminder_event_id(registration, SEVEN_DAYS) != reminder_event_id(
            uuid.uuid4(), SEVEN_DAYS
        )
