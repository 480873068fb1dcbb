"""The heatwave vulnerability index on three QPV computed by hand (docs/usecases/
vulnerabilite_canicule.md), plus a fourth with too few components.

Inputs (published values; B's poverty rate is hidden, "s"):

=========  ===========  =====  ====  =========  ==============
QPV        végétation   75+    <3    pauvreté   suroccupation
=========  ===========  =====  ====  =========  ==============
A          20           10     4     40         10
B          44           5      4     s          30
C          60           15     4     20         20
D          —            —      4     30         —
=========  ===========  =====  ====  =========  ==============

Lack of vegetation 80/56/40 → scores 100/40/0; 75+ → 50/0/100; <3 all equal → 0; poverty (A, C,
D) 40/20/30 → 100/0/50; overcrowding 10/30/20 → 0/100/50. Default weights .25/.25/.10/.20/.20:
A = 25 + 12.5 + 0 + 20 + 0 = 57.5; B (no poverty, weights over .8) = (10 + 20) / .8 = 37.5 with
contributions 12.5 and 25; C = 25 + 10 = 35; D has 2 components < 3: no index.
"""

from __future__ import annotations

import pytest

from services.dataquartiers.domain.usecases.heatwave import Observed, compute, heatwave_index
from services.runtime.errors import InvalidInput

A, B, C, D = "QN04406M", "QN04407I", "QN04408M", "QN04409I"


def _observed() -> dict[str, dict[str, Observed]]:
    def row(**values: float | None) -> dict[str, Observed]:
        codes = {"a": A, "b": B, "c": C, "d": D}
        return {
            codes[k]: Observed(v, 2021, "" if v is not None else "secret")
            for k, v in values.items()
        }

    return {
        "vegetation": row(a=20, b=44, c=60),
        "75_ans_plus": row(a=10, b=5, c=15),
        "moins_3_ans": row(a=4, b=4, c=4, d=4),
        "pauvrete": row(a=40, b=None, c=20, d=30),
        "suroccupation": row(a=10, b=30, c=20),
    }


def test_index_ranking_and_contributions_match_the_hand_computation() -> None:
    scores, notes = compute(_observed(), [A, B, C, D])
    assert [(s.qpv, s.index, s.rank, s.components) for s in scores] == [
        (A, 57.5, 1, 5),
        (B, 37.5, 2, 4),
        (C, 35.0, 3, 5),
    ]
    by_qpv = {s.qpv: s.contributions for s in scores}
    assert by_qpv[A] == {
        "vegetation": 25.0,
        "75_ans_plus": 12.5,
        "moins_3_ans": 0.0,
        "pauvrete": 20.0,
        "suroccupation": 0.0,
    }
    assert by_qpv[B] == {
        "vegetation": 12.5,
        "75_ans_plus": 0.0,
        "moins_3_ans": 0.0,
        "suroccupation": 25.0,
    }
    assert sum(by_qpv[C].values()) == 35.0
    assert (
        f"{B} : taux de pauvreté masquée par le secret statistique (« s ») en 2021, traitée "
        "comme absente"
    ) in notes
    assert f"{B} : poids renormalisés sur 4 composantes" in notes
    assert (
        f"{D} : 2 composante(s) disponible(s) sur 5, moins que les 3 requises : pas d'indice"
        in (notes)
    )
    assert any("même valeur pour tous les QPV" in note for note in notes)


def test_weights_are_configurable_and_checked() -> None:
    scores, _ = compute(_observed(), [A, B, C], weights={"pauvrete": 1, "vegetation": 1},
                        min_components=1)  # fmt: skip
    # A: (100 + 100) / 2; B: vegetation only, 40; C: (0 + 0) / 2
    assert [(s.qpv, s.index) for s in scores] == [(A, 100.0), (B, 40.0), (C, 0.0)]
    with pytest.raises(InvalidInput):
        compute(_observed(), [A], weights={"ombre": 1})
    with pytest.raises(InvalidInput):
        compute(_observed(), [A], weights={"pauvrete": -1, "vegetation": 2})


def test_equal_indices_share_a_rank() -> None:
    same = {"pauvrete": {A: Observed(10, 2021), B: Observed(10, 2021), C: Observed(5, 2021)}}
    scores, _ = compute(same, [A, B, C], weights={"pauvrete": 1}, min_components=1)
    assert [(s.qpv, s.rank) for s in scores] == [(A, 1), (B, 1), (C, 3)]


def test_results_are_values_of_the_index_rank_and_contributions() -> None:
    result = heatwave_index(_observed(), [A, B, C, D], 2024)
    values = {(v.territory.code, v.indicator): v.value for v in result.values}
    assert values[(A, "ivc_indice")] == 57.5
    assert values[(B, "ivc_rang")] == 2
    assert values[(B, "ivc_composantes")] == 4
    assert values[(B, "ivc_contribution_suroccupation")] == 25.0
    assert (B, "ivc_contribution_pauvrete") not in values  # missing, not zero
    assert not any(code == D for code, _ in values)
    assert {v.vintage for v in result.values} == {2024}
