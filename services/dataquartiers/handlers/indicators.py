"""Queries about indicators: the catalogue, and published values (never raw ones)."""

from __future__ import annotations

from contracts.dataquartiers import (
    CatalogueV1,
    GetCatalogueV1,
    GetIndicatorValuesV1,
    IndicatorV1,
    IndicatorValuesV1,
    PublishedValueV1,
)
from services.dataquartiers.domain.catalogue import Catalogue, Indicator
from services.dataquartiers.domain.secrecy import SUPPRESSED
from services.dataquartiers.domain.territories import TerritoryRef
from services.dataquartiers.handlers.datasets import Reference
from services.dataquartiers.store import UowFactory
from services.runtime.errors import InvalidInput, NotFound


def indicator_contract(indicator: Indicator) -> IndicatorV1:
    return IndicatorV1(
        id=indicator.id,
        label=indicator.label,
        definition=indicator.definition,
        unit=indicator.unit,
        source=indicator.source,
        theme=indicator.theme,
        levels=tuple(str(level) for level in indicator.levels),
        vintages=indicator.vintages,
        secrecy=indicator.secrecy.describe(),
        additive=indicator.additive,
        comparability=indicator.comparability,
    )


async def get_catalogue(query: GetCatalogueV1, catalogue: Catalogue) -> CatalogueV1:
    return CatalogueV1(indicators=tuple(indicator_contract(i) for i in catalogue))


async def indicator_values(
    query: GetIndicatorValuesV1, uow: UowFactory, reference: Reference
) -> IndicatorValuesV1:
    """The published values of an indicator: secrecy applied, ``"s"`` and the reason."""
    indicator = reference.catalogue.get(query.indicator)
    if indicator is None:
        raise NotFound(f"Indicateur inconnu : {query.indicator}", indicator=query.indicator)
    try:
        territories = [TerritoryRef.from_key(key) for key in query.territories]
    except ValueError:
        raise InvalidInput(
            "Territoire mal écrit : attendu niveau:code, ex. qpv:QN04405M ou commune:44109."
        ) from None
    async with uow() as work:
        rows = await work.datasets.published(indicator.id, query.vintage, territories)
    return IndicatorValuesV1(
        indicator=indicator_contract(indicator),
        values=tuple(
            PublishedValueV1(
                territory=f"{row.level}:{row.code}",
                vintage=row.vintage,
                value=row.value,
                shown=SUPPRESSED if row.value is None else row.value,
                reason=row.reason,
            )
            for row in rows
        ),
    )
