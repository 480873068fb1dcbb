"""Staff download any filtered list of people or organisations as a CSV or XLSX file through the
gateway (both lanes): the whole list in the search's order, French headers and formats, formulas
neutralised, erased people never and archived ones only when asked; the file goes through the
object store and is gone once sent."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

import openpyxl
import pytest

from services.gateway.store import Role, StaffStore
from services.members.app import build_app as build_members
from services.members.handlers import exports as export_handlers
from tests.support.factories import unique_email
from tests.support.services import gateway, members_settings, running, stored_files

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YEAR = datetime.now(UTC).year
TODAY = date.today().isoformat()

PEOPLE_HEADER = [
    "Nom",
    "Prénom",
    "Courriel",
    "Téléphone",
    "Fonction",
    "Type",
    "Collège",
    "Région",
    "Département",
    "Commune",
    "EPCI",
    "QPV",
    "Structures",
    f"Adhésion {YEAR}",
    "Réseaux",
    "Adresse confirmée",
    "Archivée le",
]
ORGANISATIONS_HEADER = [
    "Nom",
    "Type",
    "SIREN",
    "Adresse",
    "Code postal",
    "Ville",
    "Région",
    "Département",
    "Commune",
    "EPCI",
    "QPV",
    "Collège",
    "Courriel",
    "Téléphone",
    f"Adhésion {YEAR}",
    "Cotisation",
    "Payé",
    "Reçu",
    "Archivée le",
]


async def _staff_client(client, role: Role = Role.STAFF):
    store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {await store.add(unique_email('staff'), role)}"}


@pytest.fixture
async def register(database, nats_server):
    async with (
        running(build_members(members_settings(database("members"), nats_server.url))),
        gateway(database("gateway"), nats_server.url) as client,
    ):
        client.headers.update(await _staff_client(client))
        yield client


def read_csv(response) -> list[list[str]]:
    """The rows of a CSV download, checked to be as French offices open it."""
    data = response.content
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    text = data.decode("utf-8-sig")
    assert "\r\n" in text and not re.search(r"[^\r]\n", text.replace('"\n', ""))
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def read_xlsx(response) -> list[list[object]]:
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def person(last_name: str, **overrides):
    values = {
        "first_name": "Léa",
        "last_name": last_name,
        "email": unique_email("lea"),
        "phone": "02 99 00 11 22",
        "title": "Cheffe de projet politique de la ville",
        "kind": "project_leader",
        "territory": {"commune": "35238", "qpvs": ["QN03502M"]},
    }
    values.update(overrides)
    return values


async def add(client, path: str, body) -> dict:
    response = await client.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    created: dict = response.json()
    return created


class TestExportPeople:
    async def test_staff_download_people_of_a_department_and_kind_as_csv_and_xlsx(
        self, register, nats_server
    ):
        rennes = await add(
            register,
            "/api/v1/organisations",
            {"kind": "commune", "name": "Ville de Rennes", "territory": {"commune": "35238"}},
        )
        asso = await add(
            register,
            "/api/v1/organisations",
            {"kind": "association", "name": "Amicale de Villejean"},
        )
        bernard = await add(register, "/api/v1/people", person("Bernard", first_name="Zoé"))
        await add(register, "/api/v1/people", person("Abiven", first_name="Yann", phone=""))
        await add(register, "/api/v1/people", person('=HYPERLINK("http://x")'))
        archived = await add(register, "/api/v1/people", person("Cadiou"))
        erased = await add(register, "/api/v1/people", person("Dantec"))
        await add(register, "/api/v1/people", person("Ezanno", territory={"commune": "44109"}))
        await add(register, "/api/v1/people", person("Floc'h", kind="elected_official"))
        for organisation, role in ((rennes, "cheffe de projet"), (asso, "trésorière")):
            await add(
                register,
                f"/api/v1/people/{bernard['person_id']}/affiliations",
                {"organisation_id": organisation["id"], "role": role, "start": "2020-01-01"},
            )
        await add(
            register,
            f"/api/v1/people/{bernard['person_id']}/affiliations",
            {
                "organisation_id": asso["id"],
                "role": "présidente",
                "start": "2019-01-01",
                "end": "2019-12-31",
            },
        )
        for network in ("gusp", "chefs-de-projet-politique-de-la-ville"):
            await add(
                register,
                f"/api/v1/networks/{network}/members",
                {"person_id": bernard["person_id"]},
            )
        await add(
            register,
            "/api/v1/memberships",
            {"member_type": "person", "member_id": bernard["person_id"], "year": YEAR},
        )
        await add(register, f"/api/v1/people/{archived['person_id']}/archive", {})
        assert (await register.delete(f"/api/v1/people/{erased['person_id']}")).status_code == 204
        wanted = {"department": "35", "kind": "project_leader"}

        as_csv = await register.get("/api/v1/people/export", params={**wanted, "format": "csv"})
        as_xlsx = await register.get("/api/v1/people/export", params={**wanted, "format": "xlsx"})
        with_archived = await register.get(
            "/api/v1/people/export", params={**wanted, "archived": "include"}
        )
        files_left = await stored_files(nats_server.url)

        assert as_csv.status_code == 200, as_csv.text
        assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
        assert as_csv.headers["content-disposition"] == (
            f'attachment; filename="personnes-{TODAY}.csv"'
        )
        rows = read_csv(as_csv)
        assert rows[0] == PEOPLE_HEADER
        # In the search's order: names folded, punctuation aside ("hyperlink http x").
        assert [row[0] for row in rows[1:]] == ["Abiven", "Bernard", '\'=HYPERLINK("http://x")']
        assert dict(zip(PEOPLE_HEADER, rows[2], strict=True)) == {
            "Nom": "Bernard",
            "Prénom": "Zoé",
            "Courriel": bernard["email"],
            "Téléphone": "02 99 00 11 22",
            "Fonction": "Cheffe de projet politique de la ville",
            "Type": "Chef·fe de projet politique de la ville",
            "Collège": "Acteurs territoriaux",
            "Région": "53 - Bretagne",
            "Département": "35 - Ille-et-Vilaine",
            "Commune": "35238 - Rennes",
            "EPCI": "243500139 - Rennes Métropole",
            "QPV": "QN03502M - Villejean",
            "Structures": "Amicale de Villejean (trésorière) ; Ville de Rennes (cheffe de projet)",
            f"Adhésion {YEAR}": "en attente de règlement",
            "Réseaux": "Chef·fe·s de projet politique de la ville ; "
            "GUSP (gestion urbaine et sociale de proximité)",
            "Adresse confirmée": "oui",
            "Archivée le": "",
        }
        assert rows[1][3] == "" and rows[1][13] == "aucune"

        assert as_xlsx.status_code == 200, as_xlsx.text
        assert as_xlsx.headers["content-type"] == XLSX
        assert as_xlsx.headers["content-disposition"] == (
            f'attachment; filename="personnes-{TODAY}.xlsx"'
        )
        sheet = read_xlsx(as_xlsx)
        assert sheet[0] == PEOPLE_HEADER
        assert [row[0] for row in sheet[1:3]] == ["Abiven", "Bernard"]
        assert sheet[3][0] == '=HYPERLINK("http://x")'  # a text cell, never a formula
        assert sheet[2][:3] == ["Bernard", "Zoé", bernard["email"]]
        assert sheet[2][9] == "35238 - Rennes"

        archived_rows = read_csv(with_archived)
        assert [row[0] for row in archived_rows[1:]] == [
            "Abiven",
            "Bernard",
            "Cadiou",
            '\'=HYPERLINK("http://x")',
        ]
        assert re.fullmatch(r"\d\d/\d\d/\d{4}", archived_rows[3][16])
        assert archived_rows[4][16] == ""
        assert files_left == []

    async def test_writes_several_thousand_people_in_the_order_of_the_search(self, register):
        lines = ["Prénom;Nom;Courriel;Commune"] + [
            f"Élodie;Lefèvre-{i:04d};agent.{i}@exemple-collectivite.fr;35238"
            for i in range(4500, 0, -1)
        ]
        data = ("\r\n".join(lines) + "\r\n").encode()
        imported = await register.post(
            "/api/v1/people/import",
            params={"dry_run": "false"},
            content=data,
            headers={"content-type": "text/csv"},
        )
        assert imported.json()["created"] == 4500, imported.text

        as_csv = await register.get("/api/v1/people/export", params={"commune": "35238"})
        as_xlsx = await register.get(
            "/api/v1/people/export", params={"commune": "35238", "format": "xlsx"}
        )

        expected = [f"Lefèvre-{i:04d}" for i in range(1, 4501)]
        assert [row[0] for row in read_csv(as_csv)[1:]] == expected
        assert [row[0] for row in read_xlsx(as_xlsx)[1:]] == expected

    async def test_only_staff_may_export_and_an_unknown_filter_is_refused(self, register):
        data = await _staff_client(register, Role.DATA)

        anonymous = await register.get("/api/v1/people/export", headers={"Authorization": ""})
        data_role = await register.get("/api/v1/organisations/export", headers=data)
        unknown = await register.get("/api/v1/people/export", params={"departement": "35"})
        bad_format = await register.get("/api/v1/people/export", params={"format": "ods"})

        assert anonymous.status_code == 401
        assert data_role.status_code == 403
        assert unknown.status_code == 422
        assert bad_format.status_code == 422


class TestExportLimit:
    async def test_refuses_a_list_longer_than_the_limit_asking_to_narrow_the_filter(
        self, database, nats_server
    ):
        settings = members_settings(database("members"), nats_server.url)
        settings = settings.model_copy(update={"export_max_rows": 2})
        async with (
            running(build_members(settings)),
            gateway(database("gateway"), nats_server.url) as client,
        ):
            client.headers.update(await _staff_client(client))
            for name in ("Abiven", "Bernard", "Cadiou"):
                await add(client, "/api/v1/people", person(name))
            too_long = await client.get("/api/v1/people/export")
            narrowed = await client.get("/api/v1/people/export", params={"q": "bernard"})
            files_left = await stored_files(nats_server.url)

        assert too_long.status_code == 422
        assert too_long.json()["error"]["message"] == (
            "La liste compte 3 lignes, au-delà des 2 qu'un export peut contenir : affinez le "
            "filtre (territoire, type, adhésion…)."
        )
        assert narrowed.status_code == 200
        assert [row[0] for row in read_csv(narrowed)[1:]] == ["Bernard"]
        assert files_left == []


class TestExportOrganisations:
    async def test_staff_download_organisations_with_their_dues_as_csv_and_xlsx(
        self, register, nats_server
    ):
        paid = await add(
            register,
            "/api/v1/organisations",
            {
                "kind": "association",
                "name": "Amicale de Villejean",
                "siren": "784671695",
                "address": {"street": "1 rue de Bourgogne", "postcode": "35000", "city": "Rennes"},
                "territory": {"commune": "35238", "qpvs": ["QN03502M"]},
                "email": "contact@amicale.example.org",
                "phone": "0299001122",
            },
        )
        await add(
            register,
            "/api/v1/organisations",
            {"kind": "association", "name": "@Asso Bruz", "territory": {"commune": "35047"}},
        )
        await add(
            register,
            "/api/v1/organisations",
            {"kind": "commune", "name": "Ville de Rennes", "territory": {"commune": "35238"}},
        )
        await add(
            register,
            "/api/v1/organisations",
            {"kind": "association", "name": "Asso nantaise", "territory": {"commune": "44109"}},
        )
        membership = await add(
            register,
            "/api/v1/memberships",
            {"member_type": "organisation", "member_id": paid["id"], "year": YEAR},
        )
        await add(
            register,
            f"/api/v1/memberships/{membership['membership_id']}/payments",
            {"amount": "30.00", "paid_on": f"{YEAR}-01-15", "method": "transfer"},
        )
        wanted = {"department": "35", "kind": "association"}

        as_csv = await register.get("/api/v1/organisations/export", params=wanted)
        as_xlsx = await register.get(
            "/api/v1/organisations/export", params={**wanted, "format": "xlsx"}
        )
        files_left = await stored_files(nats_server.url)

        assert as_csv.status_code == 200, as_csv.text
        assert as_csv.headers["content-disposition"] == (
            f'attachment; filename="organisations-{TODAY}.csv"'
        )
        rows = read_csv(as_csv)
        assert rows[0] == ORGANISATIONS_HEADER
        assert [row[0] for row in rows[1:]] == ["Amicale de Villejean", "'@Asso Bruz"]
        assert dict(zip(ORGANISATIONS_HEADER, rows[1], strict=True)) == {
            "Nom": "Amicale de Villejean",
            "Type": "Association",
            "SIREN": "784671695",
            "Adresse": "1 rue de Bourgogne",
            "Code postal": "35000",
            "Ville": "Rennes",
            "Région": "53 - Bretagne",
            "Département": "35 - Ille-et-Vilaine",
            "Commune": "35238 - Rennes",
            "EPCI": "243500139 - Rennes Métropole",
            "QPV": "QN03502M - Villejean",
            "Collège": "Acteurs territoriaux",
            "Courriel": "contact@amicale.example.org",
            "Téléphone": "02 99 00 11 22",
            f"Adhésion {YEAR}": "à jour",
            "Cotisation": "30,00",
            "Payé": "30,00",
            "Reçu": f"{YEAR}-000001",
            "Archivée le": "",
        }
        assert rows[2][14:18] == ["aucune", "", "", ""]

        assert as_xlsx.headers["content-type"] == XLSX
        sheet = read_xlsx(as_xlsx)
        assert sheet[0] == ORGANISATIONS_HEADER
        assert sheet[2][0] == "@Asso Bruz"
        assert sheet[1][2] == "784671695"  # text: a SIREN is no number
        assert sheet[1][14:18] == ["à jour", 30, 30, f"{YEAR}-000001"]
        assert files_left == []

    async def test_pages_through_organisations_of_the_same_name_without_loss_or_repeat(
        self, register, monkeypatch
    ):
        monkeypatch.setattr(export_handlers, "PAGE_ROWS", 3)
        emails = [f"homonyme.{i}@example.org" for i in range(8)]
        for email in emails:
            await add(
                register,
                "/api/v1/organisations",
                {"kind": "other", "name": "Homonyme", "email": email},
            )
        await add(register, "/api/v1/organisations", {"kind": "other", "name": "Autre"})

        rows = read_csv(await register.get("/api/v1/organisations/export"))

        assert [row[0] for row in rows[1:]] == ["Autre"] + ["Homonyme"] * 8
        assert sorted(row[12] for row in rows[2:]) == emails
