"""Back-office pages for events: the list, the create/edit form, publication and cancellation,
registrants (waiting list in order) with check-in buttons, and the attendance documents."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from contracts.base import Query as RpcQuery
from contracts.base import Theme
from contracts.events import (
    ActivityReportV1,
    AgendaV1,
    CancelEventV1,
    CancelRegistrationV1,
    CheckInV1,
    CreateEventV1,
    EventDetailsV1,
    EventFileV1,
    EventFormat,
    EventType,
    EventV1,
    GetActivityReportV1,
    GetAttendanceSheetV1,
    GetCertificatesV1,
    GetEventV1,
    ListRegistrantsV1,
    MoveRegistrationV1,
    PublishEventV1,
    RegistrantsV1,
    RegistrationV1,
    SearchAgendaV1,
    UpdateEventV1,
)
from services.gateway.api import Rpc
from services.gateway.downloads import stored_file_response
from services.gateway.errors import field_errors
from services.gateway.settings import GatewaySettings
from services.gateway.uploads import UploadedFiles
from services.gateway.web.pages import _page
from services.gateway.web.staff.common import StaffPage, router
from services.runtime.rpc import RpcError

PARIS = ZoneInfo("Europe/Paris")

TYPES = {
    EventType.WEBINAR: "Webinaire",
    EventType.THEMATIC_DAY: "Journée thématique",
    EventType.INTERREGIONAL_MEETING: "Rencontre interrégionale",
    EventType.WORKSHOP: "Atelier",
    EventType.VIDEO_EXCHANGE: "Échange en visio",
    EventType.FIELD_VISIT: "Visite de terrain",
    EventType.TRAINING: "Journée de formation",
    EventType.CLIMATE_FRESCO: "Fresque du climat",
    EventType.RESEARCH_RESTITUTION: "Restitution de recherche",
    EventType.OTHER: "Autre",
}
FORMATS = {
    EventFormat.ONSITE: "Sur place",
    EventFormat.ONLINE: "En ligne",
    EventFormat.HYBRID: "Hybride",
}
THEMES = {theme: theme.value.replace("-", " ").capitalize() for theme in Theme}
STATUSES = {
    "draft": "brouillon",
    "published": "publiée",
    "cancelled": "annulée",
    "completed": "terminée",
}
MODES: dict[str, str] = {"onsite": "sur place", "online": "en ligne"}
REGISTRATION_STATUSES = {
    "confirmed": "confirmée",
    "waitlisted": "en liste d'attente",
    "offered": "place proposée",
    "cancelled": "annulée",
}
FIELD_LABELS = {
    "title": "Titre",
    "summary": "Présentation",
    "type": "Type",
    "format": "Format",
    "themes": "Thèmes",
    "starts_at": "Début",
    "ends_at": "Fin",
    "venue": "Lieu",
    "video_link": "Lien de visio",
    "capacity_onsite": "Places sur place",
    "capacity_online": "Places en ligne",
    "hold_minutes": "Délai de réservation",
    "registration_opens_at": "Ouverture des inscriptions",
    "registration_closes_at": "Clôture des inscriptions",
}

_TEXT_FIELDS = ("title", "summary", "type", "format", "starts_at", "ends_at", "video_link")
_OPTIONAL = ("video_link", "registration_opens_at", "registration_closes_at")
_NUMBERS = ("capacity_onsite", "capacity_online", "organisation_cap", "hold_minutes")
_VENUE = ("name", "street", "postcode", "city", "commune")


def paris_input(value: datetime | None) -> str:
    """A time as a ``datetime-local`` field shows it, in Europe/Paris."""
    return value.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M") if value else ""


def paris_text(value: datetime | None) -> str:
    return value.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M") if value else "—"


def _details(form: FormData) -> dict[str, Any]:
    """The event form's fields as ``EventDetailsV1`` reads them (empty fields left out)."""
    data: dict[str, Any] = {}
    for name in (*_TEXT_FIELDS, "registration_opens_at", "registration_closes_at"):
        value = str(form.get(name, "")).strip()
        if value or name not in (*_OPTIONAL, "starts_at", "ends_at"):
            data[name] = value
        elif name in ("starts_at", "ends_at"):
            data[name] = None
    for name in _NUMBERS:
        value = str(form.get(name, "")).strip()
        if value:
            data[name] = value
    data["themes"] = [str(theme) for theme in form.getlist("themes")]
    data["member_only"] = form.get("member_only") == "oui"
    venue = {name: str(form.get(f"venue_{name}", "")).strip() for name in _VENUE}
    if venue["name"]:
        data["venue"] = {key: value for key, value in venue.items() if value}
    return data


