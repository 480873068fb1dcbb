"""Back-office pages of the centre's data team (``/equipe/donnees``): the datasets, the upload
of an indicator file through a form (its validation report, line by line), the preview of what
statistical secrecy will hide, and publication.

Who: staff accounts with the role ``data`` and no partner, as for the JSON API
(``services/gateway/api/dataquartiers.py``); a partner's ``data`` account is refused with a
French page. The file goes the API's way: streamed into the object store as the form arrives
(``services.gateway.uploads.form_upload``), never held whole, then named in the same
``UploadDatasetV1`` command. Nothing of a draft's values reaches these pages: the service
answers counts, territories and reasons only.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from contracts.dataquartiers import (
    CatalogueV1,
    DatasetAccess,
    DatasetReportV1,
    DatasetStatus,
    DatasetsV1,
    DatasetV1,
    GetCatalogueV1,
    GetDatasetV1,
    ListDatasetsV1,
    PreviewDatasetV1,
    PublishDatasetV1,
    SecrecyPreviewV1,
    UploadDatasetV1,
)
from services.gateway.api import Rpc
from services.gateway.api.dataquartiers import PUBLISH_TIMEOUT_SECONDS
from services.gateway.auth import StaffPageRefused, require_staff_page
from services.gateway.settings import GatewaySettings
from services.gateway.store import Role, StaffMember
from services.gateway.uploads import (
    FormUpload,
    UploadedFiles,
    UploadRefused,
    form_upload,
    import_timeout,
)
from services.gateway.web.pages import _page
from services.gateway.web.staff.common import router
from services.runtime.rpc import RpcError

PARIS = ZoneInfo("Europe/Paris")
STATUSES = {DatasetStatus.DRAFT: "brouillon", DatasetStatus.PUBLISHED: "publié"}
ACCESS = {
    DatasetAccess.OPEN: "Ouvert : publié pour tout le monde (open data)",
    DatasetAccess.RESTRICTED: "Restreint : lu par les partenaires d'une convention",
}
ACCESS_SHORT = {DatasetAccess.OPEN: "ouvert", DatasetAccess.RESTRICTED: "restreint"}
LAYOUTS = {"long": "long (une valeur par ligne)", "wide": "large (un indicateur par colonne)"}
DELIMITERS = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}
LABELS = {
    "file": "Fichier CSV",
    "name": "Titre du jeu de données",
    "provenance": "Provenance",
    "vintage": "Millésime",
    "access": "Accès",
}
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
SPREADSHEET_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".ods")
NOT_TEXT = ("image/", "audio/", "video/", "application/pdf", "application/zip")
VINTAGES_BACK = 15
"""Years offered below the current one, besides the catalogue's vintages."""


async def data_team_page(
    member: Annotated[StaffMember, Depends(require_staff_page(Role.DATA))],
) -> StaffMember:
    if member.partner:
        raise StaffPageRefused(
            403,
            "Ces pages sont réservées à l'équipe data du centre : un compte partenaire lit les "
            "jeux de données partagés avec lui par l'API.",
        )
    return member


DataTeamPage = Annotated[StaffMember, Depends(data_team_page)]
"""A page parameter of this type lets through only the centre's data team (role ``data``, no
partner), by the ``reso_staff`` session cookie or a bearer token."""


def paris_text(value: datetime | None) -> str:
    return value.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M") if value else "—"


