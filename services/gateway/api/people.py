"""``/api/v1/people``: the people of the members' register (staff), and their affiliations."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from contracts.base import Email, PersonName
from contracts.members import (
    AccessV1,
    AddAffiliationV1,
    AffiliationV1,
    ArchivePersonV1,
    AuditLogV1,
    CheckAccessV1,
    College,
    CreatePersonV1,
    ErasePersonV1,
    ExportFormat,
    ExportPeopleV1,
    GetAuditLogV1,
    GetPersonV1,
    ImportPeopleV2,
    ImportReportV1,
    PeopleFilter,
    PeoplePageV1,
    PersonErasureReplyV1,
    PersonKind,
    PersonV1,
    RemoveAffiliationV1,
    RestorePersonV1,
    SearchPeopleV1,
    Territory,
    UpdateAffiliationV1,
    UpdatePersonV1,
)
from services.gateway.api import Rpc, Staff
from services.gateway.downloads import EXPORT_RESPONSES, download
from services.gateway.uploads import CSV_BODY, UploadedFiles, import_file

router = APIRouter(prefix="/api/v1/people", tags=["people"])
affiliations_router = APIRouter(prefix="/api/v1/affiliations", tags=["people"])


class PeopleQuery(PeopleFilter):
    """Filters (every given one must hold) and the page wanted."""

    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000_000)


class PeopleExportQuery(PeopleFilter):
    """Filters (every given one must hold) and the file format."""

    format: ExportFormat = "csv"


class NewPerson(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: PersonName
    last_name: PersonName
    email: Email
    phone: str = Field(default="", max_length=40)
    title: str = Field(default="", max_length=200)
    kind: PersonKind = PersonKind.OTHER
    college: College | None = None
    territory: Territory = Territory()


class PersonChanges(BaseModel):
    """Only the fields given change; an empty phone or title clears it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: PersonName | None = None
    last_name: PersonName | None = None
    email: Email | None = None
    phone: str | None = Field(default=None, max_length=40)
    title: str | None = Field(default=None, max_length=200)
    kind: PersonKind | None = None
    college: College | None = None
    territory: Territory | None = None


