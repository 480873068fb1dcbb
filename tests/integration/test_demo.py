"""The demo data ``reso seed`` loads through the services' own RPC (both lanes): a register a
person trying reso can look at, and loading it twice changes nothing."""

from __future__ import annotations

from datetime import date

from faststream.nats import NatsBroker

from contracts.members import (
    OrganisationsPageV1,
    PeoplePageV1,
    SearchOrganisationsV1,
    SearchPeopleV1,
)
from services import demo
from services.members.app import build_app as build_members
from services.members.domain.memberships import MemberRef
from services.runtime.rpc import RpcClient
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