def french_count(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def check_file(filename: str, content_type: str) -> str | None:
    """Why a chosen file is not a CSV file (French), or None: by its name and declared type,
    before any byte is kept; the service reads what is inside."""
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if suffix in SPREADSHEET_SUFFIXES:
        return (
            "Ce fichier est un classeur : enregistrez-le au format CSV (.csv) depuis le tableur, "
            "puis envoyez ce fichier CSV."
        )
    if suffix not in CSV_SUFFIXES or content_type.lower().startswith(NOT_TEXT):
        return "Ce fichier n'est pas un fichier CSV : choisissez un fichier .csv."
    return None


def _vintages(catalogue: CatalogueV1) -> list[int]:
    """The vintages the form offers: the catalogue's, and the recent years, newest first."""
    known = {vintage for indicator in catalogue.indicators for vintage in indicator.vintages}
    this_year = date.today().year
    return sorted(known | set(range(this_year - VINTAGES_BACK, this_year + 1)), reverse=True)


def _checked_fields(fields: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's metadata as ``UploadDatasetV1`` takes it, and French errors by field."""
    errors: dict[str, str] = {}
    name = " ".join(fields.get("name", "").split())
    provenance = fields.get("provenance", "").strip()
    raw_vintage = fields.get("vintage", "").strip()
    raw_access = fields.get("access", DatasetAccess.OPEN.value).strip()
    if not name:
        errors["name"] = "Donnez un titre au jeu de données."
    elif len(name) > 200:
        errors["name"] = "Le titre ne doit pas dépasser 200 caractères."
    if len(provenance) > 2000:
        errors["provenance"] = "La provenance ne doit pas dépasser 2 000 caractères."
    vintage: int | None = None
    if raw_vintage:
        if raw_vintage.isdigit() and 1960 <= int(raw_vintage) <= 2100:
            vintage = int(raw_vintage)
        else:
            errors["vintage"] = "Choisissez une année de la liste."
    if raw_access not in {access.value for access in DatasetAccess}:
        errors["access"] = "Choisissez un accès ouvert ou restreint."
    values = {
        "name": name,
        "provenance": provenance,
        "vintage": vintage,
        "access": DatasetAccess(raw_access) if "access" not in errors else DatasetAccess.OPEN,
        "dry_run": fields.get("dry_run") == "oui",
    }
    return values, errors


async def _upload_page(
    request: Request,
    rpc: Rpc,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    report: DatasetReportV1 | None = None,
    status: int = 200,
) -> HTMLResponse:
    catalogue = await rpc.call(GetCatalogueV1(), CatalogueV1)
    settings: GatewaySettings = request.app.state.settings
    return _page(
        request,
        "staff/data_upload.html.j2",
        status,
        title="Envoyer un fichier de données",
        values=values or {"access": DatasetAccess.OPEN.value},
        errors=errors or {},
        labels=LABELS,
        report=report,
        vintages=_vintages(catalogue),
        indicators=sorted(catalogue.indicators, key=lambda i: i.label),
        access_labels=ACCESS,
        layouts=LAYOUTS,
        delimiters=DELIMITERS,
        count=french_count,
        max_size=_megabytes(settings.upload_max_bytes),
    )


def _megabytes(size: int) -> str:
    megabytes = size / 1_000_000
    return f"{megabytes:.0f} Mo" if megabytes >= 10 else f"{megabytes:.1f} Mo".replace(".", ",")


async def _dataset_page(
    request: Request,
    rpc: Rpc,
    dataset: DatasetV1,
    *,
    report: DatasetReportV1 | None = None,
    just_published: bool = False,
) -> HTMLResponse:
    preview = None
    if dataset.status == DatasetStatus.DRAFT:
        preview = await rpc.call(
            PreviewDatasetV1(dataset_id=dataset.dataset_id),
            SecrecyPreviewV1,
            timeout=PUBLISH_TIMEOUT_SECONDS,
        )
    catalogue = await rpc.call(GetCatalogueV1(), CatalogueV1)
    return _page(
        request,
        "staff/data_dataset.html.j2",
        title=dataset.name,
        dataset=dataset,
        report=report,
        preview=preview,
        just_published=just_published,
        indicator_labels={i.id: i.label for i in catalogue.indicators},
        statuses=STATUSES,
        access_labels=ACCESS,
        layouts=LAYOUTS,
        delimiters=DELIMITERS,
        when=paris_text,
        count=french_count,
    )


@router.get("/equipe/donnees", response_class=HTMLResponse)
async def dataset_list(request: Request, rpc: Rpc, _team: DataTeamPage) -> Response:
    found = await rpc.call(ListDatasetsV1(), DatasetsV1)
    return _page(
        request,
        "staff/data_list.html.j2",
        title="Jeux de données",
        datasets=found.datasets,
        statuses=STATUSES,
        access_labels=ACCESS_SHORT,
        when=paris_text,
        count=french_count,
    )


@router.get("/equipe/donnees/nouveau", response_class=HTMLResponse)
async def upload_form(request: Request, rpc: Rpc, _team: DataTeamPage) -> Response:
    return await _upload_page(request, rpc)


@router.post("/equipe/donnees/nouveau", response_class=HTMLResponse)
async def upload(request: Request, rpc: Rpc, files: UploadedFiles, team: DataTeamPage) -> Response:
    """The form's file goes into the object store as it arrives; its metadata is checked once
    it is there (the file is dropped if they are wrong), then the service reads it."""
    settings: GatewaySettings = request.app.state.settings
    try:
        sent: FormUpload = await form_upload(
            request,
            files,
            file_field="file",
            max_bytes=settings.upload_max_bytes,
            check=check_file,
        )
    except UploadRefused as refused:
        return await _upload_page(
            request, rpc, errors={refused.field or "file": refused.message}, status=refused.status
        )
    values, errors = _checked_fields(sent.fields)
    if errors:
        await files.delete(sent.file.name)
        return await _upload_page(request, rpc, values=sent.fields, errors=errors, status=422)
    command = UploadDatasetV1(file=sent.file.name, by=team.email, **values)
    try:
        report = await rpc.call(
            command, DatasetReportV1, timeout=import_timeout(sent.file.size, settings)
        )
    except RpcError as error:
        if error.error.code == "unavailable":
            await files.delete(sent.file.name)
        if error.error.code not in ("invalid", "too_large", "not_found"):
            raise
        return await _upload_page(
            request, rpc, values=sent.fields, errors={"file": error.error.message}, status=422
        )
    if report.dataset_id is None:
        # A dry run, a file refused as a whole or without a valid value: nothing was kept.
        errors = {}
        if report.refused:
            errors["file"] = "Le fichier a été refusé : rien n'a été gardé ni ne peut être publié."
        elif not report.dry_run:
            errors["file"] = "Aucune valeur valide : rien n'a été gardé ni ne peut être publié."
        return await _upload_page(
            request,
            rpc,
            values=sent.fields,
            errors=errors,
            report=report,
            status=422 if errors else 200,
        )
    dataset = await rpc.call(GetDatasetV1(dataset_id=report.dataset_id), DatasetV1)
    return await _dataset_page(request, rpc, dataset, report=report)


@router.get("/equipe/donnees/{dataset_id}", response_class=HTMLResponse)
async def dataset_page(
    request: Request,
    dataset_id: uuid.UUID,
    rpc: Rpc,
    _team: DataTeamPage,
    publie: str = "",
) -> Response:
    dataset = await rpc.call(GetDatasetV1(dataset_id=dataset_id), DatasetV1)
    just_published = publie == "1" and dataset.status == DatasetStatus.PUBLISHED
    return await _dataset_page(request, rpc, dataset, just_published=just_published)


@router.post("/equipe/donnees/{dataset_id}/publication")
async def publish(dataset_id: uuid.UUID, rpc: Rpc, team: DataTeamPage) -> Response:
    """Publishes through secrecy (the service refuses what cannot be: a French page)."""
    await rpc.call(
        PublishDatasetV1(dataset_id=dataset_id, by=team.email),
        DatasetV1,
        timeout=PUBLISH_TIMEOUT_SECONDS,
    )
    return RedirectResponse(f"/equipe/donnees/{dataset_id}?publie=1", status_code=303)
