"""What publication makes of a table on real territories (pure: no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from reference import Territories, territories
from services.dataquartiers.domain.catalogue import Catalogue, load_catalogue
from services.dataquartiers.domain.datasets import (
    DRAFT,
    PUBLISHED,
    Dataset,
    RawValue,
    check_publishable,
    publication_blocker,
    secrecy_applied,
)
from services.dataquartiers.domain.territories import Level, TerritoryRef
from services.runtime.errors import Conflict

NANTES, SAINT_HERBLAIN, METROPOLE = "44109", "44162", "244400404"


@pytest.fixture(scope="module")
def ref() -> Territories:
    return territories()


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def raw(**values: float) -> dict[TerritoryRef, RawValue]:
    table = {}
    for key, value in values.items():
        level, _, code = key.partition("_")
        territory = TerritoryRef(Level(level), code)
        table[territory] = RawValue(territory, value)
    return table


class TestSecrecyApplied:
    def test_a_qpv_across_two_communes_hides_alone_and_the_communes_stay_published(
        self, ref: Territories, catalogue: Catalogue
    ) -> None:
        # Bellevue spans Nantes and Saint-Herblain: it is a part of neither commune, so its
        # communes' totals give nothing away about it, and nothing else needs hiding.
        indicator = catalogue.get("menages_fiscaux")
        assert indicator is not None
        table = raw(
            **{
                f"commune_{NANTES}": 150_000,
                f"commune_{SAINT_HERBLAIN}": 20_000,
                "qpv_QN04405M": 9,
                "qpv_QN04406M": 2_100,
                "qpv_QN04408M": 1_500,
                f"epci_{METROPOLE}": 300_000,
            }
        )
        published = secrecy_applied(ref, indicator, table, {})
        hidden = sorted(t.key for t, d in published.items() if d.suppressed)
        assert hidden == ["qpv:QN04405M"]

    def test_a_rate_is_hidden_when_its_households_are_too_few(
        self, ref: Territories, catalogue: Catalogue
    ) -> None:
        rate = catalogue.get("taux_pauvrete")
        assert rate is not None
        table = raw(qpv_QN04406M=38.5, qpv_QN04407I=45.0, qpv_QN04408M=41.0)
        bases = {
            TerritoryRef(Level.QPV, "QN04406M"): 2_100.0,
            TerritoryRef(Level.QPV, "QN04407I"): 8.0,
        }
        published = secrecy_applied(ref, rate, table, bases)
        shown = {t.code: d.shown for t, d in published.items()}
        # QN04408M's households are not known: hidden by precaution.
        assert shown == {"QN04406M": 38.5, "QN04407I": "s", "QN04408M": "s"}
        assert published[TerritoryRef(Level.QPV, "QN04408M")].reason.startswith(
            "secret statistique : effectif sous-jacent inconnu"
        )

    def test_open_data_is_published_whole(self, ref: Territories, catalogue: Catalogue) -> None:
        population = catalogue.get("population_municipale")
        assert population is not None
        published = secrecy_applied(ref, population, raw(qpv_QN04407I=3.0), {})
        assert [d.shown for d in published.values()] == [3.0]


class TestPublishable:
    def _dataset(self, status: str, values: int = 10) -> Dataset:
        now = datetime(2026, 12, 2, tzinfo=UTC)
        return Dataset(uuid.uuid4(), "x", "", status, ("a",), (2021,), values, "", now, "s@x.fr")

    def test_a_draft_with_values_may_be_published(self) -> None:
        check_publishable(self._dataset(DRAFT))

    def test_a_published_or_empty_dataset_may_not(self) -> None:
        with pytest.raises(Conflict, match="déjà publié"):
            check_publishable(self._dataset(PUBLISHED))
        with pytest.raises(Conflict, match="aucune valeur"):
            check_publishable(self._dataset(DRAFT, values=0))

    def test_the_reason_a_dataset_may_not_be_published_is_given_before_anyone_tries(self) -> None:
        assert publication_blocker(self._dataset(DRAFT)) is None
        assert publication_blocker(self._dataset(PUBLISHED)) == "Ce jeu de données est déjà publié."
        assert publication_blocker(self._dataset(DRAFT, values=0)) == (
            "Ce jeu de données ne contient aucune valeur à publier."
        )
