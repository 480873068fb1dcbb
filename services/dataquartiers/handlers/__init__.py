"""Use cases of the dataquartiers service: plain async functions over a unit of work."""

from __future__ import annotations

from services.dataquartiers.handlers.datasets import (
    FileSource,
    Reference,
    get_dataset,
    publish_dataset,
    upload_dataset,
)
from services.dataquartiers.handlers.indicators import get_catalogue, indicator_values
from services.dataquartiers.store import UowFactory

__all__ = [
    "FileSource",
    "Reference",
    "UowFactory",
    "get_catalogue",
    "get_dataset",
    "indicator_values",
    "publish_dataset",
    "upload_dataset",
]