def _values(event: EventV1 | None) -> dict[str, Any]:
    """What the form shows for an event (or a new one)."""
    if event is None:
        return {"themes": [], "hold_minutes": 0, "venue": {}}
    values = event.model_dump(mode="json")
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        values[name] = paris_input(getattr(event, name))
    values["venue"] = event.venue.model_dump() if event.venue else {}
    return values


def _submitted(form: FormData) -> dict[str, Any]:
    """The form as submitted, to show it again with its errors."""
    values: dict[str, Any] = {name: str(value) for name, value in form.items()}
    values["themes"] = [str(theme) for theme in form.getlist("themes")]
    values["member_only"] = form.get("member_only") == "oui"
    values["venue"] = {name: values.get(f"venue_{name}", "") for name in _VENUE}
    return values


def _errors(error: ValidationError | RpcError) -> list[str]:
    if isinstance(error, RpcError):
        found = error.error.details.get("errors")
        if error.error.code == "invalid" and found:
            fields = field_errors(found)
        else:
            return [error.error.message]
    else:
        fields = field_errors(list(error.errors()))  # type: ignore[arg-type]
    messages = []
    for field in fields:
        name = field["field"].removeprefix("details.").split(".")[0]
        label = FIELD_LABELS.get(name, "Formulaire" if name in ("body", "details") else name)
        messages.append(f"{label} : {field['message']}")
    return messages


