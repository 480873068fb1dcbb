from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

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
