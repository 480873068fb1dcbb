from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.runtime.settings import ServiceSettings

DEFAULT_DUES_PAYMENT_INSTRUCTIONS = """\
Vous pouvez régler par virement, par chèque ou, pour les collectivités et les services de l'État, \
par mandat administratif. Pour recevoir nos coordonnées bancaires ou une facture, répondez \
simplement à ce message.

Merci d'indiquer le nom de la structure adhérente et l'année de la cotisation avec votre \
règlement. Un reçu vous est adressé dès réception."""


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
    send_lease_seconds: float = Field(
        default=300,
        gt=0,
        description="How long a mail claimed by a sender stays with it: a replica that died "
        "holding a mail hands it to the others after this long. Longer than the SMTP timeout.",
    )
    send_max_attempts: int = Field(default=8, ge=1, description="SMTP tries before giving up.")
    dues_payment_instructions: str = Field(
        default=DEFAULT_DUES_PAYMENT_INSTRUCTIONS,
        min_length=1,
        description="How to pay, in French, printed in the renewal call for dues (a blank line "
        "starts a new paragraph).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs the links mailed to subscribers (confirm, preferences, unsubscribe); "
        "the same on every replica, and kept: an unsubscribe link in a letter must work for "
        "years. Unset: a random key per process (links stop working when it restarts).",
    )
    confirmation_days: float = Field(
        default=7, gt=0, description="How long a subscription confirmation link works."
    )
    preferences_days: float = Field(
        default=30, gt=0, description="How long a link to the preferences page works."
    )
    unsubscribe_mailbox: str | None = Field(
        default=None,
        description="Address of the List-Unsubscribe mailto (default: the centre's address).",
    )
    inactivity_check_hours: float = Field(
        default=24,
        gt=0,
        description="How often subscribers inactive for 3 years are flagged, and addresses "
        "that never confirmed erased.",
    )
    send_rate_per_second: float = Field(
        default=50,
        gt=0,
        description="Default rate of a letter's send, messages a second (held across "
        "replicas: each takes slots of the rate reserved in the database).",
    )
    send_rate_per_hour: int = Field(
        default=100_000,
        gt=0,
        description="Default rate of a letter's send, messages an hour "
        "(a sliding hour, counted in the database across replicas).",
    )
    send_batch_size: int = Field(default=100, ge=1, description="Deliveries claimed at once.")
    send_connections: int = Field(
        default=4, ge=1, description="SMTP connections kept open and reused by each replica."
    )
    issue_lease_seconds: float = Field(
        default=300,
        gt=0,
        description="How long a batch of an issue's deliveries claimed by a worker stays with "
        "it; after a crash its unsettled deliveries are sent again once it runs out.",
    )
    send_retry_base_seconds: float = Field(
        default=60, gt=0, description="First wait before retrying a 4xx (then doubling, 1 h max)."
    )
    send_pause_after_errors: int = Field(
        default=20, ge=1, description="Errors in a row after which a send pauses itself."
    )
    bounce_mailbox: str | None = Field(
        default=None,
        description="Path of an mbox file or a Maildir directory where the mail "
        "server drops delivery status notifications; polled, and emptied as they are read.",
    )
    bounce_poll_seconds: float = Field(default=60, gt=0, description="How often it is polled.")
    bounce_soft_threshold: int = Field(
        default=3, ge=1, description="Soft bounces after which an address is undeliverable."
    )
    schedule_check_seconds: float = Field(
        default=30,
        gt=0,
        description="How often scheduled issues whose time has come are handed to the sender.",
    )

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> NewslettersSettings:
        if self.send_lease_seconds <= self.smtp_timeout_seconds:
            raise ValueError(
                "RESO_NEWSLETTERS_SEND_LEASE_SECONDS must exceed "
                "RESO_NEWSLETTERS_SMTP_TIMEOUT_SECONDS (else another sender takes a slow send "
                "and the mail goes twice)"
            )
        return self
