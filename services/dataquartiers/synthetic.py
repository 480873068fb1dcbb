"""Deterministic generators of the use cases' demonstration files: « données synthétiques ».

No row describes a real person: identifiers, ages, moves and statuses are drawn from a seeded
pseudo-random generator over a few real QPV and communes of Nantes and Rennes, so the same seed
gives the same bytes. Every file starts with ``#`` lines saying so (the use cases skip them).

``python -m services.dataquartiers.synthetic`` rewrites the shipped samples in
``services/dataquartiers/data/synthetic/``.
"""

from __future__ import annotations

import random
from pathlib import Path

from services.dataquartiers.domain.usecases import employment, flows

SEED = 2024
LABEL = (
    "# données synthétiques : générées par services/dataquartiers/synthetic.py (graine {seed}),\n"
    "# aucune ligne ne décrit une personne réelle ; ne pas diffuser comme des chiffres officiels\n"
)
# QPV of Nantes (44109) and Rennes (35238), sizes as weights: the small ones get few movers.
QPVS = {
    "QN04406M": ("44109", 6),
    "QN04407I": ("44109", 1),
    "QN04409I": ("44109", 3),
    "QN04413M": ("44109", 5),
    "QN03504M": ("35238", 5),
    "QN03506I": ("35238", 2),
}
COMMUNES = ("44109", "35238")
FLOWS_FILE = "flux_residentiels.donnees_synthetiques.csv"
EMPLOYMENT_FILE = "emploi_mobilite.donnees_synthetiques.csv"


def flows_sample(seed: int = SEED, people: int = 1500, year: int = 2023) -> bytes:
    """A paths file (schema of :mod:`.usecases.flows`) for ``people`` people."""
    draw = random.Random(seed)
    qpvs = list(QPVS)
    weights = [QPVS[code][1] for code in qpvs]
    lines = [LABEL.format(seed=seed), ";".join(flows.COLUMNS) + "\n"]
    for number in range(1, people + 1):
        origin = _place(draw, qpvs, weights)
        if origin in QPVS and draw.random() < 0.7:
            destination = origin
        else:
            destination = _place(draw, qpvs, weights)
        age = draw.choices(flows.AGE_BANDS, weights=(4, 5, 2))[0]
        activity = draw.choices(tuple(flows.ACTIVITIES), weights=(5, 2, 1, 2, 1))[0]
        if age == "55_plus" and activity == "etudes":
            activity = "retraite"
        household = draw.choice(flows.HOUSEHOLDS)
        lines.append(
            f"S{seed}-{number:06d};{year};{origin};{destination};{age};{household};{activity}\n"
        )
    return "".join(lines).encode()


def employment_sample(seed: int = SEED, people: int = 3000, year: int = 2023) -> bytes:
    """A people file (schema of :mod:`.usecases.employment`) for ``people`` people."""
    draw = random.Random(seed)
    qpvs = list(QPVS)
    weights = [QPVS[code][1] for code in qpvs]
    lines = [LABEL.format(seed=seed), ";".join(employment.COLUMNS) + "\n"]
    for number in range(1, people + 1):
        in_qpv = draw.random() < 0.4
        qpv = draw.choices(qpvs, weights=weights)[0] if in_qpv else ""
        commune = QPVS[qpv][0] if qpv else draw.choice(COMMUNES)
        age = draw.randint(10, 80)
        employed_share = 0.5 if qpv else 0.68
        if draw.random() < employed_share:
            status = "emploi"
        else:
            status = draw.choices(("chomage", "etudes", "retraite", "autre_inactif"),
                                  weights=(4 if qpv else 2, 3, 2, 2))[0]  # fmt: skip
        seeker = (
            "oui" if status == "chomage" or (status == "emploi" and draw.random() < 0.05) else "non"
        )
        km = ""
        if status == "emploi" and draw.random() < 0.9:
            km = f"{draw.lognormvariate(1.8, 0.9):.1f}".replace(".", ",")
        lines.append(f"E{seed}-{number:06d};{year};{qpv};{commune};{age};{status};{seeker};{km}\n")
    return "".join(lines).encode()


def _place(draw: random.Random, qpvs: list[str], weights: list[int]) -> str:
    roll = draw.random()
    if roll < 0.65:
        return draw.choices(qpvs, weights=weights)[0]
    if roll < 0.9:
        return draw.choice(COMMUNES)
    return flows.OUTSIDE


def main() -> None:  # pragma: no cover - writes the shipped samples
    folder = Path(__file__).parent / "data" / "synthetic"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / FLOWS_FILE).write_bytes(flows_sample())
    (folder / EMPLOYMENT_FILE).write_bytes(employment_sample())


if __name__ == "__main__":
    main()
