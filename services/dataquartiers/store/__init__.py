"""Tables, repositories and the unit of work of the dataquartiers service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.base import Event
from contracts.dataquartiers import IndicatorPublishedV1
from services.dataquartiers.domain.datasets import IndicatorPublished
from services.dataquartiers.store.access import AccessRepository
from services.dataquartiers.store.datasets import DatasetRepository
from services.dataquartiers.store.schema import (
    dataset_grants,
    dataset_reads,
    datasets,
    indicator_values,
    metadata,
    published_values,
    reliability,
    restricted_values,
)
from services.runtime.settings import CentreSettings
from services.runtime.store import UnitOfWork

__all__ = [
    "DataquartiersUnitOfWork",
    "UowFactory",
    "contract_mapper",
    "dataset_grants",
    "dataset_reads",
    "datasets",
    "indicator_link",
    "indicator_values",
    "metadata",
    "published_values",
    "reliability",
    "restricted_values",
]


def indicator_link(centre: CentreSettings, indicator: str, vintage: int) -> str:
    """The public page of an indicator and vintage on the gateway (``/donnees/indicateurs/…``:
    its published values by territory, each QPV linking to its territory sheet)."""
    return f"{centre.public_url.rstrip('/')}/donnees/indicateurs/{indicator}?millesime={vintage}"


def contract_mapper(centre: CentreSettings) -> Any:
    """Turn dataquartiers' domain events into contract events (at the edge, for the outbox)."""

    def to_contract(domain_event: object) -> Event | None:
        if isinstance(domain_event, IndicatorPublished):
            indicator = domain_event.indicator
            return IndicatorPublishedV1(
                producer="dataquartiers",
                centre=centre.slug,
                occurred_at=domain_event.occurred_at,
                dataset_id=domain_event.dataset_id,
                indicator=indicator.id,
                label=indicator.label,
                theme=indicator.theme,
                vintage=domain_event.vintage,
                territories=domain_event.territories,
                link=indicator_link(centre, indicator.id, domain_event.vintage),
            )
        raise TypeError(f"no contract for {type(domain_event).__name__}")

    return to_contract


class DataquartiersUnitOfWork(UnitOfWork):
    datasets: DatasetRepository
    access: AccessRepository

    def _open(self) -> None:
        self.datasets = DatasetRepository(self.session)
        self.access = AccessRepository(self.session)


UowFactory = Callable[[], DataquartiersUnitOfWork]
