"""Messages about imports of people."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.base import (
    Command,
    Reply,
)


class ImportPeopleV1(Command):
    """Import people from a CSV file as French offices produce them (staff).

    ``dry_run`` only reports. Otherwise valid rows are applied idempotently: a row whose e-mail
    is already known changes nothing, so importing the same file twice creates no duplicate.
    Imported people get no welcome e-mail (they did not sign up themselves). The file travels in
    the message: keep it under the NATS payload limit (1 MB by default, about 8,000 short rows).
    """

    subject: ClassVar[str] = "rpc.members.people.import.v1"

    csv_base64: str = Field(description="The file's bytes, base64-encoded.")
    dry_run: bool = True
    by: str


class ImportProblemV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    line: int
    reason: str


class ImportReportV1(Reply):
    """What an import found and did; ``errors`` lists every refused row with its line."""

    subject: ClassVar[str] = "rpc.members.people.import.v1"

    summary: str
    encoding: str
    delimiter: str
    read: int
    valid: int
    refused: bool = Field(description="The whole file was refused (see errors).")
    errors: tuple[ImportProblemV1, ...] = ()
    warnings: tuple[ImportProblemV1, ...] = ()
    notices: tuple[str, ...] = ()
    dry_run: bool
    created: int = 0
    already_known: int = 0
