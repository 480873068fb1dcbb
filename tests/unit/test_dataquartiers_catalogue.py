"""The shipped indicator catalogue: it covers the demo file's columns and says how each
indicator is protected and compared."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.dataquartiers.domain.catalogue import SELF, Catalogue, load_catalogue
from services.dataquartiers.domain.secrecy import RuleKind
from services.dataquartiers.domain.territories import Level
from services.runtime.errors import InvalidInput

# The indicator columns of the demo file qpv2024_indicateurs_bretagne_pdl.csv (shared data).
DEMO_COLUMNS = [
    "popMuniQPV", "indiceJeunesse", "partMen1p", "partMen2p", "partMen3p", "partMen45p",
    "partMen6pp", "nombre_logements_sociaux", "taux_d_emploi", "taux_pauvrete_60%",
    "personnes_couvertes_CAF", "allocataires_CAF", "RSA_socle",
]  # fmt: skip


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


class TestShippedCatalogue:
    def test_names_an_indicator_for_every_column_of_the_demo_file(
        self, catalogue: Catalogue
    ) -> None:
        found = {name: catalogue.by_column(name) for name in DEMO_COLUMNS}
        assert all(found.values()), [name for name, hit in found.items() if hit is None]
        assert len({indicator.id for indicator in found.values() if indicator}) == 13

    def test_protects_the_poverty_rate_as_fiscal_data_on_its_households(
        self, catalogue: Catalogue
    ) -> None:
        rate = catalogue.by_column("taux_pauvrete_60%")
        assert rate is not None
        assert rate.secrecy.kind is RuleKind.FISCAL and rate.secrecy.min_count == 11
        assert not rate.additive and rate.unit == "%"
        assert rate.base == "menages_fiscaux" and catalogue.get("menages_fiscaux") is not None
        assert rate.secrecy.describe() == "secret fiscal : masqué sous 11 ménages"

    def test_has_a_business_rule_with_its_dominance_threshold(self, catalogue: Catalogue) -> None:
        salaried = catalogue.get("effectifs_salaries_prives")
        assert salaried is not None
        assert salaried.secrecy.kind is RuleKind.BUSINESS
        assert (salaried.secrecy.min_count, salaried.secrecy.dominance) == (3, 0.85)

    def test_warns_against_comparing_consecutive_census_vintages_below_the_commune(
        self, catalogue: Catalogue
    ) -> None:
        population = catalogue.get("population_municipale")
        assert population is not None and population.base == SELF and population.additive
        assert "ne comparez pas deux millésimes consécutifs" in population.comparability
        assert population.levels == (
            Level.QPV, Level.COMMUNE, Level.EPCI, Level.DEPARTMENT, Level.REGION
        )  # fmt: skip

    def test_every_indicator_has_a_french_label_definition_unit_and_source(
        self, catalogue: Catalogue
    ) -> None:
        assert len(catalogue) >= 15
        for indicator in catalogue:
            assert indicator.label and indicator.definition and indicator.unit
            assert indicator.source and indicator.levels


class TestMalformedCatalogue:
    def test_refuses_an_entry_with_an_unknown_secrecy_rule(self, tmp_path: Path) -> None:
        path = tmp_path / "catalogue.toml"
        path.write_text(
            '[[indicator]]\nid = "x"\nlabel = "X"\ndefinition = "x"\nunit = "%"\nsource = "s"\n'
            'theme = "sante"\nlevels = ["qpv"]\nadditive = false\nsecrecy = { kind = "secret" }\n',
            encoding="utf-8",
        )
        with pytest.raises(InvalidInput, match="indicateur x mal décrit"):
            load_catalogue(path)

    def test_refuses_a_base_that_is_not_in_the_catalogue(self, tmp_path: Path) -> None:
        path = tmp_path / "catalogue.toml"
        path.write_text(
            '[[indicator]]\nid = "x"\nlabel = "X"\ndefinition = "x"\nunit = "%"\nsource = "s"\n'
            'theme = "sante"\nlevels = ["qpv"]\nadditive = false\nbase = "absent"\n',
            encoding="utf-8",
        )
        with pytest.raises(InvalidInput, match="x a pour base absent"):
            load_catalogue(path)
