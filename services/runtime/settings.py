"""Typed settings.

Each service has its own class with the prefix ``RESO_<SERVICE>_``; what all services share (NATS,
the centre's identity, logging) is read from ``RESO_NATS_*``, ``RESO_CENTRE_*`` and ``RESO_LOG_*``
so one value configures the whole platform.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class NatsSettings(BaseSettings):
    """How to reach NATS and how the streams are provisioned."""

    model_config = SettingsConfigDict(env_prefix="RESO_NATS_", extra="ignore")

    url: str = Field(
        default="nats://127.0.0.1:4322",
        description="NATS server URL(s), comma-separated. The embedded server listens on 4322.",
    )
    stream_max_age_days: float = Field(
        default=30, gt=0, description="How long events (which may carry personal data) are kept."
    )
    dlq_max_age_days: float = Field(default=90, gt=0, description="How long dead letters are kept.")
    stream_replicas: int = Field(default=1, ge=1, le=5, description="Replicas per stream.")
    max_deliver: int = Field(
        default=6, ge=2, description="Attempts before a failing message is dead-lettered."
    )
    retry_base_seconds: float = Field(default=0.5, gt=0, description="First retry delay.")
    retry_max_seconds: float = Field(default=30, gt=0, description="Longest retry delay.")
    ack_wait_seconds: float = Field(
        default=60,
        gt=0,
        description="How long a consumer has to acknowledge an event before NATS delivers it "
        "again (to another replica if the first died holding it).",
    )
    rpc_timeout_seconds: float = Field(default=5, gt=0, description="Request/reply timeout.")
    rpc_concurrency: int = Field(default=16, ge=1, description="RPC requests handled at once.")
    publish_timeout_seconds: float = Field(
        default=5, gt=0, description="How long a JetStream publish waits for its ack."
    )
    files_ttl_seconds: float = Field(
        default=3600,
        gt=0,
        description="How long an uploaded file not yet read stays in the RESO_FILES bucket.",
    )
    user: str | None = Field(default=None, description="NATS user, if the server requires one.")
    password: SecretStr | None = Field(default=None, description="NATS password.")

    @property
    def servers(self) -> list[str]:
        return [part.strip() for part in self.url.split(",") if part.strip()]


class CentreSettings(BaseSettings):
    """The resource centre this platform runs for."""

    model_config = SettingsConfigDict(env_prefix="RESO_CENTRE_", extra="ignore")

    slug: str = Field(default="reso-demo", description="Short id carried by every event.")
    name: str = Field(
        default="Centre de ressources politique de la ville (démo)",
        description="The centre's name, shown on pages and in the From of e-mails.",
    )
    email: str = Field(
        default="contact@reso.localhost", description="Sender address of every e-mail."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Public URL of the gateway, used in e-mails."
    )


class LogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RESO_LOG_", extra="ignore")

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["console", "json"] = Field(
        default="console", description="'json' for one JSON object per line (production)."
    )


class ServiceSettings(BaseSettings):
    """Base of every service's settings. Subclasses set ``env_prefix`` to ``RESO_<SERVICE>_``."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/service.db"
    outbox_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often the relay looks for rows nobody told it of.",
    )
    outbox_retention_days: float = Field(
        default=7, gt=0, description="Published outbox rows (personal data) are deleted after."
    )
    http_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port of the process's own endpoints on every interface: /healthz, "
        "/readyz and /metrics (the gateway: /metrics only, its probes are on its HTTP port). "
        "Unset: none is opened.",
    )
    nats: NatsSettings = Field(default_factory=NatsSettings)
    centre: CentreSettings = Field(default_factory=CentreSettings)
    log: LogSettings = Field(default_factory=LogSettings)
