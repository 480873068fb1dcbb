"""Calls for applications: eligibility, the form's limits, the Paris deadline, places, scores."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.events.domain.calls import (
    ApplicantCard,
    Application,
    Call,
    CallDefinition,
    Criterion,
    DeadlinePassed,
    NotEligible,
    OrganisationCard,
    Review,
    Section,
    average,
    check_answers,
    check_eligible,
    paris_label,
    paris_to_utc,
    weighted_score,
)
from services.runtime.errors import Conflict, DomainError, InvalidInput

SECTIONS = (
    Section("territoire", "Présentation du territoire", min_chars=20, max_chars=200),
    Section("projet", "Projet", max_chars=100),
    Section("partenaires", "Partenaires", required=False, max_chars=50),
)
CRITERIA = (
    Criterion("pertinence", "Pertinence", weight=2, max_score=5),
    Criterion("partenariat", "Partenariat", weight=1, max_score=10),
)
CREATED = datetime(2027, 1, 10, 9, tzinfo=UTC)


def definition(**changes: object) -> CallDefinition:
    values: dict[str, object] = {
        "title": "Labo Quartiers en Transitions",
        "description": "Accompagnement de 2 à 4 territoires.",
        "eligible_kinds": ("epci",),
        "sections": SECTIONS,
        "criteria": CRITERIA,
        "places": 2,
        "opens_at": None,
        # 28 March 2027 is the night clocks go forward in Paris (02:00 → 03:00).
        "deadline": datetime(2027, 3, 28, 12, 0),
        "reference_prefix": "LQT-2027",
    }
    values.update(changes)
    return CallDefinition(**values)  # type: ignore[arg-type]


def open_call(**changes: object) -> Call:
    call = Call.create(definition(**changes), now=CREATED, by="equipe@crpv.example.org")
    call.open(CREATED)
    return call


def epci(**changes: object) -> OrganisationCard:
    values: dict[str, object] = {"id": uuid.uuid4(), "name": "Rennes Métropole", "kind": "epci"}
    values.update(changes)
    return OrganisationCard(**values)  # type: ignore[arg-type]


def person_of(*organisations: OrganisationCard) -> ApplicantCard:
    return ApplicantCard(
        uuid.uuid4(), "Léa", "Martin", "lea@example.org", frozenset(o.id for o in organisations)
    )


GOOD = {"territoire": "Un territoire de 450 000 habitants.", "projet": "Transition."}


class TestDeadlineInParis:
    def test_reads_a_time_without_offset_as_paris_summer_time_on_the_day_clocks_go_forward(self):
        assert paris_to_utc(datetime(2027, 3, 28, 12, 0)) == datetime(2027, 3, 28, 10, tzinfo=UTC)

    def test_reads_the_day_before_as_winter_time(self):
        assert paris_to_utc(datetime(2027, 3, 27, 12, 0)) == datetime(2027, 3, 27, 11, tzinfo=UTC)

    def test_refuses_a_paris_time_skipped_when_clocks_go_forward(self):
        with pytest.raises(InvalidInput, match="28/03/2027 02:30 n'existe pas à Paris"):
            paris_to_utc(datetime(2027, 3, 28, 2, 30))

    def test_reads_the_repeated_hour_when_clocks_go_back_as_the_first_one(self):
        assert paris_to_utc(datetime(2027, 10, 31, 2, 30)) == datetime(
            2027, 10, 31, 0, 30, tzinfo=UTC
        )

    def test_shows_the_deadline_in_french_paris_time(self):
        call = open_call()
        assert paris_label(call.deadline) == "28 mars 2027 à 12 h 00 (heure de Paris)"

    def test_accepts_a_submission_one_minute_before_the_paris_deadline(self):
        call = open_call()
        organisation = epci()
        application = Application.start(call, organisation, person_of(organisation), CREATED)
        application.save(call, person_of(organisation), GOOD, CREATED)
        submitted = application.submit(
            call, person_of(organisation), datetime(2027, 3, 28, 9, 59, tzinfo=UTC)
        )
        assert submitted.application.reference == "LQT-2027-0001"

    def test_refuses_a_submission_at_the_paris_deadline_with_a_french_reason(self):
        call = open_call()
        organisation = epci()
        person = person_of(organisation)
        application = Application.start(call, organisation, person, CREATED)
        application.save(call, person, GOOD, CREATED)
        with pytest.raises(DeadlinePassed) as refused:
            application.submit(call, person, datetime(2027, 3, 28, 10, 0, tzinfo=UTC))
        assert "La date limite de dépôt était le 28 mars 2027 à 12 h 00" in refused.value.message
        assert application.status == "draft" and application.reference is None

    def test_refuses_drafts_after_the_deadline(self):
        call = open_call()
        organisation = epci()
        application = Application.start(call, organisation, person_of(organisation), CREATED)
        with pytest.raises(DeadlinePassed):
            application.save(call, person_of(organisation), GOOD, datetime(2027, 4, 1, tzinfo=UTC))

    def test_refuses_before_the_opening_time(self):
        call = open_call(opens_at=datetime(2027, 2, 1, 9, 0))
        assert not call.accepting(datetime(2027, 2, 1, 7, 59, tzinfo=UTC))
        assert call.accepting(datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
        with pytest.raises(NotEligible, match="Les candidatures ouvrent le 1er février 2027"):
            call.check_accepting(datetime(2027, 1, 31, tzinfo=UTC))

    def test_cannot_open_a_call_whose_deadline_has_passed(self):
        call = Call.create(definition(), now=CREATED, by="x")
        with pytest.raises(InvalidInput, match="déjà passée"):
            call.open(datetime(2027, 4, 1, tzinfo=UTC))

    def test_a_closed_call_refuses_submissions_even_before_its_deadline(self):
        call = open_call()
        call.close(CREATED)
        with pytest.raises(DeadlinePassed):
            call.check_accepting(CREATED)


class TestEligibility:
    def test_lets_an_epci_apply_to_a_call_for_epci(self):
        organisation = epci()
        check_eligible(open_call(), organisation, person_of(organisation))

    def test_refuses_a_commune_with_the_kinds_allowed(self):
        commune = epci(kind="commune", name="Laval")
        with pytest.raises(NotEligible, match="réservé aux organisations de type : epci"):
            check_eligible(open_call(), commune, person_of(commune))

    def test_lets_any_kind_apply_when_the_call_names_none(self):
        association = epci(kind="association")
        check_eligible(open_call(eligible_kinds=()), association, person_of(association))

    def test_refuses_a_person_not_tied_to_the_organisation(self):
        with pytest.raises(NotEligible, match="pas rattaché"):
            check_eligible(open_call(), epci(), person_of())

    def test_refuses_an_archived_organisation(self):
        archived = epci(archived=True)
        with pytest.raises(NotEligible):
            check_eligible(open_call(), archived, person_of(archived))


class TestSectionLimits:
    def test_a_draft_may_leave_required_sections_empty_and_says_which(self):
        assert check_answers(SECTIONS, {"projet": "Court."}, complete=False) == ("territoire",)

    def test_a_draft_may_not_exceed_a_section_maximum(self):
        with pytest.raises(InvalidInput, match="« Projet » : 101 caractères, 100 au plus"):
            check_answers(SECTIONS, {"projet": "x" * 101}, complete=False)

    def test_refuses_a_section_the_form_does_not_have(self):
        with pytest.raises(InvalidInput, match="Rubrique inconnue"):
            check_answers(SECTIONS, {"budget": "1 M€"}, complete=False)

    def test_submission_needs_every_required_section_at_its_minimum(self):
        with pytest.raises(InvalidInput, match="complétez « Présentation du territoire »"):
            check_answers(SECTIONS, {"territoire": "Trop court", "projet": "Ok"}, complete=True)

    def test_an_optional_section_may_stay_empty_at_submission(self):
        assert check_answers(SECTIONS, GOOD, complete=True) == ()

    def test_counts_characters_after_trimming_spaces(self):
        answers = {"territoire": "   " + "x" * 200 + "   ", "projet": "Ok"}
        assert check_answers(SECTIONS, answers, complete=True) == ()

    def test_a_submitted_application_cannot_be_changed(self):
        call = open_call()
        organisation = epci()
        person = person_of(organisation)
        application = Application.start(call, organisation, person, CREATED)
        application.save(call, person, GOOD, CREATED)
        application.submit(call, person, CREATED)
        with pytest.raises(Conflict, match="LQT-2027-0001"):
            application.save(call, person, GOOD, CREATED)


class TestReferences:
    def test_numbers_submissions_per_call_in_order(self):
        call = open_call()
        references = []
        for _ in range(3):
            organisation = epci()
            person = person_of(organisation)
            application = Application.start(call, organisation, person, CREATED)
            application.save(call, person, GOOD, CREATED)
            references.append(application.submit(call, person, CREATED).application.reference)
        assert references == ["LQT-2027-0001", "LQT-2027-0002", "LQT-2027-0003"]


def submitted(call: Call) -> Application:
    organisation = epci()
    person = person_of(organisation)
    application = Application.start(call, organisation, person, CREATED)
    application.save(call, person, GOOD, CREATED)
    application.submit(call, person, CREATED)
    return application


class TestPlaces:
    def test_refuses_a_selection_beyond_the_places_with_a_reason(self):
        call = open_call()
        application = submitted(call)
        call.close(CREATED)
        with pytest.raises(DomainError, match="Les 2 places de l'appel sont déjà attribuées"):
            application.decide(call, "selected", "", selected=2, by="x", now=CREATED)
        assert application.decision is None

    def test_allows_waiting_or_rejected_when_places_are_full(self):
        call = open_call()
        application = submitted(call)
        call.close(CREATED)
        application.decide(call, "waiting", "Liste d'attente.", selected=2, by="x", now=CREATED)
        assert application.decision == "waiting"

    def test_decisions_wait_for_the_call_to_be_closed(self):
        call = open_call()
        application = submitted(call)
        with pytest.raises(Conflict, match="Clôturez"):
            application.decide(call, "selected", "", selected=0, by="x", now=CREATED)

    def test_a_decision_is_made_known_once_then_again_only_if_it_changes(self):
        call = open_call()
        application = submitted(call)
        call.close(CREATED)
        application.decide(call, "waiting", "", selected=0, by="x", now=CREATED)
        assert application.publish_decision(call) is not None
        assert application.publish_decision(call) is None
        application.decide(call, "selected", "Bravo.", selected=0, by="x", now=CREATED)
        decided = application.publish_decision(call)
        assert decided is not None and decided.decision == "selected"


class TestScores:
    def test_weighs_each_criterion_on_its_own_scale(self):
        # pertinence 4/5 weighs 2, partenariat 5/10 weighs 1: (2*0.8 + 1*0.5) / 3 = 70 %.
        assert weighted_score(CRITERIA, {"pertinence": 4, "partenariat": 5}) == pytest.approx(70.0)

    def test_averages_the_reviewers(self):
        assert average([70.0, 80.0]) == 75.0
        assert average([]) is None

    def test_refuses_a_score_above_the_criterion_maximum(self):
        call = open_call()
        application = submitted(call)
        with pytest.raises(InvalidInput, match="la note va de 0 à 5"):
            Review.of(call, application, "a@crpv.org", {"pertinence": 6}, "", CREATED)

    def test_refuses_an_unknown_criterion(self):
        call = open_call()
        application = submitted(call)
        with pytest.raises(InvalidInput, match="Critère inconnu"):
            Review.of(call, application, "a@crpv.org", {"budget": 1}, "", CREATED)

    def test_refuses_to_score_a_draft(self):
        call = open_call()
        organisation = epci()
        draft = Application.start(call, organisation, person_of(organisation), CREATED)
        with pytest.raises(Conflict):
            Review.of(call, draft, "a@crpv.org", {"pertinence": 1}, "", CREATED)


class TestErasure:
    def test_forgets_the_applicant_but_keeps_the_organisation_and_the_decision(self):
        call = open_call()
        application = submitted(call)
        call.close(CREATED)
        application.decide(call, "selected", "", selected=0, by="x", now=CREATED)
        application.forget_person()
        assert (application.person_id, application.email, application.first_name) == (
            None,
            "",
            "",
        )
        assert application.organisation_name == "Rennes Métropole"
        assert application.decision == "selected"


def test_a_definition_refuses_an_opening_after_its_deadline():
    with pytest.raises(InvalidInput, match="L'ouverture doit précéder la date limite"):
        definition(opens_at=datetime(2027, 4, 1)).checked()


def test_a_definition_refuses_duplicate_section_keys():
    with pytest.raises(InvalidInput, match="même clé"):
        definition(sections=(SECTIONS[0], SECTIONS[0])).checked()


def test_deadline_is_stored_in_utc():
    call = open_call()
    assert call.deadline.utcoffset() == timedelta(0)
