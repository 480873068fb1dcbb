"""``/api/v1/people``: public sign-up and staff read."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from contracts.base import Email, PersonName
from contracts.members import (
    AccessV1,
    AddAffiliationV1,
    AffiliationV1,
    CheckAccessV1,
    ErasePersonV1,
    GetPersonV1,
    ImportPeopleV2,
    ImportReportV1,
    PersonErasureReplyV1,
    PersonRegisteredReplyV1,
    PersonV1,
    RegisterPersonV1,
)
from services.gateway.api import Rpc, Staff
from services.gateway.uploads import CSV_BODY, UploadedFiles, import_file

router = APIRouter(prefix="/api/v1/people", tags=["people"])


class SignUp(BaseModel):
    """What a person gives to sign up: nothing more than needed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: PersonName
    last_name: PersonName
    email: Email


class SignedUp(BaseModel):
    id: uuid.UUID


class Person(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    registered_at: str


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


@router.post("", status_code=201, response_model=SignedUp, summary="Sign up (public)")
async def sign_up(body: SignUp, rpc: Rpc) -> SignedUp:
    """Register a person. Signing up again with the same address gives the same answer."""
    reply = await rpc.call(
        RegisterPersonV1(first_name=body.first_name, last_name=body.last_name, email=body.email),
        PersonRegisteredReplyV1,
    )
    return SignedUp(id=reply.person_id)


@router.get("/{person_id}", response_model=Person, summary="Read a person (staff)")
async def get_person(
    person_id: uuid.UUID,
    rpc: Rpc,
    _staff: Staff,
) -> Person:
    reply = await rpc.call(GetPersonV1(person_id=person_id), PersonV1)
    return Person(
        id=reply.person_id,
        first_name=reply.first_name,
        last_name=reply.last_name,
        email=reply.email,
        registered_at=reply.registered_at,
    )


@router.delete(
    "/{person_id}", status_code=204, summary="Erase a person (staff)", response_model=None
)
async def erase_person(
    person_id: uuid.UUID,
    rpc: Rpc,
    staff: Staff,
) -> Response:
    """Anonymise the person in members; every other service erases its data in turn."""
    await rpc.call(
        ErasePersonV1(person_id=person_id, requested_by=staff.email), PersonErasureReplyV1
    )
    return Response(status_code=204)


class NewAffiliation(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    organisation_id: uuid.UUID
    role: str = Field(min_length=1, max_length=100)
    start: date
    end: date | None = None


@router.post(
    "/{person_id}/affiliations",
    status_code=201,
    response_model=AffiliationV1,
    summary="Tie a person to an organisation (staff)",
)
async def add_affiliation(
    person_id: uuid.UUID,
    body: NewAffiliation,
    rpc: Rpc,
    _staff: Staff,
) -> AffiliationV1:
    """While it holds, the organisation's membership covers the person."""
    return await rpc.call(AddAffiliationV1(person_id=person_id, **body.model_dump()), AffiliationV1)


@router.get("/{person_id}/access", response_model=AccessV1, summary="Member-only access (staff)")
async def check_access(
    person_id: uuid.UUID,
    on: date,
    rpc: Rpc,
    _staff: Staff,
) -> AccessV1:
    """Whether the person counts as a member on ``on`` (own or an organisation's membership)."""
    return await rpc.call(CheckAccessV1(person_id=person_id, on=on), AccessV1)
