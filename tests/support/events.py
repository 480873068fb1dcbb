"""The events service in tests: settings, a fixed clock, and event details to start from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.events import EventDetailsV1
from services.events.domain.links import RegistrationLinks
from services.events.handlers import Agenda
from services.events.settings import EventsSettings
from services.events.store import EventsUnitOfWork, calendar_site, contract_mapper
from services.events.store import reliability as events_reliability
from services.runtime.db import session_factory
from services.runtime.service import ServiceApp
from tests.support.services import CENTRE, nats_settings

EVENTS_SECRET = "reso-tests-events-secret-0123456789"

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
"""The fixed 'now' of events tests: events happen after it."""


@dataclass
class Clock:
    """A clock tests move by hand."""

    now: datetime = field(default=NOW)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def events_settings(database_url: str, nats_url: str, **overrides: Any) -> EventsSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "nats": nats_settings(nats_url, rpc_timeout_seconds=30),
        "centre": CENTRE,
        "outbox_poll_seconds": 0.2,
        "secret_key": EVENTS_SECRET,
        "offer_sweep_seconds": 3600,
    }
    values.update(overrides)
    return EventsSettings(**values)


def links() -> RegistrationLinks:
    return RegistrationLinks(EVENTS_SECRET, CENTRE.public_url)


def events_uow(app: ServiceApp) -> Callable[[], EventsUnitOfWork]:
    def uow() -> EventsUnitOfWork:
        return EventsUnitOfWork(
            session_factory(app.engine),
            events_reliability,
            to_contract=contract_mapper(CENTRE, links()),
            on_commit=app.relay.notify,
        )

    return uow


def details(**overrides: Any) -> EventDetailsV1:
    """A webinar on 15 March 2027 at 10:00 Paris time, 10 seats online."""
    values: dict[str, Any] = {
        "title": "Webinaire participation citoyenne",
        "summary": "Échanges entre conseils citoyens.",
        "type": "webinar",
        "format": "online",
        "themes": ["participation-citoyenne"],
        "starts_at": "2027-03-15T10:00:00",
        "ends_at": "2027-03-15T12:00:00",
        "video_link": "https://visio.example.org/salle-42",
        "capacity_online": 10,
    }
    values.update(overrides)
    return EventDetailsV1.model_validate(values)


def agenda_context(clock: Callable[[], datetime]) -> Agenda:
    """The use cases' context as the test events service has it, on ``clock``."""
    return Agenda(links=links(), site=calendar_site(CENTRE), clock=clock)
