"""Public pages of Data & Quartiers: a QPV's territory sheet and an indicator's page (where the
``reso.dataquartiers.indicator.published.v1`` link leads). Server-rendered, accessible, no
JavaScript: each chart is an inline SVG with a ``<title>`` and a ``<desc>``, its data table next
to it; a value hidden by statistical secrecy shows « s » and a numbered note giving the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from contracts.dataquartiers import (
    GetIndicatorValuesV1,
    IndicatorValuesV1,
    PublishedValueV1,
    SheetIndicatorV1,
    TerritorySheetV1,
)
from reference import Territories, qpv_outlines, territories
from services.gateway.api import Rpc
from services.gateway.api.dataquartiers import territory_sheet
from services.gateway.errors import ApiError
from services.gateway.web.charts import BarChart, bar_chart, outline_path
from services.runtime.rpc import RpcError

router = APIRouter(include_in_schema=False)

_templates = Environment(
    loader=PackageLoader("services.gateway.web", "templates"),
    autoescape=select_autoescape(enabled_extensions=("j2",), default=True),
)

LEVELS = {
    "qpv": "Quartier",
    "commune": "Commune",
    "epci": "EPCI",
    "departement": "Département",
    "region": "Région",
}


def french_figure(value: float, unit: str = "") -> str:
    """``1296.0`` → « 1 296 », ``38.5`` → « 38,5 » (narrow no-break spaces), with the unit."""
    rounded = round(value, 1)
    if rounded == int(rounded):
        text = f"{int(rounded):,}".replace(",", "\u202f")
    else:
        text = f"{rounded:,.1f}".replace(",", "\u202f").replace(".", ",")
    if unit == "%":
        return f"{text}\u202f%"
    return text


class Notes:
    """The reasons of hidden values, numbered in order of appearance."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    def number(self, reason: str) -> int:
        if reason not in self.reasons:
            self.reasons.append(reason)
        return self.reasons.index(reason) + 1


@dataclass(frozen=True)
class Row:
    name: str
    level: str
    shown: str
    note: int | None
    own: bool
    link: str | None = None


@dataclass(frozen=True)
class Table:
    id: str
    label: str
    unit: str
    vintage: int
    definition: str
    source: str
    provenance: str
    comparability: str
    rows: tuple[Row, ...]
    chart: BarChart
    description: str


def _rows(
    values: tuple[PublishedValueV1, ...], unit: str, names: dict[str, tuple[str, str]], notes: Notes
) -> list[Row]:
    rows = []
    for value in values:
        name, level = names.get(value.territory, (value.territory, ""))
        hidden = value.value is None
        rows.append(
            Row(
                name=name,
                level=level,
                shown="s" if value.value is None else french_figure(value.value, unit),
                note=notes.number(value.reason or "valeur masquée") if hidden else None,
                own=level == "qpv",
                link=f"/territoires/qpv/{value.territory[4:]}" if level == "qpv" else None,
            )
        )
    return rows


def _table(
    table: SheetIndicatorV1, names: dict[str, tuple[str, str]], notes: Notes, index: int
) -> Table:
    indicator = table.indicator
    rows = _rows(table.values, indicator.unit, names, notes)
    chart = bar_chart(
        [
            (f"{LEVELS.get(row.level, '')} {row.name}".strip(), value.value, row.shown, row.own)
            for row, value in zip(rows, table.values, strict=True)
        ]
    )
    described = "; ".join(
        f"{row.name} : {row.shown if row.note is None else 'masqué (secret statistique)'}"
        for row in rows
    )
    return Table(
        id=f"indicateur-{index}",
        label=indicator.label,
        unit=indicator.unit,
        vintage=table.vintage,
        definition=indicator.definition,
        source=indicator.source,
        provenance=table.provenance,
        comparability=indicator.comparability,
        rows=tuple(rows),
        chart=chart,
        description=f"{indicator.label} ({indicator.unit}), millésime {table.vintage}. "
        f"{described}.",
    )


def _render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(
        centre=request.app.state.settings.centre, **context
    )
    return HTMLResponse(html, status_code=status)


def _problem(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return _render(
        request,
        "message.html.j2",
        status,
        title=title,
        message=message,
        failed=True,
        next_url=None,
        next_label=None,
    )


@router.get("/territoires/qpv/{code}", response_class=HTMLResponse)
async def sheet_page(code: str, request: Request, rpc: Rpc) -> Response:
    try:
        sheet = await territory_sheet(rpc, code)
    except ApiError as error:
        return _problem(request, error.status, "Fiche territoire", error.message)
    except RpcError as error:
        if error.error.code in ("not_found", "superseded_qpv_code"):
            status = 404 if error.error.code == "not_found" else 410
            return _problem(request, status, "Fiche territoire", error.error.message)
        return _problem(
            request, 503, "Fiche territoire", "Service momentanément indisponible ; réessayez."
        )
    return _render(request, "territory.html.j2", **sheet_context(sheet))


def sheet_context(sheet: TerritorySheetV1) -> dict[str, Any]:
    names = {t.key: (t.name, t.level) for t in sheet.territories}
    notes = Notes()
    tables = [_table(table, names, notes, i) for i, table in enumerate(sheet.indicators, 1)]
    geometry = qpv_outlines().get(sheet.qpv)
    return {
        "sheet": sheet,
        "around": [t for t in sheet.territories if t.level != "qpv"],
        "levels": LEVELS,
        "tables": tables,
        "notes": notes.reasons,
        "outline": outline_path(geometry) if geometry else "",
    }


@router.get("/donnees/indicateurs/{indicator}", response_class=HTMLResponse)
async def indicator_page(
    indicator: str, request: Request, rpc: Rpc, millesime: int | None = None
) -> Response:
    try:
        reply = await rpc.call(
            GetIndicatorValuesV1(indicator=indicator, vintage=millesime), IndicatorValuesV1
        )
    except RpcError as error:
        if error.error.code == "not_found":
            return _problem(request, 404, "Indicateur", error.error.message)
        return _problem(
            request, 503, "Indicateur", "Service momentanément indisponible ; réessayez."
        )
    ref = territories()
    names = {value.territory: _named(ref, value.territory) for value in reply.values}
    notes = Notes()
    vintages = sorted({value.vintage for value in reply.values}, reverse=True)
    shown = millesime if millesime is not None else (vintages[0] if vintages else None)
    values = tuple(v for v in reply.values if v.vintage == shown)
    rows = _rows(values, reply.indicator.unit, names, notes)
    return _render(
        request,
        "indicator.html.j2",
        indicator=reply.indicator,
        vintage=shown,
        vintages=vintages,
        rows=rows,
        levels=LEVELS,
        notes=notes.reasons,
    )


def _named(ref: Territories, key: str) -> tuple[str, str]:
    """(name, level) of a ``level:code`` key, from the reference (the code when unknown)."""
    level, _, code = key.partition(":")
    lookup = {
        "qpv": ref.qpv,
        "commune": ref.commune,
        "epci": ref.epci,
        "departement": ref.department,
        "region": ref.region,
    }.get(level)
    unit = lookup(code) if lookup else None
    return str(getattr(unit, "name", code)), level
