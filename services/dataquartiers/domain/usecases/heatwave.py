"""Heatwave vulnerability index per QPV (« indice de vulnérabilité aux canicules »).

Method (French note: ``docs/usecases/vulnerabilite_canicule.md``):

- five components, one exposure (lack of vegetation = 100 − share of vegetated surface) and four
  sensitivities (share of people aged 75 or more, share of children under 3, poverty rate,
  overcrowding rate), each read from the **published** values of a catalogue indicator: a value
  hidden by secrecy (``"s"``) or absent is a missing component, and said so;
- per component, min-max normalisation across the QPV compared: ``score = 100 × (x − min) /
  (max − min)`` (0 for all when ``max = min``: the component does not discriminate, noted);
- weights (default :data:`DEFAULT_WEIGHTS`, configurable), renormalised over the components a
  QPV has: ``index = Σ wᵢ·scoreᵢ / Σ wᵢ`` over its available components; fewer than
  ``min_components`` available → no index for that QPV (noted);
- contribution of a component = ``wᵢ·scoreᵢ / Σ wⱼ`` (points of index; they sum to the index);
- rank 1 = most vulnerable; equal indices share a rank (1, 2, 2, 4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.dataquartiers.domain.ingest import Value
from services.dataquartiers.domain.territories import Level, TerritoryRef
from services.dataquartiers.domain.usecases import UseCaseResult
from services.runtime.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Component:
    id: str
    indicator: str
    label: str
    contribution: str
    inverted: bool = False  # the score grows when the indicator falls (vegetation)


COMPONENTS: tuple[Component, ...] = (
    Component(
        "vegetation",
        "part_surface_vegetalisee",
        "manque de végétation",
        "ivc_contribution_vegetation",
        inverted=True,
    ),
    Component(
        "75_ans_plus", "part_75_ans_plus", "part des 75 ans ou plus", "ivc_contribution_75_ans_plus"
    ),
    Component(
        "moins_3_ans", "part_moins_3_ans", "part des moins de 3 ans", "ivc_contribution_moins_3_ans"
    ),
    Component("pauvrete", "taux_pauvrete", "taux de pauvreté", "ivc_contribution_pauvrete"),
    Component(
        "suroccupation", "taux_suroccupation", "suroccupation", "ivc_contribution_suroccupation"
    ),
)
BY_ID = {component.id: component for component in COMPONENTS}

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "vegetation": 0.25,
    "75_ans_plus": 0.25,
    "moins_3_ans": 0.10,
    "pauvrete": 0.20,
    "suroccupation": 0.20,
}
MIN_COMPONENTS = 3

INDEX, RANK, AVAILABLE = "ivc_indice", "ivc_rang", "ivc_composantes"


@dataclass(frozen=True, slots=True)
class Observed:
    """A published input: the figure, or None when hidden (``"s"``, ``reason``)."""

    value: float | None
    vintage: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Score:
    qpv: str
    index: float
    rank: int
    components: int
    contributions: Mapping[str, float]  # component id → points of index


def check_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """The weights to use: the defaults, or the given ones (every key a component, ≥ 0, some
    positive; a component left out weighs 0)."""
    if not weights:
        return dict(DEFAULT_WEIGHTS)
    unknown = sorted(set(weights) - set(BY_ID))
    if unknown:
        raise InvalidInput(
            "Composante inconnue : " + ", ".join(unknown) + " (attendu : " + ", ".join(BY_ID) + ")."
        )
    if any(weight < 0 for weight in weights.values()) or not any(weights.values()):
        raise InvalidInput("Les poids doivent être positifs ou nuls, et l'un d'eux non nul.")
    return {component.id: float(weights.get(component.id, 0.0)) for component in COMPONENTS}


def compute(
    observed: Mapping[str, Mapping[str, Observed]],
    qpvs: Sequence[str],
    *,
    weights: Mapping[str, float] | None = None,
    min_components: int = MIN_COMPONENTS,
) -> tuple[list[Score], list[str]]:
    """Scores of ``qpvs`` (sorted by rank) and French notes. ``observed[component][qpv]``."""
    chosen = check_weights(weights)
    active = [c for c in COMPONENTS if chosen[c.id] > 0]
    if not 1 <= min_components <= len(active):
        raise InvalidInput(
            f"Nombre minimal de composantes invalide : entre 1 et {len(active)} (poids non nuls)."
        )
    notes: list[str] = []
    raw: dict[str, dict[str, float]] = {}
    for component in active:
        by_qpv = observed.get(component.id, {})
        known: dict[str, float] = {}
        for qpv in qpvs:
            item = by_qpv.get(qpv)
            if item is None:
                notes.append(f"{qpv} : {component.label} absente ({component.indicator})")
            elif item.value is None:
                notes.append(
                    f"{qpv} : {component.label} masquée par le secret statistique (« s ») en "
                    f"{item.vintage}, traitée comme absente"
                )
            else:
                known[qpv] = 100.0 - item.value if component.inverted else item.value
        raw[component.id] = known
    scores: dict[str, dict[str, float]] = {}
    for component in active:
        known = raw[component.id]
        if not known:
            continue
        low, high = min(known.values()), max(known.values())
        if high == low:
            notes.append(
                f"{component.label} : même valeur pour tous les QPV comparés, score 0 (ne "
                "discrimine pas)"
            )
        scores[component.id] = {
            qpv: 0.0 if high == low else 100.0 * (x - low) / (high - low)
            for qpv, x in known.items()
        }
    computed: list[tuple[str, float, int, dict[str, float]]] = []
    for qpv in qpvs:
        present = [c for c in active if qpv in scores.get(c.id, {})]
        if len(present) < min_components:
            notes.append(
                f"{qpv} : {len(present)} composante(s) disponible(s) sur {len(active)}, moins "
                f"que les {min_components} requises : pas d'indice"
            )
            continue
        total_weight = sum(chosen[c.id] for c in present)
        if len(present) < len(active):
            notes.append(f"{qpv} : poids renormalisés sur {len(present)} composantes")
        contributions = {
            c.id: round(chosen[c.id] * scores[c.id][qpv] / total_weight, 2) for c in present
        }
        index = round(sum(chosen[c.id] * scores[c.id][qpv] for c in present) / total_weight, 2)
        computed.append((qpv, index, len(present), contributions))
    computed.sort(key=lambda item: (-item[1], item[0]))
    ranked: list[Score] = []
    for position, (qpv, index, count, contributions) in enumerate(computed, start=1):
        rank = ranked[-1].rank if ranked and ranked[-1].index == index else position
        ranked.append(Score(qpv, index, rank, count, contributions))
    return ranked, notes


def heatwave_index(
    observed: Mapping[str, Mapping[str, Observed]],
    qpvs: Sequence[str],
    vintage: int,
    *,
    weights: Mapping[str, float] | None = None,
    min_components: int = MIN_COMPONENTS,
) -> UseCaseResult:
    """The index as result values of ``vintage``: index, rank, components available and each
    component's contribution per QPV."""
    scores, notes = compute(observed, qpvs, weights=weights, min_components=min_components)
    result = UseCaseResult(notes=notes, read=len(qpvs))
    for score in scores:
        territory = TerritoryRef(Level.QPV, score.qpv)

        def add(indicator: str, value: float, territory: TerritoryRef = territory) -> None:
            result.values.append(Value(0, territory, indicator, vintage, value))

        add(INDEX, score.index)
        add(RANK, float(score.rank))
        add(AVAILABLE, float(score.components))
        for component_id, points in score.contributions.items():
            add(BY_ID[component_id].contribution, points)
    if not scores:
        result.refused = True
        result.notes.append("aucun QPV n'a assez de composantes publiées : aucun indice calculé")
    return result
