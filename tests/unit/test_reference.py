"""The territorial reference shipped in ``reference/``: lookups, checks and consistency.

Every code below is real: QPV of the 2024 generation (decree of 28/12/2023), QP009001 of the 2015
generation (Saint-Girons, Ariège), communes and EPCI of the COG 2026.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from reference import (
    Commune,
    Qpv,
    SupersededQpvCode,
    Territories,
    TerritoryError,
    UnknownTerritory,
    territories,
)

REPO = Path(__file__).resolve().parents[2]
RENNES_METROPOLE = "243500139"
NANTES_METROPOLE = "244400404"
CU_ALENCON = "246100663"
LIMITED = "référentiel limité à la Bretagne et aux Pays de la Loire"


@pytest.fixture(scope="module")
def ref() -> Territories:
    return territories()


def _codes(items: Iterable[Qpv | Commune]) -> list[str]:
    return [item.code for item in items]


class TestLoading:
    def test_importing_the_module_reads_no_file_and_the_first_call_reads_the_five_csv(self) -> None:
        script = """
import json, sys
opened = []
sys.addaudithook(
    lambda event, args: opened.append(str(args[0]))
    if event == "open" and str(args[0]).endswith(".csv") else None
)
import reference.territory as territory
after_import = (territory.territories.cache_info().currsize, list(opened))
territory.territories()
print(json.dumps({"after_import": after_import, "after_call": opened}))
"""
        run = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False
        )
        assert run.returncode == 0, run.stderr
        report = json.loads(run.stdout)
        assert report["after_import"] == [0, []]
        assert sorted(Path(path).name for path in report["after_call"]) == [
            "communes_bretagne_pdl.csv",
            "departements.csv",
            "epci_bretagne_pdl.csv",
            "qpv2024_france_liste.csv",
            "regions.csv",
        ]

    def test_reads_the_files_from_the_package_not_from_the_shared_folder(self) -> None:
        data = REPO / "reference" / "data"
        assert sorted(path.name for path in data.iterdir()) == [
            "README.md",
            "communes_bretagne_pdl.csv",
            "departements.csv",
            "epci_bretagne_pdl.csv",
            "qpv2024_bretagne_pdl.geojson",
            "qpv2024_communes_bretagne_pdl.csv",
            "qpv2024_france_liste.csv",
            "qpv2024_indicateurs_bretagne_pdl.csv",
            "regions.csv",
        ]

    def test_loads_once_and_shares_the_instance(self) -> None:
        assert territories() is territories()


class TestCountingTheReference:
    def test_knows_the_1609_qpv_of_france_of_which_1362_metropolitan(
        self, ref: Territories
    ) -> None:
        overseas = [q for q in ref.qpvs.values() if q.department_code[:2] in ("97", "98")]
        assert len(ref.qpvs) == 1609
        assert len(ref.qpvs) - len(overseas) == 1362

    def test_knows_79_qpv_in_pays_de_la_loire_and_bretagne(self, ref: Territories) -> None:
        regions = [q.region_code for q in ref.qpvs.values()]
        assert (regions.count("52"), regions.count("53")) == (48, 31)

    def test_knows_2430_communes_130_epci_109_departments_and_26_regions(
        self, ref: Territories
    ) -> None:
        counts = (len(ref.communes), len(ref.epcis), len(ref.departments), len(ref.regions))
        assert counts == (2430, 130, 109, 26)


class TestLookingUpAQpv:
    def test_finds_villejean_in_rennes_and_rennes_metropole(self, ref: Territories) -> None:
        villejean = ref.qpv("QN03502M")
        assert villejean is not None
        assert villejean.name == "Villejean"
        assert villejean.commune_codes == ("35238",)
        assert villejean.epci_sirens == (RENNES_METROPOLE,)
        assert (villejean.department_code, villejean.region_code) == ("35", "53")

    def test_finds_bellevue_from_both_nantes_and_saint_herblain(self, ref: Territories) -> None:
        assert "QN04405M" in _codes(ref.qpvs_in_commune("44109"))
        assert "QN04405M" in _codes(ref.qpvs_in_commune("44162"))
        assert ref.qpv("QN04405M") in ref.qpvs_in_epci(NANTES_METROPOLE)

    def test_lists_the_five_qpv_of_rennes_metropole(self, ref: Territories) -> None:
        assert _codes(ref.qpvs_in_epci(RENNES_METROPOLE)) == [
            "QN03502M",
            "QN03503I",
            "QN03504M",
            "QN03505M",
            "QN03506I",
        ]

    def test_lists_the_six_qpv_of_ille_et_vilaine_including_saint_malo(
        self, ref: Territories
    ) -> None:
        codes = _codes(ref.qpvs_in_department("35"))
        assert len(codes) == 6
        assert "QN03501I" in codes

    def test_finds_a_qpv_spanning_two_epci_from_each_of_them(self, ref: Territories) -> None:
        verrerie = ref.qpv("QN05920M")
        assert verrerie is not None
        assert verrerie.epci_sirens == ("200042190", "245901160")
        assert verrerie in ref.qpvs_in_epci("200042190")
        assert verrerie in ref.qpvs_in_epci("245901160")

    def test_gives_a_saint_martin_qpv_no_region_and_no_epci(self, ref: Territories) -> None:
        orleans = ref.qpv("QN97801M")
        assert orleans is not None
        assert (orleans.region_code, orleans.epci_sirens) == (None, ())
        assert orleans.department_code == "978"

    def test_accepts_a_code_typed_in_lower_case_with_spaces(self, ref: Territories) -> None:
        assert ref.qpv(" qn03502m ") == ref.qpv("QN03502M")

    def test_answers_none_or_nothing_for_an_unknown_code(self, ref: Territories) -> None:
        assert ref.qpv("QN99999M") is None
        assert ref.qpvs_in_commune("99999") == ()
        assert ref.qpvs_in_epci("000000000") == ()
        assert ref.qpvs_in_department("00") == ()


class TestLookingUpAdministrativeUnits:
    def test_finds_rennes_with_its_department_region_epci_and_postcodes(
        self, ref: Territories
    ) -> None:
        rennes = ref.commune("35238")
        assert rennes is not None
        assert (rennes.name, rennes.department_code, rennes.region_code) == ("Rennes", "35", "53")
        assert rennes.epci_siren == RENNES_METROPOLE
        assert rennes.postcodes == ("35000", "35200", "35700")
        assert rennes.population > 200_000

    def test_lists_the_43_communes_of_rennes_metropole(self, ref: Territories) -> None:
        communes = ref.communes_in_epci(RENNES_METROPOLE)
        assert len(communes) == 43
        assert {c.epci_siren for c in communes} == {RENNES_METROPOLE}
        assert "35238" in _codes(communes)

    def test_keeps_all_members_of_an_epci_reaching_outside_the_two_regions(
        self, ref: Territories
    ) -> None:
        alencon = ref.epci(CU_ALENCON)
        assert alencon is not None
        assert (alencon.kind, len(alencon.member_codes)) == ("CU", 31)
        assert len(ref.communes_in_epci(CU_ALENCON)) == 5

    def test_leaves_an_island_commune_without_epci(self, ref: Territories) -> None:
        ouessant = ref.commune("29155")
        assert ouessant is not None
        assert ouessant.epci_siren is None

    def test_knows_departments_and_regions_of_all_france(self, ref: Territories) -> None:
        alpes_maritimes = ref.department("06")
        assert alpes_maritimes is not None
        assert alpes_maritimes.region_code == "93"
        assert ref.region("11") is not None


class TestCodesStayText:
    def test_keeps_the_leading_zero_of_ain_and_its_communes(self, ref: Territories) -> None:
        ain = ref.department("01")
        assert ain is not None
        assert (ain.name, ain.region_code) == ("Ain", "84")
        qpv = ref.qpv("QN00101M")
        assert qpv is not None
        assert qpv.commune_codes == ("01053",)

    def test_keeps_the_leading_zero_of_overseas_regions(self, ref: Territories) -> None:
        guadeloupe = ref.region("01")
        assert guadeloupe is not None
        assert guadeloupe.name == "Guadeloupe"
        department = ref.department("971")
        assert department is not None
        assert department.region_code == "01"

    def test_keeps_the_corsican_departments_2a_and_2b(self, ref: Territories) -> None:
        south, north = ref.department("2A"), ref.department("2B")
        assert south is not None and north is not None
        assert (south.name, north.name) == ("Corse-du-Sud", "Haute-Corse")
        assert south.region_code == north.region_code == "94"
        assert _codes(ref.qpvs_in_department("2A")) == ["QN02A01M", "QN02A02M", "QN02A03N"]
        bastia = ref.qpv("QN02B01M")
        assert bastia is not None
        assert bastia.commune_codes == ("2B033",)


class TestCheckingACode:
    def test_returns_the_qpv_for_a_known_code(self, ref: Territories) -> None:
        assert ref.check_qpv("QN03502M").name == "Villejean"

    def test_reports_a_2015_qpv_code_as_superseded(self, ref: Territories) -> None:
        with pytest.raises(SupersededQpvCode) as caught:
            ref.check_qpv("QP009001")
        error = caught.value
        assert isinstance(error, ValueError)
        assert (error.code, error.kind, error.value) == ("superseded_qpv_code", "qpv", "QP009001")
        assert str(error).startswith(
            "code QPV de la génération 2015 (QP009001), remplacé par la géographie prioritaire 2024"
        )

    def test_recognises_a_2015_code_typed_in_lower_case(self, ref: Territories) -> None:
        with pytest.raises(SupersededQpvCode):
            ref.check_qpv(" qp009001")

    def test_reports_an_unknown_2024_style_qpv_code_as_unknown(self, ref: Territories) -> None:
        with pytest.raises(UnknownTerritory) as caught:
            ref.check_qpv("QN03599M")
        error = caught.value
        assert isinstance(error, ValueError)
        assert (error.code, error.kind, error.value) == ("unknown_territory", "qpv", "QN03599M")
        assert str(error) == "code QPV inconnu : QN03599M"

    @pytest.mark.parametrize(
        ("check", "code", "message"),
        [
            ("check_region", "99", "région inconnue : 99"),
            ("check_department", "00", "département inconnu : 00"),
            ("check_commune", "35999", f"commune inconnue ({LIMITED}) : 35999"),
            ("check_epci", "123456789", f"EPCI inconnu ({LIMITED}) : 123456789"),
        ],
    )
    def test_reports_an_unknown_code_in_french(
        self, ref: Territories, check: str, code: str, message: str
    ) -> None:
        with pytest.raises(UnknownTerritory) as caught:
            getattr(ref, check)(code)
        assert (caught.value.code, caught.value.value, str(caught.value)) == (
            "unknown_territory",
            code,
            message,
        )

    def test_reports_a_commune_outside_the_two_regions_as_unknown_not_as_a_crash(
        self, ref: Territories
    ) -> None:
        with pytest.raises(UnknownTerritory, match=LIMITED):
            ref.check_commune("01053")  # Bourg-en-Bresse, which has a QPV

    @pytest.mark.parametrize(
        ("check", "code", "name"),
        [
            ("check_region", "53", "Bretagne"),
            ("check_department", "2B", "Haute-Corse"),
            ("check_commune", "44162", "Saint-Herblain"),
            ("check_epci", NANTES_METROPOLE, "Nantes Métropole"),
        ],
    )
    def test_returns_the_unit_for_a_known_code(
        self, ref: Territories, check: str, code: str, name: str
    ) -> None:
        assert getattr(ref, check)(code).name == name

    def test_both_errors_share_a_base_a_caller_can_catch(self) -> None:
        assert issubclass(SupersededQpvCode, TerritoryError)
        assert issubclass(UnknownTerritory, TerritoryError)
        assert not issubclass(SupersededQpvCode, UnknownTerritory)


class TestValidatingATerritory:
    def test_accepts_a_consistent_set_from_region_down_to_qpv(self, ref: Territories) -> None:
        problems = ref.validate_territory(
            region="53",
            department="35",
            commune="35238",
            epci=RENNES_METROPOLE,
            qpvs=["QN03502M", "QN03503I"],
        )
        assert problems == []

    def test_accepts_bellevue_from_saint_herblain_its_second_commune(
        self, ref: Territories
    ) -> None:
        problems = ref.validate_territory(
            department="44", commune="44162", epci=NANTES_METROPOLE, qpvs=["QN04405M"]
        )
        assert problems == []

    def test_accepts_an_epci_in_a_department_where_only_members_outside_the_file_lie(
        self, ref: Territories
    ) -> None:
        assert ref.validate_territory(region="28", department="61", epci=CU_ALENCON) == []

    def test_accepts_nothing_at_all(self, ref: Territories) -> None:
        assert ref.validate_territory() == []

    def test_catches_a_commune_outside_the_department(self, ref: Territories) -> None:
        assert ref.validate_territory(department="44", commune="35238") == [
            "la commune 35238 (Rennes) n'est pas dans le département 44"
        ]

    def test_catches_a_department_outside_the_region(self, ref: Territories) -> None:
        assert ref.validate_territory(region="53", department="44") == [
            "le département 44 (Loire-Atlantique) n'est pas dans la région 53"
        ]

    def test_catches_a_commune_outside_the_region_when_no_department_is_given(
        self, ref: Territories
    ) -> None:
        assert ref.validate_territory(region="52", commune="35238") == [
            "la commune 35238 (Rennes) n'est pas dans la région 52"
        ]

    def test_catches_a_commune_outside_the_epci(self, ref: Territories) -> None:
        assert ref.validate_territory(commune="35238", epci=NANTES_METROPOLE) == [
            f"la commune 35238 (Rennes) n'est pas membre de l'EPCI {NANTES_METROPOLE}"
        ]

    def test_catches_an_island_commune_given_with_an_epci(self, ref: Territories) -> None:
        problems = ref.validate_territory(commune="29155", epci="242900074")
        assert problems == ["la commune 29155 (Ouessant) n'est pas membre de l'EPCI 242900074"]

    def test_catches_an_epci_with_no_commune_in_the_department(self, ref: Territories) -> None:
        assert ref.validate_territory(department="44", epci=RENNES_METROPOLE) == [
            f"l'EPCI {RENNES_METROPOLE} (Rennes Métropole) n'a aucune commune "
            "dans le département 44"
        ]

    def test_catches_an_epci_with_no_commune_in_the_region(self, ref: Territories) -> None:
        assert ref.validate_territory(region="52", epci=RENNES_METROPOLE) == [
            f"l'EPCI {RENNES_METROPOLE} (Rennes Métropole) n'a aucune commune dans la région 52"
        ]

    def test_catches_a_qpv_outside_the_commune(self, ref: Territories) -> None:
        assert ref.validate_territory(commune="44109", qpvs=["QN03502M"]) == [
            "le QPV QN03502M (Villejean) n'est pas dans la commune 44109"
        ]

    def test_catches_a_qpv_outside_the_epci(self, ref: Territories) -> None:
        assert ref.validate_territory(epci=NANTES_METROPOLE, qpvs=["QN03502M"]) == [
            f"le QPV QN03502M (Villejean) n'est pas dans l'EPCI {NANTES_METROPOLE}"
        ]

    def test_catches_a_qpv_outside_the_department(self, ref: Territories) -> None:
        assert ref.validate_territory(department="44", qpvs=["QN03502M"]) == [
            "le QPV QN03502M (Villejean) n'est pas dans le département 44"
        ]

    def test_catches_a_qpv_outside_the_region(self, ref: Territories) -> None:
        assert ref.validate_territory(region="52", qpvs=["QN03502M"]) == [
            "le QPV QN03502M (Villejean) n'est pas dans la région 52"
        ]

    def test_places_a_saint_martin_qpv_in_its_own_region(self, ref: Territories) -> None:
        assert ref.validate_territory(region="978", qpvs=["QN97801M"]) == []

    def test_reports_unknown_and_superseded_codes_instead_of_raising(
        self, ref: Territories
    ) -> None:
        problems = ref.validate_territory(
            region="99", department="00", commune="75056", epci="123456789", qpvs=["QP009001"]
        )
        assert problems[:4] == [
            "région inconnue : 99",
            "département inconnu : 00",
            f"commune inconnue ({LIMITED}) : 75056",
            f"EPCI inconnu ({LIMITED}) : 123456789",
        ]
        assert problems[4].startswith("code QPV de la génération 2015 (QP009001)")
        assert len(problems) == 5

    def test_still_checks_the_known_codes_around_an_unknown_one(self, ref: Territories) -> None:
        problems = ref.validate_territory(
            region="52", department="00", commune="35238", qpvs=["QN99999M"]
        )
        assert sorted(problems) == [
            "code QPV inconnu : QN99999M",
            "département inconnu : 00",
            "la commune 35238 (Rennes) n'est pas dans la région 52",
        ]
