"""The contract-evolution guard (DESIGN §3).

Within a version a wire message may only gain optional fields. Each contract's JSON Schema is
snapshotted under ``tests/unit/snapshots/<ClassName>.json``; a change that is not additive (a field
removed, a field's type or constraints changed, a new required field, a field made required or
optional) fails until it ships as a new ``V<N+1>`` class on a new subject.

``RESO_UPDATE_SNAPSHOTS=1`` writes the snapshots of new contracts and refreshes those that changed
additively; it never overwrites a snapshot with a breaking change.
"""

from __future__ import annotations

import inspect
import json
import os
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel, Field, create_model

import contracts.base
import contracts.dataquartiers
import contracts.dataquartiers_usecases
import contracts.events
import contracts.members
import contracts.newsletters
from contracts.base import DeadLetterV1, ErrorReply, HealthCheckV1, HealthReplyV1

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("RESO_UPDATE_SNAPSHOTS") == "1"
REFRESH = "RESO_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/unit/test_contract_schemas.py"

CONTRACT_MODULES: tuple[ModuleType, ...] = (
    contracts.base,
    contracts.members,
    contracts.events,
    contracts.newsletters,
    contracts.dataquartiers,
    contracts.dataquartiers_usecases,
)
SUBJECTLESS_CONTRACTS: tuple[type[BaseModel], ...] = (
    HealthCheckV1,
    HealthReplyV1,
    ErrorReply,
    DeadLetterV1,
)

# Keywords that document a schema without constraining it: changing them is never breaking.
DOCUMENTATION_KEYWORDS = frozenset({"title", "description", "examples", "deprecated"})


class SnapshotOutdated(UserWarning):
    """A contract changed compatibly; its snapshot should be refreshed and committed."""


def wire_contracts() -> list[type[BaseModel]]:
    """Every pydantic model of the contract modules (and their submodules, re-exported by the
    package) that carries a subject, plus the shared ones."""
    found: dict[str, type[BaseModel]] = {}
    for module in CONTRACT_MODULES:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            defined_here = cls.__module__ == module.__name__ or cls.__module__.startswith(
                module.__name__ + "."
            )
            if not defined_here or not issubclass(cls, BaseModel):
                continue
            if isinstance(getattr(cls, "subject", None), str):
                found[cls.__name__] = cls
    for cls in SUBJECTLESS_CONTRACTS:
        found[cls.__name__] = cls
    return sorted(found.values(), key=lambda cls: cls.__name__)


def _strip_docs(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            key: _strip_docs(value)
            for key, value in schema.items()
            if key not in DOCUMENTATION_KEYWORDS
        }
    if isinstance(schema, list):
        return [_strip_docs(item) for item in schema]
    return schema


def _without_default(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key != "default"}


