"""Importing organisations from a spreadsheet export through the gateway (both lanes): a dry run
reports every bad row with its line; the import adds the organisations not known yet (by SIREN,
else by name and commune), each announced on the bus with its default college; re-importing the
same file adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from services.gateway.store import Role, StaffStore
from services.members.app import build_app as build_members
from services.members.store import organisations, reliability
from tests.support.factories import unique_email
from tests.support.services import (
    gateway,
    members_settings,
    running,
    stored_files,
    stream_messages,
    wait_until,
)

ROWS = 3000
RENNES_SIREN = "213502388"  # already in the register before the import (row 7)
KNOWN_NAME = "association  QUARTIERS 9"  # already there too, without SIREN (row 9)
UNKNOWN_COMMUNE = "commune inconnue (référentiel limité à la Bretagne et aux Pays de la Loire) : "
CREATED = "reso.members.organisation.created.v1"


def _luhn_ok(number: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _siren(i: int) -> str:
    base = f"{70_000_000 + i:08d}"
    return next(base + key for key in "0123456789" if _luhn_ok(base + key))


def _register_export() -> tuple[bytes, list[tuple[int, str]], int]:
    """A French office's list of organisations, Windows-1252 and ``;``: town halls and social
    landlords with a SIREN in Rennes (INSEE code), associations without one (city only).
    Every 100th row has a SIREN with a wrong key, every 100th from the 50th an unknown commune,
    and every 40th from the 13th an unknown kind (a warning). Returns the file, the expected
    errors and the number of warnings."""
    lines = ["Raison sociale;Type;SIREN;Adresse;Code postal;Commune;Département"]
    expected: list[tuple[int, str]] = []
    warnings = 0
    for i in range(1, ROWS + 1):
        line = i + 1  # the header is line 1
        street, postcode, commune, department = f"{i} rue de Brest", "35000", "35238", "35"
        if i % 3 == 0:
            name, kind, siren = f"Association Quartiers {i}", "Association", ""
            commune, department = "Rennes", ""
        elif i % 3 == 1:
            name, kind, siren = f"Mairie annexe n°{i}", "Mairie", _siren(i)
        else:
            name, kind, siren = f"Rennes Habitat – agence {i}", "Bailleur social", _siren(i)
        if i == 7:
            siren = RENNES_SIREN
        if i % 100 == 0:
            siren = _siren(i)[:-1] + str((int(_siren(i)[-1]) + 1) % 10)
            expected.append((line, f"SIREN invalide « {siren} » (9 chiffres, clé de Luhn)"))
        if i % 100 == 50:
            commune, department = "75056", ""
            expected.append((line, UNKNOWN_COMMUNE + "75056"))
        if i % 40 == 13:
            kind = "Fondation"
            warnings += 1
        lines.append(f"{name};{kind};{siren};{street};{postcode};{commune};{department}")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252"), expected, warnings


async def _count(members, table, *where) -> int:
    async with members.engine.connect() as connection:
        statement = select(func.count()).select_from(table).where(*where)
        return (await connection.execute(statement)).scalar_one()


class TestImportOrganisations:
    async def test_three_thousand_rows_with_sixty_bad_ones_dry_run_import_and_reimport(
        self, database, nats_server
    ):
        async with (
            running(build_members(members_settings(database("members"), nats_server.url))) as app,
            gateway(database("gateway"), nats_server.url) as client,
        ):
            store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
            staff = {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}
            for known in (
                {"kind": "commune", "name": "Ville de Rennes", "siren": RENNES_SIREN},
                {"kind": "association", "name": KNOWN_NAME, "address": {"city": "Rennes"}},
            ):
                added = await client.post("/api/v1/organisations", json=known, headers=staff)
                assert added.status_code == 201, added.text
            data, expected_errors, warnings = _register_export()
            csv_headers = staff | {"content-type": "text/csv"}
            url = "/api/v1/organisations/import"

            dry = await client.post(url, content=data, headers=csv_headers)
            after_dry_run = await _count(app, organisations)
            real = await client.post(
                url, params={"dry_run": "false"}, content=data, headers=csv_headers
            )
            after_import = await _count(app, organisations)
            announced = await wait_until(
                lambda: _all_announced(nats_server.url, 2 + real.json()["created"])
            )
            async with app.engine.connect() as connection:
                colleges = set(
                    await connection.execute(
                        select(organisations.c.kind, organisations.c.college).distinct()
                    )
                )
            events_written = await _count(
                app, reliability.outbox, reliability.outbox.c.subject == CREATED
            )
            again = await client.post(
                url, params={"dry_run": "false"}, content=data, headers=csv_headers
            )
            after_reimport = await _count(app, organisations)
            events_after_reimport = await _count(
                app, reliability.outbox, reliability.outbox.c.subject == CREATED
            )
            files_left = await stored_files(nats_server.url)
            anonymous = await client.post(url, content=data, headers={"content-type": "text/csv"})

        report = dry.json()
        assert dry.status_code == 200, dry.text
        assert (report["encoding"], report["delimiter"]) == ("windows-1252", ";")
        assert report["summary"] == (
            f"3\u202f000 lignes lues, 2\u202f940 valides, 60 en erreur, {warnings} avertissements"
        )
        assert [(e["line"], e["reason"]) for e in report["errors"]] == expected_errors
        assert len(report["warnings"]) == warnings == 75
        assert report["errors_not_listed"] == report["warnings_not_listed"] == 0
        assert after_dry_run == 2
        assert real.status_code == 200, real.text
        assert (real.json()["created"], real.json()["already_known"]) == (2938, 2)
        assert after_import == 2 + 2938
        assert len(announced) == events_written == 2 + 2938
        assert colleges == {
            ("commune", "elus"),
            ("social_landlord", "acteurs_territoriaux"),
            ("association", "acteurs_territoriaux"),
            ("other", "acteurs_territoriaux"),
        }
        assert (again.json()["created"], again.json()["already_known"]) == (0, 2940)
        assert after_reimport == after_import
        assert events_after_reimport == events_written
        assert files_left == []
        assert anonymous.status_code == 401


async def _all_announced(nats_url: str, expected: int) -> list[object] | None:
    messages = await stream_messages(nats_url, "MEMBERS", CREATED)
    return messages if len(messages) >= expected else None
