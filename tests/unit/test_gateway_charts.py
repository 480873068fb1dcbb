"""The territory sheets' figures: bars proportional to the largest shown value, hidden values
without a bar, and a QPV outline fitted in its box with longitudes shrunk by cos(latitude)."""

from __future__ import annotations

import math
import re

from reference import qpv_outlines
from services.gateway.web.charts import BAR_WIDTH, bar_chart, outline_path
from services.gateway.web.territories import french_figure


class TestBarChart:
    def test_scales_bars_to_the_largest_value_and_draws_none_for_a_hidden_one(self):
        chart = bar_chart(
            [
                ("Quartier", 50.0, "50", True),
                ("Commune", 100.0, "100", False),
                ("X", None, "s", False),
            ]
        )
        assert [bar.width for bar in chart.bars] == [BAR_WIDTH / 2, BAR_WIDTH, 0.0]
        assert [bar.hidden for bar in chart.bars] == [False, False, True]
        assert chart.bars[2].text == "s"
        assert chart.height > chart.bars[2].y


class TestOutline:
    def test_a_square_degree_at_60_degrees_north_is_drawn_twice_as_tall_as_wide(self):
        square = {"type": "Polygon", "coordinates": [[[0, 60], [1, 60], [1, 61], [0, 61], [0, 60]]]}
        path = outline_path(square, box=220, margin=10)
        xs = [float(x) for x in re.findall(r"([\d.]+) [\d.]+", path)]
        ys = [float(y) for y in re.findall(r"[\d.]+ ([\d.]+)", path)]
        height, width = max(ys) - min(ys), max(xs) - min(xs)
        assert height == 200.0
        assert math.isclose(width / height, math.cos(math.radians(60.5)), rel_tol=0.01)

    def test_draws_bellevue_from_the_shipped_geojson_inside_its_box(self):
        path = outline_path(qpv_outlines()["QN04405M"], box=320)
        numbers = [float(n) for n in re.findall(r"[\d.]+", path)]
        assert path.startswith("M") and path.endswith("Z")
        assert min(numbers) >= 0 and max(numbers) <= 320


def test_figures_read_as_french():
    assert french_figure(1296.0) == "1\u202f296"
    assert french_figure(38.5, "%") == "38,5\u202f%"
