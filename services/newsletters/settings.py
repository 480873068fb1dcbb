from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.runtime.settings import ServiceSettings


class NewslettersSettings(ServiceSettings):
    """Settings of the newsletters service (``RESO_NEWSLETTERS_*``)."""

    model_config = SettingsConfigDict(env_prefix="RESO_NEWSLETTERS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/newsletters.db"
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server host.")
    smtp_port: int = Field(default=8025, description="SMTP server port (the local sink: 8025).")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="none", description="'starttls' (port 587) or 'tls' (port 465) for a real server."
    )
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = 30
    send_poll_seconds: float = Field(default=1.0, gt=0, description="Idle wait of the sender.")
    send_max_attempts: int = Field(default=8, ge=1, description="SMTP tries before giving up.")
