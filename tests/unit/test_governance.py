"""Governance: mandates, the sign-in sheet of a meeting and the quorum the bylaws set."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from fractions import Fraction
from typing import Any

import pytest

from contracts.members import College
from services.members.domain.governance import (
    DEFAULT_QUORUM_RULES,
    Attendance,
    BodyKind,
    Mandate,
    Meeting,
    QuorumRule,
    SeatKind,
    Tally,
    Voice,
    check_no_overlap,
    check_sheets_still_hold,
    quorum,
    quorum_rules,
    rule_for,
    voice_for,
)
from services.runtime.errors import Conflict, InvalidInput

HELD_ON = date(2026, 6, 18)
AG = Meeting(BodyKind.AG, HELD_ON)
CA = Meeting(BodyKind.CA, HELD_ON)
QUARTER = QuorumRule(Fraction(1, 4), max_proxies=2)
ELUS, ACTEURS = College.ELUS, College.ACTEURS_TERRITORIAUX


def seat(
    college: College | None = ELUS,
    *,
    body: BodyKind = BodyKind.AG,
    voice: Voice = Voice.DELIBERATIVE,
    start: date = date(2024, 6, 20),
    end: date | None = None,
) -> Mandate:
    funder = uuid.uuid4() if body == BodyKind.COMITE_FINANCEURS else None
    return Mandate(uuid.uuid4(), body, college, "membre", voice, start, end, organisation_id=funder)


def seats(count: int, college: College | None = ELUS, **kwargs: Any) -> list[Mandate]:
    return [seat(college, **kwargs) for _ in range(count)]


def sign_in(
    meeting: Meeting,
    mandates: Sequence[Mandate],
    present: Iterable[Mandate] = (),
    proxies: Iterable[tuple[Mandate, Mandate]] = (),
    rule: QuorumRule = QUARTER,
) -> Attendance:
    attendance = Attendance()
    for member in present:
        attendance.record_presence(member.person_id, meeting, mandates)
    for giver, holder in proxies:
        attendance.record_proxy(giver.person_id, holder.person_id, meeting, mandates, rule)
    return attendance


class TestMandate:
    def test_is_in_force_from_its_first_to_its_last_day_included(self) -> None:
        mandate = seat(start=date(2024, 6, 20), end=date(2026, 6, 18))

        assert mandate.is_active(date(2024, 6, 20)) and mandate.is_active(date(2026, 6, 18))
        assert not mandate.is_active(date(2024, 6, 19))
        assert not mandate.is_active(date(2026, 6, 19))

    def test_without_an_end_date_stays_in_force(self) -> None:
        assert seat(start=date(2024, 6, 20)).is_active(date(2040, 1, 1))

    def test_refuses_to_end_before_it_starts(self) -> None:
        with pytest.raises(InvalidInput, match="finir avant de commencer"):
            seat(start=date(2026, 6, 18), end=date(2026, 6, 17))

    def test_refuses_a_deliberative_seat_at_the_general_assembly_outside_the_colleges(self) -> None:
        with pytest.raises(InvalidInput, match="collège"):
            seat(None, body=BodyKind.AG)

    def test_lets_a_board_member_or_a_personne_qualifiee_sit_outside_the_colleges(self) -> None:
        assert seat(None, body=BodyKind.CA).college is None
        assert seat(None, voice=Voice.CONSULTATIVE).college is None

    def test_refuses_a_blank_seat(self) -> None:
        with pytest.raises(InvalidInput, match="siège"):
            Mandate(uuid.uuid4(), BodyKind.CA, None, "  ", Voice.DELIBERATIVE, HELD_ON)


class TestQuorumRuleFromSettings:
    def test_reads_shares_written_as_in_the_bylaws(self) -> None:
        rule = QuorumRule.from_mapping({"quorum": "1/4", "college_quorum": "0.5"})

        assert (rule.quorum, rule.college_quorum) == (Fraction(1, 4), Fraction(1, 2))
        assert QuorumRule.from_mapping({"quorum": 1}).quorum == 1

    def test_reads_a_null_college_share_as_no_college_minimum(self) -> None:
        rule = QuorumRule.from_mapping({"quorum": "1/4", "college_quorum": None})

        assert rule.college_quorum is None

    @pytest.mark.parametrize("share", ["0", "5/4", "-1/4", "un quart", True, None])
    def test_refuses_a_share_outside_zero_excluded_to_one(self, share: object) -> None:
        with pytest.raises(InvalidInput, match="quorum"):
            QuorumRule.from_mapping({"quorum": share})

    def test_refuses_more_than_the_whole_body(self) -> None:
        with pytest.raises(InvalidInput, match="1 exclu"):
            QuorumRule.from_mapping({"quorum": 1, "strictly_more": True})

    @pytest.mark.parametrize("count", [-1, 1.5, True, "2"])
    def test_refuses_a_maximum_of_proxies_that_is_not_a_whole_number(self, count: object) -> None:
        with pytest.raises(InvalidInput, match="max_proxies"):
            QuorumRule.from_mapping({"quorum": "1/4", "max_proxies": count})

    def test_refuses_a_flag_that_is_not_true_or_false(self) -> None:
        with pytest.raises(InvalidInput, match="proxies_count"):
            QuorumRule.from_mapping({"quorum": "1/4", "proxies_count": "oui"})

    def test_refuses_an_unknown_key_so_that_a_typo_is_not_ignored(self) -> None:
        with pytest.raises(InvalidInput, match="max_proxy"):
            QuorumRule.from_mapping({"quorum": "1/4", "max_proxy": 2})

    def test_refuses_a_rule_without_a_quorum(self) -> None:
        with pytest.raises(InvalidInput, match="quorum"):
            QuorumRule.from_mapping({"max_proxies": 2})

    def test_names_the_body_whose_rule_is_wrong(self) -> None:
        with pytest.raises(InvalidInput, match=r"^Règle de quorum \(conseil d'administration\)"):
            quorum_rules({"ag": {"quorum": "1/4"}, "ca": {"quorum": "3/2"}})

    def test_has_no_rule_for_the_comite_des_financeurs(self) -> None:
        with pytest.raises(InvalidInput, match="comite_financeurs"):
            quorum_rules({"comite_financeurs": {"quorum": "1/2"}})

    def test_defaults_cover_the_three_deciding_bodies(self) -> None:
        assert set(DEFAULT_QUORUM_RULES) == {BodyKind.AG, BodyKind.CA, BodyKind.BUREAU}

    def test_refuses_bylaws_that_leave_a_deciding_body_without_a_rule_and_names_it(self) -> None:
        with pytest.raises(InvalidInput, match="« bureau » manque") as refused:
            quorum_rules({"ag": {"quorum": "1/4"}, "ca": {"quorum": "1/2"}})

        assert refused.value.details == {"field": "bureau"}


class TestQuorumThreshold:
    def test_three_present_out_of_ten_reach_a_quarter_rounded_up(self) -> None:
        members = seats(10)

        result = quorum(AG, members, sign_in(AG, members, members[:3]), QUARTER)

        assert result.reached and result.reasons == ()
        assert result.total.required == 3

    def test_two_present_out_of_ten_miss_a_quarter_and_say_why(self) -> None:
        members = seats(10)

        result = quorum(AG, members, sign_in(AG, members, members[:2]), QUARTER)

        assert not result.reached
        assert result.reasons == (
            "assemblée générale : 2 présents ou représentés sur 10, il en faut au moins 3.",
        )

    def test_more_than_half_of_twelve_needs_seven_where_half_needs_six(self) -> None:
        members = seats(12, None, body=BodyKind.CA)
        six = sign_in(CA, members, members[:6])
        half, more_than_half = (
            QuorumRule(Fraction(1, 2)),
            QuorumRule(Fraction(1, 2), strictly_more=True),
        )

        assert quorum(CA, members, six, half).reached
        assert not quorum(CA, members, six, more_than_half).reached
        assert quorum(CA, members, sign_in(CA, members, members[:7]), more_than_half).reached

    def test_a_body_without_any_deliberative_member_cannot_deliberate(self) -> None:
        result = quorum(CA, [], Attendance(), QUARTER)

        assert not result.reached
        assert result.reasons == ("conseil d'administration : aucun membre n'a voix délibérative.",)

    def test_refuses_to_count_a_quorum_for_the_comite_des_financeurs(self) -> None:
        meeting = Meeting(BodyKind.COMITE_FINANCEURS, HELD_ON)
        funders = seats(3, None, body=BodyKind.COMITE_FINANCEURS)

        with pytest.raises(InvalidInput, match="comité des financeurs"):
            quorum(meeting, funders, sign_in(meeting, funders, funders), QUARTER)


class TestCollegeMinimum:
    RULE = QuorumRule(Fraction(1, 4), college_quorum=Fraction(1, 3))

    def test_fails_when_one_college_is_short_even_though_the_total_passes(self) -> None:
        elus, acteurs = seats(12, ELUS), seats(12, ACTEURS)
        attendance = sign_in(AG, elus + acteurs, elus[:3] + acteurs[:9])

        result = quorum(AG, elus + acteurs, attendance, self.RULE)

        assert result.total.counted >= result.total.required
        assert not result.reached
        assert result.reasons == (
            "collège des élus : 3 présents ou représentés sur 12, il en faut au moins 4.",
        )

    def test_counts_members_present_represented_and_votes_college_by_college(self) -> None:
        elus, acteurs = seats(12, ELUS), seats(6, ACTEURS)
        attendance = sign_in(
            AG,
            elus + acteurs,
            elus[:3] + acteurs[:2],
            [(elus[5], elus[0]), (acteurs[4], acteurs[0])],
        )

        result = quorum(AG, elus + acteurs, attendance, self.RULE)

        assert result.colleges == {
            ELUS: Tally(members=12, present=3, represented=1, counted=4, required=4),
            ACTEURS: Tally(members=6, present=2, represented=1, counted=3, required=2),
        }
        assert result.total == Tally(18, 5, 2, 7, 5)
        assert (result.colleges[ELUS].votes, result.total.votes) == (4, 7)
        assert result.reached

    def test_members_outside_the_colleges_count_in_the_total_only(self) -> None:
        elus, others = seats(2, ELUS, body=BodyKind.CA), seats(2, None, body=BodyKind.CA)

        result = quorum(CA, elus + others, sign_in(CA, elus + others, others), self.RULE)

        assert set(result.colleges) == {ELUS}
        assert (result.total.members, result.total.present) == (4, 2)
        assert result.reasons == (
            "collège des élus : 0 présent ou représenté sur 2, il en faut au moins 1.",
        )


class TestProxies:
    def test_a_represented_member_counts_toward_quorum(self) -> None:
        members = seats(10)
        attendance = sign_in(AG, members, members[:2], [(members[5], members[0])])

        result = quorum(AG, members, attendance, QUARTER)

        assert (result.total.present, result.total.represented, result.reached) == (2, 1, True)

    def test_do_not_count_toward_quorum_when_the_bylaws_say_so_yet_still_carry_a_vote(
        self,
    ) -> None:
        members, rule = seats(10), QuorumRule(Fraction(1, 4), proxies_count=False)
        attendance = sign_in(AG, members, members[:2], [(members[5], members[0])], rule)

        result = quorum(AG, members, attendance, rule)

        assert not result.reached
        assert result.reasons == ("assemblée générale : 2 présents sur 10, il en faut au moins 3.",)
        assert result.total.votes == 3

    def test_refuses_a_third_proxy_when_the_bylaws_allow_two(self) -> None:
        members = seats(10)
        attendance = sign_in(AG, members, members[:1], [(members[1], members[0])])
        attendance.record_proxy(members[2].person_id, members[0].person_id, AG, members, QUARTER)

        with pytest.raises(Conflict, match="3 procurations"):
            attendance.record_proxy(
                members[3].person_id, members[0].person_id, AG, members, QUARTER
            )
        assert len(attendance.proxies) == 2

    def test_refuses_a_proxy_to_a_member_who_has_not_signed_in(self) -> None:
        members = seats(4)

        with pytest.raises(Conflict, match="mandataire doit être inscrit présent"):
            sign_in(AG, members, [], [(members[1], members[0])])

    def test_refuses_a_proxy_from_a_member_who_is_present(self) -> None:
        members = seats(4)

        with pytest.raises(Conflict, match="mandant est inscrit présent"):
            sign_in(AG, members, members[:2], [(members[1], members[0])])

    def test_refuses_to_sign_in_a_member_who_gave_a_proxy_until_it_is_withdrawn(self) -> None:
        members = seats(4)
        attendance = sign_in(AG, members, members[:1], [(members[1], members[0])])

        with pytest.raises(Conflict, match="a donné procuration"):
            attendance.record_presence(members[1].person_id, AG, members)
        attendance.withdraw_proxy(members[1].person_id)
        attendance.record_presence(members[1].person_id, AG, members)

        result = quorum(AG, members, attendance, QUARTER)
        assert (result.total.present, result.total.represented, result.total.votes) == (2, 0, 2)

    def test_refuses_a_second_proxy_from_the_same_member_and_ignores_a_repeat(self) -> None:
        members = seats(4)
        attendance = sign_in(AG, members, members[:2], [(members[3], members[0])] * 2)

        with pytest.raises(Conflict, match="déjà donné procuration"):
            attendance.record_proxy(
                members[3].person_id, members[1].person_id, AG, members, QUARTER
            )
        assert attendance.proxies == {members[3].person_id: members[0].person_id}

    def test_refuses_a_proxy_to_another_college_when_the_bylaws_keep_them_within(self) -> None:
        elu, acteur = seat(ELUS), seat(ACTEURS)
        rule = QuorumRule(Fraction(1, 4), proxies_within_college=True)

        with pytest.raises(InvalidInput, match="même collège"):
            sign_in(AG, [elu, acteur], [elu], [(acteur, elu)], rule)

    def test_counts_a_proxy_from_another_college_in_the_givers_college(self) -> None:
        elus, acteurs = seats(2, ELUS), seats(2, ACTEURS)
        attendance = sign_in(AG, elus + acteurs, elus[:1], [(acteurs[0], elus[0])])

        result = quorum(AG, elus + acteurs, attendance, QUARTER)

        assert (result.colleges[ELUS].votes, result.colleges[ACTEURS].votes) == (1, 1)

    def test_refuses_any_proxy_when_the_bylaws_allow_none(self) -> None:
        members, rule = seats(4), QuorumRule(Fraction(1, 2), max_proxies=0)

        with pytest.raises(InvalidInput, match="n'autorisent pas les procurations"):
            sign_in(AG, members, members[:1], [(members[1], members[0])], rule)

    def test_refuses_a_proxy_to_oneself(self) -> None:
        members = seats(4)

        with pytest.raises(InvalidInput, match="lui-même"):
            sign_in(AG, members, members[:1], [(members[0], members[0])])

    def test_refuses_to_count_a_sheet_that_no_longer_holds(self) -> None:
        a, b, c = members = seats(3)
        absent_holder = Attendance(present={a.person_id}, proxies={b.person_id: c.person_id})
        counted_twice = Attendance(
            present={a.person_id, b.person_id}, proxies={b.person_id: a.person_id}
        )

        with pytest.raises(Conflict, match="mandataire doit être inscrit présent"):
            quorum(AG, members, absent_holder, QUARTER)
        with pytest.raises(Conflict, match="a donné procuration"):
            quorum(AG, members, counted_twice, QUARTER)


class TestWhoCounts:
    def test_a_personne_qualifiee_signs_in_but_never_counts(self) -> None:
        board = seats(4, None, body=BodyKind.CA)
        qualified = seats(2, None, body=BodyKind.CA, voice=Voice.CONSULTATIVE)
        attendance = sign_in(CA, board + qualified, board[:1] + qualified)

        result = quorum(CA, board + qualified, attendance, QuorumRule(Fraction(1, 2)))

        assert result.consultative_present == 2
        assert result.total == Tally(members=4, present=1, represented=0, counted=1, required=2)
        assert not result.reached

    def test_a_personne_qualifiee_can_neither_give_nor_hold_a_proxy(self) -> None:
        member, qualified = seat(), seat(voice=Voice.CONSULTATIVE)

        with pytest.raises(InvalidInput, match="mandataire n'a pas voix délibérative"):
            sign_in(AG, [member, qualified], [qualified], [(member, qualified)])
        with pytest.raises(InvalidInput, match="mandant n'a pas voix délibérative"):
            sign_in(AG, [member, qualified], [member], [(qualified, member)])

    def test_a_mandate_that_ended_the_day_before_neither_counts_nor_signs_in(self) -> None:
        current, ended = seat(), seat(end=date(2026, 6, 17))

        with pytest.raises(InvalidInput, match="pas de mandat en cours"):
            sign_in(AG, [current, ended], [ended])
        assert quorum(AG, [current, ended], Attendance(), QUARTER).total.members == 1

    def test_a_mandate_starting_the_day_after_neither_counts_nor_signs_in(self) -> None:
        current, future = seat(), seat(start=date(2026, 6, 19))

        with pytest.raises(InvalidInput, match="pas de mandat en cours"):
            sign_in(AG, [current, future], [future])
        assert quorum(AG, [current, future], Attendance(), QUARTER).total.members == 1

    def test_a_mandate_ending_on_the_meeting_day_still_counts(self) -> None:
        last_day = seat(end=HELD_ON)

        assert quorum(AG, [last_day], sign_in(AG, [last_day], [last_day]), QUARTER).reached

    def test_a_mandate_in_another_body_does_not_let_its_holder_sign_in(self) -> None:
        board, bureau = seat(None, body=BodyKind.CA), seat(None, body=BodyKind.BUREAU)

        with pytest.raises(InvalidInput, match="pas de mandat en cours"):
            sign_in(CA, [board, bureau], [bureau])

    def test_signing_in_twice_counts_once(self) -> None:
        members = seats(8)

        result = quorum(AG, members, sign_in(AG, members, [members[0]] * 2), QUARTER)

        assert (result.total.present, result.reached) == (1, False)

    def test_one_person_has_one_voice_even_with_a_consultative_seat_too(self) -> None:
        member = seat()
        also_qualified = Mandate(
            member.person_id, BodyKind.AG, None, "personne qualifiée", Voice.CONSULTATIVE, HELD_ON
        )
        mandates = [member, also_qualified]

        result = quorum(AG, mandates, sign_in(AG, mandates, [member]), QUARTER)

        assert (result.total.members, result.total.present, result.consultative_present) == (
            1,
            1,
            0,
        )

    def test_two_deliberative_seats_of_one_person_in_one_body_are_a_conflict(self) -> None:
        member = seat(ELUS)
        twice = Mandate(
            member.person_id, BodyKind.AG, ACTEURS, "membre", Voice.DELIBERATIVE, HELD_ON
        )

        with pytest.raises(Conflict, match="deux mandats délibératifs"):
            quorum(AG, [member, twice], Attendance(), QUARTER)


class TestSecondConvocation:
    WAIVED = QuorumRule(Fraction(1, 4), second_convocation_without_quorum=True)

    def test_needs_no_quorum_when_the_bylaws_waive_it(self) -> None:
        members, meeting = seats(10), Meeting(BodyKind.AG, HELD_ON, second_convocation=True)

        result = quorum(meeting, members, sign_in(meeting, members, members[:1]), self.WAIVED)

        assert result.reached and result.reasons == ()
        assert (result.total.required, result.total.present) == (0, 1)

    def test_the_first_convocation_still_needs_it(self) -> None:
        members = seats(10)

        assert not quorum(AG, members, sign_in(AG, members, members[:1]), self.WAIVED).reached

    def test_still_needs_quorum_when_the_bylaws_do_not_waive_it(self) -> None:
        members, meeting = seats(10), Meeting(BodyKind.AG, HELD_ON, second_convocation=True)

        assert not quorum(meeting, members, sign_in(meeting, members, members[:1]), QUARTER).reached


class TestSeatKinds:
    def test_a_personne_qualifiee_sits_with_a_consultative_voice_unless_told_otherwise(
        self,
    ) -> None:
        assert voice_for(SeatKind.PERSONNE_QUALIFIEE) == Voice.CONSULTATIVE
        assert voice_for(SeatKind.MEMBER) == Voice.DELIBERATIVE
        assert voice_for(SeatKind.MEMBER, Voice.CONSULTATIVE) == Voice.CONSULTATIVE

    def test_refuses_a_personne_qualifiee_with_a_deliberative_voice(self) -> None:
        with pytest.raises(InvalidInput, match="voix consultative seulement"):
            Mandate(
                uuid.uuid4(),
                BodyKind.CA,
                None,
                "personne qualifiée",
                Voice.DELIBERATIVE,
                HELD_ON,
                kind=SeatKind.PERSONNE_QUALIFIEE,
            )

    def test_refuses_a_seat_at_the_comite_des_financeurs_that_represents_no_organisation(
        self,
    ) -> None:
        with pytest.raises(InvalidInput, match="organisation financeuse") as refused:
            Mandate(
                uuid.uuid4(), BodyKind.COMITE_FINANCEURS, None, "État", Voice.DELIBERATIVE, HELD_ON
            )

        assert refused.value.details == {"field": "organisation_id"}

    def test_lets_a_seat_elsewhere_represent_an_organisation_or_none(self) -> None:
        city = uuid.uuid4()
        board = Mandate(
            uuid.uuid4(),
            BodyKind.CA,
            None,
            "Rennes",
            Voice.DELIBERATIVE,
            HELD_ON,
            organisation_id=city,
        )

        assert seat().organisation_id is None
        assert board.organisation_id == city


class TestOverlappingMandates:
    def test_refuses_a_second_deliberative_mandate_of_one_person_in_one_body_that_overlaps(
        self,
    ) -> None:
        first = seat(start=date(2024, 6, 20), end=date(2027, 6, 19))
        second = Mandate(
            first.person_id, BodyKind.AG, ACTEURS, "membre", Voice.DELIBERATIVE, date(2027, 6, 19)
        )

        with pytest.raises(Conflict, match=r"du 20/06/2024 au 19/06/2027") as refused:
            check_no_overlap(second, [first])
        assert refused.value.details == {"mandate_id": str(first.id)}

    def test_an_open_ended_mandate_overlaps_every_later_one(self) -> None:
        first = seat(start=date(2024, 6, 20))
        later = Mandate(
            first.person_id, BodyKind.AG, ELUS, "membre", Voice.DELIBERATIVE, date(2031, 1, 1)
        )

        with pytest.raises(Conflict, match="depuis le 20/06/2024"):
            check_no_overlap(later, [first])

    def test_accepts_a_mandate_starting_the_day_after_the_previous_one_ended(self) -> None:
        first = seat(start=date(2024, 6, 20), end=date(2027, 6, 19))
        renewed = Mandate(
            first.person_id, BodyKind.AG, ELUS, "membre", Voice.DELIBERATIVE, date(2027, 6, 20)
        )

        check_no_overlap(renewed, [first])

    def test_accepts_overlaps_in_another_body_with_a_consultative_voice_or_of_someone_else(
        self,
    ) -> None:
        first = seat(start=date(2024, 6, 20))
        board = Mandate(
            first.person_id, BodyKind.CA, None, "trésorière", Voice.DELIBERATIVE, HELD_ON
        )
        qualified = Mandate(
            first.person_id, BodyKind.AG, None, "experte", Voice.CONSULTATIVE, HELD_ON
        )

        for other in (board, qualified, seat(start=HELD_ON)):
            check_no_overlap(other, [first])

    def test_a_mandate_whose_end_changes_does_not_overlap_itself(self) -> None:
        mandate = seat(start=date(2024, 6, 20))

        check_no_overlap(mandate.ending(date(2026, 6, 30)), [mandate])


class TestEndingAMandate:
    def test_sets_its_last_day_and_keeps_its_identity(self) -> None:
        mandate = seat(start=date(2024, 6, 20))

        ended = mandate.ending(date(2026, 6, 30))

        assert (ended.id, ended.end) == (mandate.id, date(2026, 6, 30))
        assert ended.is_active(date(2026, 6, 30)) and not ended.is_active(date(2026, 7, 1))

    def test_refuses_to_end_before_its_first_day(self) -> None:
        with pytest.raises(InvalidInput, match="finir avant de commencer"):
            seat(start=date(2024, 6, 20)).ending(date(2024, 6, 19))

    def test_refuses_to_end_before_a_meeting_its_holder_signed_in_to(self) -> None:
        members = seats(4)
        meeting = Meeting(BodyKind.AG, HELD_ON, title="AG ordinaire")
        sheet = sign_in(meeting, members, members[:1])

        with pytest.raises(Conflict, match=r"réunion du 18/06/2026 \(AG ordinaire\)"):
            check_sheets_still_hold(
                members[0].ending(date(2026, 6, 17)),
                [(meeting, sheet, members)],
                DEFAULT_QUORUM_RULES,
            )
        check_sheets_still_hold(
            members[0].ending(HELD_ON), [(meeting, sheet, members)], DEFAULT_QUORUM_RULES
        )

    def test_refuses_to_end_the_mandate_of_a_proxy_giver_before_the_meeting(self) -> None:
        members = seats(4)
        sheet = sign_in(AG, members, members[:1], [(members[1], members[0])])

        with pytest.raises(Conflict, match="feuille de présence"):
            check_sheets_still_hold(
                members[1].ending(date(2026, 1, 1)), [(AG, sheet, members)], DEFAULT_QUORUM_RULES
            )


class TestSignInSheet:
    def test_strikes_off_someone_present_and_leaves_the_others(self) -> None:
        members = seats(4)
        attendance = sign_in(AG, members, members[:2])

        attendance.remove_presence(members[0].person_id)
        attendance.remove_presence(members[3].person_id)  # never signed in: nothing to do

        assert attendance.present == {members[1].person_id}

    def test_refuses_to_strike_off_a_proxy_holder_until_the_proxies_are_withdrawn(self) -> None:
        members = seats(4)
        attendance = sign_in(AG, members, members[:1], [(members[1], members[0])])

        with pytest.raises(Conflict, match="détient des procurations"):
            attendance.remove_presence(members[0].person_id)
        attendance.withdraw_proxy(members[1].person_id)
        attendance.remove_presence(members[0].person_id)

        assert attendance == Attendance()

    def test_says_who_is_present_represented_or_absent(self) -> None:
        members = seats(3)
        attendance = sign_in(AG, members, members[:1], [(members[1], members[0])])

        assert [attendance.status(m.person_id) for m in members] == [
            "present",
            "represented",
            "absent",
        ]

    def test_the_comite_des_financeurs_signs_in_but_takes_no_proxy(self) -> None:
        meeting = Meeting(BodyKind.COMITE_FINANCEURS, HELD_ON)
        funders = seats(2, None, body=BodyKind.COMITE_FINANCEURS)
        attendance = sign_in(meeting, funders, funders[:1])
        rule = rule_for(meeting.body, DEFAULT_QUORUM_RULES)

        with pytest.raises(InvalidInput, match="on n'y donne pas procuration"):
            attendance.record_proxy(
                funders[1].person_id, funders[0].person_id, meeting, funders, rule
            )
        assert rule is None and attendance.present == {funders[0].person_id}
