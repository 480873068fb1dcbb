"""Data & Quartiers over HTTP: the QPV reference and territory sheets (``/api/v1/territoires``),
the catalogue and published values (public), datasets (the centre's data team), restricted
datasets (named partners) and the log of their reads (staff).

Access, in short (``services/dataquartiers/domain/access.py`` has the model): anonymous callers
read open data only. A ``data`` account without a partner is the centre's data team: it
uploads, previews, publishes and shares datasets. A ``data`` account with a partner reads the
restricted datasets shared with that partner. ``staff`` and ``admin`` read the log of reads.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from contracts.dataquartiers import (
    CatalogueV1,
    DatasetAccess,
    DatasetReadsV1,
    DatasetReportV1,
    DatasetsV1,
    DatasetV1,
    DatasetValuesV1,
    GetCatalogueV1,
    GetDatasetV1,
    GetDatasetValuesV1,
    GetIndicatorValuesV1,
    GetTerritorySheetV1,
    IndicatorValuesV1,
    ListDatasetReadsV1,
    ListDatasetsV1,
    PreviewDatasetV1,
    PublishDatasetV1,
    ReaderV1,
    SecrecyPreviewV1,
    ShareDatasetV1,
    TerritorySheetV1,
    UploadDatasetV1,
)
from reference import Qpv, SupersededQpvCode, UnknownTerritory, territories
from services.gateway.api import Rpc, Staff
from services.gateway.auth import optional_staff, require_role
from services.gateway.errors import ApiError
from services.gateway.store import Role, StaffMember
from services.gateway.uploads import CSV_BODY, UploadedFiles, import_file
from services.runtime.rpc import RpcClient

router = APIRouter(prefix="/api/v1", tags=["data"])

PUBLISH_TIMEOUT_SECONDS = 300
"""Publishing recomputes secrecy over whole tables: longer than an ordinary RPC."""


async def _data_team(
    member: Annotated[StaffMember, Depends(require_role(Role.DATA))],
) -> StaffMember:
    if member.partner:
        raise ApiError(
            403,
            "forbidden",
            "Réservé à l'équipe data du centre : un compte partenaire lit les jeux partagés "
            "avec lui.",
        )
    return member


DataTeam = Annotated[StaffMember, Depends(_data_team)]
"""The centre's data team: role ``data`` and no partner."""

MaybeStaff = Annotated[StaffMember | None, Depends(optional_staff)]


# --- the QPV reference and territory sheets ---------------------------------------------------


class QpvSummary(BaseModel):
    code: str
    name: str
    communes: tuple[str, ...]
    epci: tuple[str, ...]
    department: str
    region: str | None
    sheet: str = Field(description="The territory sheet (HTML).")


class QpvList(BaseModel):
    items: tuple[QpvSummary, ...]


class QpvLookup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    commune: str | None = Field(default=None, description="INSEE code, e.g. 44109.")
    epci: str | None = Field(default=None, description="SIREN, e.g. 244400404.")
    departement: str | None = Field(default=None, description="Code, e.g. 44.")


def checked_qpv(code: str) -> Qpv:
    """The QPV of ``code``; 410 naming the change for a 2015 code, 404 for an unknown one."""
    try:
        return territories().check_qpv(code.strip().upper())
    except SupersededQpvCode as error:
        raise ApiError(410, "superseded_qpv_code", str(error).capitalize() + ".") from None
    except UnknownTerritory:
        raise ApiError(404, "not_found", f"Quartier prioritaire inconnu : {code}.") from None


def _summary(qpv: Qpv) -> QpvSummary:
    return QpvSummary(
        code=qpv.code,
        name=qpv.name,
        communes=qpv.commune_codes,
        epci=qpv.epci_sirens,
        department=qpv.department_code,
        region=qpv.region_code,
        sheet=f"/territoires/qpv/{qpv.code}",
    )


@router.get(
    "/territoires/qpv", response_model=QpvList, summary="Find QPV by commune, EPCI or department"
)
async def find_qpv(query: Annotated[QpvLookup, Query()]) -> QpvList:
    """Exactly one of ``commune``, ``epci``, ``departement``; the 2024 QPV there, by code."""
    given = {k: v.strip() for k, v in query.model_dump().items() if v}
    if len(given) != 1:
        raise ApiError(422, "invalid", "Indiquez une commune, un EPCI ou un département.")
    ref = territories()
    ((kind, code),) = given.items()
    try:
        if kind == "commune":
            found = ref.qpvs_in_commune(ref.check_commune(code.zfill(5)).code)
        elif kind == "epci":
            found = ref.qpvs_in_epci(ref.check_epci(code).siren)
        else:
            found = ref.qpvs_in_department(ref.check_department(code.zfill(2)).code)
    except UnknownTerritory as error:
        raise ApiError(404, "not_found", str(error).capitalize() + ".") from None
    return QpvList(items=tuple(_summary(q) for q in sorted(found, key=lambda q: q.code)))


