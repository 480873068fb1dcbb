"""Data & Quartiers through the gateway (both lanes, real NATS, real dataquartiers service): the
territory sheet of a real QPV in JSON, CSV and HTML; restricted datasets read only by the
partners they are shared with, every read logged; and who may call which route."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest

from services.dataquartiers.app import build_app
from services.dataquartiers.settings import DataquartiersSettings
from services.gateway.store import Role, StaffStore
from services.runtime.bus import provision_streams
from tests.support.factories import unique_email
from tests.support.services import (
    CENTRE,
    gateway,
    nats_settings,
    payload,
    running,
    stream_messages,
    wait_until,
)

# Bellevue (QN04405M) spans Nantes (44109) and Saint-Herblain (44162), in Nantes Métropole
# (244400404), Loire-Atlantique (44), Pays de la Loire (52). Its 8 fiscal households are too
# few: its household count and its poverty rate are published as "s".
SHEET_FILE = (
    b"codgeo;niveau;indicateur;millesime;valeur\n"
    b"QN04405M;QPV;population_municipale;2020;6 000\n"
    b"44109;COM;population_municipale;2020;320 000\n"
    b"44162;COM;population_municipale;2020;47 000\n"
    b"244400404;EPCI;population_municipale;2020;680 000\n"
    b"44;DEP;population_municipale;2020;1 450 000\n"
    b"52;REG;population_municipale;2020;3 850 000\n"
    b"QN04405M;QPV;menages_fiscaux;2021;8\n"
    b"44109;COM;menages_fiscaux;2021;150 000\n"
    b"QN04405M;QPV;taux_pauvrete;2021;40,5\n"
    b"44109;COM;taux_pauvrete;2021;16,2\n"
)

PUBLISHED = "reso.dataquartiers.indicator.published.v1"
PRIMARY = "secret statistique (primaire) : moins de 11 ménages"


@pytest.fixture
async def dataquartiers(database, nats_server):
    await provision_streams(nats_settings(nats_server.url))
    settings = DataquartiersSettings(
        database_url=database("dataquartiers"),
        nats=nats_settings(nats_server.url),
        centre=CENTRE,
        outbox_poll_seconds=0.2,
    )
    async with running(build_app(settings)) as app:
        yield app


@pytest.fixture
async def client(database, nats_server, dataquartiers):
    async with gateway(database("gateway"), nats_server.url) as client:
        yield client


async def token(
    client: httpx.AsyncClient, role: Role, partner: str | None = None
) -> dict[str, str]:
    store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {await store.add(unique_email(role.value), role, partner)}"}


async def publish(
    client: httpx.AsyncClient, team: dict[str, str], data: bytes, **params: str
) -> str:
    uploaded = await client.post(
        "/api/v1/data/datasets",
        params={"name": "Fiche test", "provenance": "Fichier de test", **params},
        content=data,
        headers={**team, "content-type": "text/csv"},
    )
    assert uploaded.status_code == 200, uploaded.text
    dataset_id: str = uploaded.json()["dataset_id"]
    published = await client.post(f"/api/v1/data/datasets/{dataset_id}/publish", headers=team)
    assert published.status_code == 200, published.text
    return dataset_id


class TestTerritorySheet:
    async def test_bellevue_sheet_sets_the_qpv_beside_both_its_communes_and_shows_s_with_reason(
        self, client
    ):
        team = await token(client, Role.DATA)
        await publish(client, team, SHEET_FILE)

        sheet = (await client.get("/api/v1/territoires/qpv/QN04405M")).json()
        assert sheet["name"] == "Bellevue"
        assert [t["key"] for t in sheet["territories"]] == [
            "qpv:QN04405M",
            "commune:44109",
            "commune:44162",
            "epci:244400404",
            "departement:44",
            "region:52",
        ]
        tables = {(t["indicator"]["id"], t["vintage"]): t for t in sheet["indicators"]}
        population = {
            v["territory"]: v["shown"] for v in tables[("population_municipale", 2020)]["values"]
        }
        assert population == {
            "qpv:QN04405M": 6000.0,
            "commune:44109": 320000.0,
            "commune:44162": 47000.0,
            "epci:244400404": 680000.0,
            "departement:44": 1450000.0,
            "region:52": 3850000.0,
        }
        rates = tables[("taux_pauvrete", 2021)]["values"]
        assert [(v["territory"], v["shown"]) for v in rates] == [
            ("qpv:QN04405M", "s"),
            ("commune:44109", 16.2),
        ]
        assert rates[0]["value"] is None and rates[0]["reason"] == PRIMARY
        assert tables[("taux_pauvrete", 2021)]["provenance"] == "Fichier de test"

    async def test_html_page_draws_charts_with_their_tables_the_outline_and_notes(self, client):
        team = await token(client, Role.DATA)
        await publish(client, team, SHEET_FILE)

        page = await client.get("/territoires/qpv/QN04405M")
        assert page.status_code == 200
        html = page.text
        assert '<html lang="fr">' in html and "<script" not in html
        charts = re.findall(r'<svg[^>]*role="img"[^>]*>\s*<title id="[^"]+">([^<]+)</title>', html)
        assert "Population municipale, millésime 2020, en habitants" in charts
        assert html.count("<table>") == len(charts) - 1  # every chart but the outline has one
        assert re.search(r'<path d="M[\d. L]+Z', html)  # the outline, from the GeoJSON
        assert '<th scope="row">Commune Saint-Herblain</th><td>47\u202f000</td>' in html
        assert re.search(r"<td>s<sup><a href=\"#note-(\d)\"", html)
        assert f"« s » : {PRIMARY}" in html

    async def test_csv_has_one_row_per_value_with_s_and_its_reason(self, client):
        team = await token(client, Role.DATA)
        await publish(client, team, SHEET_FILE)

        response = await client.get("/api/v1/territoires/qpv/QN04405M.csv")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        lines = response.text.lstrip("\ufeff").splitlines()
        assert lines[0].startswith("indicateur;libellé;unité;millésime;territoire;niveau;nom")
        assert any(
            line.startswith("taux_pauvrete;") and f";qpv:QN04405M;qpv;Bellevue;s;{PRIMARY};" in line
            for line in lines
        )
        assert any(";commune:44109;commune;Nantes;16,2;;" in line for line in lines)

    async def test_2015_codes_are_answered_as_superseded_and_unknown_ones_as_not_found(
        self, client
    ):
        superseded = await client.get("/api/v1/territoires/qpv/QP044003")
        unknown = await client.get("/api/v1/territoires/qpv/QN99999Z")
        page = await client.get("/territoires/qpv/QP044003")
        assert superseded.status_code == 410
        assert "génération 2015" in superseded.json()["error"]["message"]
        assert unknown.status_code == 404
        assert page.status_code == 410 and "génération 2015" in page.text

    async def test_finds_the_qpv_of_a_commune_an_epci_and_a_department(self, client):
        by_commune = await client.get("/api/v1/territoires/qpv", params={"commune": "44162"})
        by_epci = await client.get("/api/v1/territoires/qpv", params={"epci": "244400404"})
        by_department = await client.get("/api/v1/territoires/qpv", params={"departement": "44"})
        nothing = await client.get("/api/v1/territoires/qpv")
        assert [q["code"] for q in by_commune.json()["items"]] == ["QN04405M", "QN04419I"]
        assert "QN04405M" in {q["code"] for q in by_epci.json()["items"]}
        assert {q["department"] for q in by_department.json()["items"]} == {"44"}
        assert nothing.status_code == 422

    async def test_the_published_fact_links_to_a_page_the_gateway_serves(self, client, nats_server):
        team = await token(client, Role.DATA)
        await publish(client, team, SHEET_FILE)
        messages = await wait_until(
            lambda: _at_least(3, stream_messages(nats_server.url, "DATAQUARTIERS", PUBLISHED))
        )
        facts = {payload(m)["indicator"]: payload(m) for m in messages}
        fact = facts["taux_pauvrete"]
        assert (fact["vintage"], fact["territories"]) == (
            2021,
            ["commune:44109", "qpv:QN04405M"],
        )
        link = urlsplit(fact["link"])
        page = await client.get(f"{link.path}?{link.query}")
        assert page.status_code == 200
        assert "<h1>Taux de pauvreté au seuil de 60 % (2021)</h1>" in page.text
        assert '<a href="/territoires/qpv/QN04405M">Bellevue</a>' in page.text
        assert "16,2" in page.text and PRIMARY in page.text


async def _at_least(count, messages):  # type: ignore[no-untyped-def]
    found = await messages
    return found if len(found) >= count else None


RESTRICTED_FILE = (
    b"codgeo;niveau;indicateur;millesime;valeur\n"
    b"QN04406M;QPV;allocataires_rsa_socle;2023;420\n"
    b"QN04408M;QPV;allocataires_rsa_socle;2023;5\n"
)


class TestRestrictedDatasets:
    async def test_only_the_partner_it_is_shared_with_reads_it_and_each_read_is_logged(
        self, client
    ):
        team = await token(client, Role.DATA)
        partner = await token(client, Role.DATA, partner="Nantes Métropole")
        other = await token(client, Role.DATA, partner="Rennes Métropole")
        staff = await token(client, Role.STAFF)
        dataset_id = await publish(client, team, RESTRICTED_FILE, access="restricted")
        shared = await client.put(
            f"/api/v1/data/datasets/{dataset_id}/partners",
            json={
                "partner": "Nantes Métropole",
                "agreement": "CONV-2026-07",
                "starts_on": "2026-01-01",
            },
            headers=team,
        )
        assert shared.status_code == 200
        assert shared.json()["grants"][0]["agreement"] == "CONV-2026-07"
        path = f"/api/v1/data/datasets/{dataset_id}/values"

        anonymous = await client.get(path)
        refused = await client.get(path, headers=other)
        as_staff = await client.get(path, headers=staff)
        granted = await client.get(path, params={"territory": "qpv:QN04406M"}, headers=partner)
        public = await client.get("/api/v1/data/indicators/allocataires_rsa_socle/values")
        log = await client.get(
            "/api/v1/data/reads", params={"dataset_id": dataset_id}, headers=staff
        )

        assert anonymous.status_code == refused.status_code == as_staff.status_code == 403
        assert "réservé aux partenaires" in refused.json()["error"]["message"]
        assert granted.status_code == 200
        assert [(v["territory"], v["shown"]) for v in granted.json()["values"]] == [
            ("qpv:QN04406M", 420.0)
        ]
        assert public.json()["values"] == []  # restricted figures are never public
        reads = log.json()["items"]
        assert [(r["partner"], r["allowed"], r["values"]) for r in reads] == [
            ("Nantes Métropole", True, 1),
            (None, False, 0),  # the staff account
            ("Rennes Métropole", False, 0),
            (None, False, 0),  # anonymous
        ]
        assert reads[0]["reader"].startswith("data") and "QN04406M" in reads[0]["query"]

    async def test_a_restricted_publication_is_not_announced(self, client, nats_server):
        team = await token(client, Role.DATA)
        await publish(client, team, RESTRICTED_FILE, access="restricted")
        await publish(client, team, SHEET_FILE)  # announced after it, through the same outbox
        messages = await wait_until(
            lambda: _at_least(3, stream_messages(nats_server.url, "DATAQUARTIERS", PUBLISHED))
        )
        assert {payload(m)["indicator"] for m in messages} == {
            "population_municipale",
            "menages_fiscaux",
            "taux_pauvrete",
        }

    async def test_an_open_dataset_is_read_by_anyone_without_a_log_row(self, client):
        team = await token(client, Role.DATA)
        staff = await token(client, Role.STAFF)
        await publish(client, team, SHEET_FILE)
        other = await publish(
            client,
            team,
            b"codgeo;indicateur;millesime;valeur\n35238;population_municipale;2020;220000\n",
        )
        values = await client.get(f"/api/v1/data/datasets/{other}/values")
        log = await client.get("/api/v1/data/reads", headers=staff)
        assert values.status_code == 200
        assert [(v["territory"], v["shown"]) for v in values.json()["values"]] == [
            ("commune:35238", 220000.0)  # its own figures, not the rest of the table
        ]
        assert log.json()["total"] == 0

    async def test_secrecy_applies_to_restricted_data_too(self, client):
        team = await token(client, Role.DATA)
        dataset_id = await publish(client, team, RESTRICTED_FILE, access="restricted")
        values = await client.get(f"/api/v1/data/datasets/{dataset_id}/values", headers=team)
        shown = {v["territory"]: (v["shown"], v["reason"]) for v in values.json()["values"]}
        assert shown["qpv:QN04408M"] == (
            "s",
            "secret statistique (primaire) : effectif inférieur à 11",
        )
        assert shown["qpv:QN04406M"] == (420.0, "")

    async def test_preview_counts_what_secrecy_hides_without_any_value(self, client):
        team = await token(client, Role.DATA)
        uploaded = await client.post(
            "/api/v1/data/datasets",
            params={"name": "Aperçu"},
            content=SHEET_FILE,
            headers={**team, "content-type": "text/csv"},
        )
        dataset_id = uploaded.json()["dataset_id"]
        preview = await client.get(f"/api/v1/data/datasets/{dataset_id}/preview", headers=team)
        assert preview.status_code == 200
        tables = {(t["indicator"], t["vintage"]): t for t in preview.json()["tables"]}
        households = tables[("menages_fiscaux", 2021)]
        assert (households["cells"], households["hidden"], households["hidden_primary"]) == (
            2,
            1,
            1,
        )
        assert households["reasons"] == [{"reason": PRIMARY, "cells": 1}]
        assert "150000" not in preview.text and "8.0" not in preview.text


class TestWhoMayCallWhat:
    async def test_data_and_staff_routes_refuse_anonymous_partners_and_other_roles(self, client):
        partner = await token(client, Role.DATA, partner="Nantes Métropole")
        staff = await token(client, Role.STAFF)
        team = await token(client, Role.DATA)
        upload = {"params": {"name": "x"}, "content": b"codgeo;valeur\n"}

        assert (await client.post("/api/v1/data/datasets", **upload)).status_code == 401
        assert (await client.get("/api/v1/data/datasets")).status_code == 401
        assert (await client.get("/api/v1/data/reads")).status_code == 401
        assert (
            await client.post("/api/v1/data/datasets", headers=partner, **upload)
        ).status_code == 403
        assert (
            await client.post("/api/v1/data/datasets", headers=staff, **upload)
        ).status_code == 403
        assert (await client.get("/api/v1/data/reads", headers=team)).status_code == 403
        assert (await client.get("/api/v1/data/datasets", headers=team)).status_code == 200
        assert (await client.get("/api/v1/data/catalogue")).status_code == 200
