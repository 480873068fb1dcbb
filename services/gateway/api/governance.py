"""``/api/v1/governance``: mandates in the association's bodies, meetings, their sign-in sheets
and quorum (staff); and ``/api/v1/people/{id}/mandates``."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from contracts.members import (
    AuditLogV1,
    College,
    CreateMandateV1,
    CreateMeetingV1,
    EndMandateV1,
    GetAuditLogV1,
    GetMeetingV1,
    GovernanceBody,
    ListMandatesV1,
    ListPersonMandatesV1,
    MandatesV1,
    MandateV1,
    MandateVoice,
    MeetingV1,
    RecordPresenceV1,
    RecordProxyV1,
    RemovePresenceV1,
    SeatKind,
    WithdrawProxyV1,
)
from services.gateway.api import Rpc, Staff

router = APIRouter(prefix="/api/v1", tags=["governance"])


class NewMandate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    person_id: uuid.UUID
    body: GovernanceBody
    college: College | None = Field(
        default=None, description="Required for a deliberative seat at the general assembly."
    )
    seat: str = Field(min_length=1, max_length=100, description="e.g. 'membre', 'trésorière'.")
    seat_kind: SeatKind = Field(
        default="member",
        description="'personne_qualifiee': co-opted, consultative voice only, never counted.",
    )
    voice: MandateVoice | None = Field(
        default=None,
        description="Default: deliberative for a member, consultative for a personne qualifiée.",
    )
    organisation_id: uuid.UUID | None = Field(
        default=None,
        description="The organisation the person represents; required at the comité des "
        "financeurs.",
    )
    start: date
    end: date | None = Field(default=None, description="Last day included.")


class MandateEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    end: date = Field(description="Last day the mandate is in force (included).")


class NewMeeting(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    body: GovernanceBody
    held_on: date
    title: str = Field(min_length=1, max_length=200)
    second_convocation: bool = False


class Proxy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    holder_id: uuid.UUID = Field(description="The member present who receives the proxy.")


@router.post(
    "/governance/mandates",
    status_code=201,
    response_model=MandateV1,
    summary="Give a seat (staff)",
)
async def create_mandate(body: NewMandate, rpc: Rpc, staff: Staff) -> MandateV1:
    """404 for an unknown or erased person or an unknown organisation; 409 when the person
    already has a deliberative mandate in that body on one of those days."""
    return await rpc.call(CreateMandateV1(**body.model_dump(), by=staff.email), MandateV1)


@router.get("/governance/mandates", response_model=MandatesV1, summary="A body's mandates (staff)")
async def list_mandates(
    body: GovernanceBody, rpc: Rpc, _staff: Staff, on: date | None = None
) -> MandatesV1:
    """The mandates of ``body`` in force on ``on`` (default: today)."""
    return await rpc.call(ListMandatesV1(body=body, on=on), MandatesV1)


@router.post(
    "/governance/mandates/{mandate_id}/end", response_model=MandateV1, summary="End (staff)"
)
async def end_mandate(mandate_id: uuid.UUID, body: MandateEnd, rpc: Rpc, staff: Staff) -> MandateV1:
    """Set the mandate's last day (not before its first)."""
    command = EndMandateV1(mandate_id=mandate_id, end=body.end, by=staff.email)
    return await rpc.call(command, MandateV1)


@router.get(
    "/people/{person_id}/mandates", response_model=MandatesV1, summary="A person's mandates"
)
async def person_mandates(person_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> MandatesV1:
    """Every mandate of the person, past, current and future (staff)."""
    return await rpc.call(ListPersonMandatesV1(person_id=person_id), MandatesV1)


@router.post(
    "/governance/meetings",
    status_code=201,
    response_model=MeetingV1,
    summary="Convene a meeting (staff)",
)
async def create_meeting(body: NewMeeting, rpc: Rpc, staff: Staff) -> MeetingV1:
    return await rpc.call(CreateMeetingV1(**body.model_dump(), by=staff.email), MeetingV1)


@router.get(
    "/governance/meetings/{meeting_id}",
    response_model=MeetingV1,
    summary="Sign-in sheet and quorum (staff)",
)
async def get_meeting(meeting_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> MeetingV1:
    """The sheet lists everyone sitting in the body that day; the quorum is counted by college
    with the centre's bylaws (none for the comité des financeurs)."""
    return await rpc.call(GetMeetingV1(meeting_id=meeting_id), MeetingV1)


@router.put(
    "/governance/meetings/{meeting_id}/presence/{person_id}",
    response_model=MeetingV1,
    summary="Sign in (staff)",
)
async def record_presence(
    meeting_id: uuid.UUID, person_id: uuid.UUID, rpc: Rpc, staff: Staff
) -> MeetingV1:
    command = RecordPresenceV1(meeting_id=meeting_id, person_id=person_id, by=staff.email)
    return await rpc.call(command, MeetingV1)


@router.delete(
    "/governance/meetings/{meeting_id}/presence/{person_id}",
    response_model=MeetingV1,
    summary="Strike off (staff)",
)
async def remove_presence(
    meeting_id: uuid.UUID, person_id: uuid.UUID, rpc: Rpc, staff: Staff
) -> MeetingV1:
    """409 while the person holds proxies."""
    command = RemovePresenceV1(meeting_id=meeting_id, person_id=person_id, by=staff.email)
    return await rpc.call(command, MeetingV1)


@router.put(
    "/governance/meetings/{meeting_id}/proxies/{giver_id}",
    response_model=MeetingV1,
    summary="Record a proxy (staff)",
)
async def record_proxy(
    meeting_id: uuid.UUID, giver_id: uuid.UUID, body: Proxy, rpc: Rpc, staff: Staff
) -> MeetingV1:
    """The absent member ``giver_id`` gives their proxy to ``holder_id``, who is present, as the
    bylaws allow; 409 beyond the maximum a member may hold."""
    command = RecordProxyV1(
        meeting_id=meeting_id, giver_id=giver_id, holder_id=body.holder_id, by=staff.email
    )
    return await rpc.call(command, MeetingV1)


@router.delete(
    "/governance/meetings/{meeting_id}/proxies/{giver_id}",
    response_model=MeetingV1,
    summary="Withdraw a proxy (staff)",
)
async def withdraw_proxy(
    meeting_id: uuid.UUID, giver_id: uuid.UUID, rpc: Rpc, staff: Staff
) -> MeetingV1:
    command = WithdrawProxyV1(meeting_id=meeting_id, giver_id=giver_id, by=staff.email)
    return await rpc.call(command, MeetingV1)


@router.get(
    "/governance/mandates/{mandate_id}/audit",
    response_model=AuditLogV1,
    summary="A mandate's audit log (staff)",
)
async def mandate_audit(mandate_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> AuditLogV1:
    """Who seated the person and who ended the mandate, when."""
    query = GetAuditLogV1(record_type="mandate", record_id=str(mandate_id))
    return await rpc.call(query, AuditLogV1)


@router.get(
    "/governance/meetings/{meeting_id}/audit",
    response_model=AuditLogV1,
    summary="A meeting's audit log (staff)",
)
async def meeting_audit(meeting_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> AuditLogV1:
    """Every line of the sign-in sheet: who recorded a presence or a proxy, when, and the sheet
    before and after."""
    query = GetAuditLogV1(record_type="meeting", record_id=str(meeting_id))
    return await rpc.call(query, AuditLogV1)
