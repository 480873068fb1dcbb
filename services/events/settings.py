from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from services.events.domain.reminders import DEFAULT_RULES, format_rules, parse_rules
from services.runtime.settings import ServiceSettings


class EventsSettings(ServiceSettings):
    """Settings of the events service (``RESO_EVENTS_*``)."""

    model_config = SettingsConfigDict(env_prefix="RESO_EVENTS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/events.db"
    secret_key: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="Signs the registration links mailed to people; the same on every replica. "
        "Unset: a random key per process (links stop working when it restarts).",
    )
    offer_sweep_seconds: float = Field(
        default=60, gt=0, description="How often seats offered and not taken in time move on."
    )
    reminder_rules: str = Field(
        default=DEFAULT_RULES,
        description="When registrants are reminded of an event: comma-separated rules, "
        "'<days>d@<HH:MM>' (days before, Paris time) or '<hours>h' (hours before the start); "
        "empty: no reminders. The last one carries the online link.",
    )
    reminder_sweep_seconds: float = Field(
        default=60, gt=0, description="How often the scheduler looks for reminders due."
    )
    certificate_city: str = Field(
        default="Paris",
        min_length=1,
        max_length=100,
        description="Where attendance certificates are issued (« Fait à … »): the centre's city.",
    )
    certificate_signatory: str = Field(
        default="",
        max_length=200,
        description="Printed under the signature space of certificates, e.g. "
        "« Marie Martin, directrice »; empty: no name.",
    )

    @field_validator("reminder_rules")
    @classmethod
    def _check_reminder_rules(cls, value: str) -> str:
        return format_rules(parse_rules(value))  # InvalidReminderRules -> ValidationError
