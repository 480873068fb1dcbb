"""``/api/v1/events``, ``/api/v1/cycles``, ``/api/v1/registrations``: the agenda, registering
(anonymously or signed in), the registration's signed link, calendar files; and the staff's
routes to run events, cycles and registrants.

The public never sees an event's video link: a registrant sees it on their registration, once
confirmed for an online attendance.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.base import Email, PersonName, Theme
from contracts.events import (
    AcceptOfferV1,
    AgendaV1,
    AttendanceMode,
    CalendarV1,
    CancelEventV1,
    CancelRegistrationV1,
    CompleteEventV1,
    CreateCycleV1,
    CreateEventV1,
    CycleRegistrationV1,
    CycleV1,
    EventDetailsV1,
    EventFormat,
    EventType,
    EventV1,
    GetAgendaCalendarV1,
    GetCycleV1,
    GetEventCalendarV1,
    GetEventV1,
    GetRegistrationV1,
    ListRegistrantsV1,
    MoveRegistrationV1,
    PublishEventV1,
    RegisterToCycleV1,
    RegisterV1,
    RegistrantsV1,
    RegistrationV1,
    SearchAgendaV1,
    UpdateCycleV1,
    UpdateEventV1,
)
from services.gateway.api import Rpc, Staff
from services.gateway.auth import SESSION_COOKIE
from services.gateway.store import PersonSessions

router = APIRouter(prefix="/api/v1", tags=["events"])

CALENDAR: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/calendar": {}}, "description": "An iCalendar file."}
}


class EventForm(EventDetailsV1):
    """What staff write about an event; times without an offset are Europe/Paris times."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class AgendaFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    theme: Theme | None = None
    type: EventType | None = None
    department: str | None = Field(default=None, max_length=3, description="E.g. '35'.")
    format: EventFormat | None = None
    starts_after: AwareDatetime | None = Field(default=None, alias="from")
    starts_before: AwareDatetime | None = Field(default=None, alias="to")


class RegistrationForm(BaseModel):
    """Who registers. Signed in (session cookie): names and address may be left out."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Email | None = None
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    organisation_id: uuid.UUID | None = None
    mode: AttendanceMode | None = Field(default=None, description="Required for a hybrid event.")


class CancelEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(default="", max_length=2000)


class CycleForm(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=5000)


class Move(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: AttendanceMode | None = None
    promote: bool = False


async def signed_in(request: Request) -> uuid.UUID | None:
    """The person whose session cookie came with the request, if any (no error without)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    sessions: PersonSessions = request.app.state.person_sessions
    return await sessions.person(token)


def calendar_response(calendar: CalendarV1) -> Response:
    return Response(
        calendar.ics,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{calendar.filename}"'},
    )


# --- public -----------------------------------------------------------------------------------


@router.get("/events", response_model=AgendaV1, summary="The agenda (public)")
async def agenda(filters: Annotated[AgendaFilter, Query()], rpc: Rpc) -> AgendaV1:
    """Published events, soonest first; filter by theme, type, department, format, dates."""
    query = SearchAgendaV1(**filters.model_dump(exclude_none=True))
    return await rpc.call(query, AgendaV1)


@router.get(
    "/agenda.ics", response_class=Response, responses=CALENDAR, summary="Agenda feed (public)"
)
async def agenda_feed(rpc: Rpc, theme: Theme | None = None) -> Response:
    """The published events as an iCalendar feed to subscribe to, optionally of one theme."""
    return calendar_response(await rpc.call(GetAgendaCalendarV1(theme=theme), CalendarV1))


@router.get(
    "/events/{event_id}.ics",
    response_class=Response,
    responses=CALENDAR,
    summary="An event's calendar file (public)",
)
async def event_feed(event_id: uuid.UUID, rpc: Rpc) -> Response:
    return calendar_response(await rpc.call(GetEventCalendarV1(event_id=event_id), CalendarV1))