def _object_changes(where: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    old_required = set(old.get("required", []))
    new_required = set(new.get("required", []))
    for name in sorted(old_props):
        if name not in new_props:
            problems.append(f"{where}: property '{name}' was removed")
            continue
        if name in old_required and name not in new_required:
            problems.append(f"{where}: required property '{name}' was made optional")
        elif name not in old_required and name in new_required:
            problems.append(f"{where}: optional property '{name}' was made required")
        old_type, new_type = _without_default(old_props[name]), _without_default(new_props[name])
        if old_type != new_type:
            problems.append(
                f"{where}: type of property '{name}' changed"
                f" from {json.dumps(old_type, sort_keys=True)}"
                f" to {json.dumps(new_type, sort_keys=True)}"
            )
        elif name not in new_required and old_props[name] != new_props[name]:
            problems.append(
                f"{where}: default of property '{name}' changed"
                f" from {json.dumps(old_props[name].get('default'))}"
                f" to {json.dumps(new_props[name].get('default'))}"
            )
    for name in sorted(set(new_props) - set(old_props)):
        if name in new_required:
            problems.append(f"{where}: new property '{name}' is required")
    old_rest = {k: v for k, v in old.items() if k not in ("properties", "required", "$defs")}
    new_rest = {k: v for k, v in new.items() if k not in ("properties", "required", "$defs")}
    for key in sorted(set(old_rest) | set(new_rest)):
        if key == "additionalProperties" and new_rest.get(key) is None:
            continue  # readers that start ignoring unknown fields accept everything they did
        if old_rest.get(key) != new_rest.get(key):
            problems.append(
                f"{where}: '{key}' changed from {json.dumps(old_rest.get(key))}"
                f" to {json.dumps(new_rest.get(key))}"
            )
    return problems


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What makes ``new`` incompatible with ``old``; empty when ``new`` only adds optional fields.

    Nested models (``$defs``) follow the same rule; a definition may be added (for a new optional
    field) but not removed. Titles and descriptions may change freely.
    """
    old, new = _strip_docs(old), _strip_docs(new)
    problems = _object_changes("message", old, new)
    old_defs: dict[str, Any] = old.get("$defs", {})
    new_defs: dict[str, Any] = new.get("$defs", {})
    for name in sorted(old_defs):
        if name not in new_defs:
            problems.append(f"definition '{name}' was removed")
        else:
            problems.extend(_object_changes(f"definition '{name}'", old_defs[name], new_defs[name]))
    return problems


def _dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _schema(**fields: Any) -> dict[str, Any]:
    """The JSON Schema of a throw-away model with ``fields`` (pydantic ``create_model`` syntax)."""
    return create_model("Synthetic", **fields).model_json_schema()


class TestContractSnapshots:
    @pytest.mark.parametrize("model", wire_contracts(), ids=lambda model: model.__name__)
    def test_a_contract_changes_only_by_gaining_optional_fields(
        self, model: type[BaseModel]
    ) -> None:
        path = SNAPSHOTS / f"{model.__name__}.json"
        current = model.model_json_schema()
        if not path.exists():
            if UPDATE:
                SNAPSHOTS.mkdir(exist_ok=True)
                path.write_text(_dump(current))
                return
            pytest.fail(
                f"{model.__name__} has no schema snapshot. Create it with `{REFRESH}`,"
                f" review tests/unit/snapshots/{path.name} and commit it."
            )
        snapshot = json.loads(path.read_text())
        problems = breaking_changes(snapshot, current)
        if problems:
            pytest.fail(
                f"{model.__name__} changed in a way its consumers cannot absorb:\n  - "
                + "\n  - ".join(problems)
                + "\nWithin a version only new optional fields are allowed. Publish the change as"
                " a new V<N+1> class on a new subject (the producer publishes both until consumers"
                " have moved) instead of editing this one."
            )
        if snapshot != current:
            if UPDATE:
                path.write_text(_dump(current))
            else:
                warnings.warn(
                    SnapshotOutdated(
                        f"{model.__name__} changed compatibly; refresh its snapshot with"
                        f" `{REFRESH}` and commit it, so the next change is compared with this one."
                    ),
                    stacklevel=1,
                )

    def test_every_snapshot_belongs_to_a_contract_that_still_exists(self) -> None:
        names = {model.__name__ for model in wire_contracts()}
        orphans = sorted(path.stem for path in SNAPSHOTS.glob("*.json") if path.stem not in names)
        assert not orphans, (
            f"snapshots without a contract: {orphans}. Removing or renaming a contract breaks its"
            " consumers; if it was retired on purpose (a V<N+1> replaced it), delete the snapshot."
        )

    def test_finds_the_commands_replies_and_events_of_every_service(self) -> None:
        names = {model.__name__ for model in wire_contracts()}

        assert {
            "RegisterPersonV1",
            "PersonRegisteredReplyV1",
            "MemberRegisteredV1",
            "WelcomeMailSentV1",
            "HealthCheckV1",
            "HealthReplyV1",
            "ErrorReply",
        } <= names
        assert "Message" not in names and "Event" not in names


class TestBreakingChanges:
    def test_flags_a_removed_property(self) -> None:
        old = _schema(person_id=(str, ...), email=(str, ...))
        new = _schema(person_id=(str, ...))

        assert breaking_changes(old, new) == ["message: property 'email' was removed"]

    def test_flags_a_property_whose_type_changed(self) -> None:
        old = _schema(seats=(int, ...))
        new = _schema(seats=(str, ...))

        [problem] = breaking_changes(old, new)
        assert problem.startswith("message: type of property 'seats' changed")

    def test_flags_a_tightened_constraint_as_a_type_change(self) -> None:
        old = _schema(name=(str, Field(max_length=100)))
        new = _schema(name=(str, Field(max_length=50)))

        assert breaking_changes(old, new) == [
            "message: type of property 'name' changed"
            ' from {"maxLength": 100, "type": "string"} to {"maxLength": 50, "type": "string"}'
        ]

    def test_allows_a_new_optional_property(self) -> None:
        old = _schema(person_id=(str, ...))
        new = _schema(person_id=(str, ...), nickname=(str | None, None))

        assert breaking_changes(old, new) == []

    def test_flags_a_new_required_property(self) -> None:
        old = _schema(person_id=(str, ...))
        new = _schema(person_id=(str, ...), phone=(str, ...))

        assert breaking_changes(old, new) == ["message: new property 'phone' is required"]

    def test_flags_an_optional_property_made_required(self) -> None:
        old = _schema(phone=(str, ""))
        new = _schema(phone=(str, ...))

        assert breaking_changes(old, new) == [
            "message: optional property 'phone' was made required"
        ]

    def test_flags_a_required_property_made_optional(self) -> None:
        old = _schema(person_id=(str, ...), email=(str, ...))
        new = _schema(person_id=(str, ...), email=(str | None, None))

        [made_optional, type_changed] = breaking_changes(old, new)
        assert made_optional == "message: required property 'email' was made optional"
        assert type_changed.startswith("message: type of property 'email' changed")

    def test_flags_a_changed_default(self) -> None:
        old = _schema(channel=(str, "email"))
        new = _schema(channel=(str, "sms"))

        assert breaking_changes(old, new) == [
            'message: default of property \'channel\' changed from "email" to "sms"'
        ]

    def test_allows_a_reworded_description(self) -> None:
        old = _schema(email=(str, Field(description="Where the mail goes.")))
        new = _schema(email=(str, Field(description="Address the welcome e-mail goes to.")))

        assert breaking_changes(old, new) == []

    def test_flags_a_change_inside_a_nested_model(self) -> None:
        old_body = create_model("Body", code=(str, ...), message=(str, ...))
        new_body = create_model("Body", code=(str, ...))
        old = _schema(error=(old_body, ...))
        new = _schema(error=(new_body, ...))

        assert breaking_changes(old, new) == ["definition 'Body': property 'message' was removed"]

    def test_allows_unknown_fields_becoming_ignored(self) -> None:
        strict = create_model(
            "Synthetic", __config__={"extra": "forbid"}, code=(str, ...)
        ).model_json_schema()
        lenient = create_model("Synthetic", code=(str, ...)).model_json_schema()

        assert breaking_changes(strict, lenient) == []

    def test_flags_extra_fields_becoming_forbidden(self) -> None:
        old = create_model("Synthetic", code=(str, ...)).model_json_schema()
        strict = create_model(
            "Synthetic", __config__={"extra": "forbid"}, code=(str, ...)
        ).model_json_schema()

        assert breaking_changes(old, strict) == [
            "message: 'additionalProperties' changed from null to false"
        ]
