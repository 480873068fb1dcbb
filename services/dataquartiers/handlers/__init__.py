"""Use cases of the dataquartiers service: plain async functions over a unit of work."""

from __future__ import annotations

from services.dataquartiers.handlers.access import (
    dataset_values,
    list_datasets,
    list_reads,
    preview_dataset,
    share_dataset,
)
from services.dataquartiers.handlers.datasets import (
    FileSource,
    Reference,
    get_dataset,
    publish_dataset,
    upload_dataset,
)
from services.dataquartiers.handlers.indicators import get_catalogue, indicator_values
from services.dataquartiers.handlers.sheets import territory_sheet
from services.dataquartiers.store import UowFactory

__all__ = [
    "FileSource",
    "Reference",
    "UowFactory",
    "dataset_values",
    "get_catalogue",
    "get_dataset",
    "indicator_values",
    "list_datasets",
    "list_reads",
    "preview_dataset",
    "publish_dataset",
    "share_dataset",
    "territory_sheet",
    "upload_dataset",
]
