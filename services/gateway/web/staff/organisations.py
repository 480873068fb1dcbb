"""Back-office pages for organisations and imports: the register's organisations searched with
filters, one organisation's record, and CSV imports of organisations (and of people) in two
steps — a dry-run report first, then « Importer » to apply it.

The file is uploaded once (multipart form, within ``RESO_GATEWAY_UPLOAD_MAX_BYTES``) and stored
twice in the object store: one copy for the dry run (the members service takes and deletes it),
one kept for the import itself, named in the report's form under the gateway's signature so that
only a file this page stored can be imported (the bucket's TTL removes a copy never imported).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadSignature, TimestampSigner
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from contracts.base import Command
from contracts.members import (
    College,
    ExportOrganisationsV1,
    GetOrganisationV1,
    ImportOrganisationsV1,
    ImportPeopleV2,
    ImportReportV1,
    OrganisationKind,
    OrganisationsFilter,
    OrganisationsPageV1,
    OrganisationV1,
    SearchOrganisationsV1,
)
from services.gateway.api import Rpc
from services.gateway.downloads import download
from services.gateway.settings import GatewaySettings
from services.gateway.uploads import UploadedFiles, import_timeout
from services.gateway.web.pages import _page
from services.gateway.web.staff.common import StaffPage, router
from services.runtime.files import Files
from services.runtime.rpc import RpcError

PAGE_SIZE = 50
KINDS = {
    OrganisationKind.COMMUNE: "Commune",
    OrganisationKind.EPCI: "EPCI (intercommunalité)",
    OrganisationKind.DEPARTEMENT: "Département",
    OrganisationKind.REGION: "Région",
    OrganisationKind.STATE_SERVICE: "Service de l'État",
    OrganisationKind.SOCIAL_LANDLORD: "Bailleur social",
    OrganisationKind.ASSOCIATION: "Association",
    OrganisationKind.SOCIAL_CENTRE: "Centre social",
    OrganisationKind.OTHER: "Autre",
}
COLLEGES = {College.ELUS: "Élus", College.ACTEURS_TERRITORIAUX: "Acteurs territoriaux"}
MEMBERSHIPS = {
    "active": "à jour",
    "grace": "en période de grâce",
    "pending": "en attente de paiement",
    "lapsed": "échue",
    "none": "aucune cette année",
}
ARCHIVED = {"exclude": "Sans les archivées", "include": "Avec les archivées", "only": "Archivées"}
_FIELDS = ("q", "kind", "college", "department", "qpv", "membership_status", "archived")
_PROVED_FOR_SECONDS = 24 * 3600
"""How long a dry-run report's « Importer » button stays valid."""


@dataclass(frozen=True)
class Importer:
    """What an import page imports: its labels, its address and its command."""

    slug: str  # "organisations" or "personnes", in the page's path
    what: str  # "des organisations"
    back: str  # the list the page belongs to
    columns: str  # the columns the service reads, for the form's help
    command: Callable[[str, bool, str], Command]


IMPORTERS = {
    "organisations": Importer(
        "organisations",
        "des organisations",
        "/equipe/organisations",
        "Nom (ou Raison sociale), Type, SIREN, Adresse, Code postal, Commune, Département, "
        "Région, EPCI, QPV",
        lambda name, dry_run, by: ImportOrganisationsV1(file=name, dry_run=dry_run, by=by),
    ),
    "personnes": Importer(
        "personnes",
        "des personnes",
        "/equipe/personnes",
        "Nom, Prénom, E-mail, Téléphone, Fonction, Structure, SIREN, Commune",
        lambda name, dry_run, by: ImportPeopleV2(file=name, dry_run=dry_run, by=by),
    ),
}


# --- the list and one organisation --------------------------------------------------------------


def _asked(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "").strip() for name in _FIELDS}


def _filter(asked: dict[str, str]) -> OrganisationsFilter:
    """The filters of the form (empty fields left out); ValidationError for bad values."""
    data: dict[str, Any] = {k: v for k, v in asked.items() if v}
    if "kind" in data:
        data["kind"] = (data["kind"],)
    if "qpv" in data:
        data["qpv"] = data["qpv"].upper()
    return OrganisationsFilter.model_validate(data)