def _form_page(
    request: Request,
    *,
    event: EventV1 | None,
    values: dict[str, Any],
    errors: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return _page(
        request,
        "staff/event_form.html.j2",
        status,
        title=f"Modifier « {event.title} »" if event else "Nouvel évènement",
        event=event,
        values=values,
        errors=errors or [],
        types=TYPES,
        formats=FORMATS,
        themes=THEMES,
        statuses=STATUSES,
    )


@router.get("/equipe", response_class=HTMLResponse)
async def home(_staff: StaffPage) -> Response:
    return RedirectResponse("/equipe/evenements", status_code=303)


@router.get("/equipe/evenements", response_class=HTMLResponse)
async def event_list(request: Request, rpc: Rpc, staff: StaffPage) -> Response:
    agenda = await rpc.call(SearchAgendaV1(staff=True), AgendaV1)
    events = sorted(agenda.events, key=lambda event: event.starts_at, reverse=True)
    return _page(
        request,
        "staff/events.html.j2",
        title="Évènements",
        staff=staff,
        events=events,
        types=TYPES,
        statuses=STATUSES,
        when=paris_text,
    )


@router.get("/equipe/evenements/nouveau", response_class=HTMLResponse)
async def new_event(request: Request, _staff: StaffPage) -> Response:
    return _form_page(request, event=None, values=_values(None))


@router.post("/equipe/evenements/nouveau", response_class=HTMLResponse)
async def create_event(request: Request, rpc: Rpc, staff: StaffPage) -> Response:
    form = await request.form()
    try:
        details = EventDetailsV1.model_validate(_details(form))
        created = await rpc.call(CreateEventV1(details=details, by=staff.email), EventV1)
    except (ValidationError, RpcError) as error:
        if isinstance(error, RpcError) and error.error.code not in ("invalid", "conflict"):
            raise
        return _form_page(
            request, event=None, values=_submitted(form), errors=_errors(error), status=422
        )
    return RedirectResponse(f"/equipe/evenements/{created.event_id}", status_code=303)


async def _event(rpc: Rpc, event_id: uuid.UUID) -> EventV1:
    return await rpc.call(GetEventV1(event_id=event_id, staff=True), EventV1)


@router.get("/equipe/evenements/{event_id}", response_class=HTMLResponse)
async def edit_event(
    request: Request, event_id: uuid.UUID, rpc: Rpc, _staff: StaffPage
) -> Response:
    event = await _event(rpc, event_id)
    return _form_page(request, event=event, values=_values(event))


@router.post("/equipe/evenements/{event_id}", response_class=HTMLResponse)
async def update_event(
    request: Request, event_id: uuid.UUID, rpc: Rpc, staff: StaffPage
) -> Response:
    event = await _event(rpc, event_id)
    form = await request.form()
    try:
        details = EventDetailsV1.model_validate(_details(form))
        command = UpdateEventV1(event_id=event_id, details=details, by=staff.email)
        await rpc.call(command, EventV1)
    except (ValidationError, RpcError) as error:
        if isinstance(error, RpcError) and error.error.code not in ("invalid", "conflict"):
            raise
        return _form_page(
            request, event=event, values=_submitted(form), errors=_errors(error), status=422
        )
    return RedirectResponse(f"/equipe/evenements/{event_id}?enregistre=1", status_code=303)


async def _act(request: Request, event_id: uuid.UUID, rpc: Rpc, command: Any) -> Response:
    try:
        await rpc.call(command, EventV1)
    except RpcError as error:
        if error.error.code not in ("conflict", "invalid"):
            raise
        event = await _event(rpc, event_id)
        return _form_page(
            request, event=event, values=_values(event), errors=[error.error.message], status=409
        )
    return RedirectResponse(f"/equipe/evenements/{event_id}", status_code=303)


@router.post("/equipe/evenements/{event_id}/publication", response_class=HTMLResponse)
async def publish_event(
    request: Request, event_id: uuid.UUID, rpc: Rpc, staff: StaffPage
) -> Response:
    return await _act(request, event_id, rpc, PublishEventV1(event_id=event_id, by=staff.email))


@router.post("/equipe/evenements/{event_id}/annulation", response_class=HTMLResponse)
async def cancel_event(
    request: Request, event_id: uuid.UUID, rpc: Rpc, staff: StaffPage
) -> Response:
    form = await request.form()
    reason = str(form.get("reason", "")).strip()[:2000]
    command = CancelEventV1(event_id=event_id, reason=reason, by=staff.email)
    return await _act(request, event_id, rpc, command)


@router.get("/equipe/evenements/{event_id}/inscrits", response_class=HTMLResponse)
async def registrants(
    request: Request, event_id: uuid.UUID, rpc: Rpc, _staff: StaffPage
) -> Response:
    event = await _event(rpc, event_id)
    found = await rpc.call(ListRegistrantsV1(event_id=event_id), RegistrantsV1)
    seated = [r for r in found.registrations if r.status in ("confirmed", "offered")]
    waiting = sorted(
        (r for r in found.registrations if r.status == "waitlisted"),
        key=lambda r: (r.position or 0, r.registered_at),
    )
    cancelled = [r for r in found.registrations if r.status == "cancelled"]
    return _page(
        request,
        "staff/registrants.html.j2",
        title=f"Inscrits — {event.title}",
        event=event,
        seated=seated,
        waiting=waiting,
        cancelled=cancelled,
        statuses=REGISTRATION_STATUSES,
        modes=MODES,
        hybrid=event.format is EventFormat.HYBRID and event.status == "published",
        when=paris_text,
    )


@router.post("/equipe/inscriptions/{registration_id}/presence", response_class=HTMLResponse)
async def check_in(
    request: Request, registration_id: uuid.UUID, rpc: Rpc, staff: StaffPage
) -> Response:
    form = await request.form()
    present = form.get("present", "oui") == "oui"
    command = CheckInV1(registration_id=registration_id, present=present, by=staff.email)
    registration = await rpc.call(command, RegistrationV1)
    return RedirectResponse(
        f"/equipe/evenements/{registration.event_id}/inscrits#r-{registration_id}",
        status_code=303,
    )


def _back_to_registrants(registration: RegistrationV1) -> Response:
    return RedirectResponse(f"/equipe/evenements/{registration.event_id}/inscrits", status_code=303)


@router.post("/equipe/inscriptions/{registration_id}/promotion", response_class=HTMLResponse)
async def promote(registration_id: uuid.UUID, rpc: Rpc, staff: StaffPage) -> Response:
    """Give a seat to someone waiting, past the list (staff may exceed the capacity)."""
    command = MoveRegistrationV1(registration_id=registration_id, promote=True, by=staff.email)
    return _back_to_registrants(await rpc.call(command, RegistrationV1))


@router.post("/equipe/inscriptions/{registration_id}/mode", response_class=HTMLResponse)
async def change_mode(
    request: Request, registration_id: uuid.UUID, rpc: Rpc, staff: StaffPage
) -> Response:
    """Move a registrant of a hybrid event to the other mode. With no seat left in that mode
    the registration goes to the end of its waiting list (the events service decides, and the
    person is told by mail); the page warns of it beside the button."""
    form = await request.form()
    mode = str(form.get("mode", ""))
    if mode not in MODES:
        return _page(
            request,
            "staff/refused.html.j2",
            422,
            title="Action refusée",
            message="Choisissez « sur place » ou « en ligne ».",
            code=422,
        )
    command = MoveRegistrationV1(
        registration_id=registration_id,
        mode="onsite" if mode == "onsite" else "online",
        by=staff.email,
    )
    registration = await rpc.call(command, RegistrationV1)
    return RedirectResponse(
        f"/equipe/evenements/{registration.event_id}/inscrits#r-{registration_id}",
        status_code=303,
    )


@router.post("/equipe/inscriptions/{registration_id}/annulation", response_class=HTMLResponse)
async def cancel_registration(registration_id: uuid.UUID, rpc: Rpc, staff: StaffPage) -> Response:
    """Cancel a registration: the first person waiting gets the seat (or an offer of it)."""
    command = CancelRegistrationV1(registration_id=registration_id, by=staff.email)
    return _back_to_registrants(await rpc.call(command, RegistrationV1))


async def _send(request: Request, rpc: Rpc, files: UploadedFiles, query: RpcQuery) -> Response:
    settings: GatewaySettings = request.app.state.settings
    made = await rpc.call(query, EventFileV1, timeout=settings.export_timeout_seconds)
    response: StreamingResponse = await stored_file_response(
        files, made.file, size=made.size, media_type=made.media_type, filename=made.filename
    )
    return response


@router.get("/equipe/evenements/{event_id}/presences.csv")
async def attendance_csv(
    request: Request, event_id: uuid.UUID, rpc: Rpc, files: UploadedFiles, _staff: StaffPage
) -> Response:
    return await _send(request, rpc, files, GetAttendanceSheetV1(event_id=event_id, format="csv"))


@router.get("/equipe/evenements/{event_id}/emargement.pdf")
async def signin_sheet(
    request: Request, event_id: uuid.UUID, rpc: Rpc, files: UploadedFiles, _staff: StaffPage
) -> Response:
    query = GetAttendanceSheetV1(event_id=event_id, format="pdf", blank_rows=5)
    return await _send(request, rpc, files, query)


@router.get("/equipe/evenements/{event_id}/attestations.pdf")
async def certificates(
    request: Request, event_id: uuid.UUID, rpc: Rpc, files: UploadedFiles, _staff: StaffPage
) -> Response:
    return await _send(request, rpc, files, GetCertificatesV1(event_id=event_id))


# --- activity report ---------------------------------------------------------------------------


def _period(du: str, au: str) -> tuple[date, date] | str:
    """The period asked for, or why it is refused (in French)."""
    try:
        start, end = date.fromisoformat(du), date.fromisoformat(au)
    except ValueError:
        return "Indiquez deux dates valides."
    if end < start:
        return "La fin de la période précède son début."
    return start, end


@router.get("/equipe/rapport", response_class=HTMLResponse)
async def activity_report(
    request: Request, rpc: Rpc, _staff: StaffPage, du: str = "", au: str = ""
) -> Response:
    """The activity report of a period, section by section, with the French labels of its CSV."""
    today = datetime.now(PARIS).date()
    context: dict[str, Any] = {
        "title": "Rapport d'activité",
        "du": du or date(today.year, 1, 1).isoformat(),
        "au": au or today.isoformat(),
        "sections": {},
        "notes": [],
        "error": "",
    }
    if not (du or au):
        return _page(request, "staff/report.html.j2", **context)
    period = _period(du, au)
    if isinstance(period, str):
        return _page(request, "staff/report.html.j2", 422, **{**context, "error": period})
    made = await rpc.call(
        GetActivityReportV1(start=period[0], end=period[1], format="csv"), ActivityReportV1
    )
    sections: dict[str, list[list[str]]] = {}
    notes: list[str] = []
    text = (made.csv or "").lstrip("\ufeff")
    for row in list(csv.reader(io.StringIO(text), delimiter=";"))[1:]:
        if len(row) < 6:
            continue
        if row[0] == "Notes":  # the counting rules, after the figures
            notes.append(row[2])
        else:  # section (French), key, label, events, registrants, attendees
            sections.setdefault(row[0], []).append(row[2:6])
    context.update(sections=sections, notes=notes)
    return _page(request, "staff/report.html.j2", **context)


@router.get("/equipe/rapport.csv")
async def activity_report_csv(
    request: Request, rpc: Rpc, _staff: StaffPage, du: str = "", au: str = ""
) -> Response:
    period = _period(du, au)
    if isinstance(period, str):
        return _page(
            request, "staff/refused.html.j2", 422, title="Rapport d'activité", message=period
        )
    start, end = period
    made = await rpc.call(GetActivityReportV1(start=start, end=end, format="csv"), ActivityReportV1)
    return Response(
        (made.csv or "").encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="rapport-activite-'
            f'{start.isoformat()}-{end.isoformat()}.csv"'
        },
    )
