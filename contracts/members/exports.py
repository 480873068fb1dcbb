"""Messages that export a filtered list of people or organisations as a spreadsheet file."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from contracts.base import Query, Reply
from contracts.members.search import OrganisationsFilter, PeopleFilter

ExportFormat = Literal["csv", "xlsx"]


class ExportPeopleV1(Query):
    """Write every person matching ``filter`` into a spreadsheet file (staff, through the gateway).

    members reads the list page by page, in the order of the search (last name, first name),
    writes the file (CSV as French offices open it, or XLSX) into the JetStream object store
    bucket RESO_FILES and answers its name; the caller reads the file, then deletes it (the
    bucket's TTL otherwise). A list longer than members' ``RESO_MEMBERS_EXPORT_MAX_ROWS`` is
    refused (``rule_violated``). Not a person's own data export, which is
    ``rpc.members.person.export.v1``.
    """

    subject: ClassVar[str] = "rpc.members.people.export_list.v1"

    filter: PeopleFilter = PeopleFilter()
    format: ExportFormat = "csv"
    by: str = Field(description="E-mail of the staff account that asked.")


class ExportOrganisationsV1(Query):
    """Write every organisation matching ``filter`` into a spreadsheet file (staff, through the
    gateway), in the order of the search (name); otherwise as ``ExportPeopleV1``."""

    subject: ClassVar[str] = "rpc.members.organisations.export_list.v1"

    filter: OrganisationsFilter = OrganisationsFilter()
    format: ExportFormat = "csv"
    by: str = Field(description="E-mail of the staff account that asked.")


class ExportedFileV1(Reply):
    """The file an export wrote into the object store."""

    subject: ClassVar[str] = "rpc.members.people.export_list.v1"

    file: str = Field(
        description="Name of the file in the JetStream object store bucket RESO_FILES; the "
        "caller deletes it once read, the bucket's TTL otherwise."
    )
    format: ExportFormat
    size: int = Field(ge=0, description="Size of the file in bytes.")
    rows: int = Field(ge=0, description="Rows written, the header aside.")
