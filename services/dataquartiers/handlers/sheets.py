"""The territory sheet of a QPV: its published indicators beside those of the territories
around it (communes, EPCI, department, region), from open data only, in one query."""

from __future__ import annotations

from contracts.dataquartiers import (
    GetTerritorySheetV1,
    PublishedValueV1,
    SheetIndicatorV1,
    SheetTerritoryV1,
    TerritorySheetV1,
)
from reference import SupersededQpvCode, UnknownTerritory
from services.dataquartiers.domain.secrecy import SUPPRESSED
from services.dataquartiers.domain.territories import Level, TerritoryRef, enclosing, name_of
from services.dataquartiers.handlers.datasets import Reference
from services.dataquartiers.handlers.indicators import indicator_contract
from services.dataquartiers.store import UowFactory
from services.runtime.errors import DomainError, NotFound


class SupersededQpv(DomainError):
    """A 2015-generation QPV code: the gateway answers 410 with the reason."""

    code = "superseded_qpv_code"


async def territory_sheet(
    query: GetTerritorySheetV1, uow: UowFactory, reference: Reference
) -> TerritorySheetV1:
    ref = reference.territories
    code = query.qpv.strip().upper()
    try:
        qpv = ref.check_qpv(code)
    except SupersededQpvCode as error:
        raise SupersededQpv(str(error).capitalize() + ".", qpv=code) from None
    except UnknownTerritory:
        raise NotFound(f"Quartier prioritaire inconnu : {code}.", qpv=code) from None
    own = TerritoryRef(Level.QPV, qpv.code)
    around = [own, *enclosing(ref, qpv.code)]
    order = {territory.key: index for index, territory in enumerate(around)}
    async with uow() as work:
        rows = await work.datasets.published_in(around)
    tables: dict[tuple[str, int], list[PublishedValueV1]] = {}
    provenance: dict[tuple[str, int], set[str]] = {}
    for row in rows:
        key = (row.indicator, row.vintage)
        tables.setdefault(key, []).append(
            PublishedValueV1(
                territory=f"{row.level}:{row.code}",
                vintage=row.vintage,
                value=row.value,
                shown=SUPPRESSED if row.value is None else row.value,
                reason=row.reason,
            )
        )
        if row.provenance:
            provenance.setdefault(key, set()).add(row.provenance)
    indicators: list[SheetIndicatorV1] = []
    catalogue_order = {indicator.id: index for index, indicator in enumerate(reference.catalogue)}
    for (indicator_id, vintage), values in sorted(
        tables.items(), key=lambda item: (catalogue_order.get(item[0][0], 1_000), -item[0][1])
    ):
        indicator = reference.catalogue.get(indicator_id)
        if indicator is None:
            continue
        if not any(value.territory == own.key for value in values):
            continue  # the sheet shows indicators the QPV has, with its surroundings
        indicators.append(
            SheetIndicatorV1(
                indicator=indicator_contract(indicator),
                vintage=vintage,
                provenance=" ; ".join(sorted(provenance.get((indicator_id, vintage), ()))),
                values=tuple(sorted(values, key=lambda v: order.get(v.territory, 99))),
            )
        )
    return TerritorySheetV1(
        qpv=qpv.code,
        name=qpv.name,
        territories=tuple(
            SheetTerritoryV1(
                key=territory.key,
                level=str(territory.level),
                code=territory.code,
                name=name_of(ref, territory),
            )
            for territory in around
        ),
        indicators=tuple(indicators),
    )
