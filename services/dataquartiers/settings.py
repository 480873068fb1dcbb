from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.runtime.settings import ServiceSettings


class DataquartiersSettings(ServiceSettings):
    """Settings of the dataquartiers service (``RESO_DATAQUARTIERS_*``)."""

    model_config = SettingsConfigDict(env_prefix="RESO_DATAQUARTIERS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/dataquartiers.db"
    catalogue_file: Path | None = Field(
        default=None,
        description="An indicator catalogue (TOML) replacing the shipped one.",
    )
