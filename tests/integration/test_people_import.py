"""Importing people from a spreadsheet export through the gateway (both lanes): a dry run
reports every bad row with its line; the import adds only unknown people; re-importing the same
file adds nobody. Files far above the NATS message limit go through the object store; a file
above the upload limit is refused at once."""

from __future__ import annotations

from sqlalchemy import func, select

from services.gateway.store import Role, StaffStore
from services.members.app import build_app as build_members
from services.members.store import people
from tests.support.factories import sign_up_payload, unique_email
from tests.support.services import gateway, members_settings, running, stored_files

BAD_EVERY = 125  # 5,000 rows, 40 of them with a broken address


def _office_export(rows: int, known_email: str) -> tuple[bytes, list[int]]:
    """A Windows-1252, semicolon-separated file as a French office saves it."""
    lines = ["Prénom;Nom;Courriel;Téléphone;Structure"]
    bad_lines = []
    for i in range(1, rows + 1):
        line_number = i + 1  # the header is line 1
        email = f"agent.{i}@exemple-collectivite.fr"
        if i == 7:
            email = known_email.upper()  # already in the register, in another case
        if i % BAD_EVERY == 0:
            email = f"agent.{i}@"
            bad_lines.append(line_number)
        lines.append(f"Élodie;Lefèvre-{i};{email};02 99 {i % 100:02d} 12 34;Ville de Rennes")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252"), bad_lines


async def _people(members) -> int:
    async with members.engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(people))).scalar_one()


class TestImportPeople:
    async def test_five_thousand_rows_with_forty_bad_ones_dry_run_import_and_reimport(
        self, database, nats_server
    ):
        async with (
            running(build_members(members_settings(database("members"), nats_server.url))) as app,
            gateway(database("gateway"), nats_server.url) as client,
        ):
            store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
            staff = {
                "Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}",
                "content-type": "text/csv",
            }
            known = sign_up_payload()
            await client.post("/api/v1/signup", json=known)
            data, bad_lines = _office_export(5000, known["email"])

            dry = await client.post("/api/v1/people/import", content=data, headers=staff)
            after_dry_run = await _people(app)
            real = await client.post(
                "/api/v1/people/import", params={"dry_run": "false"}, content=data, headers=staff
            )
            after_import = await _people(app)
            again = await client.post(
                "/api/v1/people/import", params={"dry_run": "false"}, content=data, headers=staff
            )
            after_reimport = await _people(app)
            anonymous = await client.post(
                "/api/v1/people/import", content=data, headers={"content-type": "text/csv"}
            )

        report = dry.json()
        assert dry.status_code == 200, dry.text
        assert (report["encoding"], report["delimiter"]) == ("windows-1252", ";")
        assert report["summary"] == "5\u202f000 lignes lues, 4\u202f960 valides, 40 en erreur"
        assert [e["line"] for e in report["errors"]] == bad_lines
        assert all("adresse e-mail invalide" in e["reason"] for e in report["errors"])
        assert after_dry_run == 1
        assert (real.json()["created"], real.json()["already_known"]) == (4959, 1)
        assert after_import == 1 + 4959
        assert (again.json()["created"], again.json()["already_known"]) == (0, 4960)
        assert after_reimport == after_import
        assert anonymous.status_code == 401

    async def test_twenty_thousand_rows_in_megabytes_import_then_reimport_nobody(
        self, database, nats_server
    ):
        """Larger than a NATS message; the 50,000-row import is measured in bench/."""
        data, bad_lines = _office_export(20_000, unique_email())
        async with (
            running(build_members(members_settings(database("members"), nats_server.url))) as app,
            gateway(database("gateway"), nats_server.url) as client,
        ):
            store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
            staff = {
                "Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}",
                "content-type": "text/csv",
            }
            real = await client.post(
                "/api/v1/people/import", params={"dry_run": "false"}, content=data, headers=staff
            )
            after_import = await _people(app)
            again = await client.post(
                "/api/v1/people/import", params={"dry_run": "false"}, content=data, headers=staff
            )
            after_reimport = await _people(app)
            files_left = await stored_files(nats_server.url)

        assert len(data) > 1_500_000  # well over NATS's default 1 MB message limit
        assert real.status_code == 200, real.text
        report = real.json()
        assert report["summary"] == "20\u202f000 lignes lues, 19\u202f840 valides, 160 en erreur"
        assert [e["line"] for e in report["errors"]] == bad_lines
        assert (report["created"], report["already_known"]) == (19_840, 0)
        assert after_import == 19_840
        assert (again.json()["created"], again.json()["already_known"]) == (0, 19_840)
        assert after_reimport == after_import
        assert files_left == []


class TestImportFileLimits:
    async def test_refuses_a_file_above_the_limit_or_empty_and_keeps_nothing(
        self, tmp_path, nats_server
    ):
        members_url = f"sqlite+aiosqlite:///{tmp_path / 'members.db'}"
        data, _ = _office_export(2000, unique_email())  # about 160 kB
        async with (
            running(build_members(members_settings(members_url, nats_server.url))),
            gateway(
                f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
                nats_server.url,
                upload_max_bytes=100_000,
            ) as client,
        ):
            store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
            staff = {
                "Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}",
                "content-type": "text/csv",
            }

            async def streamed():  # no Content-Length: the limit is found while storing
                for start in range(0, len(data), 8192):
                    yield data[start : start + 8192]

            declared = await client.post("/api/v1/people/import", content=data, headers=staff)
            chunked = await client.post(
                "/api/v1/organisations/import", content=streamed(), headers=staff
            )
            empty = await client.post("/api/v1/people/import", content=b"", headers=staff)
            small = await client.post(
                "/api/v1/organisations/import", content=data[:50_000], headers=staff
            )
            files_left = await stored_files(nats_server.url)

        assert declared.status_code == chunked.status_code == 413
        assert declared.json()["error"] == {
            "code": "too_large",
            "message": "Le fichier dépasse la taille maximale acceptée (0,1 Mo).",
        }
        assert chunked.json() == declared.json()
        assert empty.status_code == 422
        assert empty.json()["error"]["message"] == "Le fichier est vide."
        assert small.status_code == 200  # a file of people is no list of organisations
        assert small.json()["refused"] is True
        assert files_left == []

    async def test_answers_a_file_whose_every_row_is_wrong_listing_the_first_problems(
        self, tmp_path, nats_server
    ):
        lines = ["Prénom;Nom;Courriel"] + [f"Léa;Roux-{i};lea.roux.{i}@" for i in range(30_000)]
        data = "\r\n".join(lines).encode()
        async with (
            running(
                build_members(
                    members_settings(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", nats_server.url)
                )
            ),
            gateway(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}", nats_server.url) as client,
        ):
            store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
            staff = {
                "Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}",
                "content-type": "text/csv",
            }
            answer = await client.post("/api/v1/people/import", content=data, headers=staff)

        report = answer.json()
        assert answer.status_code == 200, answer.text
        assert report["summary"] == "30\u202f000 lignes lues, 0 valide, 30\u202f000 en erreur"
        listed = [e["line"] for e in report["errors"]]
        assert listed == list(range(2, 2 + len(listed)))  # the first ones, in order
        assert len(listed) + report["errors_not_listed"] == 30_000
        assert report["errors_not_listed"] > 0
        assert report["errors"][0]["reason"] == "adresse e-mail invalide « lea.roux.0@ »"
