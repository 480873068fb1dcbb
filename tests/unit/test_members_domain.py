"""The members model: how addresses and phones are compared and stored, what a sign-up
records, how a profile changes and is erased, territories completed, and audit diffs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from reference import territories
from services.members.domain import TerritoryCodes, normalise_email, register
from services.members.domain.audit import REDACTED, diff, redacted
from services.members.domain.organisations import complete_territory, population_of
from services.members.domain.people import Person, Profile, create, normalise_phone
from services.runtime.errors import Conflict, InvalidInput

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 4, 1, 14, 0, tzinfo=UTC)


class TestNormaliseEmail:
    @pytest.mark.parametrize(
        "typed",
        [
            "camille.martin@example.org",
            "Camille.Martin@Example.ORG",
            "  camille.martin@example.org\n",
            "\tCAMILLE.MARTIN@EXAMPLE.ORG ",
        ],
    )
    def test_one_address_typed_in_any_case_or_with_spaces_compares_equal(self, typed: str) -> None:
        assert normalise_email(typed) == "camille.martin@example.org"

    def test_folds_case_beyond_ascii(self) -> None:
        assert normalise_email("HÉLÈNE.STRAßE@exemple.fr") == normalise_email(
            "hélène.strasse@exemple.fr"
        )

    def test_keeps_two_different_addresses_apart(self) -> None:
        assert normalise_email("camille.martin@example.org") != normalise_email(
            "camille.martin@example.com"
        )


class TestRegister:
    def test_trims_the_names(self) -> None:
        person = register("  Camille ", "\tMartin\n", "camille.martin@example.org", NOW)

        assert (person.first_name, person.last_name) == ("Camille", "Martin")

    def test_keeps_the_address_as_typed_apart_from_surrounding_spaces(self) -> None:
        person = register("Camille", "Martin", " Camille.Martin@example.org ", NOW)

        assert person.email == "Camille.Martin@example.org"
        assert person.email_key == "camille.martin@example.org"

    def test_keeps_inner_spaces_and_hyphens_of_a_compound_name(self) -> None:
        person = register(" Marie-Hélène ", " Le Goff ", "mh.legoff@example.org", NOW)

        assert (person.first_name, person.last_name) == ("Marie-Hélène", "Le Goff")

    def test_records_when_the_person_signed_up(self) -> None:
        assert register("Camille", "Martin", "c@example.org", NOW).registered_at == NOW

    def test_gives_each_sign_up_its_own_id(self) -> None:
        first = register("Camille", "Martin", "c@example.org", NOW)
        second = register("Camille", "Martin", "c@example.org", NOW)

        assert first.id != second.id


class TestNormalisePhone:
    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("02 99 00 11 22", "+33299001122"),
            ("02.99.00.11.22", "+33299001122"),
            ("+33 6 12 34 56 78", "+33612345678"),
            ("0033612345678", "+33612345678"),
            ("0262 21 00 00", "+262262210000"),  # La Réunion keeps its own country code
            ("", ""),
        ],
    )
    def test_stores_a_number_in_international_form(self, typed: str, stored: str) -> None:
        assert normalise_phone(typed) == stored

    @pytest.mark.parametrize("typed", ["12", "06 12 34", "pas de téléphone", "+33 1"])
    def test_refuses_what_cannot_be_a_number_and_says_so_in_french(self, typed: str) -> None:
        with pytest.raises(InvalidInput, match="Numéro de téléphone invalide"):
            normalise_phone(typed)


class TestCompleteTerritory:
    def test_a_commune_brings_its_epci_department_and_region(self) -> None:
        assert complete_territory(TerritoryCodes(commune="44109")) == TerritoryCodes(
            region="52", department="44", commune="44109", epci="244400404"
        )

    def test_a_department_brings_its_region(self) -> None:
        completed = complete_territory(TerritoryCodes(department="29"))

        assert (completed.region, completed.department) == ("53", "29")

    def test_qpvs_of_one_department_bring_that_department(self) -> None:
        completed = complete_territory(TerritoryCodes(qpvs=("QN03502M",)))

        assert (completed.region, completed.department, completed.commune) == ("53", "35", None)

    def test_an_epci_alone_brings_its_department(self) -> None:
        completed = complete_territory(TerritoryCodes(epci="243500139"))

        assert (completed.region, completed.department) == ("53", "35")


class TestChangeProfile:
    def _person(self) -> Person:
        person, _ = create(
            first_name="Léa",
            last_name="Le Guen",
            email="lea@example.org",
            now=NOW,
            source="staff",
            kind="project_leader",
        )
        return person

    def test_reports_nothing_when_nothing_changes(self) -> None:
        person = self._person()

        assert person.change(Profile(first_name="Léa", title=""), LATER) is None
        assert person.updated_at == NOW

    def test_becoming_an_elected_official_moves_the_person_to_the_elected_college(self) -> None:
        person = self._person()

        changed = person.change(Profile(kind="elected_official"), LATER)

        assert changed is not None and person.college == "elus"
        assert person.updated_at == LATER

    def test_an_explicit_college_wins_over_the_kind_default(self) -> None:
        person = self._person()

        person.change(Profile(kind="elected_official", college="acteurs_territoriaux"), LATER)

        assert person.college == "acteurs_territoriaux"

    def test_refuses_an_empty_name(self) -> None:
        with pytest.raises(InvalidInput, match="ne peut pas être vide"):
            self._person().change(Profile(last_name="   "), LATER)

    def test_an_erased_person_can_no_longer_change(self) -> None:
        person = self._person()
        person.erase(LATER)

        with pytest.raises(Conflict):
            person.change(Profile(title="Directrice"), LATER)


class TestErase:
    def test_keeps_kind_and_college_for_the_figures_and_nothing_that_identifies(self) -> None:
        person, _ = create(
            first_name="Léa",
            last_name="Le Guen",
            email="lea@example.org",
            now=NOW,
            source="staff",
            phone="0299001122",
            title="Élue",
            kind="elected_official",
            territory=TerritoryCodes(commune="35238"),
        )

        person.erase(LATER)

        identifying = (person.first_name, person.last_name, person.email, person.phone)
        assert identifying == ("", "", "", "")
        assert (person.title, person.territory) == ("", TerritoryCodes())
        assert (person.kind, person.college) == ("elected_official", "elus")
        assert person.email_key == f"erased:{person.id}"


class TestAuditDiff:
    def test_lists_only_the_fields_that_changed_in_a_json_friendly_form(self) -> None:
        before = {"dues": Decimal("30"), "status": "pending", "on": date(2026, 1, 2)}
        after = {"dues": Decimal("30.00"), "status": "active", "on": date(2026, 1, 3)}

        assert diff(before, after) == {
            "on": ("2026-01-02", "2026-01-03"),
            "status": ("pending", "active"),
        }

    def test_a_new_record_lists_every_field(self) -> None:
        assert diff(None, {"name": "Asso", "qpvs": ("QN03502M",)}) == {
            "name": (None, "Asso"),
            "qpvs": (None, ["QN03502M"]),
        }

    def test_redaction_keeps_the_fields_and_drops_the_values(self) -> None:
        assert redacted({"email": ("a@b.fr", "c@d.fr"), "phone": (None, "+33")}) == {
            "email": (REDACTED, REDACTED),
            "phone": (None, REDACTED),
        }


class TestPopulationOf:
    def test_an_epci_counts_the_inhabitants_of_its_communes(self) -> None:
        ref = territories()
        nantes = ref.epci("244400404")
        assert nantes is not None
        expected = sum(c.population for code in nantes.member_codes if (c := ref.commune(code)))

        assert population_of("epci", TerritoryCodes(epci="244400404")) == expected > 600_000

    def test_a_departement_of_the_reference_counts_all_its_communes(self) -> None:
        ille_et_vilaine = population_of("departement", TerritoryCodes(department="35"))

        assert ille_et_vilaine is not None and 1_000_000 < ille_et_vilaine < 1_300_000

    def test_says_it_cannot_tell_for_a_departement_outside_the_reference(self) -> None:
        assert population_of("departement", TerritoryCodes(department="75")) is None

    def test_says_nothing_for_an_organisation_with_no_place(self) -> None:
        assert population_of("association", TerritoryCodes()) is None


class TestChangeOwnProfile:
    def test_a_person_changing_their_own_kind_stays_in_their_college(self) -> None:
        person, _ = create(
            first_name="Léa", last_name="Le Guen", email="l@example.org", now=NOW, source="staff"
        )

        person.change(Profile(kind="elected_official", keep_college=True), LATER)

        assert (person.kind, person.college) == ("elected_official", "acteurs_territoriaux")