@router.get("/events/{event_id}", response_model=EventV1, summary="An event (public)")
async def event(event_id: uuid.UUID, rpc: Rpc) -> EventV1:
    return await rpc.call(GetEventV1(event_id=event_id), EventV1)


@router.post(
    "/events/{event_id}/registrations",
    status_code=201,
    response_model=RegistrationV1,
    summary="Register (public)",
)
async def register(
    event_id: uuid.UUID, body: RegistrationForm, request: Request, rpc: Rpc
) -> RegistrationV1:
    """Anonymous (address and names) or signed in (the session's person). Confirmed while
    seats remain, else on the waiting list; a member-only event needs a member (403)."""
    command = RegisterV1(event_id=event_id, person_id=await signed_in(request), **body.model_dump())
    return await rpc.call(command, RegistrationV1)


@router.get("/cycles/{cycle_id}", response_model=CycleV1, summary="A cycle (public)")
async def cycle(cycle_id: uuid.UUID, rpc: Rpc) -> CycleV1:
    return await rpc.call(GetCycleV1(cycle_id=cycle_id), CycleV1)


@router.post(
    "/cycles/{cycle_id}/registrations",
    status_code=201,
    response_model=CycleRegistrationV1,
    summary="Register to every session of a cycle (public)",
)
async def register_to_cycle(
    cycle_id: uuid.UUID, body: RegistrationForm, request: Request, rpc: Rpc
) -> CycleRegistrationV1:
    command = RegisterToCycleV1(
        cycle_id=cycle_id, person_id=await signed_in(request), **body.model_dump()
    )
    return await rpc.call(command, CycleRegistrationV1)


@router.get(
    "/registrations/{token}", response_model=RegistrationV1, summary="My registration (link)"
)
async def my_registration(token: str, rpc: Rpc) -> RegistrationV1:
    """The registration the signed link names; the video link once confirmed online."""
    return await rpc.call(GetRegistrationV1(token=token), RegistrationV1)


@router.post(
    "/registrations/{token}/cancel",
    response_model=RegistrationV1,
    summary="Cancel my registration (link)",
)
async def cancel_mine(token: str, rpc: Rpc) -> RegistrationV1:
    return await rpc.call(CancelRegistrationV1(token=token), RegistrationV1)


@router.post(
    "/registrations/{token}/accept",
    response_model=RegistrationV1,
    summary="Take the seat offered (link)",
)
async def accept_offer(token: str, rpc: Rpc) -> RegistrationV1:
    return await rpc.call(AcceptOfferV1(token=token), RegistrationV1)


# --- staff ------------------------------------------------------------------------------------


@router.get("/staff/events", response_model=AgendaV1, summary="Every event (staff)")
async def staff_agenda(
    filters: Annotated[AgendaFilter, Query()], rpc: Rpc, _staff: Staff
) -> AgendaV1:
    """Drafts, published, cancelled and completed events, with their video links."""
    query = SearchAgendaV1(staff=True, **filters.model_dump(exclude_none=True))
    return await rpc.call(query, AgendaV1)


