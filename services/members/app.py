"""Composition root of the members service."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import tomllib
from datetime import UTC, datetime, timedelta

from services.members import bus as members_bus
from services.members import handlers
from services.members.domain.access import LinkDurations, LinkSigner
from services.members.domain.fees import DEFAULT_FEE_SCHEDULE, FeeSchedule
from services.members.domain.governance import DEFAULT_QUORUM_RULES, quorum_rules
from services.members.handlers import MembershipRules, SelfService
from services.members.settings import MembersSettings
from services.members.store import MembersUnitOfWork, contract_mapper, reliability
from services.runtime.errors import InvalidInput
from services.runtime.health import register_health
from services.runtime.logging import configure_logging, get_logger
from services.runtime.service import ServiceApp, foundation, run

log = get_logger("reso.members")


def build_app(settings: MembersSettings) -> ServiceApp:
    bylaws = governance_rules(settings)
    base = foundation("members", settings, reliability)
    uow = base.units_of_work(MembersUnitOfWork, contract_mapper(settings.centre))

    rules = membership_rules(settings)
    self_service = self_service_of(settings)
    members_bus.register(
        base.bus,
        uow,
        rules,
        quorum_rules=bylaws,
        self_service=self_service,
        export_max_rows=settings.export_max_rows,
    )
    register_health(base.bus, base.engine)

    async def membership_clock(stopping: asyncio.Event) -> None:
        """The calendar of memberships, and the erasure of sign-ups never confirmed."""
        while not stopping.is_set():
            try:
                await handlers.advance_memberships(uow, rules, datetime.now(UTC))
                await handlers.purge_unconfirmed(uow, self_service, datetime.now(UTC))
            except Exception as error:  # database down: try again at the next tick
                log.warning("membership calendar failed", error=repr(error))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), settings.membership_clock_seconds)

    return ServiceApp(
        "members", settings, base.engine, base.bus, base.relay, workers=[membership_clock]
    )


def self_service_of(settings: MembersSettings) -> SelfService:
    """The signer of personal links (durations and secret from the settings)."""
    if settings.secret_key is None:
        log.warning(
            "RESO_MEMBERS_SECRET_KEY is not set: personal links are signed with a random key and "
            "stop working when members restarts; set it (the same on every replica)"
        )
        secret = secrets.token_urlsafe(32)
    else:
        secret = settings.secret_key.get_secret_value()
    durations = LinkDurations(
        confirm_signup=timedelta(days=settings.confirmation_days),
        sign_in=timedelta(minutes=settings.sign_in_minutes),
        confirm_email=timedelta(hours=settings.email_change_hours),
    )
    return SelfService(
        links=LinkSigner(secret, settings.centre.public_url, durations),
        unconfirmed_retention=timedelta(days=settings.unconfirmed_retention_days),
    )


def membership_rules(settings: MembersSettings) -> MembershipRules:
    """The fee schedule (the TOML file if one is configured) and the grace period end."""
    schedule = DEFAULT_FEE_SCHEDULE
    if settings.fee_schedule_file is not None:
        with settings.fee_schedule_file.open("rb") as file:
            schedule = FeeSchedule.from_mapping(tomllib.load(file))
    return MembershipRules(schedule=schedule, grace_until=settings.grace_until)


def governance_rules(settings: MembersSettings) -> handlers.QuorumRules:
    """The quorum rules of the bylaws: the TOML file if one is configured, else the defaults.
    An invalid file stops members with a French error naming the key."""
    if settings.quorum_rules_file is None:
        return DEFAULT_QUORUM_RULES
    with settings.quorum_rules_file.open("rb") as file:
        try:
            data = tomllib.load(file)
        except tomllib.TOMLDecodeError as error:
            raise InvalidInput(
                f"Règles de quorum : {settings.quorum_rules_file} n'est pas un fichier TOML "
                f"valide ({error})."
            ) from None
    return quorum_rules(data)


def main() -> None:
    settings = MembersSettings()
    configure_logging(settings.log, service="members")
    run(build_app(settings))
