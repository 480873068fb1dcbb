"""The public agenda: home page, agenda with filters, event page with its registration form,
and the pages the registration links of mails land on (see, cancel, accept a seat).

Following a link never changes anything by itself (mail scanners open links): a button does.
Pages work without JavaScript; times are shown in Europe/Paris.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import TypeAdapter, ValidationError

from contracts.base import Email, Theme
from contracts.dataquartiers import CatalogueV1, GetCatalogueV1, IndicatorV1
from contracts.events import (
    AcceptOfferV1,
    AgendaV1,
    CancelRegistrationV1,
    EventFormat,
    EventType,
    EventV1,
    GetEventV1,
    GetRegistrationV1,
    RegisterV1,
    RegistrationV1,
    SearchAgendaV1,
)
from contracts.members import GetPersonSpaceV1, PersonSpaceV1
from contracts.newsletters import (
    ArchivedIssueV1,
    ArchiveV1,
    LettersV1,
    ListArchiveV1,
    ListLettersV1,
)
from services.gateway.api import Rpc
from services.gateway.api.events import signed_in
from services.gateway.web.pages import _page
from services.newsletters.formatting import paris_date, paris_datetime, paris_span
from services.runtime.rpc import RpcError

router = APIRouter(include_in_schema=False)

THEMES: dict[str, str] = {
    Theme.CITIZEN_PARTICIPATION: "Participation citoyenne",
    Theme.EDUCATION: "Éducation",
    Theme.EMPLOYMENT: "Emploi et développement économique",
    Theme.HEALTH: "Santé",
    Theme.CULTURE: "Culture",
    Theme.URBAN_RENEWAL: "Renouvellement urbain",
    Theme.ECOLOGICAL_TRANSITION: "Transitions",
    Theme.SAFETY: "Tranquillité publique",
    Theme.GUSP: "Gestion urbaine de proximité",
    Theme.DATA: "Data et quartiers",
    Theme.CONTRAT_DE_VILLE: "Contrat de ville",
}
TYPES: dict[str, str] = {
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
FORMATS: dict[str, str] = {
    EventFormat.ONLINE: "En ligne",
    EventFormat.ONSITE: "Sur place",
    EventFormat.HYBRID: "Sur place ou en ligne",
}
MODES = {"onsite": "sur place", "online": "en ligne"}
FIELDS = ("email", "first_name", "last_name", "mode")
_LABELS = {
    "email": "Adresse e-mail",
    "first_name": "Prénom",
    "last_name": "Nom",
    "mode": "Participation",
    "organisation": "Structure",
}


_EMAIL: TypeAdapter[str] = TypeAdapter(Email)


def _check_registrant(form: dict[str, str]) -> dict[str, str]:
    """French messages for the fields of a person's form (address, first and last names)."""
    errors: dict[str, str] = {}
    if not form["email"]:
        errors["email"] = "Ce champ est obligatoire."
    else:
        try:
            _EMAIL.validate_python(form["email"])
        except ValidationError:
            errors["email"] = "Adresse e-mail invalide, par exemple nom@exemple.fr."
    for field in ("first_name", "last_name"):
        if not form[field]:
            errors[field] = "Ce champ est obligatoire."
        elif len(form[field]) > 100:
            errors[field] = "100 caractères au plus."
    return errors


def promotion(hold_minutes: int) -> str:
    """The waiting-list rule of an event, in French."""
    if hold_minutes <= 0:
        return (
            "Quand toutes les places sont prises, l'inscription se fait sur liste d'attente : "
            "dès qu'une place se libère, la première personne en attente est inscrite "
            "d'office et prévenue par e-mail."
        )
    hours, minutes = divmod(hold_minutes, 60)
    delay = (
        f"{hours} heure{'s' if hours > 1 else ''}"
        if hours and not minutes
        else f"{hold_minutes} minute{'s' if hold_minutes > 1 else ''}"
    )
    return (
        "Quand toutes les places sont prises, l'inscription se fait sur liste d'attente : "
        "dès qu'une place se libère, elle est proposée par e-mail à la première personne en "
        f"attente, qui a {delay} pour l'accepter ; passé ce délai, elle est proposée à la "
        "suivante."
    )


def _labels() -> dict[str, Any]:
    return {
        "promotion": promotion,
        "themes": THEMES,
        "types": TYPES,
        "formats": FORMATS,
        "modes": MODES,
        "span": paris_span,
        "when": paris_datetime,
    }


def _failure(request: Request, title: str, message: str, status: int) -> HTMLResponse:
    return _page(request, "message.html.j2", status, title=title, message=message, failed=True)