class NewAffiliation(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    organisation_id: uuid.UUID
    role: str = Field(min_length=1, max_length=100)
    start: date
    end: date | None = None
    contact: bool = Field(default=False, description="Receives the organisation's calls for dues.")


class AffiliationChanges(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: str | None = Field(default=None, min_length=1, max_length=100)
    end: date | None = None
    clear_end: bool = False
    contact: bool | None = None
    verified: bool | None = None


@router.get("", response_model=PeoplePageV1, summary="Search people (staff)")
async def search_people(
    query: Annotated[PeopleQuery, Query()], rpc: Rpc, _staff: Staff
) -> PeoplePageV1:
    """Erased people never appear; archived ones only when ``archived`` asks for them."""
    wanted = PeopleFilter(**query.model_dump(exclude={"limit", "offset"}))
    return await rpc.call(
        SearchPeopleV1(filter=wanted, limit=query.limit, offset=query.offset), PeoplePageV1
    )


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses=EXPORT_RESPONSES,
    summary="Export people as CSV or XLSX (staff)",
)
async def export_people(
    request: Request,
    query: Annotated[PeopleExportQuery, Query()],
    rpc: Rpc,
    files: UploadedFiles,
    staff: Staff,
) -> StreamingResponse:
    """Every person the filters match (the same filters as the search), in its order, as a
    download: ``format=csv`` (UTF-8 with BOM, ``;``, as French offices open it) or ``xlsx``.
    422 when the list is longer than members' ``RESO_MEMBERS_EXPORT_MAX_ROWS``."""
    wanted = PeopleFilter(**query.model_dump(exclude={"format"}))
    command = ExportPeopleV1(filter=wanted, format=query.format, by=staff.email)
    return await download(request, rpc, files, command, format=query.format, stem="personnes")


@router.post("", status_code=201, response_model=PersonV1, summary="Add a person (staff)")
async def create_person(body: NewPerson, rpc: Rpc, staff: Staff) -> PersonV1:
    """The address counts as confirmed and no welcome e-mail is sent; 409 if it is known."""
    return await rpc.call(CreatePersonV1(**body.model_dump(), by=staff.email), PersonV1)


@router.post(
    "/import",
    response_model=ImportReportV1,
    summary="Import people from CSV (staff)",
    openapi_extra=CSV_BODY,
)
async def import_people(
    request: Request,
    rpc: Rpc,
    files: UploadedFiles,
    staff: Staff,
    dry_run: bool = True,
) -> ImportReportV1:
    """Send the CSV file as the request body. ``dry_run=true`` (the default) only reports every
    bad row with its line; ``dry_run=false`` adds the people not known yet (matched on e-mail)."""
    return await import_file(
        request,
        rpc,
        files,
        lambda name: ImportPeopleV2(file=name, dry_run=dry_run, by=staff.email),
    )


@router.get("/{person_id}", response_model=PersonV1, summary="Read a person (staff)")
async def get_person(person_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> PersonV1:
    return await rpc.call(GetPersonV1(person_id=person_id), PersonV1)


@router.patch("/{person_id}", response_model=PersonV1, summary="Change a person (staff)")
async def update_person(
    person_id: uuid.UUID, body: PersonChanges, rpc: Rpc, staff: Staff
) -> PersonV1:
    """Every change is kept in the audit log; 409 when the new address is someone else's."""
    command = UpdatePersonV1(person_id=person_id, **body.model_dump(), by=staff.email)
    return await rpc.call(command, PersonV1)


@router.post("/{person_id}/archive", response_model=PersonV1, summary="Archive (staff)")
async def archive_person(person_id: uuid.UUID, rpc: Rpc, staff: Staff) -> PersonV1:
    """Out of lists and searches, nothing erased; 409 if already archived."""
    return await rpc.call(ArchivePersonV1(person_id=person_id, by=staff.email), PersonV1)


@router.post("/{person_id}/restore", response_model=PersonV1, summary="Restore (staff)")
async def restore_person(person_id: uuid.UUID, rpc: Rpc, staff: Staff) -> PersonV1:
    return await rpc.call(RestorePersonV1(person_id=person_id, by=staff.email), PersonV1)


@router.get("/{person_id}/audit", response_model=AuditLogV1, summary="Audit log (staff)")
async def person_audit(person_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> AuditLogV1:
    """Every change to the person's record: who, when, before and after."""
    query = GetAuditLogV1(record_type="person", record_id=str(person_id))
    return await rpc.call(query, AuditLogV1)


@router.get(
    "/{person_id}/networks/audit", response_model=AuditLogV1, summary="Networks audit (staff)"
)
async def person_networks_audit(person_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> AuditLogV1:
    """Every change of the person's place in the networks: joined, asked, approved, refused,
    left; one field per network, with its status before and after."""
    query = GetAuditLogV1(record_type="network_membership", record_id=str(person_id))
    return await rpc.call(query, AuditLogV1)


@router.delete(
    "/{person_id}", status_code=204, summary="Erase a person (staff)", response_model=None
)
async def erase_person(person_id: uuid.UUID, request: Request, rpc: Rpc, staff: Staff) -> Response:
    """Anonymise the person in members; every other service erases its data in turn, and the
    person's sessions in their personal space end."""
    await rpc.call(
        ErasePersonV1(person_id=person_id, requested_by=staff.email), PersonErasureReplyV1
    )
    await request.app.state.person_sessions.close_all(person_id)
    return Response(status_code=204)


@router.post(
    "/{person_id}/affiliations",
    status_code=201,
    response_model=AffiliationV1,
    summary="Tie a person to an organisation (staff)",
)
async def add_affiliation(
    person_id: uuid.UUID, body: NewAffiliation, rpc: Rpc, staff: Staff
) -> AffiliationV1:
    """While it holds, the organisation's membership covers the person."""
    command = AddAffiliationV1(person_id=person_id, **body.model_dump(), by=staff.email)
    return await rpc.call(command, AffiliationV1)


@router.get("/{person_id}/access", response_model=AccessV1, summary="Member-only access (staff)")
async def check_access(person_id: uuid.UUID, on: date, rpc: Rpc, _staff: Staff) -> AccessV1:
    """Whether the person counts as a member on ``on`` (own or an organisation's membership)."""
    return await rpc.call(CheckAccessV1(person_id=person_id, on=on), AccessV1)


@affiliations_router.patch(
    "/{affiliation_id}", response_model=AffiliationV1, summary="Change an affiliation (staff)"
)
async def update_affiliation(
    affiliation_id: int, body: AffiliationChanges, rpc: Rpc, staff: Staff
) -> AffiliationV1:
    """Role, end date (``clear_end`` removes it), contact flag; verify a declared tie."""
    command = UpdateAffiliationV1(
        affiliation_id=affiliation_id, **body.model_dump(), by=staff.email
    )
    return await rpc.call(command, AffiliationV1)


@affiliations_router.delete(
    "/{affiliation_id}", response_model=AffiliationV1, summary="Delete an affiliation (staff)"
)
async def remove_affiliation(affiliation_id: int, rpc: Rpc, staff: Staff) -> AffiliationV1:
    """For a tie entered by mistake; to end a real one, set its end date."""
    command = RemoveAffiliationV1(affiliation_id=affiliation_id, by=staff.email)
    return await rpc.call(command, AffiliationV1)


@affiliations_router.get(
    "/{affiliation_id}/audit", response_model=AuditLogV1, summary="Audit log (staff)"
)
async def affiliation_audit(affiliation_id: int, rpc: Rpc, _staff: Staff) -> AuditLogV1:
    query = GetAuditLogV1(record_type="affiliation", record_id=str(affiliation_id))
    return await rpc.call(query, AuditLogV1)
