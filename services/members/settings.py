from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.runtime.settings import ServiceSettings


class MembersSettings(ServiceSettings):
    """Settings of the members service (``RESO_MEMBERS_*``)."""

    model_config = SettingsConfigDict(env_prefix="RESO_MEMBERS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/members.db"
