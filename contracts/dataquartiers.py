"""Messages owned by the dataquartiers service: indicator datasets, their publication through
statistical secrecy, and the secrecy-applied values.

No message ever carries a raw value: what leaves the service is a published value, or ``"s"``
and the reason it is hidden (statistical secrecy).
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.base import Command, Event, Query, Reply, Theme

_FILE = (
    "Name of the uploaded file in the JetStream object store bucket RESO_FILES (the gateway "
    "streams it there); dataquartiers deletes it once read, the bucket's TTL otherwise."
)
_TERRITORY = (
    "A territory as ``<level>:<code>``: qpv:QN04405M, commune:44109, epci:244400404, "
    "departement:44, region:52."
)


class DatasetStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class DatasetAccess(StrEnum):
    """``open``: published for everyone. ``restricted``: shared with named partners under an
    agreement; only their ``data`` accounts (and the centre's data team) read it, each read
    logged."""

    OPEN = "open"
    RESTRICTED = "restricted"


class ProblemV1(BaseModel):
    """A refused row of a file: where it starts (header = line 1) and why, in French."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    line: int
    reason: str


class PublishedValueV1(BaseModel):
    """A value as it may leave the service: the figure, or ``"s"`` and why it is hidden."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    territory: str = Field(description=_TERRITORY)
    vintage: int
    value: float | None = Field(description="None when hidden by statistical secrecy.")
    shown: float | str = Field(description='The figure, or "s" when hidden.')
    reason: str = Field(default="", description="Why it is hidden (French), else empty.")


class GrantV1(BaseModel):
    """A restricted dataset shared with a partner under an agreement, between two dates."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    partner: str = Field(description="Partner name, as on the partner's staff accounts.")
    agreement: str = Field(description="Reference of the data-sharing agreement.")
    starts_on: date
    ends_on: date | None = Field(default=None, description="Last day included; None: open.")
    granted_by: str = ""


class IndicatorV1(BaseModel):
    """One indicator of the catalogue: what it measures and how it is protected."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    label: str = Field(description="French label.")
    definition: str = Field(description="French definition.")
    unit: str
    source: str
    theme: Theme
    levels: tuple[str, ...] = Field(description="qpv, commune, epci, departement, region.")
    vintages: tuple[int, ...] = Field(description="Vintages the catalogue knows of.")
    secrecy: str = Field(description="The secrecy rule, in French.")
    additive: bool = Field(description="Values sum over territories (counts).")
    comparability: str = Field(default="", description="French notes on comparisons.")


class GetCatalogueV1(Query):
    """Ask for the indicator catalogue (anyone: it holds no value)."""

    subject: ClassVar[str] = "rpc.dataquartiers.catalogue.get.v1"


class CatalogueV1(Reply):
    subject: ClassVar[str] = "rpc.dataquartiers.catalogue.get.v1"

    indicators: tuple[IndicatorV1, ...]


class UploadDatasetV1(Command):
    """Read an indicator file into a new draft dataset (``data`` staff, through the gateway).

    The file is a CSV as INSEE or a partner sends it (UTF-8 or Windows-1252, ``;`` or ``,``,
    decimal commas, wide or long layout). Every refused row is reported with its line; the
    valid values are kept in a draft, which nothing outside the service can see until it is
    published. ``dry_run`` only reports. A file refused as a whole creates no dataset.
    """

    subject: ClassVar[str] = "rpc.dataquartiers.dataset.upload.v1"

    file: str = Field(min_length=1, max_length=255, description=_FILE)
    name: str = Field(min_length=1, max_length=200, description="Title of the dataset.")
    provenance: str = Field(
        default="",
        max_length=2000,
        description="Where the figures come from, shown with them (French).",
    )
    vintage: int | None = Field(
        default=None, ge=1960, le=2100, description="Vintage of a file without vintage column."
    )
    dry_run: bool = False
    by: str = Field(description="E-mail of the staff account that asked.")
    access: DatasetAccess = Field(
        default=DatasetAccess.OPEN, description="Who may read it once published."
    )


class DatasetReportV1(Reply):
    """What an upload found and kept. ``errors`` lists refused rows with their line, up to what
    fits in one NATS message; ``errors_not_listed`` counts the others."""

    subject: ClassVar[str] = "rpc.dataquartiers.dataset.upload.v1"

    dataset_id: uuid.UUID | None = Field(description="The draft created; None on a dry run.")
    summary: str = Field(description="One French sentence.")
    refused: bool = Field(description="The whole file was refused (see errors).")
    encoding: str
    delimiter: str
    layout: str = Field(description="long or wide.")
    read: int
    valid: int
    empty_cells: int = 0
    indicators: tuple[str, ...] = ()
    vintages: tuple[int, ...] = ()
    territories: int = Field(default=0, description="How many territories the values cover.")
    errors: tuple[ProblemV1, ...] = ()
    errors_not_listed: int = 0
    notices: tuple[str, ...] = ()
    dry_run: bool = False


class GetDatasetV1(Query):
    """Ask for a dataset's description and upload report (``data`` staff)."""

    subject: ClassVar[str] = "rpc.dataquartiers.dataset.get.v1"

    dataset_id: uuid.UUID


class DatasetV1(Reply):
    """A dataset: draft until published; its values are never in it."""

    subject: ClassVar[str] = "rpc.dataquartiers.dataset.get.v1"

    dataset_id: uuid.UUID
    name: str
    provenance: str
    status: DatasetStatus
    indicators: tuple[str, ...]
    vintages: tuple[int, ...]
    values: int = Field(description="How many raw values it holds.")
    summary: str = Field(description="The upload report's summary (French).")
    created_at: AwareDatetime
    created_by: str
    published_at: AwareDatetime | None = None
    published_by: str | None = None
    access: DatasetAccess = DatasetAccess.OPEN
    grants: tuple[GrantV1, ...] = Field(
        default=(), description="Partners a restricted dataset is shared with."
    )
    blocked: str = Field(
        default="",
        description="Why it cannot be published now (French); empty when it can.",
    )


class ShareDatasetV1(Command):
    """Share a restricted dataset with a partner under an agreement (the centre's data team);
    sharing again with the same partner replaces the agreement and dates. ``invalid`` for an
    open dataset, ``not_found`` for an unknown one."""

    subject: ClassVar[str] = "rpc.dataquartiers.dataset.share.v1"

    dataset_id: uuid.UUID
    partner: str = Field(min_length=1, max_length=200)
    agreement: str = Field(min_length=1, max_length=200)
    starts_on: date
    ends_on: date | None = None
    by: str = Field(description="E-mail of the staff account that asked.")


class ListDatasetsV1(Query):
    """Ask for every dataset, newest first (``data`` staff): descriptions, never values."""

    subject: ClassVar[str] = "rpc.dataquartiers.dataset.list.v1"


class DatasetsV1(Reply):
    subject: ClassVar[str] = "rpc.dataquartiers.dataset.list.v1"

    datasets: tuple[DatasetV1, ...]


class ReaderV1(BaseModel):
    """Who reads, as the gateway authenticated them. None (anonymous) reads open data only."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    email: str
    role: str = Field(description="admin, staff or data.")
    partner: str | None = Field(
        default=None, description="The partner a ``data`` account belongs to; None: the centre."
    )


class GetDatasetValuesV1(Query):
    """Ask for the published values of one dataset (secrecy applied). An open dataset: anyone.
    A restricted one: a ``data`` account of a partner it is shared with today, or of the
    centre's data team (no partner); every such read, allowed or refused, is logged. Refused:
    ``forbidden``. A draft: ``conflict`` (nothing of a draft leaves the service)."""

    subject: ClassVar[str] = "rpc.dataquartiers.dataset.values.v1"

    dataset_id: uuid.UUID
    reader: ReaderV1 | None = None
    indicator: str | None = None
    vintage: int | None = None
    territories: tuple[str, ...] = Field(default=(), max_length=5000, description=_TERRITORY)


class DatasetValueV1(PublishedValueV1):
    """A published value of a dataset, with its indicator."""

    indicator: str


class DatasetValuesV1(Reply):
    subject: ClassVar[str] = "rpc.dataquartiers.dataset.values.v1"

    dataset_id: uuid.UUID
    name: str
    provenance: str
    access: DatasetAccess
    values: tuple[DatasetValueV1, ...]


class ListDatasetReadsV1(Query):
    """Ask for the log of reads of restricted datasets, newest first (admin or staff)."""

    subject: ClassVar[str] = "rpc.dataquartiers.reads.list.v1"

    dataset_id: uuid.UUID | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class DatasetReadV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    at: AwareDatetime
    reader: str = Field(description="E-mail of the account that read.")
    role: str
    partner: str | None
    dataset_id: uuid.UUID
    query: str = Field(description="What was asked (indicator, vintage, territories), as JSON.")
    allowed: bool
    values: int = Field(description="How many values the answer held.")


class DatasetReadsV1(Reply):
    subject: ClassVar[str] = "rpc.dataquartiers.reads.list.v1"

    total: int
    items: tuple[DatasetReadV1, ...]


class PreviewDatasetV1(Query):
    """Ask what statistical secrecy would hide if a draft were published now (``data`` staff):
    per table, how many cells and why, and which cells (territory and reason); never a value."""

    subject: ClassVar[str] = "rpc.dataquartiers.dataset.preview.v1"

    dataset_id: uuid.UUID


class ReasonCountV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    reason: str = Field(description="French reason, as published beside the hidden cells.")
    cells: int


class HiddenCellV1(BaseModel):
    """A cell publishing would hide: which territory, and why; never its value."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    territory: str = Field(description=_TERRITORY)
    name: str = Field(description="The territory's name (its code when the reference has none).")
    primary: bool = Field(
        description="Hidden by the indicator's own rule (primary); else to protect another "
        "hidden cell (secondary)."
    )
    reason: str = Field(description="French reason, as published beside the cell.")


class TablePreviewV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    indicator: str
    vintage: int
    cells: int = Field(description="Cells the table would publish (with other datasets').")
    hidden: int
    hidden_primary: int
    hidden_secondary: int
    reasons: tuple[ReasonCountV1, ...]
    label: str = Field(default="", description="The indicator's French label.")
    hidden_cells: tuple[HiddenCellV1, ...] = Field(
        default=(),
        description="The cells it would hide, primary first, up to what fits in one NATS "
        "message (``hidden_not_listed`` counts the others).",
    )
    hidden_not_listed: int = 0


class SecrecyPreviewV1(Reply):
    subject: ClassVar[str] = "rpc.dataquartiers.dataset.preview.v1"

    dataset_id: uuid.UUID
    tables: tuple[TablePreviewV1, ...]


class PublishDatasetV1(Command):
    """Publish a draft dataset (``data`` staff): statistical secrecy is applied to every table
    (indicator × vintage) it touches, over all published figures of that table, and each table
    is announced with ``reso.dataquartiers.indicator.published.v1``. Publishing a dataset that
    is already published is refused (``conflict``)."""

    subject: ClassVar[str] = "rpc.dataquartiers.dataset.publish.v1"

    dataset_id: uuid.UUID
    by: str = Field(description="E-mail of the staff account that asked.")


class GetIndicatorValuesV1(Query):
    """Ask for the published, secrecy-applied values of an indicator (anyone)."""

    subject: ClassVar[str] = "rpc.dataquartiers.indicator.values.v1"

    indicator: str
    vintage: int | None = Field(default=None, description="None: every published vintage.")
    territories: tuple[str, ...] = Field(
        default=(), max_length=5000, description="Only these (``<level>:<code>``); () for all."
    )


class IndicatorValuesV1(Reply):
    subject: ClassVar[str] = "rpc.dataquartiers.indicator.values.v1"

    indicator: IndicatorV1
    values: tuple[PublishedValueV1, ...]


class IndicatorPublishedV1(Event):
    """New or revised figures of one indicator and vintage are published.

    Emitted by dataquartiers once per indicator and vintage of a dataset, in the transaction
    that publishes the dataset (outbox). Not emitted for drafts, for dry runs, for a
    dataset publication refused, or for a restricted dataset (its figures go to named partners
    only). Carries no value: consumers (newsletters' "new data" block,
    the gateway's caches) follow ``link`` or ask ``rpc.dataquartiers.indicator.values.v1``.
    """

    subject: ClassVar[str] = "reso.dataquartiers.indicator.published.v1"

    dataset_id: uuid.UUID
    indicator: str = Field(description="Id in the catalogue, e.g. 'taux_pauvrete'.")
    label: str = Field(description="The indicator's French label.")
    theme: Theme
    vintage: int
    territories: tuple[str, ...] = Field(description=_TERRITORY)
    link: str = Field(description="Public page of the indicator and vintage.")


class GetTerritorySheetV1(Query):
    """Ask for a QPV's territory sheet (anyone): its published indicators beside those of its
    communes, EPCI, department and region, open data only. ``not_found`` for an unknown code;
    ``superseded_qpv_code`` for a 2015-generation ``QP…`` code."""

    subject: ClassVar[str] = "rpc.dataquartiers.territory.sheet.v1"

    qpv: str = Field(min_length=1, max_length=16)


class SheetTerritoryV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    key: str = Field(description=_TERRITORY)
    level: str
    code: str
    name: str


class SheetIndicatorV1(BaseModel):
    """One indicator and vintage of a sheet: the QPV's value first, then its surroundings'."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    indicator: IndicatorV1
    vintage: int
    provenance: str = Field(default="", description="Provenance of the dataset(s) published.")
    values: tuple[PublishedValueV1, ...]


class TerritorySheetV1(Reply):
    subject: ClassVar[str] = "rpc.dataquartiers.territory.sheet.v1"

    qpv: str
    name: str
    territories: tuple[SheetTerritoryV1, ...] = Field(description="The QPV, then around it.")
    indicators: tuple[SheetIndicatorV1, ...]
