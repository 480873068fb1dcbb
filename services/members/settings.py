from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.runtime.settings import ServiceSettings


class MembersSettings(ServiceSettings):
    """Settings of the members service (``RESO_MEMBERS_*``)."""

    model_config = SettingsConfigDict(env_prefix="RESO_MEMBERS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/members.db"
    fee_schedule_file: Path | None = Field(
        default=None, description="TOML fee schedule; the built-in default when unset."
    )
    quorum_rules_file: Path | None = Field(
        default=None,
        description="TOML quorum rules of the bylaws; the built-in default when unset.",
    )
    membership_clock_seconds: float = Field(
        default=3600, gt=0, description="How often the calendar moves memberships on."
    )
    grace_until: str = Field(
        default="03-31",
        pattern=r"^\d{2}-\d{2}$",
        description="MM-DD of year Y+1 until which a year-Y membership stays covered.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="Signs the personal links mailed to people; the same on every replica. "
        "Unset: a random key per process (links stop working when it restarts).",
    )
    confirmation_days: float = Field(
        default=7, gt=0, description="How long a sign-up confirmation link works."
    )
    sign_in_minutes: float = Field(
        default=30, gt=0, description="How long a sign-in (magic) link works; it works once."
    )
    email_change_hours: float = Field(
        default=24, gt=0, description="How long the link confirming a new address works."
    )
    export_max_rows: int = Field(
        default=200_000,
        gt=0,
        le=1_048_575,  # an XLSX sheet's rows, the header aside
        description="Longest list an export writes; a longer one is refused (narrow the filter).",
    )
    unconfirmed_retention_days: float = Field(
        default=30,
        gt=0,
        description="Sign-ups still unconfirmed after this many days are erased.",
    )

    @model_validator(mode="after")
    def _retention_outlasts_confirmation(self) -> MembersSettings:
        if self.unconfirmed_retention_days < self.confirmation_days:
            raise ValueError(
                "unconfirmed_retention_days must be at least confirmation_days: a sign-up is "
                "not erased while its confirmation link still works"
            )
        return self
