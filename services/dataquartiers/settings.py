from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.runtime.settings import ServiceSettings


class DataquartiersSettings(ServiceSettings):
    """Settings of the dataquartiers service (``RESO_DATAQUARTIERS_*``)."""

    model_config = SettingsConfigDict(env_prefix="RESO_DATAQUARTIERS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/dataquartiers.db"
