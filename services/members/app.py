"""Composition root of the members service."""

from __future__ import annotations

import tomllib

from services.members import bus as members_bus
from services.members.domain.fees import DEFAULT_FEE_SCHEDULE, FeeSchedule
from services.members.handlers import MembershipRules
from services.members.settings import MembersSettings
from services.members.store import MembersUnitOfWork, contract_mapper, reliability
from services.runtime.health import register_health
from services.runtime.logging import configure_logging
from services.runtime.service import ServiceApp, foundation, run


def build_app(settings: MembersSettings) -> ServiceApp:
    base = foundation("members", settings, reliability)
    uow = base.units_of_work(MembersUnitOfWork, contract_mapper(settings.centre))

    members_bus.register(base.bus, uow, membership_rules(settings))
    register_health(base.bus, base.engine)
    return ServiceApp("members", settings, base.engine, base.bus, base.relay)


def membership_rules(settings: MembersSettings) -> MembershipRules:
    """The fee schedule (the TOML file if one is configured) and the grace period end."""
    schedule = DEFAULT_FEE_SCHEDULE
    if settings.fee_schedule_file is not None:
        with settings.fee_schedule_file.open("rb") as file:
            schedule = FeeSchedule.from_mapping(tomllib.load(file))
    return MembershipRules(schedule=schedule, grace_until=settings.grace_until)


def main() -> None:
    settings = MembersSettings()
    configure_logging(settings.log, service="members")
    run(build_app(settings))
