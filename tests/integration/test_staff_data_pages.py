"""The data team's back-office pages through the gateway and the real dataquartiers service (both
lanes, real NATS): a file sent through the form comes back as its French report line by line, the
preview names the cells secrecy will hide and why (never a value), « Publier » publishes; bad
files are refused on their field, never with a 500; partners and other roles are refused."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from reference import territories
from services.dataquartiers.app import build_app
from services.dataquartiers.settings import DataquartiersSettings
from services.gateway.security import CSRF_COOKIE, CsrfTokens
from services.gateway.store import Role, StaffStore
from services.runtime.bus import provision_streams
from tests.support.factories import unique_email
from tests.support.services import (
    CENTRE,
    GATEWAY_SECRET,
    gateway,
    nats_settings,
    running,
    stored_files,
)

# Households of five Nantes QPV and of Nantes itself (Le Breil, QN04407I, has 8: primary
# secret, and QN04410I is hidden to protect it), poverty rates, and four bad rows.
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
FORM = {"name": "Filosofi 2021, Nantes", "provenance": "Fichier du partenaire", "access": "open"}
UPLOAD = "/equipe/donnees/nouveau"
LIMIT = 200_000
"""The gateway's upload limit in these tests (bytes)."""


def social_housing(vintages: int) -> bytes:
    """Social housing units of every commune of the reference (2,430), ``vintages`` years: about
    80 kB a year, more than the 64 KiB the CSRF check reads of a multipart body."""
    communes = sorted(territories().communes)
    lines = ["codgeo;indicateur;millesime;valeur"]
    for year in range(2020 - vintages + 1, 2021):
        lines += [f"{code};logements_sociaux;{year};{i % 997}" for i, code in enumerate(communes)]
    return ("\n".join(lines) + "\n").encode()


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
    async with gateway(database("gateway"), nats_server.url, upload_max_bytes=LIMIT) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, role: Role, partner: str | None = None) -> str:
    """Sign in through the form; the page the sign-in leads to."""
    store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
    token = await store.add(unique_email(role.value), role, partner)
    signed_in = await client.post("/equipe/connexion", data={"jeton": token})
    assert signed_in.status_code == 303
    return signed_in.headers["location"]


