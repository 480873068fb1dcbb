"""Staff routes for attendance and the activity report: check-in (and its undo), the attendance
list (CSV) and sign-in sheet (PDF), attendance certificates (PDF), the activity report of a
period (JSON or CSV).

Documents come from the events service through the object store and are streamed as
attachments with French file names (``emargement-<titre>-<date>.pdf``,
``attestation-presence-<nom>-<prenom>.pdf``…).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from contracts.base import Query as RpcQuery
from contracts.events import (
    ActivityReportV1,
    CheckInV1,
    EventFileV1,
    GetActivityReportV1,
    GetAttendanceSheetV1,
    GetCertificatesV1,
    RegistrationV1,
)
from services.gateway.api import Rpc, Staff
from services.gateway.downloads import stored_file_response
from services.gateway.settings import GatewaySettings
from services.gateway.uploads import UploadedFiles

router = APIRouter(prefix="/api/v1", tags=["events"])


def _file(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    schema = (
        {"type": "string"} if media_type == "text/csv" else {"type": "string", "format": "binary"}
    )
    return {200: {"description": description, "content": {media_type: {"schema": schema}}}}


async def _send(
    request: Request, rpc: Rpc, files: UploadedFiles, query: RpcQuery
) -> StreamingResponse:
    settings: GatewaySettings = request.app.state.settings
    made = await rpc.call(query, EventFileV1, timeout=settings.export_timeout_seconds)
    return await stored_file_response(
        files, made.file, size=made.size, media_type=made.media_type, filename=made.filename
    )


@router.post(
    "/registrants/{registration_id}/check-in",
    response_model=RegistrationV1,
    summary="Check a registrant in as present (staff)",
)
async def check_in(registration_id: uuid.UUID, rpc: Rpc, staff: Staff) -> RegistrationV1:
    command = CheckInV1(registration_id=registration_id, present=True, by=staff.email)
    return await rpc.call(command, RegistrationV1)


@router.delete(
    "/registrants/{registration_id}/check-in",
    response_model=RegistrationV1,
    summary="Undo a check-in (staff)",
)
async def undo_check_in(registration_id: uuid.UUID, rpc: Rpc, staff: Staff) -> RegistrationV1:
    command = CheckInV1(registration_id=registration_id, present=False, by=staff.email)
    return await rpc.call(command, RegistrationV1)


@router.get(
    "/events/{event_id}/attendance/sheet.csv",
    response_class=StreamingResponse,
    responses=_file("text/csv", "The attendance list, « presences-<titre>-<date>.csv »."),
    summary="Attendance list as CSV (staff)",
)
async def attendance_csv(
    event_id: uuid.UUID, request: Request, rpc: Rpc, files: UploadedFiles, _staff: Staff
) -> StreamingResponse:
    return await _send(request, rpc, files, GetAttendanceSheetV1(event_id=event_id, format="csv"))


@router.get(
    "/events/{event_id}/attendance/sheet.pdf",
    response_class=StreamingResponse,
    responses=_file("application/pdf", "The sign-in sheet, « emargement-<titre>-<date>.pdf »."),
    summary="Sign-in sheet to print (staff)",
)
async def signin_sheet(
    event_id: uuid.UUID,
    request: Request,
    rpc: Rpc,
    files: UploadedFiles,
    _staff: Staff,
    blank_rows: Annotated[int, Query(ge=0, le=200)] = 0,
) -> StreamingResponse:
    query = GetAttendanceSheetV1(event_id=event_id, format="pdf", blank_rows=blank_rows)
    return await _send(request, rpc, files, query)


@router.get(
    "/events/{event_id}/attendance/certificates.pdf",
    response_class=StreamingResponse,
    responses=_file("application/pdf", "Every attendee's certificate, one page each."),
    summary="All attendance certificates of an event (staff)",
)
async def all_certificates(
    event_id: uuid.UUID, request: Request, rpc: Rpc, files: UploadedFiles, _staff: Staff
) -> StreamingResponse:
    return await _send(request, rpc, files, GetCertificatesV1(event_id=event_id))


@router.get(
    "/registrants/{registration_id}/certificate.pdf",
    response_class=StreamingResponse,
    responses=_file("application/pdf", "« attestation-presence-<nom>-<prenom>.pdf »."),
    summary="A registrant's attendance certificate (staff)",
)
async def certificate(
    registration_id: uuid.UUID, request: Request, rpc: Rpc, files: UploadedFiles, _staff: Staff
) -> StreamingResponse:
    return await _send(request, rpc, files, GetCertificatesV1(registration_id=registration_id))


@router.get(
    "/reports/activity",
    response_model=None,
    responses={
        200: {
            "description": "The report as JSON, or as a French CSV "
            "« rapport-activite-<debut>-<fin>.csv » with ``format=csv``.",
            "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}},
        }
    },
    summary="Activity report of a period (staff)",
)
async def activity_report(
    rpc: Rpc,
    _staff: Staff,
    start: Annotated[date, Query(alias="from", description="First day, included.")],
    end: Annotated[date, Query(alias="to", description="Last day, included.")],
    format: Literal["json", "csv"] = "json",
) -> Response:
    query = GetActivityReportV1(start=start, end=end, format=format)
    made = await rpc.call(query, ActivityReportV1)
    if format == "csv" and made.csv is not None:
        return Response(
            made.csv.encode("utf-8-sig"),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="rapport-activite-'
                f'{start.isoformat()}-{end.isoformat()}.csv"'
            },
        )
    return JSONResponse(made.report)
