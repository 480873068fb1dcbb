"""The events service's reminder settings: validated by the rules' parser, kept canonical; how
far ahead the scheduler looks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from services.events.domain.reminders import parse_rules
from services.events.handlers.reminders import horizon
from services.events.settings import EventsSettings


class TestReminderRulesSetting:
    def test_the_default_is_seven_days_and_one_day_before_at_nine(self):
        assert EventsSettings().reminder_rules == "7d@09:00,1d@09:00"

    def test_rules_are_stored_in_their_canonical_form(self):
        assert EventsSettings(reminder_rules=" 2H , 3D@9:00").reminder_rules == "2h,3d@09:00"

    def test_no_rule_means_no_reminders(self):
        assert EventsSettings(reminder_rules="").reminder_rules == ""

    @pytest.mark.parametrize("text", ["7 jours", "7d@25:00", "7d@09:00,7d@9:00", "1d@09:00,"])
    def test_a_rule_that_does_not_parse_stops_the_service_from_starting(self, text):
        with pytest.raises(ValidationError, match=r"item \d"):
            EventsSettings(reminder_rules=text)


class TestHorizon:
    def test_the_scheduler_looks_a_day_past_the_furthest_days_rule(self):
        assert horizon(parse_rules("7d@09:00,1d@09:00,2h")) == timedelta(days=8)

    def test_hours_rules_alone_look_as_many_hours_ahead(self):
        assert horizon(parse_rules("2h,48h")) == timedelta(hours=48)