def _unavailable(request: Request, error: RpcError, title: str) -> HTMLResponse:
    status = {"not_found": 404, "gone": 410, "invalid": 422, "forbidden": 403}.get(
        error.error.code, 503
    )
    if status == 503:
        message = "Ce service ne répond pas pour le moment : réessayez dans quelques minutes."
    else:
        message = error.error.message
    return _failure(request, title, message, status)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, rpc: Rpc) -> Response:
    """Coming events, the letters and their archives, the data pages; a service that does not
    answer leaves its part empty with a word, never the whole page."""
    events: tuple[EventV1, ...] | None
    try:
        events = (await rpc.call(SearchAgendaV1(), AgendaV1)).events[:5]
    except RpcError:
        events = None
    letters: LettersV1 | None
    issues: list[ArchivedIssueV1] = []
    try:
        letters = await rpc.call(ListLettersV1(), LettersV1)
        archives = await asyncio.gather(
            *(rpc.call(ListArchiveV1(letter=letter.slug), ArchiveV1) for letter in letters.letters)
        )
        issues = sorted(
            (issue for archive in archives for issue in archive.issues),
            key=lambda issue: issue.sent_at,
            reverse=True,
        )[:5]
    except RpcError:
        letters = None
    indicators: list[IndicatorV1] | None
    try:
        catalogue = await rpc.call(GetCatalogueV1(), CatalogueV1)
        indicators = sorted(
            catalogue.indicators, key=lambda i: max(i.vintages, default=0), reverse=True
        )[:5]
    except RpcError:
        indicators = None
    return _page(
        request,
        "home.html.j2",
        events=events,
        indicators=indicators,
        letters=letters.letters if letters is not None else None,
        issues=issues,
        sent=paris_date,
        **_labels(),
    )


@router.get("/agenda", response_class=HTMLResponse)
async def agenda(
    request: Request,
    rpc: Rpc,
    theme: str = "",
    type: str = "",
    department: str = "",
    format: str = "",
) -> Response:
    chosen = {"theme": theme, "type": type, "department": department.strip(), "format": format}
    errors: dict[str, str] = {}
    query: dict[str, Any] = {}
    for key, allowed in (("theme", THEMES), ("type", TYPES), ("format", FORMATS)):
        if chosen[key]:
            if chosen[key] in allowed:
                query[key] = chosen[key]
            else:
                errors[key] = "Choix inconnu : choisissez dans la liste."
    if chosen["department"]:
        code = chosen["department"].upper()
        if len(code) in (2, 3) and code.isalnum():
            query["department"] = code
        else:
            errors["department"] = "Un numéro de département, par exemple 35 ou 2A."
    events: tuple[EventV1, ...] = ()
    if not errors:
        try:
            events = (await rpc.call(SearchAgendaV1(**query), AgendaV1)).events
        except RpcError as error:
            return _unavailable(request, error, "Agenda")
    feed = "/api/v1/agenda.ics" + (f"?theme={query['theme']}" if "theme" in query else "")
    return _page(
        request,
        "agenda.html.j2",
        422 if errors else 200,
        events=events,
        chosen=chosen,
        errors=errors,
        feed=feed,
        **_labels(),
    )


async def _event(request: Request, rpc: Rpc, event_id: str) -> EventV1 | HTMLResponse:
    try:
        key = uuid.UUID(event_id)
    except ValueError:
        return _failure(request, "Rencontre introuvable", "Cette rencontre n'existe pas.", 404)
    try:
        return await rpc.call(GetEventV1(event_id=key), EventV1)
    except RpcError as error:
        return _unavailable(request, error, "Rencontre introuvable")


async def _organisations(request: Request, rpc: Rpc) -> dict[str, str]:
    """The organisations the signed-in person is tied to (id → name); none when anonymous."""
    person_id = await signed_in(request)
    if person_id is None:
        return {}
    try:
        space = await rpc.call(GetPersonSpaceV1(person_id=person_id), PersonSpaceV1)
    except RpcError:
        return {}
    return {
        str(tie.organisation_id): tie.organisation_name or "Ma structure"
        for tie in space.person.affiliations
    }


async def _event_page(
    request: Request,
    rpc: Rpc,
    event: EventV1,
    *,
    status: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
) -> HTMLResponse:
    return _page(
        request,
        "event.html.j2",
        status,
        event=event,
        form=form or {},
        errors=errors or {},
        problem=problem,
        labels=_LABELS,
        organisations=await _organisations(request, rpc),
        **_labels(),
    )


@router.get("/agenda/{event_id}", response_class=HTMLResponse)
async def event_page(event_id: str, request: Request, rpc: Rpc) -> Response:
    event = await _event(request, rpc, event_id)
    if isinstance(event, HTMLResponse):
        return event
    return await _event_page(request, rpc, event)


