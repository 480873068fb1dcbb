"""Server-rendered figures of the territory sheets: bar charts and a QPV's outline, as plain
geometry the templates turn into inline SVG (no JavaScript; every chart has a ``<title>``, a
``<desc>`` and its data table next to it).

The outline uses an equirectangular projection scaled by the cosine of the outline's mean
latitude, enough for a neighbourhood a few hundred metres across.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

BAR_HEIGHT = 22
BAR_GAP = 10
LABEL_WIDTH = 230
BAR_WIDTH = 300
VALUE_WIDTH = 90


@dataclass(frozen=True)
class Bar:
    label: str
    y: int
    width: float
    text: str
    hidden: bool
    own: bool


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: tuple[Bar, ...]


def bar_chart(rows: Sequence[tuple[str, float | None, str, bool]]) -> BarChart:
    """Horizontal bars, one per ``(label, value, shown text, is the QPV)``; a hidden value
    (None) gets no bar and shows its text (« s »)."""
    largest = max((value for _, value, _, _ in rows if value is not None), default=0.0)
    bars = []
    for index, (label, value, text, own) in enumerate(rows):
        width = 0.0 if value is None or largest <= 0 else BAR_WIDTH * value / largest
        bars.append(
            Bar(
                label=label,
                y=BAR_GAP + index * (BAR_HEIGHT + BAR_GAP),
                width=round(max(width, 0.0), 1),
                text=text,
                hidden=value is None,
                own=own,
            )
        )
    return BarChart(
        width=LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH,
        height=BAR_GAP + len(rows) * (BAR_HEIGHT + BAR_GAP),
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
        bars=tuple(bars),
    )


def outline_path(geometry: Mapping[str, Any], box: int = 320, margin: int = 10) -> str:
    """An SVG path (``d``) of a GeoJSON Polygon or MultiPolygon fitted in a ``box`` square;
    holes are subpaths, to be filled with ``fill-rule="evenodd"``."""
    coordinates = geometry.get("coordinates") or []
    polygons = [coordinates] if geometry.get("type") == "Polygon" else list(coordinates)
    rings = [ring for polygon in polygons for ring in polygon if ring]
    points = [(float(lon), float(lat)) for ring in rings for lon, lat, *_ in ring]
    if not points:
        return ""
    mean_latitude = sum(lat for _, lat in points) / len(points)
    k = math.cos(math.radians(mean_latitude))
    xs = [lon * k for lon, _ in points]
    ys = [-lat for _, lat in points]
    left, top = min(xs), min(ys)
    span = max(max(xs) - left, max(ys) - top) or 1.0
    scale = (box - 2 * margin) / span
    offset_x = margin + (box - 2 * margin - (max(xs) - left) * scale) / 2
    offset_y = margin + (box - 2 * margin - (max(ys) - top) * scale) / 2
    parts = []
    for ring in rings:
        drawn = [
            f"{offset_x + (lon * k - left) * scale:.1f} {offset_y + (-lat - top) * scale:.1f}"
            for lon, lat, *_ in ring
        ]
        parts.append("M" + " L".join(drawn) + " Z")
    return " ".join(parts)
