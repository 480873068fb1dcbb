"""Back-office page for the member register: people searched with filters, and the export of
what the filters match (CSV or XLSX)."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from contracts.members import (
    College,
    ExportPeopleV1,
    PeopleFilter,
    PeoplePageV1,
    PersonKind,
    SearchPeopleV1,
)
from services.gateway.api import Rpc
from services.gateway.downloads import download
from services.gateway.uploads import UploadedFiles
from services.gateway.web.pages import _page
from services.gateway.web.staff.common import StaffPage, router

PAGE_SIZE = 50
KINDS = {
    PersonKind.ELECTED_OFFICIAL: "Élu·e",
    PersonKind.PROJECT_LEADER: "Chef·fe de projet politique de la ville",
    PersonKind.STATE_AGENT: "Agent de l'État",
    PersonKind.PROFESSIONAL: "Professionnel·le",
    PersonKind.RESEARCHER: "Chercheur·e",
    PersonKind.INHABITANT: "Habitant·e",
    PersonKind.OTHER: "Autre",
}
COLLEGES = {College.ELUS: "Élus", College.ACTEURS_TERRITORIAUX: "Acteurs territoriaux"}
_FIELDS = ("q", "kind", "college", "department", "confirmed")


def _asked(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "").strip() for name in _FIELDS}


def _filter(asked: dict[str, str]) -> PeopleFilter:
    """The filters of the form (empty fields left out); ValidationError for bad values."""
    data: dict[str, Any] = {k: v for k, v in asked.items() if v and k != "confirmed"}
    if "kind" in data:
        data["kind"] = (data["kind"],)
    if asked["confirmed"] in ("oui", "non"):
        data["confirmed"] = asked["confirmed"] == "oui"
    return PeopleFilter.model_validate(data)


@router.get("/equipe/personnes", response_class=HTMLResponse)
async def people(request: Request, rpc: Rpc, _staff: StaffPage, page: int = 1) -> Response:
    asked = _asked(request)
    context: dict[str, Any] = {
        "title": "Personnes",
        "asked": asked,
        "kinds": KINDS,
        "colleges": COLLEGES,
        "found": None,
        "error": "",
        "query": urlencode({k: v for k, v in asked.items() if v}),
    }
    try:
        wanted = _filter(asked)
    except ValidationError:
        context["error"] = "Un des filtres est invalide (département : 2 ou 3 caractères)."
        return _page(request, "staff/people.html.j2", 422, **context)
    page = max(page, 1)
    query = SearchPeopleV1(filter=wanted, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    found = await rpc.call(query, PeoplePageV1)
    pages = max((found.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    context.update(found=found, page=page, pages=pages)
    return _page(request, "staff/people.html.j2", **context)


async def _export(
    request: Request, rpc: Rpc, files: UploadedFiles, email: str, format: Literal["csv", "xlsx"]
) -> Response:
    try:
        wanted = _filter(_asked(request))
    except ValidationError:
        return _page(
            request,
            "staff/refused.html.j2",
            422,
            title="Export",
            message="Un des filtres est invalide.",
        )
    command = ExportPeopleV1(filter=wanted, format=format, by=email)
    return await download(request, rpc, files, command, format=format, stem="personnes")


@router.get("/equipe/personnes/export.csv")
async def export_csv(
    request: Request, rpc: Rpc, files: UploadedFiles, staff: StaffPage
) -> Response:
    return await _export(request, rpc, files, staff.email, "csv")


@router.get("/equipe/personnes/export.xlsx")
async def export_xlsx(
    request: Request, rpc: Rpc, files: UploadedFiles, staff: StaffPage
) -> Response:
    return await _export(request, rpc, files, staff.email, "xlsx")
