from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.runtime.settings import ServiceSettings


class EventsSettings(ServiceSettings):
    """Settings of the events service (``RESO_EVENTS_*``)."""

    model_config = SettingsConfigDict(env_prefix="RESO_EVENTS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/events.db"
