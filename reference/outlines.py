"""QPV outlines and the QPV/commune table of Bretagne and Pays de la Loire, from ``reference/data``.

Nothing is read at import time; each function reads its file on first call and keeps the
result. The outlines are simplified (coordinates rounded to 5 decimals): for maps and territory
sheets, never for a legal "is this address in a QPV" check.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any, cast


@dataclass(frozen=True, slots=True)
class QpvCommune:
    """One (QPV, commune) pair: a QPV spanning two communes has two."""

    qpv_code: str
    qpv_name: str
    commune_code: str
    commune_name: str
    department_code: str
    region_code: str
    epci_siren: str


@cache
def qpv_outlines() -> Mapping[str, Mapping[str, Any]]:
    """The GeoJSON geometry (MultiPolygon, WGS84) of each of the 79 QPV of regions 52 and 53,
    by QPV code."""
    text = (files("reference") / "data" / "qpv2024_bretagne_pdl.geojson").read_text("utf-8")
    collection = cast(dict[str, Any], json.loads(text))
    return MappingProxyType(
        {
            feature["properties"]["code_qp"]: MappingProxyType(feature["geometry"])
            for feature in collection["features"]
        }
    )


@cache
def qpv_communes() -> tuple[QpvCommune, ...]:
    """The 81 (QPV, commune) pairs of the 79 QPV of regions 52 and 53."""
    text = (files("reference") / "data" / "qpv2024_communes_bretagne_pdl.csv").read_text("utf-8")
    return tuple(
        QpvCommune(
            qpv_code=row["code_qp"],
            qpv_name=row["lib_qp"],
            commune_code=row["insee_com"],
            commune_name=row["lib_com"],
            department_code=row["insee_dep"],
            region_code=row["insee_reg"],
            epci_siren=row["siren_epci"],
        )
        for row in csv.DictReader(io.StringIO(text, newline=""))
    )
