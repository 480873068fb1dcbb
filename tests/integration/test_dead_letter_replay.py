"""`reso dead-letters`: an operator lists what a consumer gave up on, fixes the cause, replays it,
and the effect happens once."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import nats
import pytest

from contracts.members import MemberRegisteredV1
from services.cli import main as reso
from services.newsletters.app import build_app as build_newsletters
from services.runtime.dead_letters import list_dead_letters, replay_dead_letter
from services.runtime.migrations import upgrade
from tests.support.factories import unique_email
from tests.support.mail import await_mail
from tests.support.services import CENTRE, nats_settings, newsletters_settings, wait_until

REGISTERED = "reso.members.member.registered.v1"


def _registered(email: str) -> MemberRegisteredV1:
    return MemberRegisteredV1(
        event_id=uuid.uuid4(),
        producer="members",
        centre=CENTRE.slug,
        person_id=uuid.uuid4(),
        first_name="Awa",
        last_name="Diallo",
        email=email,
    )


async def _publish(nats_url: str, event: MemberRegisteredV1) -> None:
    connection = await nats.connect(nats_url)
    try:
        await connection.jetstream().publish(
            REGISTERED,
            event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": str(event.event_id)},
        )
    finally:
        await connection.close()


async def _reso(*argv: str) -> int:
    """The ``reso`` command, run as from a shell (it has its own event loop)."""
    return await asyncio.to_thread(reso, list(argv))


class TestReplayADeadLetter:
    async def test_a_welcome_mail_lost_to_an_unmigrated_database_is_sent_once_after_replay(
        self, database, nats_server, mail_sink, monkeypatch: pytest.MonkeyPatch, capsys
    ) -> None:
        url = database("newsletters")
        settings = newsletters_settings(url, nats_server.url, mail_sink.port)
        settings.nats = nats_settings(nats_server.url, max_deliver=2, retry_base_seconds=0.05)
        app = build_newsletters(settings)
        address = unique_email("rejoue")
        await app.start()  # the operator forgot `reso migrate`: every attempt fails
        try:
            await _publish(nats_server.url, _registered(address))
            [stored] = await wait_until(
                lambda: list_dead_letters(settings.nats, service="newsletters")
            )
            assert stored.letter.subject == REGISTERED
            assert stored.letter.delivered == 2

            monkeypatch.setenv("RESO_NATS_URL", nats_server.url)
            assert await _reso("dead-letters", "list", "--service", "newsletters") == 0
            listed = capsys.readouterr().out
            assert f"{stored.sequence}\t" in listed and REGISTERED in listed

            await upgrade("newsletters", url)  # the fix
            assert await _reso("dead-letters", "replay", str(stored.sequence)) == 0
            counts = await await_mail(mail_sink.directory, [address])
            assert counts[address] == 1
            assert await list_dead_letters(settings.nats) == []

            # The same letter cannot be replayed twice: it is gone.
            with pytest.raises(LookupError):
                await replay_dead_letter(settings.nats, stored.sequence)
            assert await _reso("dead-letters", "replay", str(stored.sequence)) == 1
        finally:
            with contextlib.suppress(Exception):
                await app.stop()
        assert (await await_mail(mail_sink.directory, [address], settle=1.0))[address] == 1
