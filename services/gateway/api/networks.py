"""``/api/v1/networks``: the thematic networks, joining, requests and rosters."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from contracts.members import (
    DecideNetworkRequestV1,
    GetRosterV1,
    JoinNetworkV1,
    LeaveNetworkV1,
    ListNetworksV1,
    NetworkMembershipV1,
    NetworksV1,
    RosterV1,
)
from services.gateway.api import Rpc, Staff

router = APIRouter(prefix="/api/v1/networks", tags=["networks"])


class NewMember(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    approve: bool
    reason: str | None = Field(default=None, max_length=500)


@router.get("", response_model=NetworksV1, summary="The networks (public)")
async def list_networks(rpc: Rpc) -> NetworksV1:
    return await rpc.call(ListNetworksV1(), NetworksV1)


@router.post("/{slug}/members", response_model=NetworkMembershipV1, summary="Join (staff)")
async def join(slug: str, body: NewMember, rpc: Rpc, staff: Staff) -> NetworkMembershipV1:
    """Open network: member at once; closed network: a request for staff to decide."""
    command = JoinNetworkV1(network_slug=slug, person_id=body.person_id, by=staff.email)
    return await rpc.call(command, NetworkMembershipV1)


@router.post(
    "/{slug}/requests/{person_id}", response_model=NetworkMembershipV1, summary="Decide (staff)"
)
async def decide(
    slug: str, person_id: uuid.UUID, body: Decision, rpc: Rpc, staff: Staff
) -> NetworkMembershipV1:
    command = DecideNetworkRequestV1(
        network_slug=slug,
        person_id=person_id,
        approve=body.approve,
        reason=body.reason,
        by=staff.email,
    )
    return await rpc.call(command, NetworkMembershipV1)


@router.delete(
    "/{slug}/members/{person_id}", response_model=NetworkMembershipV1, summary="Leave (staff)"
)
async def leave(slug: str, person_id: uuid.UUID, rpc: Rpc, staff: Staff) -> NetworkMembershipV1:
    command = LeaveNetworkV1(network_slug=slug, person_id=person_id, by=staff.email)
    return await rpc.call(command, NetworkMembershipV1)


@router.get("/{slug}/members", response_model=RosterV1, summary="Roster (staff)")
async def roster(slug: str, rpc: Rpc, _staff: Staff) -> RosterV1:
    return await rpc.call(GetRosterV1(network_slug=slug), RosterV1)