@router.get("/equipe/organisations", response_class=HTMLResponse)
async def organisation_list(
    request: Request, rpc: Rpc, _staff: StaffPage, page: int = 1
) -> Response:
    asked = _asked(request)
    context: dict[str, Any] = {
        "title": "Organisations",
        "asked": asked,
        "kinds": KINDS,
        "colleges": COLLEGES,
        "memberships": MEMBERSHIPS,
        "archived": ARCHIVED,
        "found": None,
        "errors": {},
        "query": urlencode({k: v for k, v in asked.items() if v}),
    }
    try:
        wanted = _filter(asked)
    except ValidationError as error:
        names = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
        context["errors"] = {
            name: "Filtre invalide : choisissez une valeur de la liste."
            if name not in ("department", "qpv", "q")
            else {
                "department": "Indiquez un code de 2 ou 3 caractères (35, 2A, 971).",
                "qpv": "Indiquez un code de quartier de 8 caractères au plus (QN03501M).",
                "q": "La recherche compte 100 caractères au plus.",
            }[name]
            for name in names
        }
        return _page(request, "staff/organisations.html.j2", 422, **context)
    page = max(page, 1)
    query = SearchOrganisationsV1(filter=wanted, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    found = await rpc.call(query, OrganisationsPageV1)
    pages = max((found.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    context.update(found=found, page=page, pages=pages)
    return _page(request, "staff/organisations.html.j2", **context)


@router.get("/equipe/organisations/export.csv")
async def export_csv(
    request: Request, rpc: Rpc, files: UploadedFiles, staff: StaffPage
) -> Response:
    """What the filters match, as the CSV French offices open (the API's export, for pages)."""
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
    command = ExportOrganisationsV1(filter=wanted, format="csv", by=staff.email)
    return await download(request, rpc, files, command, format="csv", stem="organisations")


# --- imports ------------------------------------------------------------------------------------


def _signer(request: Request) -> TimestampSigner:
    """Signs the name of the file kept for « Importer » (the same key on every replica when
    ``RESO_GATEWAY_SECRET_KEY`` is set, as for the CSRF tokens)."""
    signer: TimestampSigner | None = getattr(request.app.state, "import_signer", None)
    if signer is None:
        settings: GatewaySettings = request.app.state.settings
        key = settings.secret_key.get_secret_value() if settings.secret_key else None
        signer = TimestampSigner(key or secrets.token_urlsafe(32), salt="reso.gateway.import")
        request.app.state.import_signer = signer
    return signer


def _import_page(
    request: Request,
    importer: Importer,
    *,
    report: ImportReportV1 | None = None,
    proof: str = "",
    filename: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    settings: GatewaySettings = request.app.state.settings
    return _page(
        request,
        "staff/import.html.j2",
        status,
        title=f"Importer {importer.what}",
        importer=importer,
        report=report,
        proof=proof,
        filename=filename,
        error=error,
        max_mb=f"{settings.upload_max_bytes / 1_000_000:.0f}",
    )


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    await upload.seek(0)
    while chunk := await upload.read(256 * 1024):
        yield chunk


async def _dry_run(
    request: Request, rpc: Rpc, files: Files, by: str, importer: Importer
) -> Response:
    settings: GatewaySettings = request.app.state.settings
    limit = settings.upload_max_bytes
    too_large = f"Le fichier dépasse la taille maximale ({limit / 1_000_000:.0f} Mo)."
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:  # the form's own fields
        return _import_page(request, importer, error=too_large, status=413)
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("fichier")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _import_page(request, importer, error="Choisissez un fichier CSV.", status=422)
    if upload.size is not None and upload.size > limit:
        return _import_page(request, importer, error=too_large, status=413)
    if not upload.size:
        return _import_page(request, importer, error="Le fichier est vide.", status=422)
    checked = await files.put(_chunks(upload), max_bytes=limit)
    kept = await files.put(_chunks(upload), max_bytes=limit)
    try:
        report = await rpc.call(
            importer.command(checked.name, True, by),
            ImportReportV1,
            timeout=import_timeout(checked.size, settings),
        )
    except RpcError as error:
        await files.delete(kept.name)
        if error.error.code == "unavailable":
            await files.delete(checked.name)
        if error.error.code not in ("invalid", "too_large"):
            raise
        return _import_page(request, importer, error=error.error.message, status=422)
    if report.refused or not report.valid:
        await files.delete(kept.name)
        return _import_page(request, importer, report=report, filename=upload.filename)
    proof = _signer(request).sign(f"{importer.slug}:{kept.name}").decode()
    return _import_page(request, importer, report=report, proof=proof, filename=upload.filename)


async def _apply(request: Request, rpc: Rpc, files: Files, by: str, importer: Importer) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    proof = str(form.get("fichier_verifie", ""))
    filename = str(form.get("nom", ""))[:255]
    try:
        signed = _signer(request).unsign(proof, max_age=_PROVED_FOR_SECONDS).decode()
    except BadSignature:
        signed = ""
    slug, _, name = signed.partition(":")
    if slug != importer.slug or not name:
        message = (
            "Ce rapport a expiré ou ne vient pas de cette page : déposez à nouveau le fichier."
        )
        return _import_page(request, importer, error=message, status=422)
    settings: GatewaySettings = request.app.state.settings
    try:
        report = await rpc.call(
            importer.command(name, False, by),
            ImportReportV1,
            timeout=import_timeout(settings.upload_max_bytes, settings),
        )
    except RpcError as error:
        if error.error.code not in ("invalid", "not_found"):
            raise
        message = "Ce fichier a déjà été importé ou n'est plus disponible : déposez-le à nouveau."
        return _import_page(request, importer, error=message, status=409)
    return _import_page(request, importer, report=report, filename=filename)


@router.get("/equipe/organisations/import", response_class=HTMLResponse)
async def organisations_import_form(request: Request, _staff: StaffPage) -> Response:
    return _import_page(request, IMPORTERS["organisations"])


@router.post("/equipe/organisations/import", response_class=HTMLResponse)
async def organisations_dry_run(
    request: Request, rpc: Rpc, files: UploadedFiles, staff: StaffPage
) -> Response:
    return await _dry_run(request, rpc, files, staff.email, IMPORTERS["organisations"])


@router.post("/equipe/organisations/import/application", response_class=HTMLResponse)
async def organisations_import(
    request: Request, rpc: Rpc, files: UploadedFiles, staff: StaffPage
) -> Response:
    return await _apply(request, rpc, files, staff.email, IMPORTERS["organisations"])


@router.get("/equipe/personnes/import", response_class=HTMLResponse)
async def people_import_form(request: Request, _staff: StaffPage) -> Response:
    return _import_page(request, IMPORTERS["personnes"])


@router.post("/equipe/personnes/import", response_class=HTMLResponse)
async def people_dry_run(
    request: Request, rpc: Rpc, files: UploadedFiles, staff: StaffPage
) -> Response:
    return await _dry_run(request, rpc, files, staff.email, IMPORTERS["personnes"])


@router.post("/equipe/personnes/import/application", response_class=HTMLResponse)
async def people_import(
    request: Request, rpc: Rpc, files: UploadedFiles, staff: StaffPage
) -> Response:
    return await _apply(request, rpc, files, staff.email, IMPORTERS["personnes"])


@router.get("/equipe/organisations/{organisation_id}", response_class=HTMLResponse)
async def organisation(
    request: Request, organisation_id: uuid.UUID, rpc: Rpc, _staff: StaffPage
) -> Response:
    found = await rpc.call(GetOrganisationV1(organisation_id=organisation_id), OrganisationV1)
    return _page(
        request,
        "staff/organisation.html.j2",
        title=found.name,
        organisation=found,
        kinds=KINDS,
        colleges=COLLEGES,
    )
