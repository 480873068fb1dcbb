"""``/api/v1/organisations``: the organisations of the members' register (staff)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from contracts.base import Siren
from contracts.members import (
    Address,
    College,
    CreateOrganisationV1,
    GetOrganisationV1,
    ImportOrganisationsV1,
    ImportReportV1,
    OrganisationKind,
    OrganisationV1,
    Territory,
)
from services.gateway.api import Rpc, Staff
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


class Organisation(BaseModel):
    id: uuid.UUID
    kind: OrganisationKind
    name: str
    siren: str | None
    address: Address
    territory: Territory
    college: College
    created_at: str


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
    )


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
