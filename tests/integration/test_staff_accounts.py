"""Ops manage staff accounts with ``reso staff list | revoke | rotate``: a revoked token stops
signing in and every back-office session it opened ends at once; a rotated account signs in
with its new token only."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import pytest

from services import cli
from tests.support.services import gateway

NEW_ISSUE_PAGE = "/equipe/lettres/la-minute-pop/nouveau"  # a staff page that needs no service


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


class Reso:
    """``reso staff …`` as ops type it (the CLI's own entry point, in a thread of its own)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    async def __call__(self, *args: str) -> Ran:
        self.capsys.readouterr()
        code = await asyncio.to_thread(cli.main, ["staff", *args])
        out, err = self.capsys.readouterr()
        return Ran(code, out, err)


async def _sign_in(site: httpx.AsyncClient, token: str) -> httpx.Response:
    site.cookies.clear()
    return await site.post("/equipe/connexion", data={"jeton": token})


class TestStaffAccountCommands:
    async def test_revoking_ends_sign_in_and_open_sessions_rotating_gives_a_new_token(
        self, database, nats_server, monkeypatch, capsys
    ):
        url = database("gateway")
        monkeypatch.setenv("RESO_GATEWAY_DATABASE_URL", url)
        reso = Reso(capsys)
        added = await reso("add", "agent@crpv.example.org", "--role", "staff")
        await reso("add", "autre@crpv.example.org", "--role", "admin")
        token = added.stdout.strip().splitlines()[-1]

        async with gateway(url, nats_server.url) as site:
            signed_in = await _sign_in(site, token)
            session = dict(site.cookies)
            before = await site.get(NEW_ISSUE_PAGE)

            revoked = await reso("revoke", "Agent@CRPV.example.org")
            listed = await reso("list")
            site.cookies.update(session)
            after = await site.get(NEW_ISSUE_PAGE)
            refused = await _sign_in(site, token)
            again = await reso("revoke", "agent@crpv.example.org")

            rotated = await reso("rotate", "agent@crpv.example.org")
            new_token = rotated.stdout.strip().splitlines()[-1]
            old_refused = await _sign_in(site, token)
            new_signed_in = await _sign_in(site, new_token)
            unknown = await reso("rotate", "personne@crpv.example.org")

        assert added.returncode == 0, added.stderr
        assert signed_in.status_code == 303 and before.status_code == 200
        assert revoked.returncode == 0, revoked.stderr
        assert after.status_code == 401  # the open session ended with the token
        assert refused.status_code == 401
        assert "il a été révoqué" in refused.text
        assert again.returncode == 1 and "no active staff account" in again.stderr
        lines = listed.stdout.strip().splitlines()
        assert lines[0].startswith("agent@crpv.example.org\tstaff\trevoked ")
        assert lines[1] == "autre@crpv.example.org\tadmin\tactive"
        assert token not in listed.stdout
        assert rotated.returncode == 0 and new_token.startswith("reso_") and new_token != token
        assert old_refused.status_code == 401
        assert new_signed_in.status_code == 303
        assert unknown.returncode == 1
