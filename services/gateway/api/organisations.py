"""``/api/v1/organisations``: the organisations of the members' register (staff)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from contracts.base import Email, Siren
from contracts.members import (
    Address,
    ArchiveOrganisationV1,
    AuditLogV1,
    College,
    CreateOrganisationV1,
    ExportFormat,
    ExportOrganisationsV1,
    GetAuditLogV1,
    GetOrganisationV1,
    ImportOrganisationsV1,
    ImportReportV1,
    OrganisationKind,
    OrganisationsFilter,
    OrganisationsPageV1,
    OrganisationV1,
    RestoreOrganisationV1,
    SearchOrganisationsV1,
    Territory,
    UpdateOrganisationV1,
)
from services.gateway.api import Rpc, Staff
from services.gateway.downloads import EXPORT_RESPONSES, download
from services.gateway.uploads import CSV_BODY, UploadedFiles, import_file

router = APIRouter(prefix="/api/v1/organisations", tags=["organisations"])


class NewOrganisation(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: OrganisationKind
    name: str = Field(min_length=1, max_length=200)
    siren: Siren | None = None
    address: Address = Address()
    territory: Territory = Territory()
    college: College | None = None
    email: Email | None = Field(
        default=None, description="The organisation's own address; calls for dues go there."
    )
    phone: str = Field(default="", max_length=40)


class OrganisationChanges(BaseModel):
    """Only the fields given change; an empty e-mail or phone clears it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: OrganisationKind | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    siren: Siren | None = None
    address: Address | None = None
    territory: Territory | None = None
    college: College | None = None
    email: Email | Literal[""] | None = None
    phone: str | None = Field(default=None, max_length=40)


class OrganisationsQuery(OrganisationsFilter):
    """Filters (every given one must hold) and the page wanted."""

    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000_000)


class OrganisationsExportQuery(OrganisationsFilter):
    """Filters (every given one must hold) and the file format."""

    format: ExportFormat = "csv"


class Organisation(BaseModel):
    id: uuid.UUID
    kind: OrganisationKind
    name: str
    siren: str | None
    address: Address
    territory: Territory
    college: College
    created_at: str
    email: str = ""
    phone: str = ""
    archived_at: datetime | None = None
    updated_at: datetime | None = None


def _out(reply: OrganisationV1) -> Organisation:
    return Organisation(
        id=reply.organisation_id,
        kind=reply.kind,
        name=reply.name,
        siren=reply.siren,
        address=reply.address,
        territory=reply.territory,
        college=reply.college,
        created_at=reply.created_at,
        email=reply.email,
        phone=reply.phone,
        archived_at=reply.archived_at,
        updated_at=reply.updated_at,
    )


@router.get("", response_model=OrganisationsPageV1, summary="Search organisations (staff)")
async def search_organisations(
    query: Annotated[OrganisationsQuery, Query()], rpc: Rpc, _staff: Staff
) -> OrganisationsPageV1:
    """Archived organisations only when ``archived`` asks for them."""
    wanted = OrganisationsFilter(**query.model_dump(exclude={"limit", "offset"}))
    command = SearchOrganisationsV1(filter=wanted, limit=query.limit, offset=query.offset)
    return await rpc.call(command, OrganisationsPageV1)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses=EXPORT_RESPONSES,
    summary="Export organisations as CSV or XLSX (staff)",
)
async def export_organisations(
    request: Request,
    query: Annotated[OrganisationsExportQuery, Query()],
    rpc: Rpc,
    files: UploadedFiles,
    staff: Staff,
) -> StreamingResponse:
    """Every organisation the filters match (the same filters as the search), in its order, as
    a download: ``format=csv`` (UTF-8 with BOM, ``;``, as French offices open it) or ``xlsx``.
    422 when the list is longer than members' ``RESO_MEMBERS_EXPORT_MAX_ROWS``."""
    wanted = OrganisationsFilter(**query.model_dump(exclude={"format"}))
    command = ExportOrganisationsV1(filter=wanted, format=query.format, by=staff.email)
    return await download(request, rpc, files, command, format=query.format, stem="organisations")


@router.post("", status_code=201, response_model=Organisation, summary="Create (staff)")
async def create_organisation(
    body: NewOrganisation,
    rpc: Rpc,
    staff: Staff,
) -> Organisation:
    """Territory codes are checked against the reference data; one organisation per SIREN."""
    reply = await rpc.call(
        CreateOrganisationV1(**body.model_dump(), created_by=staff.email), OrganisationV1
    )
    return _out(reply)


@router.post(
    "/import",
    response_model=ImportReportV1,
    summary="Import organisations from CSV (staff)",
    openapi_extra=CSV_BODY,
)
async def import_organisations(
    request: Request,
    rpc: Rpc,
    files: UploadedFiles,
    staff: Staff,
    dry_run: bool = True,
) -> ImportReportV1:
    """Send the CSV file as the request body (columns such as Nom, Type, SIREN, Adresse, Code
    postal, Commune, Département, EPCI, QPV). ``dry_run=true`` (the default) only reports every
    bad row with its line; ``dry_run=false`` adds the organisations not known yet (matched on
    SIREN, else on name and commune)."""
    return await import_file(
        request,
        rpc,
        files,
        lambda name: ImportOrganisationsV1(file=name, dry_run=dry_run, by=staff.email),
    )


@router.get("/{organisation_id}", response_model=Organisation, summary="Read (staff)")
async def get_organisation(
    organisation_id: uuid.UUID,
    rpc: Rpc,
    _staff: Staff,
) -> Organisation:
    return _out(await rpc.call(GetOrganisationV1(organisation_id=organisation_id), OrganisationV1))


@router.patch("/{organisation_id}", response_model=Organisation, summary="Change (staff)")
async def update_organisation(
    organisation_id: uuid.UUID, body: OrganisationChanges, rpc: Rpc, staff: Staff
) -> Organisation:
    """Every change is kept in the audit log; 409 when the SIREN is another organisation's."""
    command = UpdateOrganisationV1(
        organisation_id=organisation_id, **body.model_dump(), by=staff.email
    )
    return _out(await rpc.call(command, OrganisationV1))


@router.post("/{organisation_id}/archive", response_model=Organisation, summary="Archive (staff)")
async def archive_organisation(organisation_id: uuid.UUID, rpc: Rpc, staff: Staff) -> Organisation:
    """Out of lists, searches and renewals, nothing deleted; 409 if already archived."""
    command = ArchiveOrganisationV1(organisation_id=organisation_id, by=staff.email)
    return _out(await rpc.call(command, OrganisationV1))


@router.post("/{organisation_id}/restore", response_model=Organisation, summary="Restore (staff)")
async def restore_organisation(organisation_id: uuid.UUID, rpc: Rpc, staff: Staff) -> Organisation:
    command = RestoreOrganisationV1(organisation_id=organisation_id, by=staff.email)
    return _out(await rpc.call(command, OrganisationV1))


@router.get("/{organisation_id}/audit", response_model=AuditLogV1, summary="Audit log (staff)")
async def organisation_audit(organisation_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> AuditLogV1:
    """Every change to the organisation's record: who, when, before and after."""
    query = GetAuditLogV1(record_type="organisation", record_id=str(organisation_id))
    return await rpc.call(query, AuditLogV1)
