"""Messages owned by the dataquartiers service: indicator datasets, their publication through
statistical secrecy, and the secrecy-applied values.

No message ever carries a raw value: what leaves the service is a published value, or ``"s"``
and the reason it is hidden (statistical secrecy).
"""

from __future__ import annotations

import uuid
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


class ProblemV1(BaseModel):
    """A refused row of a file: where it starts (header = line 1) and why, in French."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    line: int
    reason: str


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


class PublishDatasetV1(Command):
    """Publish a draft dataset (``data`` staff): statistical secrecy is applied to every table
    (indicator × vintage) it touches, over all published figures of that table, and each table
    is announced with ``reso.dataquartiers.indicator.published.v1``. Publishing a dataset that
    is already published is refused (``conflict``)."""

    subject: ClassVar[str] = "rpc.dataquartiers.dataset.publish.v1"

    dataset_id: uuid.UUID
    by: str = Field(description="E-mail of the staff account that asked.")


class PublishedValueV1(BaseModel):
    """A value as it may leave the service: the figure, or ``"s"`` and why it is hidden."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    territory: str = Field(description=_TERRITORY)
    vintage: int
    value: float | None = Field(description="None when hidden by statistical secrecy.")
    shown: float | str = Field(description='The figure, or "s" when hidden.')
    reason: str = Field(default="", description="Why it is hidden (French), else empty.")


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
    that publishes the dataset (outbox). Not emitted for drafts, for dry runs, or for a
    dataset publication refused. Carries no value: consumers (newsletters' "new data" block,
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
