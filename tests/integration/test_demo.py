"""The demo data ``reso seed`` loads through the services' own RPC (both lanes): a register a
person trying reso can look at, and loading it twice changes nothing."""

from __future__ import annotations

from datetime import date

from faststream.nats import NatsBroker

from contracts.dataquartiers import (
    DatasetsV1,
    GetIndicatorValuesV1,
    GetTerritorySheetV1,
    IndicatorValuesV1,
    ListDatasetsV1,
    TerritorySheetV1,
)
from contracts.events import AgendaV1, CycleV1, GetCycleV1, SearchAgendaV1
from contracts.members import (
    OrganisationsPageV1,
    PeoplePageV1,
    SearchOrganisationsV1,
    SearchPeopleV1,
)
from services import demo
from services.dataquartiers.app import build_app as build_dataquartiers
from services.dataquartiers.settings import DataquartiersSettings
from services.events.app import build_app as build_events
from services.members.app import build_app as build_members
from services.members.domain.memberships import MemberRef
from services.runtime.bus import Bus, provision_streams
from services.runtime.rpc import RpcClient
from tests.support.events import events_settings
from tests.support.services import (
    CENTRE,
    members_settings,
    members_uow,
    nats_settings,
    payload,
    running,
    stream_messages,
)


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


class TestDemoIndicators:
    async def test_publishes_the_79_qpv_indicators_once_labelled_as_not_official(
        self, database, nats_server
    ):
        await provision_streams(nats_settings(nats_server.url))
        settings = DataquartiersSettings(
            database_url=database("dataquartiers"),
            nats=nats_settings(nats_server.url),
            centre=CENTRE,
            outbox_poll_seconds=0.2,
        )
        async with running(build_dataquartiers(settings)):
            bus = Bus("seed", nats_settings(nats_server.url))
            await bus.broker.connect()
            rpc = RpcClient(bus.broker, timeout=30)
            first = await demo.load_indicators(rpc, bus.files)
            again = await demo.load_indicators(rpc, bus.files)
            datasets = await rpc.call(ListDatasetsV1(), DatasetsV1)
            population = await rpc.call(
                GetIndicatorValuesV1(indicator="population_municipale", vintage=2020),
                IndicatorValuesV1,
            )
            poverty = await rpc.call(
                GetIndicatorValuesV1(indicator="taux_pauvrete"), IndicatorValuesV1
            )
            sheet = await rpc.call(GetTerritorySheetV1(qpv="QN04405M"), TerritorySheetV1)
            await bus.broker.stop()
        events = await stream_messages(
            nats_server.url, "DATAQUARTIERS", "reso.dataquartiers.indicator.published.v1"
        )

        assert first.startswith("demo indicators published (971 values")
        assert again == "demo indicators already published"
        (dataset,) = datasets.datasets
        assert dataset.status == "published" and dataset.vintages == (2020,)
        assert "non officielles" in dataset.provenance and "MaFrance" in dataset.provenance
        assert len(population.values) == 79
        shown = {v.territory: v.shown for v in population.values}
        assert shown["qpv:QN02201M"] == 1296.0  # Ar Santé - Les Fontaines, Lannion
        # Without household counts, fiscal secrecy cannot be checked: every rate is hidden.
        assert poverty.values and {v.shown for v in poverty.values} == {"s"}
        assert {t.indicator.id for t in sheet.indicators} >= {"population_municipale"}
        assert all("non officielles" in t.provenance for t in sheet.indicators)
        assert len(events) == len(dataset.indicators)  # announced once, not twice
        assert {payload(e)["vintage"] for e in events} == {2020}
