from __future__ import annotations

from pathlib import Path

from pydantic import Field
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