def text(answer: httpx.Response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", answer.text)).split())


def field_error(answer: httpx.Response, field: str) -> str:
    found = re.search(rf'<p id="{field}-erreur" class="field-error">([^<]*)</p>', answer.text)
    assert found, answer.text
    assert f'aria-describedby="{field}-erreur"' in answer.text
    return html.unescape(found.group(1))


async def send(
    client: httpx.AsyncClient,
    data: bytes,
    filename: str = "filosofi.csv",
    content_type: str = "text/csv",
    **fields: str,
) -> httpx.Response:
    return await client.post(
        UPLOAD, data={**FORM, **fields}, files={"file": (filename, data, content_type)}
    )


class TestUploadReportPreviewPublish:
    async def test_the_data_team_reads_the_report_sees_what_secrecy_hides_and_publishes(
        self, client, nats_server
    ):
        home = await sign_in(client, Role.DATA)
        form = await client.get(UPLOAD)
        sent = await send(client, PARTNER_FILE)
        page = text(sent)

        assert home == "/equipe/donnees"
        assert form.status_code == 200
        assert 'enctype="multipart/form-data"' in form.text and 'name="csrf_token"' in form.text
        assert '<option value="2021">2021</option>' in form.text  # from the catalogue
        assert "Taux de pauvreté au seuil de 60 %" in html.unescape(form.text)

        assert sent.status_code == 200, page
        assert "12 lignes lues, 8 valeurs valides, 4 erreurs" in page
        assert "Ligne Raison" in page
        assert "13 130 hors de 0 à 100 : taux_pauvrete est en % (une part de 0 à 1 ?)" in page
        assert "12 Doublon : taux_pauvrete 2021 pour QN04406M déjà donné ligne 8" in page
        assert "10 Code QPV de la génération 2015 (QP044003)" in page
        assert await stored_files(nats_server.url) == []  # the service took the file

        rows = re.findall(
            r"<tr><th scope=\"row\">([^<]+)</th><td>([^<]+)</td><td>(primaire|"
            r"secondaire)</td><td>([^<]+)</td></tr>",
            sent.text,
        )
        hidden = {(code, kind): html.unescape(reason) for _, code, kind, reason in rows}
        assert hidden[("qpv:QN04407I", "primaire")] == (
            "Secret statistique (primaire) : moins de 11 ménages"
        )
        assert hidden[("qpv:QN04410I", "secondaire")] == (
            "Secret statistique (secondaire) : empêche de recalculer le QPV QN04407I"
        )
        assert (
            "Nombre de ménages fiscaux (2021) 6 4 1 1" in page
        )  # cells, published, primary, secondary
        for figure in ("150 000", "150000", "2 100", "38,5", "45,0"):
            assert figure not in page.replace("2021;", "")  # no value of the draft

        [dataset_url] = re.findall(r'action="(/equipe/donnees/[^/"]+)/publication"', sent.text)
        published = await client.post(f"{dataset_url}/publication")
        confirmed = await client.get(published.headers["location"])
        listed = await client.get("/equipe/donnees")
        again = await client.post(f"{dataset_url}/publication")

        assert published.status_code == 303
        assert "Jeu de données publié le" in text(confirmed)
        assert "8 valeurs de 2 indicateurs, millésime 2021, pour tout le monde" in text(confirmed)
        assert "/donnees/indicateurs/menages_fiscaux?millesime=2021" in confirmed.text
        assert ">Publier</button>" not in confirmed.text
        assert "Filosofi 2021, Nantes publié le" in text(listed)
        assert again.status_code == 409
        assert "Ce jeu de données est déjà publié." in text(again)

        values = await client.get("/api/v1/data/indicators/menages_fiscaux/values")
        shown = {v["territory"]: v["shown"] for v in values.json()["values"]}
        assert shown["qpv:QN04407I"] == "s" and shown["qpv:QN04406M"] == 2100.0

    async def test_a_file_larger_than_what_the_csrf_check_reads_streams_through_whole(
        self, client, nats_server
    ):
        await sign_in(client, Role.DATA)
        data = social_housing(1)
        sent = await send(client, data, filename="rpls.csv")

        assert len(data) > 64 * 1024
        assert sent.status_code == 200, text(sent)
        assert "2 430 lignes lues, 2 430 valeurs valides, 0 erreur" in text(sent)
        assert await stored_files(nats_server.url) == []

    async def test_a_dry_run_reports_and_keeps_nothing(self, client):
        await sign_in(client, Role.DATA)
        checked = await send(client, PARTNER_FILE, dry_run="oui")
        listed = await client.get("/equipe/donnees")

        assert checked.status_code == 200
        assert "vérification seule : rien n'a été gardé" in text(checked)
        assert "12 lignes lues, 8 valeurs valides, 4 erreurs" in text(checked)
        assert "Aucun jeu de données pour l'instant." in text(listed)


class TestPreviewApi:
    async def test_the_preview_names_each_hidden_cell_and_why_never_its_value(self, client):
        store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
        team = {"Authorization": f"Bearer {await store.add(unique_email('data'), Role.DATA)}"}
        uploaded = await client.post(
            "/api/v1/data/datasets",
            params={"name": "Aperçu"},
            content=PARTNER_FILE,
            headers={**team, "content-type": "text/csv"},
        )
        dataset_id = uploaded.json()["dataset_id"]
        dataset = await client.get(f"/api/v1/data/datasets/{dataset_id}", headers=team)
        preview = await client.get(f"/api/v1/data/datasets/{dataset_id}/preview", headers=team)

        assert dataset.json()["blocked"] == ""
        tables = {(t["indicator"], t["vintage"]): t for t in preview.json()["tables"]}
        households = tables[("menages_fiscaux", 2021)]
        assert households["label"] == "Nombre de ménages fiscaux"
        assert households["hidden_cells"] == [
            {
                "territory": "qpv:QN04407I",
                "name": "Le Breil",
                "primary": True,
                "reason": "secret statistique (primaire) : moins de 11 ménages",
            },
            {
                "territory": "qpv:QN04410I",
                "name": households["hidden_cells"][1]["name"],
                "primary": False,
                "reason": "secret statistique (secondaire) : empêche de recalculer le QPV QN04407I",
            },
        ]
        assert households["hidden_not_listed"] == 0
        assert "150000" not in preview.text and "8.0" not in preview.text


class TestBadFiles:
    async def test_each_bad_file_is_refused_on_its_field_and_nothing_is_kept(
        self, client, nats_server
    ):
        await sign_in(client, Role.DATA)
        too_large = await send(client, social_housing(3))  # found while it streams
        declared_too_large = await send(client, social_housing(9))  # by its length, at once
        workbook = await send(client, b"PK\x03\x04...", filename="filosofi.xlsx")
        picture = await send(client, b"\x89PNG", filename="carte.png", content_type="image/png")
        empty = await send(client, b"")
        refused = await send(client, b"nom;valeur\nx;1\n", vintage="2021")
        no_name = await send(client, PARTNER_FILE, name=" ")
        bad_vintage = await send(client, PARTNER_FILE, vintage="21")
        listed = await client.get("/equipe/donnees")

        for answer in (too_large, declared_too_large):
            assert answer.status_code == 413
            assert field_error(answer, "file") == (
                "Le fichier dépasse la taille maximale acceptée (0,2 Mo)."
            )
        assert workbook.status_code == 422
        assert "enregistrez-le au format CSV" in field_error(workbook, "file")
        assert picture.status_code == 422
        assert field_error(picture, "file") == (
            "Ce fichier n'est pas un fichier CSV : choisissez un fichier .csv."
        )
        assert empty.status_code == 422
        assert field_error(empty, "file") == "Le fichier choisi est vide."
        assert refused.status_code == 422
        assert "ne peut être publié" in field_error(refused, "file")
        assert "Fichier refusé : colonne absente : code du territoire" in text(refused)
        assert no_name.status_code == 422
        assert field_error(no_name, "name") == "Donnez un titre au jeu de données."
        assert bad_vintage.status_code == 422
        assert field_error(bad_vintage, "vintage") == "Choisissez une année de la liste."
        assert "Aucun jeu de données pour l'instant." in text(listed)
        assert await stored_files(nats_server.url) == []

    async def test_an_upload_without_the_csrf_token_is_refused(self, client):
        await sign_in(client, Role.DATA)
        app = client.app  # type: ignore[attr-defined]
        token = CsrfTokens(GATEWAY_SECRET).issue()
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway"
        ) as browser:
            browser.cookies.update(client.cookies)
            browser.cookies.set(CSRF_COOKIE, token)
            files = {"file": ("filosofi.csv", PARTNER_FILE, "text/csv")}
            without = await browser.post(UPLOAD, data=FORM, files=files)
            with_token = await browser.post(UPLOAD, data={"csrf_token": token, **FORM}, files=files)

        assert without.status_code == 403
        assert "Ce formulaire a expiré" in text(without)
        assert with_token.status_code == 200, text(with_token)


class TestWhoMayUseThem:
    async def test_partners_other_roles_and_anonymous_visitors_are_refused_in_french(self, client):
        anonymous = await client.get("/equipe/donnees")
        await sign_in(client, Role.STAFF)
        staff = await client.get("/equipe/donnees")
        client.cookies.clear()
        partner_home = await sign_in(client, Role.DATA, partner="Nantes Métropole")
        partner = await client.get(partner_home)
        partner_upload = await send(client, PARTNER_FILE)

        assert anonymous.status_code == 401
        assert "Connectez-vous avec votre jeton d'accès de l'équipe." in text(anonymous)
        assert staff.status_code == 403
        assert "Votre rôle ne donne pas accès à cette page." in text(staff)
        assert partner.status_code == 403
        assert "réservées à l'équipe data du centre" in text(partner)
        assert partner_upload.status_code == 403
