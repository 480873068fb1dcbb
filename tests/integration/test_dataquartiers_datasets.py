"""Indicator datasets end to end on the real service (both lanes, real NATS): a partner's file
goes through the object store, comes back as a French report and a draft nobody outside can
see; publishing applies statistical secrecy over the table, answers only "s" and a reason for
hidden cells, and announces each indicator and vintage on the bus (outbox)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from contracts.dataquartiers import (
    CatalogueV1,
    DatasetReportV1,
    DatasetV1,
    GetCatalogueV1,
    GetDatasetV1,
    GetIndicatorValuesV1,
    IndicatorValuesV1,
    PublishDatasetV1,
    UploadDatasetV1,
)
from reference import territories
from services.dataquartiers.app import build_app
from services.dataquartiers.settings import DataquartiersSettings
from services.dataquartiers.store import indicator_values
from services.runtime.bus import Bus, provision_streams
from services.runtime.rpc import RpcClient, RpcError
from tests.support.services import (
    CENTRE,
    nats_settings,
    payload,
    running,
    stored_files,
    stream_messages,
    wait_until,
)

PUBLISHED = "reso.dataquartiers.indicator.published.v1"
STAFF = "data@crpv-test.example.org"

# A partner's long file: Windows-1252, ";", decimal commas. Households of five Nantes QPV and of
# Nantes itself (Le Breil has 8: primary secret), poverty rates, and four bad rows.
PARTNER_FILE = (
    "Codgeo;Niveau;Indicateur;Millésime;Valeur\n"
    "44109;COM;menages_fiscaux;2021;150 000\n"
    "QN04406M;QPV;menages_fiscaux;2021;2 100\n"
    "QN04407I;QPV;menages_fiscaux;2021;8\n"
    "QN04408M;QPV;menages_fiscaux;2021;1 500\n"
    "QN04409I;QPV;menages_fiscaux;2021;900\n"
    "QN04410I;QPV;menages_fiscaux;2021;700\n"
    "QN04406M;QPV;taux_pauvrete;2021;38,5\n"
    "QN04407I;QPV;taux_pauvrete;2021;45,0\n"
    "QP044003;QPV;taux_pauvrete;2021;40,0\n"  # line 10: a 2015 code
    "QN04409I;QPV;taux_pauvrete;2021;n.d.\n"  # line 11: not a number
    "QN04406M;QPV;taux_pauvrete;2021;38,5\n"  # line 12: duplicate of line 8
    "QN04410I;QPV;taux_pauvrete;2021;130\n"  # line 13: a rate above 100
).encode("windows-1252")


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
async def gateway_bus(nats_server, service):
    await provision_streams(nats_settings(nats_server.url))
    bus = Bus("gateway", nats_settings(nats_server.url))
    await bus.broker.start()
    try:
        yield bus
    finally:
        await bus.broker.stop()


async def upload(bus: Bus, data: bytes, **fields: object) -> DatasetReportV1:
    stored = await bus.files.put(_chunks(data), max_bytes=10_000_000)
    rpc = RpcClient(bus.broker, timeout=30)
    command = UploadDatasetV1(file=stored.name, name="Filosofi 2021, Nantes", by=STAFF, **fields)
    return await rpc.call(command, DatasetReportV1)


class TestUpload:
    async def test_reports_bad_rows_in_french_and_keeps_the_rest_as_a_draft(
        self, gateway_bus, service, nats_server
    ) -> None:
        report = await upload(gateway_bus, PARTNER_FILE, provenance="Fichier de démonstration")
        assert (report.encoding, report.delimiter, report.layout) == (
            "windows-1252",
            ";",
            "long",
        )
        assert [(e.line, e.reason) for e in report.errors] == [
            (
                10,
                "code QPV de la génération 2015 (QP044003), remplacé par la géographie "
                "prioritaire 2024 (codes QN…, décret du 28/12/2023) : indiquez le code QN du "
                "quartier",
            ),
            (11, "« n.d. » n'est pas un nombre (taux_pauvrete)"),
            (12, "doublon : taux_pauvrete 2021 pour QN04406M déjà donné ligne 8"),
            (13, "130 hors de 0 à 100 : taux_pauvrete est en % (une part de 0 à 1 ?)"),
        ]
        assert report.summary == "12 lignes lues, 8 valeurs valides, 4 erreurs"
        assert report.indicators == ("menages_fiscaux", "taux_pauvrete")
        assert report.dataset_id is not None
        assert await stored_files(nats_server.url) == []  # the file was taken

        rpc = RpcClient(gateway_bus.broker, timeout=10)
        dataset = await rpc.call(GetDatasetV1(dataset_id=report.dataset_id), DatasetV1)
        assert (dataset.status, dataset.values, dataset.created_by) == ("draft", 8, STAFF)
        draft_values = await rpc.call(
            GetIndicatorValuesV1(indicator="menages_fiscaux"), IndicatorValuesV1
        )
        assert draft_values.values == ()  # nothing of a draft leaves the service

    async def test_a_dry_run_or_a_refused_file_creates_nothing(self, gateway_bus, service) -> None:
        dry = await upload(gateway_bus, PARTNER_FILE, dry_run=True)
        assert dry.dataset_id is None and dry.valid == 8
        refused = await upload(gateway_bus, b"nom;valeur\nx;1\n", vintage=2021)
        assert refused.refused and refused.dataset_id is None
        assert refused.summary == (
            "fichier refusé : colonne absente : code du territoire (codgeo, code_qp…)"
        )
        engine = create_async_engine(service.settings.database_url)
        try:
            async with engine.connect() as connection:
                count = await connection.scalar(select(func.count()).select_from(indicator_values))
        finally:
            await engine.dispose()
        assert count == 0

    async def test_answers_the_catalogue(self, gateway_bus, service) -> None:
        rpc = RpcClient(gateway_bus.broker, timeout=10)
        catalogue = await rpc.call(GetCatalogueV1(), CatalogueV1)
        rate = next(i for i in catalogue.indicators if i.id == "taux_pauvrete")
        assert rate.secrecy == "secret fiscal : masqué sous 11 ménages"


class TestPublish:
    async def test_publishes_through_secrecy_and_announces_each_indicator_and_vintage(
        self, gateway_bus, service, nats_server
    ) -> None:
        report = await upload(gateway_bus, PARTNER_FILE)
        assert report.dataset_id is not None
        rpc = RpcClient(gateway_bus.broker, timeout=30)
        dataset = await rpc.call(
            PublishDatasetV1(dataset_id=report.dataset_id, by=STAFF), DatasetV1
        )
        assert dataset.status == "published" and dataset.published_by == STAFF

        households = await rpc.call(
            GetIndicatorValuesV1(indicator="menages_fiscaux", vintage=2021), IndicatorValuesV1
        )
        shown = {v.territory: (v.shown, v.reason) for v in households.values}
        assert shown == {
            "commune:44109": (150000.0, ""),
            "qpv:QN04406M": (2100.0, ""),
            "qpv:QN04407I": ("s", "secret statistique (primaire) : moins de 11 ménages"),
            "qpv:QN04408M": (1500.0, ""),
            "qpv:QN04409I": (900.0, ""),
            "qpv:QN04410I": (
                "s",
                "secret statistique (secondaire) : empêche de recalculer le QPV QN04407I",
            ),
        }
        assert all(v.value is None for v in households.values if v.shown == "s")

        rates = await rpc.call(
            GetIndicatorValuesV1(indicator="taux_pauvrete", territories=("qpv:QN04407I",)),
            IndicatorValuesV1,
        )
        (rate,) = rates.values
        assert (rate.shown, rate.value) == ("s", None)  # its 8 households are too few

        messages = await wait_until(
            lambda: _two(stream_messages(nats_server.url, "DATAQUARTIERS", PUBLISHED))
        )
        events = sorted((payload(m) for m in messages), key=lambda e: e["indicator"])
        assert [(e["indicator"], e["vintage"]) for e in events] == [
            ("menages_fiscaux", 2021),
            ("taux_pauvrete", 2021),
        ]
        assert events[0]["territories"] == sorted(shown)
        assert events[0]["link"] == (
            "http://127.0.0.1:9999/donnees/indicateurs/menages_fiscaux?millesime=2021"
        )
        assert events[0]["dataset_id"] == str(report.dataset_id)
        assert "value" not in str(events)  # no figure travels on the bus

        with pytest.raises(RpcError) as again:
            await rpc.call(PublishDatasetV1(dataset_id=report.dataset_id, by=STAFF), DatasetV1)
        assert again.value.error.code == "conflict"

    async def test_refuses_to_publish_an_unknown_dataset(self, gateway_bus, service) -> None:
        rpc = RpcClient(gateway_bus.broker, timeout=10)
        with pytest.raises(RpcError) as caught:
            await rpc.call(PublishDatasetV1(dataset_id=uuid.uuid4(), by=STAFF), DatasetV1)
        assert caught.value.error.code == "not_found"
        assert caught.value.error.message == "Jeu de données introuvable."


async def _two(messages):  # type: ignore[no-untyped-def]
    found = await messages
    return found if len(found) >= 2 else None


class TestBulkLoad:
    async def test_loads_a_file_larger_than_one_batch_whole(self, gateway_bus, service) -> None:
        # 2,430 communes x 21 vintages = 51,030 values: three COPY (or executemany) batches.
        communes = sorted(territories().communes)
        lines = ["codgeo;indicateur;millesime;valeur"]
        for year in range(2000, 2021):
            lines += [
                f"{code};logements_sociaux;{year};{i % 997}" for i, code in enumerate(communes)
            ]
        report = await upload(gateway_bus, "\n".join(lines).encode())
        assert report.errors == () and report.valid == 51_030
        engine = create_async_engine(service.settings.database_url)
        try:
            async with engine.connect() as connection:
                count = await connection.scalar(select(func.count()).select_from(indicator_values))
                total = await connection.scalar(select(func.sum(indicator_values.c.value)))
        finally:
            await engine.dispose()
        assert count == 51_030
        assert total == 21 * sum(i % 997 for i in range(len(communes)))
