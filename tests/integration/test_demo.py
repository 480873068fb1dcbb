"""The demo data ``reso seed`` loads through the services' own RPC (both lanes): a register a
person trying reso can look at, and loading it twice changes nothing."""

from __future__ import annotations

from datetime import date

from faststream.nats import NatsBroker

from contracts.events import AgendaV1, CycleV1, GetCycleV1, SearchAgendaV1
from contracts.members import (
    OrganisationsPageV1,
    PeoplePageV1,
    SearchOrganisationsV1,
    SearchPeopleV1,
)
from services import demo
from services.events.app import build_app as build_events
from services.members.app import build_app as build_members
from services.members.domain.memberships import MemberRef
from services.runtime.rpc import RpcClient
from tests.support.events import events_settings
from tests.support.services import members_settings, members_uow, running


class TestDemoData:
    async def test_loads_a_small_register_once_however_often_it_runs(self, database, nats_server):
        app = build_members(members_settings(database("members"), nats_server.url))
        async with running(app):
            client = NatsBroker(nats_server.url)
            await client.connect()
            rpc = RpcClient(client, timeout=10)
            today = date.today()
            first = await demo.load(rpc, today)
            again = await demo.load(rpc, today)
            people = await rpc.call(SearchPeopleV1(limit=500), PeoplePageV1)
            organisations = await rpc.call(SearchOrganisationsV1(limit=500), OrganisationsPageV1)
            statuses = {}
            async with members_uow(app)() as work:
                for organisation in organisations.items:
                    held = await work.memberships.of_member(
                        MemberRef("organisation", organisation.organisation_id)
                    )
                    statuses[organisation.name] = [m.status.value for m in held]
            await client.stop()

        assert first == again
        assert people.total == len(demo.SIGN_UPS) + len(demo.STAFF_PEOPLE)
        assert organisations.total == len(demo.ORGANISATIONS) == 4
        assert statuses == {
            "Ville de Rennes": ["pending"],
            "Nantes Métropole": ["active"],  # paid by administrative mandate
            "Centre social Ty Blosne": ["active"],  # waived
            "Préfecture d'Ille-et-Vilaine": [],
        }


class TestDemoAgenda:
    async def test_publishes_a_webinar_the_laval_day_and_a_two_session_cycle_once(
        self, database, nats_server
    ):
        app = build_events(events_settings(database("events"), nats_server.url))
        async with running(app):
            client = NatsBroker(nats_server.url)
            await client.connect()
            rpc = RpcClient(client, timeout=10)
            today = date(2027, 1, 10)
            first = await demo.load_agenda(rpc, today)
            again = await demo.load_agenda(rpc, today)
            agenda = await rpc.call(SearchAgendaV1(), AgendaV1)
            cycle_ids = {e.cycle_id for e in agenda.events if e.cycle_id is not None}
            (cycle_id,) = cycle_ids
            cycle = await rpc.call(GetCycleV1(cycle_id=cycle_id), CycleV1)
            await client.stop()

        assert (first, again) == ("4 events published", "0 events published")
        laval = next(e for e in agenda.events if "Laval" in e.title)
        assert (laval.starts_at.date(), laval.department) == (date(2027, 6, 13), "53")
        assert len(cycle.sessions) == 2
