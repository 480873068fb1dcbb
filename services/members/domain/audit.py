"""The audit log: who changed what on a record of the register, when, with the values before and
after. Entries are written in the transaction of the change they describe.

Values are kept in a JSON-friendly form (dates and ids as strings, amounts as strings to the
cent). Erasing a person redacts the values of the entries about them: the trail of who changed
what, and when, stays; what identified the person goes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from contracts.members import AuditedRecord

RecordType = AuditedRecord
"""The records the audit log follows (one list, the contract's)."""
REDACTED = "[effacé]"
SYSTEM = "système"
"""``by`` of changes nobody asked for (the membership calendar, expiries)."""


@dataclass(frozen=True)
class AuditEntry:
    record_type: RecordType
    record_id: str
    action: str
    at: datetime
    by: str
    changes: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)


def plain(value: Any) -> Any:
    """A value as the audit log keeps it (what JSON can hold)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return str(value)


def diff(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> dict[str, tuple[Any, Any]]:
    """The fields whose value differs, as ``{field: (before, after)}``; a record that appears
    (``before`` None) or disappears (``after`` None) lists all its fields."""
    old = {key: plain(value) for key, value in (before or {}).items()}
    new = {key: plain(value) for key, value in (after or {}).items()}
    return {
        key: (old.get(key), new.get(key))
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    }


def entry(
    record_type: RecordType,
    record_id: object,
    action: str,
    *,
    at: datetime,
    by: str | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry(
        record_type=record_type,
        record_id=str(record_id),
        action=action,
        at=at,
        by=by or SYSTEM,
        changes=diff(before, after),
    )


def redacted(changes: Mapping[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    """The same fields, their values gone."""
    return {
        name: (None if old is None else REDACTED, None if new is None else REDACTED)
        for name, (old, new) in changes.items()
    }