@router.get(
    "/territoires/qpv/{code}.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    summary="A QPV's territory sheet as CSV",
)
async def sheet_csv(code: str, rpc: Rpc) -> Response:
    """One row per indicator, vintage and territory: the published value, or « s » and why."""
    sheet = await territory_sheet(rpc, code)
    return Response(
        sheet_as_csv(sheet),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="fiche-{sheet.qpv}.csv"'},
    )


@router.get(
    "/territoires/qpv/{code}",
    response_model=TerritorySheetV1,
    summary="A QPV's territory sheet",
)
async def sheet_json(code: str, rpc: Rpc) -> TerritorySheetV1:
    """The QPV, its communes, EPCI, department and region, and each published indicator (open
    data) of the QPV beside theirs where known: the value, or ``"s"`` and the reason. 410 for
    a 2015-generation code (``QP…``), 404 for an unknown one."""
    return await territory_sheet(rpc, code)


async def territory_sheet(rpc: RpcClient, code: str) -> TerritorySheetV1:
    qpv = checked_qpv(code)
    return await rpc.call(GetTerritorySheetV1(qpv=qpv.code), TerritorySheetV1)


def french_number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return text.replace(".", ",")


def sheet_as_csv(sheet: TerritorySheetV1) -> str:
    """UTF-8 with BOM, ``;`` and decimal commas: as French offices open it."""
    names = {t.key: t for t in sheet.territories}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "indicateur",
            "libellé",
            "unité",
            "millésime",
            "territoire",
            "niveau",
            "nom",
            "valeur",
            "secret statistique",
            "source",
            "provenance",
        ]
    )
    for table in sheet.indicators:
        for value in table.values:
            territory = names.get(value.territory)
            writer.writerow(
                [
                    table.indicator.id,
                    table.indicator.label,
                    table.indicator.unit,
                    table.vintage,
                    value.territory,
                    territory.level if territory else "",
                    territory.name if territory else "",
                    "s" if value.value is None else french_number(value.value),
                    value.reason,
                    table.indicator.source,
                    table.provenance,
                ]
            )
    return "\ufeff" + out.getvalue()


# --- catalogue and published values (public) --------------------------------------------------


@router.get("/data/catalogue", response_model=CatalogueV1, summary="The indicator catalogue")
async def catalogue(rpc: Rpc) -> CatalogueV1:
    return await rpc.call(GetCatalogueV1(), CatalogueV1)


@router.get(
    "/data/indicators/{indicator}/values",
    response_model=IndicatorValuesV1,
    summary="Published values of an indicator (open data)",
)
async def indicator_values(
    indicator: str,
    rpc: Rpc,
    vintage: int | None = None,
    territory: Annotated[list[str] | None, Query(description="level:code, repeatable")] = None,
) -> IndicatorValuesV1:
    """Secrecy applied: a hidden cell is ``"s"`` with its reason, never a figure."""
    return await rpc.call(
        GetIndicatorValuesV1(
            indicator=indicator, vintage=vintage, territories=tuple(territory or ())
        ),
        IndicatorValuesV1,
    )


@router.get(
    "/data/datasets/{dataset_id}/values",
    response_model=DatasetValuesV1,
    summary="Published values of a dataset (restricted ones: their partners)",
)
async def dataset_values(
    dataset_id: uuid.UUID,
    rpc: Rpc,
    member: MaybeStaff,
    indicator: str | None = None,
    vintage: int | None = None,
    territory: Annotated[list[str] | None, Query(description="level:code, repeatable")] = None,
) -> DatasetValuesV1:
    """An open published dataset: anyone. A restricted one: a ``data`` account of a partner it
    is shared with today, or the centre's data team; others get 403. Every read of a
    restricted dataset, allowed or not, is logged (who, when, which dataset, what was asked)."""
    reader = (
        ReaderV1(email=member.email, role=member.role.value, partner=member.partner)
        if member
        else None
    )
    return await rpc.call(
        GetDatasetValuesV1(
            dataset_id=dataset_id,
            reader=reader,
            indicator=indicator,
            vintage=vintage,
            territories=tuple(territory or ()),
        ),
        DatasetValuesV1,
    )


