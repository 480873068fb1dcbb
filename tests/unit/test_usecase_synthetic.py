"""The shipped demonstration files are what the seeded generator writes, and say they are
synthetic (« données synthétiques »)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.dataquartiers import synthetic

FOLDER = Path(synthetic.__file__).parent / "data" / "synthetic"


@pytest.mark.parametrize(
    ("name", "generate"),
    [
        (synthetic.FLOWS_FILE, synthetic.flows_sample),
        (synthetic.EMPLOYMENT_FILE, synthetic.employment_sample),
    ],
)
def test_shipped_samples_are_the_generators_output_and_labelled(name, generate) -> None:  # type: ignore[no-untyped-def]
    shipped = (FOLDER / name).read_bytes()
    assert shipped == generate(), "regenerate: python -m services.dataquartiers.synthetic"
    assert "donnees_synthetiques" in name
    assert shipped.decode().startswith("# données synthétiques")
    assert generate(seed=7) != shipped  # the seed drives the draw
