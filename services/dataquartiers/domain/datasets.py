"""Datasets: the values of one uploaded file, draft until published, and what publishing does.

A dataset holds raw values (indicator × vintage × territory); vintages sit side by side. A draft
is seen by ``data`` staff only, through its upload report; nothing of it leaves the service.
Publishing recomputes, for each table (indicator, vintage) the dataset touches, the published
values from the raw values of every published dataset of that table (the latest wins for a
territory given twice), through statistical secrecy, so that secondary suppression sees the
whole table and not one file at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from reference import Territories
from services.dataquartiers.domain.catalogue import SELF, Indicator
from services.dataquartiers.domain.secrecy import Cell, Disclosure, protect
from services.dataquartiers.domain.territories import TerritoryRef, describe_key, relations
from services.runtime.errors import Conflict

DRAFT, PUBLISHED = "draft", "published"
OPEN, RESTRICTED = "open", "restricted"


@dataclass(frozen=True, slots=True)
class Dataset:
    id: uuid.UUID
    name: str
    provenance: str
    status: str
    indicators: tuple[str, ...]
    vintages: tuple[int, ...]
    values: int
    summary: str
    created_at: datetime
    created_by: str
    published_at: datetime | None = None
    published_by: str | None = None
    access: str = OPEN


@dataclass(frozen=True, slots=True)
class RawValue:
    territory: TerritoryRef
    value: float
    base: float | None = None
    largest: float | None = None


@dataclass(frozen=True, slots=True)
class IndicatorPublished:
    """Domain event: a table (indicator, vintage) has new published values."""

    dataset_id: uuid.UUID
    indicator: Indicator
    vintage: int
    territories: tuple[str, ...]
    occurred_at: datetime


def publication_blocker(dataset: Dataset) -> str | None:
    """Why ``dataset`` cannot be published now (French), or None when it can."""
    if dataset.status == PUBLISHED:
        return "Ce jeu de données est déjà publié."
    if not dataset.values:
        return "Ce jeu de données ne contient aucune valeur à publier."
    return None


def check_publishable(dataset: Dataset) -> None:
    blocker = publication_blocker(dataset)
    if blocker is not None:
        raise Conflict(blocker, dataset_id=str(dataset.id), status=dataset.status)


def secrecy_applied(
    ref: Territories,
    indicator: Indicator,
    raw: Mapping[TerritoryRef, RawValue],
    bases: Mapping[TerritoryRef, float],
) -> dict[TerritoryRef, Disclosure]:
    """The published table of one indicator and vintage.

    ``bases`` are the values of the indicator's base indicator (``indicator.base``) for the same
    vintage, used when a value does not carry its own count.
    """
    cells = [
        Cell(
            territory.key,
            item.value,
            base=_base(indicator, item, bases.get(territory)),
            largest=item.largest,
        )
        for territory, item in raw.items()
    ]
    found = relations(ref, raw) if indicator.additive else []
    published = protect(
        cells, found, indicator.secrecy, additive=indicator.additive, describe=describe_key
    )
    return {TerritoryRef.from_key(key): disclosure for key, disclosure in published.items()}


def _base(indicator: Indicator, item: RawValue, other: float | None) -> float | None:
    if item.base is not None:
        return item.base
    if indicator.base == SELF:
        return item.value
    return other


def territory_keys(territories: Iterable[TerritoryRef]) -> tuple[str, ...]:
    return tuple(sorted(territory.key for territory in territories))