# --- datasets (the centre's data team) --------------------------------------------------------


@router.get("/data/datasets", response_model=DatasetsV1, summary="List datasets (data team)")
async def list_datasets(rpc: Rpc, _team: DataTeam) -> DatasetsV1:
    return await rpc.call(ListDatasetsV1(), DatasetsV1)


@router.post(
    "/data/datasets",
    response_model=DatasetReportV1,
    summary="Upload an indicator file (data team)",
    openapi_extra=CSV_BODY,
)
async def upload_dataset(
    request: Request,
    rpc: Rpc,
    files: UploadedFiles,
    team: DataTeam,
    name: Annotated[str, Query(min_length=1, max_length=200)],
    provenance: Annotated[str, Query(max_length=2000)] = "",
    vintage: Annotated[int | None, Query(ge=1960, le=2100)] = None,
    access: DatasetAccess = DatasetAccess.OPEN,
    dry_run: bool = False,
) -> DatasetReportV1:
    """Send the CSV file as the request body (as INSEE or a partner sends it: UTF-8 or
    Windows-1252, ``;`` or ``,``, decimal commas, wide or long). Answers the validation report,
    every refused row with its line; the valid values are kept in a draft nobody else sees."""
    return await import_file(
        request,
        rpc,
        files,
        lambda stored: UploadDatasetV1(
            file=stored,
            name=name,
            provenance=provenance,
            vintage=vintage,
            access=access,
            dry_run=dry_run,
            by=team.email,
        ),
        DatasetReportV1,
    )


@router.get(
    "/data/datasets/{dataset_id}", response_model=DatasetV1, summary="A dataset (data team)"
)
async def get_dataset(dataset_id: uuid.UUID, rpc: Rpc, _team: DataTeam) -> DatasetV1:
    """Its status, access, partners and the upload report's summary; never its values."""
    return await rpc.call(GetDatasetV1(dataset_id=dataset_id), DatasetV1)


@router.get(
    "/data/datasets/{dataset_id}/preview",
    response_model=SecrecyPreviewV1,
    summary="What secrecy would hide (data team)",
)
async def preview_dataset(dataset_id: uuid.UUID, rpc: Rpc, _team: DataTeam) -> SecrecyPreviewV1:
    """For each table of a draft, how many cells publishing would hide and why (counts and
    reasons, never a value). 409 once published."""
    return await rpc.call(PreviewDatasetV1(dataset_id=dataset_id), SecrecyPreviewV1)


@router.post(
    "/data/datasets/{dataset_id}/publish",
    response_model=DatasetV1,
    summary="Publish a draft (data team)",
)
async def publish_dataset(dataset_id: uuid.UUID, rpc: Rpc, team: DataTeam) -> DatasetV1:
    """Applies statistical secrecy and publishes; an open dataset is announced on the bus
    (``reso.dataquartiers.indicator.published.v1``). 409 if already published."""
    return await rpc.call(
        PublishDatasetV1(dataset_id=dataset_id, by=team.email),
        DatasetV1,
        timeout=PUBLISH_TIMEOUT_SECONDS,
    )


class Sharing(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    partner: str = Field(min_length=1, max_length=200)
    agreement: str = Field(min_length=1, max_length=200, description="Agreement reference.")
    starts_on: date
    ends_on: date | None = None


@router.put(
    "/data/datasets/{dataset_id}/partners",
    response_model=DatasetV1,
    summary="Share a restricted dataset with a partner (data team)",
)
async def share_dataset(
    dataset_id: uuid.UUID, body: Sharing, rpc: Rpc, team: DataTeam
) -> DatasetV1:
    """The partner's ``data`` accounts read it from ``starts_on`` to ``ends_on`` (included).
    Sharing again with the same partner replaces the agreement. 422 for an open dataset."""
    return await rpc.call(
        ShareDatasetV1(dataset_id=dataset_id, **body.model_dump(), by=team.email), DatasetV1
    )


# --- the read log (staff) ---------------------------------------------------------------------


@router.get(
    "/data/reads",
    response_model=DatasetReadsV1,
    summary="Reads of restricted datasets (staff)",
)
async def list_reads(
    rpc: Rpc,
    _staff: Staff,
    dataset_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DatasetReadsV1:
    """Newest first: when, who (account, role, partner), which dataset, what was asked, whether
    it was allowed, how many values were answered."""
    return await rpc.call(
        ListDatasetReadsV1(dataset_id=dataset_id, limit=limit, offset=offset), DatasetReadsV1
    )
