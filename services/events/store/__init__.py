"""Tables, repositories and the unit of work of the events service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.base import Event
from contracts.events import ApplicationDecidedV1, ApplicationSubmittedV1
from services.events.domain.calls import ApplicationDecided, ApplicationSubmitted
from services.events.store.calls import (
    CallRepository,
    application_reviews,
    applications,
    calls,
)
from services.events.store.schema import metadata, reliability
from services.runtime.settings import CentreSettings
from services.runtime.store import UnitOfWork

__all__ = [
    "EventsUnitOfWork",
    "UowFactory",
    "application_reviews",
    "applications",
    "calls",
    "contract_mapper",
    "metadata",
    "reliability",
]


def contract_mapper(centre: CentreSettings) -> Any:
    """Turn the events service's domain events into contract events (for the outbox)."""

    def to_contract(domain_event: object) -> Event | None:
        if isinstance(domain_event, ApplicationSubmitted):
            application = domain_event.application
            if application.submitted_at is None or application.reference is None:
                raise ValueError("a submitted application has a reference and a time")
            return ApplicationSubmittedV1(
                producer="events",
                centre=centre.slug,
                occurred_at=application.submitted_at,
                application_id=application.id,
                call_id=application.call_id,
                call_title=domain_event.call_title,
                reference=application.reference,
                organisation_id=application.organisation_id,
                organisation_name=application.organisation_name,
                person_id=application.person_id,
                email=application.email,
                first_name=application.first_name,
                last_name=application.last_name,
                submitted_at=application.submitted_at,
            )
        if isinstance(domain_event, ApplicationDecided):
            application = domain_event.application
            return ApplicationDecidedV1(
                producer="events",
                centre=centre.slug,
                application_id=application.id,
                call_id=application.call_id,
                call_title=domain_event.call_title,
                reference=application.reference or "",
                decision=domain_event.decision,
                message=domain_event.message,
                organisation_name=application.organisation_name,
                person_id=application.person_id,
                email=application.email,
                first_name=application.first_name,
                last_name=application.last_name,
            )
        raise TypeError(f"no contract for {type(domain_event).__name__}")

    return to_contract


class EventsUnitOfWork(UnitOfWork):
    calls: CallRepository

    def _open(self) -> None:
        self.calls = CallRepository(self.session)


UowFactory = Callable[[], EventsUnitOfWork]
