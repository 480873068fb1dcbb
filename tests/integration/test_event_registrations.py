"""Registrations through the real events service (RPC over NATS, facts on JetStream), on both
database lanes: seats, the waiting list, promotions, offers, cycles, member-only events."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import date
from typing import Any

from faststream.nats import NatsBroker
from sqlalchemy import func, select

from contracts.base import ExportPersonDataV1, PersonDataV1
from contracts.events import (
    AcceptOfferV1,
    CancelEventV1,
    CancelRegistrationV1,
    CreateCycleV1,
    CreateEventV1,
    CycleRegistrationV1,
    CycleV1,
    EventV1,
    ListRegistrantsV1,
    MoveRegistrationV1,
    PublishEventV1,
    RegisterToCycleV1,
    RegisterV1,
    RegistrantsV1,
    RegistrationV1,
    UpdateEventV1,
)
from contracts.members import (
    AffiliationChangedV1,
    MembershipActivatedV1,
    PersonErasedV1,
    PersonUpdatedV1,
    Territory,
)
from services.events import handlers
from services.events.app import build_app
from services.events.store import registrations
from services.runtime.rpc import RpcClient, RpcError
from services.runtime.service import ServiceApp
from tests.support.bus import consumed, publish
from tests.support.events import Clock, agenda_context, details, events_settings, events_uow
from tests.support.factories import unique_email
from tests.support.services import payload, running, stream_messages, wait_until

STAFF = "equipe@crpv-test.example.org"


@asynccontextmanager
async def events_service(
    url: str, nats_url: str, *, replicas: int = 1, clock: Clock | None = None, **settings: Any
) -> AsyncIterator[tuple[list[ServiceApp], RpcClient, Clock]]:
    clock = clock or Clock()
    apps = [
        build_app(events_settings(url, nats_url, **settings), clock=clock) for _ in range(replicas)
    ]
    async with AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(running(app))
        client = NatsBroker(nats_url)
        await client.connect()
        try:
            yield apps, RpcClient(client, timeout=60), clock
        finally:
            await client.stop()


async def published_event(rpc: RpcClient, **overrides: Any) -> EventV1:
    event = await rpc.call(CreateEventV1(details=details(**overrides), by=STAFF), EventV1)
    return await rpc.call(PublishEventV1(event_id=event.event_id, by=STAFF), EventV1)


async def register(rpc: RpcClient, event_id: uuid.UUID, **fields: Any) -> RegistrationV1:
    values: dict[str, Any] = {
        "event_id": event_id,
        "email": unique_email("inscrit"),
        "first_name": "Awa",
        "last_name": "Diallo",
    }
    values.update(fields)
    return await rpc.call(RegisterV1(**values), RegistrationV1)


def token_of(url: str) -> str:
    return url.split("jeton=", 1)[1]


async def facts(nats_url: str, verb: str) -> list[dict[str, Any]]:
    return [
        payload(message)
        for message in await stream_messages(nats_url, "EVENTS", f"reso.events.{verb}.v1")
    ]


class TestNeverOverbooked:
    async def test_five_hundred_simultaneous_registrations_for_ten_seats_confirm_exactly_ten(
        self, lane, database, nats_server
    ):
        replicas = 2 if lane == "postgresql" else 1
        async with events_service(database("events"), nats_server.url, replicas=replicas) as (
            apps,
            rpc,
            _,
        ):
            event = await published_event(rpc, capacity_online=10)
            replies = await asyncio.gather(
                *(
                    register(rpc, event.event_id, email=f"personne{i}@example.org")
                    for i in range(500)
                )
            )
            async with apps[0].engine.connect() as connection:
                stored = Counter(
                    dict(
                        (
                            await connection.execute(
                                select(registrations.c.status, func.count())
                                .where(registrations.c.event_id == str(event.event_id))
                                .group_by(registrations.c.status)
                            )
                        ).all()
                    )
                )
            confirmed_facts = await wait_until(
                lambda: _count(nats_server.url, "registration.confirmed", 10)
            )
            waiting_facts = await wait_until(
                lambda: _count(nats_server.url, "registration.waitlisted", 490)
            )

        statuses = Counter(reply.status for reply in replies)
        assert statuses == {"confirmed": 10, "waitlisted": 490}
        assert stored == {"confirmed": 10, "waitlisted": 490}
        assert len({reply.registration_id for reply in replies}) == 500
        positions = sorted(reply.position or 0 for reply in replies if reply.position)
        assert positions == list(range(1, 491))
        assert len(confirmed_facts) == 10
        assert len(waiting_facts) == 490


async def _count(nats_url: str, verb: str, expected: int) -> list[dict[str, Any]] | None:
    found = await facts(nats_url, verb)
    return found if len(found) >= expected else None


class TestRegister:
    async def test_the_second_person_for_one_seat_waits_and_gets_it_when_the_first_cancels(
        self, database, nats_server
    ):
        async with events_service(database("events"), nats_server.url) as (_, rpc, _clock):
            event = await published_event(rpc, capacity_online=1)
            first = await register(rpc, event.event_id)
            second = await register(rpc, event.event_id)
            assert (first.status, second.status, second.position) == ("confirmed", "waitlisted", 1)
            assert first.video_link == "https://visio.example.org/salle-42"
            assert second.video_link is None

            cancelled = await rpc.call(
                CancelRegistrationV1(token=token_of(first.manage_url)), RegistrationV1
            )
            listed = await rpc.call(ListRegistrantsV1(event_id=event.event_id), RegistrantsV1)
            promoted = await wait_until(lambda: facts(nats_server.url, "registration.promoted"))
            cancelled_facts = await wait_until(
                lambda: facts(nats_server.url, "registration.cancelled")
            )
            published = await facts(nats_server.url, "event.published")

        assert cancelled.status == "cancelled"
        by_id = {r.registration_id: r.status for r in listed.registrations}
        assert by_id == {first.registration_id: "cancelled", second.registration_id: "confirmed"}
        assert promoted[0]["registration_id"] == str(second.registration_id)
        assert "BEGIN:VCALENDAR" in promoted[0]["ics"]
        assert cancelled_facts[0]["by"] == "self"
        assert published[0]["event"]["event_id"] == str(event.event_id)

    async def test_the_same_address_in_another_case_cannot_register_twice(
        self, database, nats_server
    ):
        async with events_service(database("events"), nats_server.url) as (_, rpc, _clock):
            event = await published_event(rpc)
            address = unique_email("double")
            await register(rpc, event.event_id, email=address)
            try:
                await register(rpc, event.event_id, email=address.upper())
            except RpcError as error:
                refused = error.error.code
            else:
                refused = None
        assert refused == "conflict"

    async def test_registering_again_after_cancelling_reuses_the_registration(
        self, database, nats_server
    ):
        async with events_service(database("events"), nats_server.url) as (_, rpc, _clock):
            event = await published_event(rpc)
            address = unique_email("retour")
            first = await register(rpc, event.event_id, email=address)
            await rpc.call(CancelRegistrationV1(token=token_of(first.manage_url)), RegistrationV1)
            again = await register(rpc, event.event_id, email=address)
        assert again.registration_id == first.registration_id
        assert again.status == "confirmed"


class TestOffers:
    async def test_a_freed_seat_is_offered_then_moves_on_when_the_hold_time_passes(
        self, database, nats_server
    ):
        async with events_service(database("events"), nats_server.url) as (apps, rpc, clock):
            event = await published_event(rpc, capacity_online=1, hold_minutes=60)
            holder = await register(rpc, event.event_id)
            first_waiting = await register(rpc, event.event_id)
            second_waiting = await register(rpc, event.event_id)
            await rpc.call(
                CancelRegistrationV1(registration_id=holder.registration_id, by=STAFF),
                RegistrationV1,
            )
            offers = await wait_until(lambda: facts(nats_server.url, "registration.offered"))
            assert offers[0]["registration_id"] == str(first_waiting.registration_id)

            clock.advance(minutes=61)
            expired = await handlers.expire_offers(events_uow(apps[0]), agenda_context(clock))
            offers = await wait_until(lambda: _count(nats_server.url, "registration.offered", 2))
            accepted = await rpc.call(
                AcceptOfferV1(token=token_of(offers[1]["accept_url"])), RegistrationV1
            )
            cancelled = await facts(nats_server.url, "registration.cancelled")

        assert expired == 1
        assert offers[1]["registration_id"] == str(second_waiting.registration_id)
        assert accepted.status == "confirmed"
        assert {fact["by"] for fact in cancelled} == {"staff", "offer_expired"}

    async def test_the_service_s_own_sweep_moves_an_expired_offer_on(self, database, nats_server):
        async with events_service(database("events"), nats_server.url, offer_sweep_seconds=0.1) as (
            _,
            rpc,
            clock,
        ):
            event = await published_event(rpc, capacity_online=1, hold_minutes=30)
            holder = await register(rpc, event.event_id)
            waiting = await register(rpc, event.event_id)
            await rpc.call(CancelRegistrationV1(token=token_of(holder.manage_url)), RegistrationV1)
            await wait_until(lambda: facts(nats_server.url, "registration.offered"))
            clock.advance(minutes=31)
            expired = await wait_until(lambda: _count(nats_server.url, "registration.cancelled", 2))
        assert [fact["by"] for fact in expired] == ["self", "offer_expired"]
        assert expired[1]["registration_id"] == str(waiting.registration_id)


class TestHybrid:
    async def test_each_mode_has_its_own_seats_and_staff_can_move_someone_across(
        self, database, nats_server
    ):
        async with events_service(database("events"), nats_server.url) as (_, rpc, _clock):
            event = await published_event(
                rpc,
                format="hybrid",
                type="thematic_day",
                venue={"name": "Salle du Tertre", "city": "Laval", "commune": "53130"},
                capacity_onsite=1,
                capacity_online=1,
            )
            onsite = await register(rpc, event.event_id, mode="onsite")
            online = await register(rpc, event.event_id, mode="online")
            late = await register(rpc, event.event_id, mode="onsite")
            moved = await rpc.call(
                MoveRegistrationV1(registration_id=late.registration_id, promote=True, by=STAFF),
                RegistrationV1,
            )
        assert (onsite.status, online.status, late.status) == (
            "confirmed",
            "confirmed",
            "waitlisted",
        )
        assert onsite.video_link is None
        assert moved.status == "confirmed"
        assert event.department == "53"


class TestCancelEvent:
    async def test_cancelling_an_event_cancels_its_registrations_and_tells_registrants(
        self, database, nats_server
    ):
        async with events_service(database("events"), nats_server.url) as (_, rpc, _clock):
            event = await published_event(rpc)
            registration = await register(rpc, event.event_id)
            await rpc.call(
                CancelEventV1(event_id=event.event_id, reason="Intervenant absent", by=STAFF),
                EventV1,
            )
            listed = await rpc.call(ListRegistrantsV1(event_id=event.event_id), RegistrantsV1)
            cancelled = await wait_until(lambda: facts(nats_server.url, "event.cancelled"))
        assert [r.status for r in listed.registrations] == ["cancelled"]
        assert cancelled[0]["registrants"][0]["registration_id"] == str(
            registration.registration_id
        )
        assert "METHOD:CANCEL" in cancelled[0]["ics"]


class TestCycles:
    async def test_registering_to_a_cycle_registers_to_every_session(self, database, nats_server):
        async with events_service(database("events"), nats_server.url) as (_, rpc, _clock):
            cycle = await rpc.call(CreateCycleV1(title="Cycle GUSP", by=STAFF), CycleV1)
            first = await published_event(rpc, title="Séance 1", cycle_id=str(cycle.cycle_id))
            second = await published_event(
                rpc,
                title="Séance 2",
                cycle_id=str(cycle.cycle_id),
                starts_at="2027-03-22T10:00:00",
                ends_at="2027-03-22T12:00:00",
            )
            reply = await rpc.call(
                RegisterToCycleV1(
                    cycle_id=cycle.cycle_id,
                    email=unique_email("cycle"),
                    first_name="Lou",
                    last_name="Le Gall",
                ),
                CycleRegistrationV1,
            )
        assert [r.event_id for r in reply.registrations] == [first.event_id, second.event_id]
        assert {r.status for r in reply.registrations} == {"confirmed"}


class TestMemberOnly:
    async def test_a_member_known_from_members_facts_registers_and_a_stranger_is_refused(
        self, database, nats_server
    ):
        person_id, organisation_id = uuid.uuid4(), uuid.uuid4()
        address = unique_email("adherente")
        async with events_service(database("events"), nats_server.url) as (_, rpc, _clock):
            for fact in members_facts(person_id, organisation_id, address):
                await publish(nats_server.url, fact)
            for subject in (
                "reso.members.person.updated.v1",
                "reso.members.affiliation.changed.v1",
                "reso.members.membership.activated.v1",
            ):
                await consumed(nats_server.url, "events", subject)
            event = await published_event(rpc, member_only=True)
            member = await rpc.call(
                RegisterV1(event_id=event.event_id, person_id=person_id), RegistrationV1
            )
            try:
                await register(rpc, event.event_id)
            except RpcError as error:
                refused = error.error.code
            else:
                refused = None
        assert (member.status, member.email, member.first_name) == ("confirmed", address, "Nina")
        assert member.organisation_id == organisation_id
        assert refused == "forbidden"


def members_facts(person_id: uuid.UUID, organisation_id: uuid.UUID, address: str) -> list[Any]:
    """A person working for a member organisation, as members announces them."""
    envelope = {"producer": "members", "centre": "crpv-test"}
    return [
        PersonUpdatedV1(
            **envelope,
            person_id=person_id,
            first_name="Nina",
            last_name="Perrot",
            email=address,
            kind="project_leader",
            college="acteurs_territoriaux",
            territory=Territory(department="35", commune="35238"),
        ),
        AffiliationChangedV1(
            **envelope,
            affiliation_id=uuid.uuid4().int % 1_000_000_000,
            person_id=person_id,
            organisation_id=organisation_id,
            start=date(2026, 1, 1),
            end=None,
            verified=True,
        ),
        MembershipActivatedV1(
            **envelope,
            membership_id=uuid.uuid4(),
            member_type="organisation",
            member_id=organisation_id,
            year=2027,
        ),
    ]


class TestErasure:
    async def test_an_erased_person_s_registrations_keep_their_status_but_lose_their_name(
        self, database, nats_server
    ):
        person_id = uuid.uuid4()
        async with events_service(database("events"), nats_server.url) as (_, rpc, _clock):
            event = await published_event(rpc)
            mine = await register(rpc, event.event_id, person_id=person_id)
            other = await register(rpc, event.event_id)
            await publish(
                nats_server.url,
                PersonErasedV1(producer="members", centre="crpv-test", person_id=person_id),
            )
            await consumed(nats_server.url, "events", "reso.members.person.erased.v1")
            listed = await rpc.call(ListRegistrantsV1(event_id=event.event_id), RegistrantsV1)
        by_id = {r.registration_id: r for r in listed.registrations}
        erased, kept = by_id[mine.registration_id], by_id[other.registration_id]
        assert (erased.email, erased.first_name, erased.last_name, erased.person_id) == (
            "",
            "",
            "",
            None,
        )
        assert (erased.status, erased.mode) == ("confirmed", "online")
        assert kept.email == other.email


class TestUpdateEvent:
    async def test_a_new_time_tells_registrants_and_more_seats_promote_the_waiting_list(
        self, database, nats_server
    ):
        async with events_service(database("events"), nats_server.url) as (_, rpc, _clock):
            event = await published_event(rpc, capacity_online=1)
            seated = await register(rpc, event.event_id)
            waiting = await register(rpc, event.event_id)
            updated = await rpc.call(
                UpdateEventV1(
                    event_id=event.event_id,
                    details=details(
                        capacity_online=2,
                        starts_at="2027-03-15T14:00:00",
                        ends_at="2027-03-15T16:00:00",
                    ),
                    by=STAFF,
                ),
                EventV1,
            )
            notices = await wait_until(lambda: facts(nats_server.url, "event.updated"))
            promoted = await wait_until(lambda: facts(nats_server.url, "registration.promoted"))
            await rpc.call(
                UpdateEventV1(
                    event_id=event.event_id,
                    details=details(
                        capacity_online=2,
                        summary="Une coquille corrigée",
                        starts_at="2027-03-15T14:00:00",
                        ends_at="2027-03-15T16:00:00",
                    ),
                    by=STAFF,
                ),
                EventV1,
            )
            await asyncio.sleep(0.5)  # time for a wrong second notice to show up
            notices_after_typo = await facts(nats_server.url, "event.updated")

        assert updated.sequence == 1
        assert updated.starts_at.isoformat() == "2027-03-15T14:00:00+01:00"
        (notice,) = notices
        assert notice["sequence"] == 1
        assert "14:00" in notice["changes"][0]
        assert {r["registration_id"] for r in notice["registrants"]} == {
            str(seated.registration_id),
            str(waiting.registration_id),
        }
        assert "SEQUENCE:1" in notice["ics"]
        assert promoted[0]["registration_id"] == str(waiting.registration_id)
        assert len(notices_after_typo) == 1

    async def test_a_person_s_registrations_are_in_their_data_export_until_erased(
        self, database, nats_server
    ):
        person_id = uuid.uuid4()
        query = ExportPersonDataV1(person_id=person_id)
        async with events_service(database("events"), nats_server.url) as (_, rpc, _clock):
            event = await published_event(rpc)
            await register(rpc, event.event_id, person_id=person_id, first_name="Inès")
            await register(rpc, event.event_id)
            before = await rpc.call_subject(EXPORT, query, PersonDataV1)
            await publish(
                nats_server.url,
                PersonErasedV1(producer="members", centre="crpv-test", person_id=person_id),
            )
            await consumed(nats_server.url, "events", "reso.members.person.erased.v1")
            after = await rpc.call_subject(EXPORT, query, PersonDataV1)
        (mine,) = before.data["registrations"]  # type: ignore[misc]
        assert (mine["first_name"], mine["status"]) == ("Inès", "confirmed")  # type: ignore[index]
        assert after.data["registrations"] == []


EXPORT = "rpc.events.person.export.v1"