@router.get("/staff/events/{event_id}", response_model=EventV1, summary="An event (staff)")
async def staff_event(event_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> EventV1:
    return await rpc.call(GetEventV1(event_id=event_id, staff=True), EventV1)


@router.post("/events", status_code=201, response_model=EventV1, summary="Create (staff)")
async def create_event(body: EventForm, rpc: Rpc, staff: Staff) -> EventV1:
    """A draft; times without an offset are Europe/Paris times."""
    return await rpc.call(CreateEventV1(details=body, by=staff.email), EventV1)


@router.put("/events/{event_id}", response_model=EventV1, summary="Update (staff)")
async def update_event(event_id: uuid.UUID, body: EventForm, rpc: Rpc, staff: Staff) -> EventV1:
    """Replace the details; registrants of a published event hear of notable changes."""
    command = UpdateEventV1(event_id=event_id, details=body, by=staff.email)
    return await rpc.call(command, EventV1)


@router.post("/events/{event_id}/publish", response_model=EventV1, summary="Publish (staff)")
async def publish_event(event_id: uuid.UUID, rpc: Rpc, staff: Staff) -> EventV1:
    return await rpc.call(PublishEventV1(event_id=event_id, by=staff.email), EventV1)


@router.post("/events/{event_id}/cancel", response_model=EventV1, summary="Cancel (staff)")
async def cancel_event(event_id: uuid.UUID, body: CancelEvent, rpc: Rpc, staff: Staff) -> EventV1:
    command = CancelEventV1(event_id=event_id, reason=body.reason, by=staff.email)
    return await rpc.call(command, EventV1)


@router.post("/events/{event_id}/complete", response_model=EventV1, summary="Complete (staff)")
async def complete_event(event_id: uuid.UUID, rpc: Rpc, staff: Staff) -> EventV1:
    return await rpc.call(CompleteEventV1(event_id=event_id, by=staff.email), EventV1)


@router.get(
    "/events/{event_id}/registrants", response_model=RegistrantsV1, summary="Registrants (staff)"
)
async def registrants(event_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> RegistrantsV1:
    """Confirmed, offered, the waiting list in its order (``position``), then the cancelled."""
    return await rpc.call(ListRegistrantsV1(event_id=event_id), RegistrantsV1)


@router.post(
    "/events/{event_id}/registrants",
    status_code=201,
    response_model=RegistrationV1,
    summary="Add a registrant (staff)",
)
async def add_registrant(
    event_id: uuid.UUID, body: RegistrationForm, rpc: Rpc, staff: Staff
) -> RegistrationV1:
    """Staff may register anyone to a published event, outside its registration window and
    whether member or not; seats and the waiting list apply as for everyone."""
    command = RegisterV1(event_id=event_id, by=staff.email, **body.model_dump())
    return await rpc.call(command, RegistrationV1)


@router.patch(
    "/registrants/{registration_id}", response_model=RegistrationV1, summary="Move (staff)"
)
async def move_registrant(
    registration_id: uuid.UUID, body: Move, rpc: Rpc, staff: Staff
) -> RegistrationV1:
    """Change the mode (hybrid events) and/or promote past the waiting list."""
    command = MoveRegistrationV1(
        registration_id=registration_id, mode=body.mode, promote=body.promote, by=staff.email
    )
    return await rpc.call(command, RegistrationV1)


@router.delete(
    "/registrants/{registration_id}", response_model=RegistrationV1, summary="Cancel (staff)"
)
async def cancel_registrant(registration_id: uuid.UUID, rpc: Rpc, staff: Staff) -> RegistrationV1:
    command = CancelRegistrationV1(registration_id=registration_id, by=staff.email)
    return await rpc.call(command, RegistrationV1)


@router.post("/cycles", status_code=201, response_model=CycleV1, summary="Create (staff)")
async def create_cycle(body: CycleForm, rpc: Rpc, staff: Staff) -> CycleV1:
    """A cycle; events become its sessions through their ``cycle_id``."""
    return await rpc.call(CreateCycleV1(by=staff.email, **body.model_dump()), CycleV1)


@router.put("/cycles/{cycle_id}", response_model=CycleV1, summary="Update (staff)")
async def update_cycle(cycle_id: uuid.UUID, body: CycleForm, rpc: Rpc, staff: Staff) -> CycleV1:
    command = UpdateCycleV1(cycle_id=cycle_id, by=staff.email, **body.model_dump())
    return await rpc.call(command, CycleV1)


@router.get("/staff/cycles/{cycle_id}", response_model=CycleV1, summary="A cycle (staff)")
async def staff_cycle(cycle_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> CycleV1:
    return await rpc.call(GetCycleV1(cycle_id=cycle_id, staff=True), CycleV1)