@router.post("/agenda/{event_id}", response_class=HTMLResponse)
async def register(
    event_id: str,
    request: Request,
    rpc: Rpc,
    email: Annotated[str, Form()] = "",
    first_name: Annotated[str, Form()] = "",
    last_name: Annotated[str, Form()] = "",
    mode: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
) -> Response:
    """The registration form: the same RPC as ``POST /api/v1/events/{id}/registrations``."""
    event = await _event(request, rpc, event_id)
    if isinstance(event, HTMLResponse):
        return event
    form = {
        "email": email.strip(),
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "mode": mode,
        "organisation": organisation,
    }
    errors = _check_registrant(form)
    if event.format is EventFormat.HYBRID and mode not in MODES:
        errors["mode"] = "Choisissez sur place ou en ligne."
    if organisation and organisation not in await _organisations(request, rpc):
        errors["organisation"] = "Choisissez une de vos structures, ou aucune."
    command: RegisterV1 | None = None
    if not errors:
        try:
            command = RegisterV1(
                event_id=event.event_id,
                person_id=await signed_in(request),
                email=form["email"],
                first_name=form["first_name"],
                last_name=form["last_name"],
                mode=mode if event.format is EventFormat.HYBRID else None,
                organisation_id=uuid.UUID(organisation) if organisation else None,
            )
        except ValidationError:
            errors["email"] = "Adresse e-mail invalide."
    if errors or command is None:
        return await _event_page(request, rpc, event, status=422, form=form, errors=errors)
    try:
        registration = await rpc.call(command, RegistrationV1)
    except RpcError as error:
        if error.error.code in ("forbidden", "rule_violated", "invalid", "conflict"):
            return await _event_page(
                request, rpc, event, status=422, form=form, problem=error.error.message
            )
        return _unavailable(request, error, event.title)
    return _page(
        request,
        "registration.html.j2",
        registration=registration,
        event=event,
        just_registered=True,
        **_labels(),
    )


# --- the links of the mails (services/events/domain/links.py) ---------------------------------


async def _registration(
    request: Request, rpc: Rpc, token: str, title: str
) -> RegistrationV1 | HTMLResponse:
    if not token:
        return _failure(
            request, "Lien incomplet", "Ce lien est incomplet : copiez-le en entier.", 422
        )
    try:
        return await rpc.call(GetRegistrationV1(token=token), RegistrationV1)
    except RpcError as error:
        return _unavailable(request, error, title)
    except ValueError:
        return _failure(request, title, "Ce lien n'est pas valide.", 422)


@router.get("/inscription", response_class=HTMLResponse)
async def registration_page(request: Request, rpc: Rpc, jeton: str = "") -> Response:
    """See a registration; the cancel button posts (a GET never cancels)."""
    found = await _registration(request, rpc, jeton, "Mon inscription")
    if isinstance(found, HTMLResponse):
        return found
    return _page(
        request,
        "registration.html.j2",
        registration=found,
        event=await _event_of(rpc, found),
        token=jeton,
        **_labels(),
    )


async def _event_of(rpc: Rpc, registration: RegistrationV1) -> EventV1 | None:
    """The event of a registration, for its waiting-list rule (None once it is off the agenda)."""
    try:
        return await rpc.call(GetEventV1(event_id=registration.event_id), EventV1)
    except RpcError:
        return None


@router.post("/inscription", response_class=HTMLResponse)
async def cancel_registration(
    request: Request, rpc: Rpc, jeton: Annotated[str, Form()] = ""
) -> Response:
    title = "Annuler mon inscription"
    try:
        done = await rpc.call(CancelRegistrationV1(token=jeton), RegistrationV1)
    except RpcError as error:
        return _unavailable(request, error, title)
    except ValueError:
        return _failure(request, title, "Ce lien n'est pas valide.", 422)
    return _page(
        request,
        "message.html.j2",
        title=title,
        message=f"Votre inscription à « {done.event_title} » est annulée. "
        "Si quelqu'un attendait une place, elle lui est proposée.",
        failed=False,
        next_url="/agenda",
        next_label="Voir l'agenda",
    )


@router.get("/inscription/accepter", response_class=HTMLResponse)
async def offer_page(request: Request, rpc: Rpc, jeton: str = "") -> Response:
    found = await _registration(request, rpc, jeton, "Accepter la place")
    if isinstance(found, HTMLResponse):
        return found
    return _page(request, "offer.html.j2", registration=found, token=jeton, **_labels())


@router.post("/inscription/accepter", response_class=HTMLResponse)
async def accept_offer(request: Request, rpc: Rpc, jeton: Annotated[str, Form()] = "") -> Response:
    title = "Accepter la place"
    try:
        taken = await rpc.call(AcceptOfferV1(token=jeton), RegistrationV1)
    except RpcError as error:
        return _unavailable(request, error, title)
    except ValueError:
        return _failure(request, title, "Ce lien n'est pas valide.", 422)
    return _page(
        request,
        "registration.html.j2",
        registration=taken,
        event=await _event_of(rpc, taken),
        just_registered=True,
        **_labels(),
    )
