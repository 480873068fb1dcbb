from __future__ import annotations

from datetime import timedelta

from limits import parse
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from services.runtime.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """Settings of the gateway (``RESO_GATEWAY_*``)."""

    model_config = SettingsConfigDict(env_prefix="RESO_GATEWAY_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/gateway.db"
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(default=8000, description="Port the HTTP server listens on.")
    session_hours: float = Field(
        default=12, gt=0, description="How long a personal-space session opened by a link lasts."
    )
    staff_session_hours: float = Field(
        default=10, gt=0, description="How long a staff member's back-office session lasts."
    )
    upload_max_bytes: int = Field(
        default=10_000_000,
        gt=0,
        description="Largest file an import accepts, in bytes; above it the answer is 413.",
    )
    import_seconds_per_mb: float = Field(
        default=30,
        gt=0,
        description="How long an import may take per MB of file, on top of 60 s (RPC timeout).",
    )
    export_timeout_seconds: float = Field(
        default=300,
        gt=0,
        description="How long to wait for members to write an export file (RPC timeout).",
    )
    bounce_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Shared secret the mail server sends (header X-Reso-Bounce-Secret) when it "
        "POSTs a delivery status notification to /api/v1/newsletters/bounces; unset: the "
        "route answers 404.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="Signs the CSRF tokens of forms; the same on every replica. "
        "Unset: a random key per process (a form opened before a restart must be reloaded).",
    )
    https: bool | None = Field(
        default=None,
        description="Served over https: cookies are Secure and HSTS is sent. "
        "Unset: true when RESO_CENTRE_PUBLIC_URL starts with https://.",
    )
    rate_limit_per_ip: str = Field(
        default="30/minute",
        description="Anonymous POST/PUT/PATCH/DELETE requests allowed per client address "
        "('<n>/<second|minute|hour|day>', counted per gateway process); empty: no limit.",
    )
    rate_limit_per_email: str = Field(
        default="10/hour",
        description="Anonymous requests naming the same e-mail address (sign-up, sign-in link, "
        "subscription), per gateway process; empty: no limit.",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Reverse proxies whose X-Forwarded-For/-Proto are trusted (comma-separated, "
        "'*' for any): the client address rate limits count by, and https detection.",
    )

    @field_validator("rate_limit_per_ip", "rate_limit_per_email")
    @classmethod
    def _a_rate_limit(cls, value: str) -> str:
        if value.strip():
            parse(value)  # ValueError on a malformed limit
        return value

    @property
    def staff_session_lifetime(self) -> timedelta:
        return timedelta(hours=self.staff_session_hours)
