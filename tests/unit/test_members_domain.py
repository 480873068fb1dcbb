"""The members model: how addresses are compared and what a sign-up records."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.members.domain import normalise_email, register

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


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
