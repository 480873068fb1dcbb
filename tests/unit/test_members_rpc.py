"""The members sign-up RPC handler in isolation: FastStream's in-memory broker, a SQLite file.

The broker is the service's own (from ``build_app``), so its reliability middleware turns an
invalid request into an ``ErrorReply`` here exactly as it does on a real NATS server.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from faststream.nats import NatsBroker, TestNatsBroker
from sqlalchemy import func, select

from contracts.members import MemberRegisteredV1, RegisterPersonV1
from services.gateway.errors import field_errors
from services.members.app import build_app
from services.members.settings import MembersSettings
from services.members.store import people, reliability
from services.runtime.migrations import upgrade
from services.runtime.service import ServiceApp
from tests.support.factories import sign_up_payload, unique_email

REGISTER = RegisterPersonV1.subject


@pytest.fixture
async def members(tmp_path: Path) -> AsyncIterator[ServiceApp]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    await upgrade("members", url)
    app = build_app(MembersSettings(database_url=url))
    yield app
    await app.engine.dispose()


@pytest.fixture
async def broker(members: ServiceApp) -> AsyncIterator[NatsBroker]:
    async with TestNatsBroker(members.bus.broker) as test_broker:
        yield test_broker


async def _request(broker: NatsBroker, payload: dict[str, Any]) -> Any:
    response = await broker.request(payload, REGISTER, timeout=5)
    return await response.decode()


async def _count(members: ServiceApp, table: Any) -> int:
    async with members.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(table))).scalar())


class TestRegisterPerson:
    async def test_answers_with_the_id_of_the_new_person(
        self, broker: NatsBroker, members: ServiceApp
    ) -> None:
        reply = await _request(broker, sign_up_payload())

        assert set(reply) == {"person_id"}
        assert uuid.UUID(reply["person_id"])
        assert await _count(members, people) == 1

    async def test_records_the_member_registered_event_for_the_outbox(
        self, broker: NatsBroker, members: ServiceApp
    ) -> None:
        reply = await _request(broker, sign_up_payload(first_name="Awa", last_name="Diallo"))

        async with members.engine.connect() as connection:
            [row] = (await connection.execute(select(reliability.outbox))).all()
        event = MemberRegisteredV1.model_validate_json(row.payload)
        assert row.subject == MemberRegisteredV1.subject
        assert str(event.person_id) == reply["person_id"]
        assert (event.first_name, event.last_name) == ("Awa", "Diallo")
        assert event.producer == "members"

    async def test_answers_a_second_sign_up_in_another_case_with_the_same_id(
        self, broker: NatsBroker, members: ServiceApp
    ) -> None:
        address = unique_email()
        first = await _request(broker, sign_up_payload(email=address))

        again = await _request(broker, sign_up_payload(email=address.upper()))

        assert again == first
        assert await _count(members, people) == 1
        assert await _count(members, reliability.outbox) == 1, "no second MemberRegistered"

    async def test_answers_an_invalid_address_with_an_invalid_error_naming_the_field(
        self, broker: NatsBroker
    ) -> None:
        reply = await _request(broker, sign_up_payload(email="camille.martin.example.org"))

        assert reply["error"]["code"] == "invalid"
        assert reply["error"]["message"] == "Requête invalide."
        [error] = reply["error"]["details"]["errors"]
        assert error["loc"][-1] == "email"
        assert error["type"] == "value_error"

    async def test_stores_nothing_for_an_invalid_request(
        self, broker: NatsBroker, members: ServiceApp
    ) -> None:
        await _request(broker, sign_up_payload(email="camille.martin.example.org"))

        assert await _count(members, people) == 0
        assert await _count(members, reliability.outbox) == 0

    async def test_names_the_invalid_field_as_the_client_sent_it(self, broker: NatsBroker) -> None:
        """The gateway shows these details to API clients: they must not see handler internals."""
        reply = await _request(broker, sign_up_payload(email="camille.martin.example.org"))

        [error] = reply["error"]["details"]["errors"]
        assert error["loc"] == ["email"]
        assert field_errors(reply["error"]["details"]["errors"]) == [
            {"field": "email", "message": "Adresse e-mail invalide."}
        ]

    async def test_ignores_a_field_it_does_not_know_yet_so_a_newer_gateway_still_works(
        self, broker: NatsBroker, members: ServiceApp
    ) -> None:
        reply = await _request(broker, {**sign_up_payload(), "newsletter_opt_in": True})

        assert uuid.UUID(reply["person_id"])
        assert await _count(members, people) == 1
