"""What the events service writes to its outbox for each domain event (the facts' contents)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from contracts.events import (
    EventCancelledV1,
    RegistrationConfirmedV1,
    RegistrationOfferedV1,
    RegistrationWaitlistedV1,
)
from services.events.domain import agenda
from services.events.domain import registrations as regs
from services.events.domain.links import RegistrationLinks
from services.events.store import contract_mapper
from services.runtime.settings import CentreSettings

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
CENTRE = CentreSettings(
    slug="crpv-test",
    name="Centre de test",
    email="bonjour@crpv.example.org",
    public_url="https://crpv.example.org",
)
LINKS = RegistrationLinks("a-secret-of-at-least-16", CENTRE.public_url)
to_contract = contract_mapper(CENTRE, LINKS)


def event(**overrides: object) -> agenda.Event:
    draft = agenda.EventDraft(
        title="Webinaire",
        type="webinar",
        format="online",
        starts_at=datetime(2027, 3, 15, 9, 0, tzinfo=UTC),
        ends_at=datetime(2027, 3, 15, 11, 0, tzinfo=UTC),
        video_link="https://visio.example.org/x",
        capacity_online=1,
    )
    created = agenda.create(draft, NOW, lambda code: True)
    agenda.publish(created, NOW)
    for name, value in overrides.items():
        setattr(created, name, value)
    return created


def registration(on: agenda.Event, **fields: object) -> regs.Registration:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "event_id": on.id,
        "email": "awa.diallo@example.org",
        "first_name": "Awa",
        "last_name": "Diallo",
        "mode": "online",
        "status": "confirmed",
        "registered_at": NOW,
    }
    values.update(fields)
    return regs.Registration(**values)  # type: ignore[arg-type]


class TestRegistrationFacts:
    def test_a_confirmation_carries_the_calendar_file_and_a_signed_link_to_the_registration(self):
        webinar = event()
        seat = registration(webinar)
        fact = to_contract(regs.RegistrationConfirmed(seat, webinar, NOW))
        assert isinstance(fact, RegistrationConfirmedV1)
        assert fact.event.url == f"https://crpv.example.org/agenda/{webinar.id}"
        assert LINKS.read(fact.manage_url.split("jeton=")[1], "manage") == ("manage", seat.id)
        assert "METHOD:REQUEST" in fact.ics
        assert "visio.example.org" not in fact.model_dump_json()

    def test_a_waiting_place_names_its_position_and_reason(self):
        webinar = event()
        waiting = registration(webinar, status="waitlisted", reason="organisation_quota")
        fact = to_contract(regs.RegistrationWaitlisted(waiting, webinar, 3, NOW))
        assert isinstance(fact, RegistrationWaitlistedV1)
        assert (fact.position, fact.reason) == (3, "organisation_quota")

    def test_an_offer_carries_its_accept_link_and_deadline(self):
        webinar = event()
        offered = registration(webinar, status="offered")
        fact = to_contract(regs.RegistrationOffered(offered, webinar, NOW, NOW))
        assert isinstance(fact, RegistrationOfferedV1)
        assert LINKS.read(fact.accept_url.split("jeton=")[1], "accept")[1] == offered.id

    def test_nobody_is_written_to_once_erased(self):
        webinar = event()
        erased = registration(webinar)
        regs.erase(erased, NOW)
        assert to_contract(regs.RegistrationConfirmed(erased, webinar, NOW)) is None
        kept = registration(webinar, email="lou@example.org")
        agenda.cancel(webinar, "", NOW)
        fact = to_contract(agenda.EventCancelled(webinar, "", (erased, kept), NOW))
        assert isinstance(fact, EventCancelledV1)
        assert [r.email for r in fact.registrants] == ["lou@example.org"]
        assert "METHOD:CANCEL" in fact.ics
