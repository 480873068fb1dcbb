"""Value types every service shares (contracts.base) and the subject grammar (contracts.subjects).

The QPV codes below are real 2024-generation codes from the ANCT list (decree of 28/12/2023), and
QP009001 is a real 2015-generation code (Saint-Girons, Ariège).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts import subjects
from contracts.base import Email, InseeCommuneCode, QpvCode, Siren


def _validate(value_type: Any, value: str) -> str:
    result: str = TypeAdapter(value_type).validate_python(value)
    return result


def _refusal(value_type: Any, value: str) -> str:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(value_type).validate_python(value)
    [error] = caught.value.errors()
    return str(error["msg"])


class TestQpvCode:
    @pytest.mark.parametrize(
        "code",
        [
            "QN03502M",  # Villejean, Rennes
            "QN04405M",  # Bellevue, Nantes and Saint-Herblain
            "QN03501I",  # La Découverte, Saint-Malo
            "QN02A02M",  # Salines - Cannes, Ajaccio (Corse-du-Sud)
            "QN02B01M",  # Bastia Meridiunale (Haute-Corse)
            "QN97101M",  # Boissard-Morne Flory, Les Abymes (Guadeloupe)
            "QN97803N",  # Saint-James, Saint-Martin
        ],
    )
    def test_accepts_a_2024_code(self, code: str) -> None:
        assert _validate(QpvCode, code) == code

    def test_normalises_a_code_typed_in_lowercase_with_spaces(self) -> None:
        assert _validate(QpvCode, " qn02a02m ") == "QN02A02M"

    def test_refuses_a_2015_code_and_says_why(self) -> None:
        message = _refusal(QpvCode, "QP009001")

        assert "2015" in message
        assert "2024" in message

    @pytest.mark.parametrize(
        "garbage",
        ["", "QN0350M", "QN035021M", "QN03502", "QN02C01M", "XX03502M", "Villejean"],
    )
    def test_refuses_what_is_not_a_qpv_code(self, garbage: str) -> None:
        assert "code QPV invalide" in _refusal(QpvCode, garbage)


class TestInseeCommuneCode:
    @pytest.mark.parametrize("code", ["35238", "44109", "2A004", "2B033", "97101"])
    def test_accepts_a_commune_code(self, code: str) -> None:
        assert _validate(InseeCommuneCode, code) == code

    def test_keeps_the_leading_zero(self) -> None:
        assert _validate(InseeCommuneCode, "01053") == "01053"

    def test_upper_cases_a_corsican_code(self) -> None:
        assert _validate(InseeCommuneCode, "2a004") == "2A004"

    @pytest.mark.parametrize("code", ["3523", "352380", "2C004", "35 238", "Rennes"])
    def test_refuses_what_is_not_five_characters_of_a_commune_code(self, code: str) -> None:
        assert "code commune INSEE invalide" in _refusal(InseeCommuneCode, code)


class TestSiren:
    @pytest.mark.parametrize("siren", ["732829320", "243500139", "200071751"])
    def test_accepts_a_siren_with_a_valid_luhn_key(self, siren: str) -> None:
        assert _validate(Siren, siren) == siren

    def test_accepts_a_siren_written_in_groups_of_three(self) -> None:
        assert _validate(Siren, "243 500 139") == "243500139"

    def test_refuses_a_siren_whose_luhn_key_is_wrong(self) -> None:
        assert "SIREN invalide" in _refusal(Siren, "732829321")

    @pytest.mark.parametrize("siren", ["73282932", "7328293200", "SIREN1234"])
    def test_refuses_what_is_not_nine_digits(self, siren: str) -> None:
        assert "SIREN invalide" in _refusal(Siren, siren)


class TestEmail:
    def test_accepts_an_address_and_lowercases_only_its_domain(self) -> None:
        assert _validate(Email, "Camille.Martin@Example.ORG") == "Camille.Martin@example.org"

    def test_accepts_an_address_with_accents(self) -> None:
        assert _validate(Email, "hélène@exemple.fr") == "hélène@exemple.fr"

    @pytest.mark.parametrize("address", ["camille.martin", "camille@localhost", "@example.org"])
    def test_refuses_an_address_that_cannot_receive_mail(self, address: str) -> None:
        assert "not a valid email address" in _refusal(Email, address)

    def test_refuses_an_address_longer_than_254_characters(self) -> None:
        address = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".example.org"
        assert len(address) > 254

        assert "too long" in _refusal(Email, address)


class TestSubjects:
    def test_names_a_durable_consumer_after_the_consumer_and_the_event(self) -> None:
        name = subjects.durable_name("newsletters", "reso.members.member.registered.v1")

        assert name == "newsletters-member-registered-v1"

    def test_durable_names_use_dashes_where_the_subject_has_underscores(self) -> None:
        name = subjects.durable_name("newsletters", "reso.events.registration.waiting_listed.v2")

        assert name == "newsletters-registration-waiting-listed-v2"

    def test_refuses_a_durable_consumer_on_an_rpc_subject(self) -> None:
        with pytest.raises(ValueError, match="not an event subject"):
            subjects.durable_name("newsletters", "rpc.members.person.register.v1")

    def test_refuses_a_durable_consumer_on_an_unversioned_subject(self) -> None:
        with pytest.raises(ValueError, match="not an event subject"):
            subjects.durable_name("newsletters", "reso.members.member.registered")

    def test_dead_letters_under_the_consumer_and_the_original_subject(self) -> None:
        dlq = subjects.dlq_subject("newsletters", "reso.members.member.registered.v1")

        assert dlq == "dlq.newsletters.reso.members.member.registered.v1"

    @pytest.mark.parametrize(
        ("subject", "owner"),
        [
            ("reso.members.member.registered.v1", "members"),
            ("rpc.members.person.register.v1", "members"),
            ("reso.newsletters.welcome.sent.v1", "newsletters"),
            ("rpc.dataquartiers.health.check.v1", "dataquartiers"),
        ],
    )
    def test_the_owner_of_a_subject_is_its_second_token(self, subject: str, owner: str) -> None:
        assert subjects.owner_of(subject) == owner

    @pytest.mark.parametrize(
        "subject", ["dlq.newsletters.reso.members.member.registered.v1", "members.person", ""]
    )
    def test_refuses_to_name_the_owner_of_a_foreign_subject(self, subject: str) -> None:
        with pytest.raises(ValueError, match="not a reso subject"):
            subjects.owner_of(subject)

    def test_a_service_stream_is_named_after_it_in_capitals(self) -> None:
        assert subjects.stream_name("members") == "MEMBERS"
        assert subjects.stream_name("dataquartiers") == "DATAQUARTIERS"

    def test_a_service_stream_captures_the_events_it_owns_and_no_other(self) -> None:
        [captured] = subjects.stream_subjects("members")
        prefix = captured.removesuffix(">")

        assert subjects.event_subject("members", "member", "registered", 1).startswith(prefix)
        assert not subjects.event_subject("events", "event", "published", 1).startswith(prefix)
        assert not subjects.rpc_subject("members", "person", "register", 1).startswith(prefix)
