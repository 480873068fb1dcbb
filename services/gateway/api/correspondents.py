"""``/api/v1/networks/{slug}/correspondents``: the local correspondents of a network (staff)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from contracts.members import (
    AppointCorrespondentV1,
    AuditLogV1,
    CorrespondentsV1,
    CorrespondentTerritory,
    CorrespondentV1,
    EndCorrespondentV1,
    FindCorrespondentsV1,
    GetAuditLogV1,
    ListCorrespondentsV1,
    TerritoryCorrespondentsV1,
    TerritoryLevel,
)
from services.gateway.api import Rpc, Staff

router = APIRouter(prefix="/api/v1/networks/{slug}/correspondents", tags=["networks"])


class Appointment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID
    territory: CorrespondentTerritory
    since: date
    until: date | None = None


class Ending(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: date | None = Field(default=None, description="Last day (included); default: today.")


def _today() -> date:
    return datetime.now(UTC).date()


@router.post("", status_code=201, response_model=CorrespondentV1, summary="Appoint (staff)")
async def appoint(slug: str, body: Appointment, rpc: Rpc, staff: Staff) -> CorrespondentV1:
    """Appoint a current member of the network for a department, an EPCI (SIREN) or a commune
    (INSEE code) from ``since``. Sending the same appointment again answers the existing one."""
    command = AppointCorrespondentV1(
        network_slug=slug,
        person_id=body.person_id,
        territory=body.territory,
        since=body.since,
        until=body.until,
        by=staff.email,
    )
    return await rpc.call(command, CorrespondentV1)


@router.get("", response_model=CorrespondentsV1, summary="List (staff)")
async def list_correspondents(
    slug: str, rpc: Rpc, _staff: Staff, on: date | None = None
) -> CorrespondentsV1:
    """With ``on``: the correspondents holding that day. Without: every appointment with its
    dates, past, current and future."""
    return await rpc.call(ListCorrespondentsV1(network_slug=slug, on=on), CorrespondentsV1)


@router.post(
    "/{appointment_id}/end", response_model=CorrespondentV1, summary="End an appointment (staff)"
)
async def end(
    slug: str, appointment_id: uuid.UUID, rpc: Rpc, staff: Staff, body: Ending | None = None
) -> CorrespondentV1:
    """The appointment ends on ``until`` (included), today by default; one that already ends by
    then is left as it is."""
    command = EndCorrespondentV1(
        network_slug=slug,
        appointment_id=appointment_id,
        until=(body.until if body else None) or _today(),
        by=staff.email,
    )
    return await rpc.call(command, CorrespondentV1)


@router.get(
    "/{appointment_id}/audit", response_model=AuditLogV1, summary="Appointment audit log (staff)"
)
async def audit_log(slug: str, appointment_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> AuditLogV1:
    """Who appointed the correspondent, who ended or withdrew the appointment, when. Declared
    before the territory lookup, whose ``/{kind}/{code}`` would otherwise catch it."""
    query = GetAuditLogV1(record_type="correspondent", record_id=str(appointment_id))
    return await rpc.call(query, AuditLogV1)


@router.get(
    "/{kind}/{code}",
    response_model=TerritoryCorrespondentsV1,
    summary="Who answers for a territory (staff)",
)
async def find(
    slug: str,
    kind: TerritoryLevel,
    code: Annotated[str, Path(min_length=1, max_length=9)],
    rpc: Rpc,
    _staff: Staff,
    on: date | None = None,
) -> TerritoryCorrespondentsV1:
    """The correspondents of that territory on ``on`` (today by default) or, when it has none,
    of the nearest enclosing level that has some: commune → EPCI → department."""
    query = FindCorrespondentsV1(
        network_slug=slug,
        territory=CorrespondentTerritory(kind=kind, code=code),
        on=on or _today(),
    )
    return await rpc.call(query, TerritoryCorrespondentsV1)
