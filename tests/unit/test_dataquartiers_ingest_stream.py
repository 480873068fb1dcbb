"""Parsing with a sink: the valid values reach it in batches as the file is read, and the
report still says what the file held (counts, indicators, vintages, territories, errors)."""

from __future__ import annotations

import pytest

from reference import territories
from services.dataquartiers.domain.catalogue import load_catalogue
from services.dataquartiers.domain.ingest import Value, parse


def _file(rows: int) -> bytes:
    communes = [c.code for c in territories().communes.values()][:rows]
    lines = ["codgeo;indicateur;millesime;valeur", "99999;population_municipale;2020;1"]
    lines += [f"{code};population_municipale;2020;{i}" for i, code in enumerate(communes)]
    return "\n".join(lines).encode()


def test_values_go_to_the_sink_in_batches_and_the_report_keeps_counts() -> None:
    data = _file(2500)
    batches: list[list[Value]] = []
    streamed = parse(data, load_catalogue(), territories(), sink=batches.append)
    whole = parse(data, load_catalogue(), territories())
    assert streamed.values == [] and [v for b in batches for v in b] == whole.values
    assert streamed.kept == len(whole.values) == whole.kept
    assert (streamed.indicators, streamed.vintages) == (["population_municipale"], [2020])
    assert streamed.territories == len({v.territory for v in whole.values})
    assert streamed.summary() == whole.summary()
    assert [e.line for e in streamed.errors] == [2]  # commune 99999 does not exist


def test_a_failing_sink_stops_the_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.dataquartiers.domain.ingest.SINK_BATCH", 100)

    def sink(batch: list[Value]) -> None:
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError, match="database gone"):
        parse(_file(2500), load_catalogue(), territories(), sink=sink)


def test_batches_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.dataquartiers.domain.ingest.SINK_BATCH", 1000)
    sizes: list[int] = []
    report = parse(
        _file(2500), load_catalogue(), territories(), sink=lambda b: sizes.append(len(b))
    )
    assert max(sizes) == 1000 and sum(sizes) == report.kept


def test_a_wide_row_given_twice_is_one_duplicate() -> None:
    data = (
        b"code_qp;millesime;popMuniQPV;taux_pauvrete\n"
        b"QN04405M;2020;5200;41,5\n"
        b"QN04406M;2020;4100;38\n"
        b"QN04405M;2020;5300;40\n"
    )
    report = parse(data, load_catalogue(), territories())
    assert [(e.line, e.reason) for e in report.errors] == [
        (4, "doublon : QN04405M 2020 déjà donné ligne 2")
    ]
    assert report.kept == 4
