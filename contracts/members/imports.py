"""Messages about imports of people and organisations from CSV files."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.base import (
    Command,
    Reply,
)

_FILE = (
    "Name of the uploaded file in the JetStream object store bucket RESO_FILES (the gateway "
    "streams it there); members deletes it once read, the bucket's TTL otherwise."
)


class ImportPeopleV2(Command):
    """Import people from a CSV file as French offices produce them (staff, through the gateway).

    ``dry_run`` only reports. Otherwise valid rows are applied idempotently, in one transaction:
    a row whose e-mail is already known changes nothing, so importing the same file twice
    creates no duplicate. Imported people get no welcome e-mail (they did not sign up
    themselves). Replaces ``ImportPeopleV1``, which carried the file in the message and so was
    limited by the NATS payload size; the file now travels through the object store.
    """

    subject: ClassVar[str] = "rpc.members.people.import.v2"

    file: str = Field(min_length=1, max_length=255, description=_FILE)
    dry_run: bool = True
    by: str = Field(description="E-mail of the staff account that asked.")


class ImportOrganisationsV1(Command):
    """Import organisations from a CSV file (staff, through the gateway).

    ``dry_run`` only reports. Otherwise valid rows are applied idempotently, in one transaction:
    a row matches an existing organisation on its SIREN or, without a SIREN, on its normalised
    name and commune, and then changes nothing; each organisation created gets the default
    college of its kind and emits ``reso.members.organisation.created.v1``.
    """

    subject: ClassVar[str] = "rpc.members.organisations.import.v1"

    file: str = Field(min_length=1, max_length=255, description=_FILE)
    dry_run: bool = True
    by: str = Field(description="E-mail of the staff account that asked.")


class ImportProblemV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    line: int
    reason: str


class ImportReportV1(Reply):
    """What an import found and did; ``errors`` lists every refused row with its line.

    The reply must fit in one NATS message: when a file has so many problems that their list
    would not, the first ones are listed and the others counted in ``errors_not_listed`` and
    ``warnings_not_listed`` (the summary counts them all).
    """

    subject: ClassVar[str] = "rpc.members.people.import.v2"

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
    errors_not_listed: int = Field(default=0, description="Errors left out of ``errors``.")
    warnings_not_listed: int = Field(default=0, description="Warnings left out of ``warnings``.")
