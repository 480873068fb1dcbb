"""Messages that read the audit log of the register."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from contracts.base import Query, Reply

AuditedRecord = Literal[
    "person",
    "organisation",
    "membership",
    "affiliation",
    "network_membership",
    "mandate",
    "meeting",
    "correspondent",
]


class GetAuditLogV1(Query):
    """Every change to one record, oldest first (staff)."""

    subject: ClassVar[str] = "rpc.members.audit.get.v1"

    record_type: AuditedRecord
    record_id: str = Field(max_length=64)


class FieldChangeV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    field: str
    before: JsonValue = None
    after: JsonValue = None


class AuditEntryV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    at: AwareDatetime
    by: str = Field(description="Staff e-mail, 'self' for the person themself, or 'système'.")
    action: str = Field(description="created, updated, archived, restored, erased, paid…")
    changes: tuple[FieldChangeV1, ...] = ()


class AuditLogV1(Reply):
    subject: ClassVar[str] = "rpc.members.audit.get.v1"

    record_type: AuditedRecord
    record_id: str
    entries: tuple[AuditEntryV1, ...]
