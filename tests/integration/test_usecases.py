"""The use cases end to end on the real service (both lanes, real NATS): a run computes its
results from published values or from an uploaded file, keeps them as a draft nobody outside
can see, and once published they are read like any indicator, "s" where secrecy hides."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from contracts.dataquartiers import (
    DatasetReportV1,
    DatasetV1,
    GetDatasetV1,
    GetIndicatorValuesV1,
    IndicatorValuesV1,
    PublishDatasetV1,
    UploadDatasetV1,
)
from contracts.dataquartiers_usecases import (
    RunEmploymentMobilityV1,
    RunHeatwaveIndexV1,
    RunResidentialFlowsV1,
    UseCaseRunV1,
)
from reference import territories
from services.dataquartiers.app import build_app
from services.dataquartiers.domain.usecases.flows import count_flows, read_moves
from services.dataquartiers.settings import DataquartiersSettings
from services.dataquartiers.synthetic import employment_sample, flows_sample
from services.runtime.bus import Bus, provision_streams
from services.runtime.rpc import RpcClient, RpcError
from tests.support.services import CENTRE, nats_settings, running, stored_files

STAFF = "data@crpv-test.example.org"
A, B, C = "QN04406M", "QN04407I", "QN04408M"

# The inputs of tests/unit/test_usecase_heatwave.py for A, B, C: B's 8 households hide its
# poverty rate ("s"), so the index must treat it as missing.
INPUTS = "\n".join(
    [
        "codgeo;indicateur;millesime;valeur",
        f"{A};part_surface_vegetalisee;2022;20",
        f"{B};part_surface_vegetalisee;2022;44",
        f"{C};part_surface_vegetalisee;2022;60",
        f"{A};part_75_ans_plus;2020;10",
        f"{B};part_75_ans_plus;2020;5",
        f"{C};part_75_ans_plus;2020;15",
        f"{A};part_moins_3_ans;2020;4",
        f"{B};part_moins_3_ans;2020;4",
        f"{C};part_moins_3_ans;2020;4",
        f"{A};taux_suroccupation;2020;10",
        f"{B};taux_suroccupation;2020;30",
        f"{C};taux_suroccupation;2020;20",
        f"{A};menages_fiscaux;2021;2100",
        f"{B};menages_fiscaux;2021;8",
        f"{C};menages_fiscaux;2021;1500",
        f"{A};taux_pauvrete;2021;40",
        f"{B};taux_pauvrete;2021;45",
        f"{C};taux_pauvrete;2021;20",
        f"{A};taux_pauvrete;2026;99",  # a later vintage than the run's: not used
    ]
).encode()


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture
async def service(database, nats_server):
    settings = DataquartiersSettings(
        database_url=database("dataquartiers"),
        nats=nats_settings(nats_server.url),
        centre=CENTRE,
        outbox_poll_seconds=0.2,
    )
    async with running(build_app(settings)) as app:
        yield app


@pytest.fixture
async def bus(nats_server, service):
    await provision_streams(nats_settings(nats_server.url))
    bus = Bus("gateway", nats_settings(nats_server.url))
    await bus.broker.start()
    try:
        yield bus
    finally:
        await bus.broker.stop()


async def _values(rpc: RpcClient, indicator: str) -> dict[str, float | str]:
    reply = await rpc.call(GetIndicatorValuesV1(indicator=indicator), IndicatorValuesV1)
    return {value.territory.removeprefix("qpv:"): value.shown for value in reply.values}


async def test_heatwave_index_from_published_values_treats_s_as_missing(bus) -> None:
    rpc = RpcClient(bus.broker, timeout=30)
    stored = await bus.files.put(_chunks(INPUTS), max_bytes=1_000_000)
    report = await rpc.call(
        UploadDatasetV1(file=stored.name, name="Entrées de l'indice", by=STAFF), DatasetReportV1
    )
    assert report.dataset_id is not None and not report.errors
    await rpc.call(PublishDatasetV1(dataset_id=report.dataset_id, by=STAFF), DatasetV1)

    run = await rpc.call(RunHeatwaveIndexV1(vintage=2024, by=STAFF), UseCaseRunV1)
    assert (run.use_case, run.status, run.read, run.territories) == (
        "heatwave_index",
        "draft",
        3,
        3,
    )
    assert (
        f"{B} : taux de pauvreté masquée par le secret statistique (« s ») en 2021, traitée "
        "comme absente"
    ) in run.notes
    assert await _values(rpc, "ivc_indice") == {}  # a draft: nothing leaves the service
    assert run.dataset_id is not None
    dataset = await rpc.call(GetDatasetV1(dataset_id=run.dataset_id), DatasetV1)
    assert "taux_pauvrete (2021)" in dataset.provenance

    await rpc.call(PublishDatasetV1(dataset_id=run.dataset_id, by=STAFF), DatasetV1)
    assert await _values(rpc, "ivc_indice") == {A: 57.5, B: 37.5, C: 35.0}
    assert await _values(rpc, "ivc_rang") == {A: 1.0, B: 2.0, C: 3.0}
    assert await _values(rpc, "ivc_contribution_suroccupation") == {A: 0.0, B: 25.0, C: 10.0}
    assert B not in await _values(rpc, "ivc_contribution_pauvrete")

    with pytest.raises(RpcError) as mixed:  # a narrower set would leave C's index stale
        await rpc.call(
            RunHeatwaveIndexV1(vintage=2024, territories=(f"qpv:{A}", f"qpv:{B}"), by=STAFF),
            UseCaseRunV1,
        )
    assert mixed.value.error.code == "conflict"

    with pytest.raises(RpcError) as refused:
        await rpc.call(
            RunHeatwaveIndexV1(vintage=2024, weights={"ombre": 1}, by=STAFF), UseCaseRunV1
        )
    assert refused.value.error.code == "invalid"


async def test_residential_flows_of_the_synthetic_sample_are_published_with_s(
    bus, nats_server
) -> None:
    rpc = RpcClient(bus.broker, timeout=30)
    sample = flows_sample()
    stored = await bus.files.put(_chunks(sample), max_bytes=1_000_000)
    run = await rpc.call(
        RunResidentialFlowsV1(file=stored.name, publish=True, by=STAFF), UseCaseRunV1
    )
    assert (run.status, run.read, run.errors, run.vintages) == ("published", 1500, (), (2023,))
    assert await stored_files(nats_server.url) == []  # the file was taken

    parsed = read_moves(sample, territories())
    assert not isinstance(parsed, str)
    expected = {qpv: f.entrants for (_, qpv), f in count_flows(parsed[0]).items()}
    assert await _values(rpc, "flux_entrants") == {q: float(n) for q, n in expected.items()}

    shares = await rpc.call(
        GetIndicatorValuesV1(indicator="flux_sortants_part_chomage"), IndicatorValuesV1
    )
    hidden = [v for v in shares.values if v.shown == "s"]
    assert hidden and all(v.value is None and v.reason for v in hidden)
    shown = [v for v in shares.values if v.shown != "s"]
    assert shown and all(isinstance(v.shown, float) for v in shown)


async def test_employment_and_mobility_compares_each_qpv_with_its_commune(bus) -> None:
    rpc = RpcClient(bus.broker, timeout=30)
    stored = await bus.files.put(_chunks(employment_sample()), max_bytes=1_000_000)
    run = await rpc.call(
        RunEmploymentMobilityV1(file=stored.name, publish=True, by=STAFF), UseCaseRunV1
    )
    assert run.status == "published" and run.notes[0].endswith("hors des 15-64 ans, non comptées")
    rates = await rpc.call(GetIndicatorValuesV1(indicator="em_taux_emploi"), IndicatorValuesV1)
    by_territory = {v.territory: v.shown for v in rates.values}
    assert by_territory["commune:44109"] == 60.03 and by_territory["qpv:QN04406M"] == 49.79
    seekers = await _values(rpc, "em_part_demandeurs_emploi")
    assert seekers[B] == "s"  # 10 jobseekers in Le Breil: fewer than 11
