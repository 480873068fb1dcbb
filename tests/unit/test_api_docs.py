"""The committed API documents (docs/asyncapi/*.json, docs/openapi.json) match the code."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import contracts.dataquartiers
import contracts.events
import contracts.members
import contracts.newsletters
from contracts.base import DeadLetterV1, Event
from services.dataquartiers.app import build_app as build_dataquartiers
from services.dataquartiers.settings import DataquartiersSettings
from services.docs import asyncapi_documents, openapi_document
from services.events.app import build_app as build_events
from services.events.settings import EventsSettings
from services.members.app import build_app as build_members
from services.members.settings import MembersSettings
from services.newsletters.app import build_app as build_newsletters
from services.newsletters.settings import NewslettersSettings
from services.platform import SERVICES
from services.runtime.service import ServiceApp

DOCS = Path(__file__).resolve().parents[2] / "docs"
REGENERATE = "run `make docs` and commit docs/"

BUILDERS: dict[str, Callable[[str], ServiceApp]] = {
    "members": lambda url: build_members(MembersSettings(database_url=url)),
    "events": lambda url: build_events(EventsSettings(database_url=url)),
    "newsletters": lambda url: build_newsletters(NewslettersSettings(database_url=url)),
    "dataquartiers": lambda url: build_dataquartiers(DataquartiersSettings(database_url=url)),
}

EVENT_CONTRACTS: dict[str, type[Event]] = {
    model.subject: model
    for module in (
        contracts.members,
        contracts.events,
        contracts.newsletters,
        contracts.dataquartiers,
    )
    for _, model in inspect.getmembers(module, inspect.isclass)
    if issubclass(model, Event) and isinstance(getattr(model, "subject", None), str)
}


@pytest.fixture(scope="module")
def documents() -> dict[str, Any]:
    return asyncapi_documents()


def _first_difference(expected: Any, actual: Any, path: str = "") -> str:
    """Where two JSON documents first differ, as a JSON pointer with both values."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                return f"{path}/{key}: only in the committed file"
            if key not in expected:
                return f"{path}/{key}: only in the code"
            if expected[key] != actual[key]:
                return _first_difference(expected[key], actual[key], f"{path}/{key}")
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            if left != right:
                return _first_difference(left, right, f"{path}/{index}")
    return f"{path or '/'}: committed {json.dumps(expected)[:200]}, code {json.dumps(actual)[:200]}"


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _sent_payloads(document: dict[str, Any], address: str) -> list[dict[str, Any]]:
    """The payload schemas of the messages the service sends on ``address``."""
    payloads = []
    for operation in document.get("operations", {}).values():
        if operation["action"] != "send":
            continue
        channel = _resolve(document, operation["channel"]["$ref"])
        if channel["address"] != address:
            continue
        for message_ref in operation["messages"]:
            message = _resolve(document, message_ref["$ref"])
            if "$ref" in message:
                message = _resolve(document, message["$ref"])
            payload = message["payload"]
            payloads.append(_resolve(document, payload["$ref"]) if "$ref" in payload else payload)
    return payloads


class TestAsyncApiDocuments:
    @pytest.mark.parametrize("service", SERVICES)
    def test_committed_document_matches_the_code(
        self, documents: dict[str, Any], service: str
    ) -> None:
        path = DOCS / "asyncapi" / f"{service}.json"
        assert path.exists(), f"{path} is missing: {REGENERATE}"
        committed = json.loads(path.read_text())

        assert committed == documents[service], (
            f"docs/asyncapi/{service}.json is out of date"
            f" ({_first_difference(committed, documents[service])}): {REGENERATE}"
        )

    @pytest.mark.parametrize("service", SERVICES)
    def test_every_declared_event_publisher_documents_its_payload(
        self, documents: dict[str, Any], service: str, tmp_path: Path
    ) -> None:
        app = BUILDERS[service](f"sqlite+aiosqlite:///{tmp_path / 'docs.db'}")

        for subject in app.bus.publishers:
            contract = EVENT_CONTRACTS.get(subject)
            assert contract is not None, f"{service} publishes {subject}, which has no contract"
            payloads = _sent_payloads(documents[service], subject)
            assert payloads, f"{service} publishes {subject} but its AsyncAPI document omits it"
            [payload] = payloads
            expected = contract.model_json_schema()
            assert payload["title"] == contract.__name__
            assert payload["properties"].keys() == expected["properties"].keys()
            assert sorted(payload["required"]) == sorted(expected["required"])

    def test_members_document_the_member_registered_event_with_its_fields(
        self, documents: dict[str, Any]
    ) -> None:
        [payload] = _sent_payloads(documents["members"], "reso.members.member.registered.v1")

        assert payload["title"] == "MemberRegisteredV1"
        assert {"event_id", "person_id", "first_name", "last_name", "email"} <= set(
            payload["properties"]
        )
        assert (
            payload["properties"]["email"]["description"] == "Address the welcome e-mail goes to."
        )

    def test_newsletters_document_where_unprocessable_registrations_are_dead_lettered(
        self, documents: dict[str, Any]
    ) -> None:
        [payload] = _sent_payloads(
            documents["newsletters"], "dlq.newsletters.reso.members.member.registered.v1"
        )

        assert payload["title"] == "DeadLetterV1"
        assert payload["properties"].keys() == DeadLetterV1.model_json_schema()["properties"].keys()


class TestOpenApiDocument:
    def test_committed_document_matches_the_code(self) -> None:
        committed = json.loads((DOCS / "openapi.json").read_text())
        current = openapi_document()

        assert committed == current, (
            f"docs/openapi.json is out of date ({_first_difference(committed, current)}):"
            f" {REGENERATE}"
        )

    def test_documents_what_a_person_gives_to_sign_up(self) -> None:
        document = openapi_document()
        operation = document["paths"]["/api/v1/signup"]["post"]
        body = _resolve(
            document, operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        )

        assert "201" in operation["responses"]
        assert sorted(body["required"]) == ["email", "first_name", "last_name"]
