"""``/api/v1/memberships``: yearly memberships, payments and waivers (staff)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from contracts.members import (
    AuditLogV1,
    GetAuditLogV1,
    GetMembershipV1,
    MembershipV1,
    MemberType,
    OpenMembershipV1,
    OverrideMembershipV1,
    RecordPaymentV1,
    WaiveMembershipV1,
)
from services.gateway.api import Rpc, Staff

router = APIRouter(prefix="/api/v1/memberships", tags=["memberships"])


class NewMembership(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_type: MemberType
    member_id: uuid.UUID
    year: int = Field(ge=2000, le=2100)
    population: int | None = Field(
        default=None, ge=0, description="For local authorities; else the reference data's."
    )


class NewPayment(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: Decimal = Field(gt=0, decimal_places=2)
    paid_on: date
    method: Literal["transfer", "cheque", "card", "cash", "administrative_mandate"]
    reference: str = Field(default="", max_length=100)


class Override(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: Literal["pending", "active", "grace", "lapsed"]
    reason: str = Field(min_length=1, max_length=500)


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500)


@router.post("", status_code=201, response_model=MembershipV1, summary="Open a year (staff)")
async def open_membership(body: NewMembership, rpc: Rpc, staff: Staff) -> MembershipV1:
    """Dues come from the centre's fee schedule; 409 if that year is already open."""
    return await rpc.call(OpenMembershipV1(**body.model_dump(), by=staff.email), MembershipV1)


@router.get("/{membership_id}", response_model=MembershipV1, summary="Read (staff)")
async def get_membership(membership_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> MembershipV1:
    return await rpc.call(GetMembershipV1(membership_id=membership_id), MembershipV1)


@router.post(
    "/{membership_id}/payments", response_model=MembershipV1, summary="Record a payment (staff)"
)
async def record_payment(
    membership_id: uuid.UUID, body: NewPayment, rpc: Rpc, staff: Staff
) -> MembershipV1:
    """The payment that settles the dues activates the membership and numbers its receipt."""
    command = RecordPaymentV1(membership_id=membership_id, **body.model_dump(), by=staff.email)
    return await rpc.call(command, MembershipV1)


@router.post("/{membership_id}/waiver", response_model=MembershipV1, summary="Waive (staff)")
async def waive(membership_id: uuid.UUID, body: Waiver, rpc: Rpc, staff: Staff) -> MembershipV1:
    command = WaiveMembershipV1(membership_id=membership_id, reason=body.reason, by=staff.email)
    return await rpc.call(command, MembershipV1)


@router.post("/{membership_id}/status", response_model=MembershipV1, summary="Override (staff)")
async def override(
    membership_id: uuid.UUID, body: Override, rpc: Rpc, staff: Staff
) -> MembershipV1:
    """Set the status by hand; the reason and the staff account are kept in the history."""
    command = OverrideMembershipV1(
        membership_id=membership_id, status=body.status, reason=body.reason, by=staff.email
    )
    return await rpc.call(command, MembershipV1)


@router.get("/{membership_id}/audit", response_model=AuditLogV1, summary="Audit log (staff)")
async def membership_audit(membership_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> AuditLogV1:
    """Every change to the membership: opening, payments, waivers, overrides, the calendar."""
    query = GetAuditLogV1(record_type="membership", record_id=str(membership_id))
    return await rpc.call(query, AuditLogV1)
