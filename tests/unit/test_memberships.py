"""Memberships: the fee schedule, the yearly lifecycle on a fixed clock, and who is covered."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.members.domain.fees import DEFAULT_FEE_SCHEDULE, FeeSchedule, InvalidFeeSchedule
from services.members.domain.memberships import (
    Affiliation,
    MemberRef,
    Membership,
    MembershipActivated,
    MembershipEnteredGrace,
    MembershipLapsed,
    MembershipRenewed,
    MembershipStatus,
    MembershipStatusChanged,
    PaymentMethod,
    StatusChange,
    is_covered,
    renewal_of,
)
from services.runtime.errors import Conflict, InvalidInput

PENDING, ACTIVE = MembershipStatus.PENDING, MembershipStatus.ACTIVE
GRACE, LAPSED = MembershipStatus.GRACE, MembershipStatus.LAPSED
STAFF = "accueil@crpv.example.org"
OPENED = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
LATER = datetime(2027, 2, 3, 14, 30, tzinfo=UTC)
GRACE_UNTIL = date(2028, 3, 31)

SCHEDULE_DATA: dict[str, Any] = {
    "organisations": {
        "default": "100.00",
        "by_kind": {"association": "30.00"},
        "by_population": [
            {
                "kinds": ["commune", "epci"],
                "brackets": [
                    {"up_to_population": 10_000, "fee": "100.00"},
                    {"up_to_population": 50_000, "fee": "300.00"},
                    {"up_to_population": None, "fee": "600.00"},
                ],
            }
        ],
    },
    "people": {"default": "20.00", "by_kind": {"inhabitant": "0.00"}},
}
SCHEDULE = FeeSchedule.from_mapping(SCHEDULE_DATA)


def an_association(year: int = 2027) -> Membership:
    """Opened on OPENED with 30.00 € dues, pending."""
    membership, _ = Membership.open(
        member=MemberRef("organisation", uuid.uuid4()),
        member_kind="association",
        population=None,
        year=year,
        schedule=SCHEDULE,
        now=OPENED,
        by=STAFF,
    )
    return membership


def pay(
    membership: Membership, amount: str, *, sequence: int = 42, now: datetime = LATER
) -> MembershipStatusChanged | None:
    return membership.record_payment(
        amount=Decimal(amount),
        paid_on=now.date(),
        method=PaymentMethod.TRANSFER,
        reference="VIR 2027-118",
        receipt_sequence=sequence,
        now=now,
        by=STAFF,
    )


def paid_association(year: int = 2027) -> Membership:
    membership = an_association(year)
    pay(membership, "30.00")
    return membership


def at(day: date, hour: int = 8) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def with_schedule(**changes: Any) -> dict[str, Any]:
    """SCHEDULE_DATA with the organisations' tariff changed."""
    return {**SCHEDULE_DATA, "organisations": {**SCHEDULE_DATA["organisations"], **changes}}


def communes(*brackets: dict[str, Any]) -> dict[str, Any]:
    return with_schedule(by_population=[{"kinds": ["commune"], "brackets": list(brackets)}])


class TestFeeSchedule:
    def test_charges_a_kind_its_own_fee(self) -> None:
        assert SCHEDULE.fee_for("organisation", "association") == Decimal("30.00")
        assert SCHEDULE.fee_for("person", "inhabitant") == Decimal("0.00")

    def test_charges_other_kinds_the_default_of_their_member_type(self) -> None:
        assert SCHEDULE.fee_for("organisation", "other") == Decimal("100.00")
        assert SCHEDULE.fee_for("person", "other") == Decimal("20.00")

    @pytest.mark.parametrize(
        ("population", "fee"),
        [
            (0, "100.00"),
            (10_000, "100.00"),
            (10_001, "300.00"),
            (50_000, "300.00"),
            (50_001, "600.00"),
            (2_500_000, "600.00"),
        ],
    )
    def test_charges_a_local_authority_by_population_bracket_caps_included(
        self, population: int, fee: str
    ) -> None:
        assert SCHEDULE.fee_for("organisation", "epci", population) == Decimal(fee)

    def test_refuses_to_price_a_local_authority_without_its_population(self) -> None:
        with pytest.raises(InvalidInput, match="La population est nécessaire") as refused:
            SCHEDULE.fee_for("organisation", "commune")

        assert refused.value.details == {"field": "population"}

    def test_refuses_a_negative_population(self) -> None:
        with pytest.raises(InvalidInput, match="négative"):
            SCHEDULE.fee_for("organisation", "commune", -1)

    def test_ignores_a_population_for_a_kind_with_a_flat_fee(self) -> None:
        assert SCHEDULE.fee_for("organisation", "association", 80_000) == Decimal("30.00")

    def test_reads_a_json_file_with_numbers_and_null_as_it_comes(self) -> None:
        schedule = FeeSchedule.from_mapping(
            json.loads(
                '{"organisations": {"default": 100, "by_population": [{"kinds": ["commune"],'
                ' "brackets": [{"up_to_population": 5000, "fee": 45.5},'
                ' {"up_to_population": null, "fee": 90}]}]}, "people": {"default": "15"}}'
            )
        )

        assert schedule.fee_for("organisation", "commune", 5_000) == Decimal("45.50")
        assert schedule.fee_for("organisation", "commune", 5_001) == Decimal("90.00")
        assert schedule.fee_for("person", "researcher") == Decimal("15.00")

    def test_default_schedule_prices_every_kind_of_member(self) -> None:
        organisations = ["state_service", "social_landlord", "association", "social_centre"]
        people = [
            "elected_official",
            "project_leader",
            "state_agent",
            "professional",
            "researcher",
            "inhabitant",
            "other",
        ]
        for kind in [*organisations, "other"]:
            assert DEFAULT_FEE_SCHEDULE.fee_for("organisation", kind) >= 0
        for kind in ["commune", "epci", "departement", "region"]:
            assert DEFAULT_FEE_SCHEDULE.fee_for("organisation", kind, 12_000) > 0
            with pytest.raises(InvalidInput):
                DEFAULT_FEE_SCHEDULE.fee_for("organisation", kind)
        for kind in people:
            assert DEFAULT_FEE_SCHEDULE.fee_for("person", kind) >= 0

    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            (
                communes(
                    {"up_to_population": 10_000, "fee": "1"},
                    {"up_to_population": 50_000, "fee": "2"},
                ),
                "sans plafond",
            ),
            (communes({"fee": "1"}, {"fee": "2"}), "strictement croissants"),
            (
                communes(
                    {"up_to_population": 50_000, "fee": "1"},
                    {"up_to_population": 10_000, "fee": "2"},
                    {"fee": "3"},
                ),
                "strictement croissants",
            ),
            (
                communes({"up_to_population": 0, "fee": "1"}, {"fee": "3"}),
                "strictement croissants",
            ),
            (communes(), "sans plafond"),
            (with_schedule(default="-5.00"), "« default » est négative"),
            (with_schedule(by_kind={"association": "-1"}), "« association » est négative"),
            (communes({"up_to_population": 10, "fee": "-1"}, {"fee": "3"}), "« commune » est"),
            (with_schedule(default="12.345"), "centime près"),
            (with_schedule(default="douze"), "centime près"),
            (with_schedule(by_kind={"commune": "5"}), "« commune » a un tarif fixe et des"),
            (
                with_schedule(
                    by_population=[
                        {"kinds": ["commune"], "brackets": [{"fee": "1"}]},
                        {"kinds": ["commune"], "brackets": [{"fee": "2"}]},
                    ]
                ),
                "tarifé deux fois",
            ),
            (with_schedule(by_knd={"association": "30.00"}), "clé inconnue « organisations.by_knd"),
            ({**SCHEDULE_DATA, "organisation": {}}, "clé inconnue « barème.organisation"),
            ({"organisations": SCHEDULE_DATA["organisations"]}, "« people » doit être une table"),
            ({**SCHEDULE_DATA, "people": {"by_kind": {}}}, "« people.default » manque"),
            (with_schedule(by_population=[{"brackets": [{"fee": "1"}]}]), "kinds » manque"),
        ],
    )
    def test_refuses_an_inconsistent_schedule_saying_why(
        self, data: dict[str, Any], reason: str
    ) -> None:
        with pytest.raises(InvalidFeeSchedule, match=reason):
            FeeSchedule.from_mapping(data)


class TestOpenMembership:
    def test_opens_a_pending_membership_with_the_dues_of_the_schedule(self) -> None:
        member = MemberRef("organisation", uuid.uuid4())
        membership, events = Membership.open(
            member=member,
            member_kind="commune",
            population=23_000,
            year=2027,
            schedule=SCHEDULE,
            now=OPENED,
            by=STAFF,
        )

        assert (membership.member, membership.year) == (member, 2027)
        assert (membership.status, membership.dues, membership.outstanding) == (
            PENDING,
            Decimal("300.00"),
            Decimal("300.00"),
        )
        assert events == []
        assert membership.history == [
            StatusChange(OPENED, None, PENDING, "adhésion ouverte", STAFF)
        ]

    def test_activates_a_free_membership_at_once_without_waiver_or_receipt(self) -> None:
        membership, events = Membership.open(
            member=MemberRef("person", uuid.uuid4()),
            member_kind="inhabitant",
            population=None,
            year=2027,
            schedule=SCHEDULE,
            now=OPENED,
        )

        assert membership.status is ACTIVE
        assert (membership.waived, membership.receipt_number) == (False, None)
        assert membership.history[-1] == StatusChange(
            OPENED, PENDING, ACTIVE, "cotisation nulle", None
        )
        assert events == [
            MembershipActivated(
                membership.id, membership.member, 2027, ACTIVE, PENDING, occurred_at=OPENED
            )
        ]


class TestRecordPayment:
    def test_keeps_a_partly_paid_membership_pending(self) -> None:
        membership = an_association()

        assert pay(membership, "10.00") is None
        assert membership.status is PENDING
        assert (membership.paid, membership.outstanding) == (Decimal("10.00"), Decimal("20.00"))
        assert membership.receipt_number is None

    def test_activates_the_membership_and_numbers_the_receipt_when_the_rest_is_paid(self) -> None:
        membership = an_association()
        pay(membership, "10.00", sequence=41)

        event = pay(membership, "20.00", sequence=42)

        assert membership.status is ACTIVE
        assert membership.receipt_number == "2027-000042"
        assert membership.outstanding == Decimal("0.00")
        assert event == MembershipActivated(
            membership.id, membership.member, 2027, ACTIVE, PENDING, occurred_at=LATER
        )
        assert membership.history[-1] == StatusChange(
            LATER, PENDING, ACTIVE, "cotisation réglée", STAFF
        )

    def test_records_what_was_paid_when_how_and_by_whom(self) -> None:
        membership = an_association()

        membership.record_payment(
            amount=Decimal("30"),
            paid_on=date(2027, 1, 28),
            method=PaymentMethod.ADMINISTRATIVE_MANDATE,
            reference="  Mandat n° 2027-0815 ",
            receipt_sequence=7,
            now=LATER,
            by=STAFF,
        )

        (payment,) = membership.payments
        assert (payment.amount, payment.paid_on, payment.method, payment.reference) == (
            Decimal("30.00"),
            date(2027, 1, 28),
            PaymentMethod.ADMINISTRATIVE_MANDATE,
            "Mandat n° 2027-0815",
        )
        assert (payment.recorded_at, payment.recorded_by) == (LATER, STAFF)

    def test_keeps_an_overpayment_and_its_single_receipt(self) -> None:
        membership = paid_association()

        assert pay(membership, "15.00", sequence=43) is None
        assert membership.paid == Decimal("45.00")
        assert membership.receipt_number == "2027-000042"
        assert membership.status is ACTIVE

    def test_reactivates_a_lapsed_membership_paid_late(self) -> None:
        membership = an_association()
        membership.advance(at(date(2028, 4, 1)), GRACE_UNTIL)

        event = pay(membership, "30.00", now=at(date(2028, 4, 10)))

        assert isinstance(event, MembershipActivated)
        assert (event.previous_status, membership.status) == (LAPSED, ACTIVE)

    def test_numbers_the_receipt_of_a_membership_staff_activated_before_payment(self) -> None:
        membership = an_association()
        membership.override(ACTIVE, "virement annoncé par la mairie", OPENED, STAFF)

        assert pay(membership, "30.00") is None
        assert membership.receipt_number == "2027-000042"

    @pytest.mark.parametrize("amount", ["0", "-10.00"])
    def test_refuses_a_payment_that_is_not_positive(self, amount: str) -> None:
        membership = an_association()

        with pytest.raises(InvalidInput, match="positif"):
            pay(membership, amount)
        assert membership.payments == []

    def test_refuses_an_amount_finer_than_a_cent(self) -> None:
        with pytest.raises(InvalidInput, match="centime près"):
            pay(an_association(), "10.005")

    def test_refuses_a_payment_dated_in_the_future(self) -> None:
        membership = an_association()

        with pytest.raises(InvalidInput, match="futur"):
            membership.record_payment(
                amount=Decimal("30.00"),
                paid_on=date(2027, 2, 4),
                method=PaymentMethod.CHEQUE,
                reference="chèque 1234567",
                receipt_sequence=1,
                now=LATER,
                by=STAFF,
            )

    def test_refuses_a_payment_on_a_waived_membership(self) -> None:
        membership = an_association()
        membership.waive("association hébergée gracieusement", OPENED, STAFF)

        with pytest.raises(Conflict, match="exonérée"):
            pay(membership, "30.00")
        assert membership.payments == []


class TestWaive:
    def test_activates_without_payment_nor_receipt_and_says_why(self) -> None:
        membership = an_association()

        event = membership.waive("  conseil citoyen sans budget ", LATER, STAFF)

        assert isinstance(event, MembershipActivated)
        assert (membership.status, membership.waived, membership.receipt_number) == (
            ACTIVE,
            True,
            None,
        )
        assert membership.history[-1] == StatusChange(
            LATER, PENDING, ACTIVE, "conseil citoyen sans budget", STAFF
        )

    def test_requires_a_reason(self) -> None:
        membership = an_association()

        with pytest.raises(InvalidInput, match="motif"):
            membership.waive(" ", LATER, STAFF)
        assert (membership.status, membership.waived) == (PENDING, False)

    def test_refuses_to_waive_a_paid_membership(self) -> None:
        with pytest.raises(Conflict):
            paid_association().waive("erreur", LATER, STAFF)

    def test_refuses_to_waive_after_a_partial_payment(self) -> None:
        membership = an_association()
        pay(membership, "10.00")

        with pytest.raises(Conflict, match="sans paiement"):
            membership.waive("solde abandonné", LATER, STAFF)


class TestAdvance:
    def test_does_not_lapse_again_a_membership_reactivated_after_the_grace_period(self) -> None:
        membership = an_association()
        membership.advance(at(date(2028, 4, 1)), GRACE_UNTIL)
        pay(membership, "30.00", now=at(date(2028, 4, 10)))

        assert membership.advance(at(date(2028, 4, 11)), GRACE_UNTIL) is None
        assert membership.status is ACTIVE

    def test_leaves_a_paid_membership_active_until_the_end_of_its_year(self) -> None:
        membership = paid_association()

        assert membership.advance(datetime(2027, 12, 31, 23, 59, tzinfo=UTC), GRACE_UNTIL) is None
        assert membership.status is ACTIVE

    def test_puts_an_active_membership_in_grace_on_the_first_of_january(self) -> None:
        membership = paid_association()
        new_year = datetime(2028, 1, 1, 0, 5, tzinfo=UTC)

        event = membership.advance(new_year, GRACE_UNTIL)

        assert event == MembershipEnteredGrace(
            membership.id, membership.member, 2027, GRACE, ACTIVE, occurred_at=new_year
        )
        assert membership.history[-1] == StatusChange(
            new_year, ACTIVE, GRACE, "fin de l'année 2027", None
        )

    def test_keeps_the_grace_up_to_its_last_day_and_lapses_the_day_after(self) -> None:
        membership = paid_association()
        membership.advance(at(date(2028, 1, 2)), GRACE_UNTIL)

        assert membership.advance(at(GRACE_UNTIL, hour=23), GRACE_UNTIL) is None
        event = membership.advance(at(date(2028, 4, 1)), GRACE_UNTIL)

        assert isinstance(event, MembershipLapsed)
        assert (event.previous_status, membership.status) == (GRACE, LAPSED)

    def test_changes_a_status_once_however_often_it_runs(self) -> None:
        membership = paid_association()
        january = at(date(2028, 1, 5))
        april = at(date(2028, 4, 2))

        changes = [membership.advance(now, GRACE_UNTIL) for now in [january, january, april, april]]

        assert [type(c) for c in changes] == [
            MembershipEnteredGrace,
            type(None),
            MembershipLapsed,
            type(None),
        ]
        assert [c.to_status for c in membership.history] == [PENDING, ACTIVE, GRACE, LAPSED]

    def test_lapses_an_active_membership_at_once_when_first_run_after_the_grace(self) -> None:
        membership = paid_association()

        event = membership.advance(at(date(2028, 5, 1)), GRACE_UNTIL)

        assert isinstance(event, MembershipLapsed)
        assert event.previous_status is ACTIVE
        assert len(membership.history) == 3

    def test_keeps_an_unpaid_membership_pending_through_the_grace_then_lapses_it(self) -> None:
        membership = an_association()

        assert membership.advance(at(date(2028, 2, 1)), GRACE_UNTIL) is None
        assert membership.status is PENDING
        assert isinstance(membership.advance(at(date(2028, 4, 1)), GRACE_UNTIL), MembershipLapsed)

    def test_leaves_alone_a_membership_opened_ahead_for_next_year(self) -> None:
        membership = paid_association(year=2028)

        assert membership.advance(at(date(2027, 12, 20)), date(2029, 3, 31)) is None
        assert membership.status is ACTIVE

    def test_refuses_a_grace_end_outside_the_following_year(self) -> None:
        with pytest.raises(InvalidInput, match="finit en 2028"):
            paid_association().advance(LATER, date(2027, 3, 31))


class TestOverride:
    @pytest.mark.parametrize("reason", ["", "   \n"])
    def test_requires_a_reason(self, reason: str) -> None:
        membership = an_association()

        with pytest.raises(InvalidInput, match="motif est obligatoire"):
            membership.override(ACTIVE, reason, LATER, STAFF)
        assert membership.status is PENDING
        assert len(membership.history) == 1

    def test_records_who_when_from_what_to_what_and_why(self) -> None:
        membership = paid_association()

        event = membership.override(LAPSED, "dissolution de l'association", LATER, STAFF)

        assert isinstance(event, MembershipLapsed)
        assert membership.status is LAPSED
        assert membership.history[-1] == StatusChange(
            LATER, ACTIVE, LAPSED, "dissolution de l'association", STAFF
        )

    def test_activates_with_the_activation_event(self) -> None:
        event = an_association().override(ACTIVE, "paiement perdu par la banque", LATER, STAFF)

        assert isinstance(event, MembershipActivated)

    def test_refuses_to_set_the_status_it_already_has(self) -> None:
        with pytest.raises(Conflict, match="déjà"):
            an_association().override(PENDING, "relance", LATER, STAFF)

    def test_back_to_pending_lifts_a_waiver_so_the_dues_can_be_paid(self) -> None:
        membership = an_association()
        membership.waive("erreur de saisie", OPENED, STAFF)

        membership.override(PENDING, "exonération annulée par le bureau", LATER, STAFF)
        pay(membership, "30.00")

        assert (membership.waived, membership.status) == (False, ACTIVE)


class TestRenewal:
    def test_opens_next_year_at_the_current_schedule_and_says_the_dues_are_due(self) -> None:
        previous = paid_association()
        december = datetime(2027, 12, 1, 7, tzinfo=UTC)

        renewed, events = renewal_of(
            previous, member_kind="commune", population=12_000, schedule=SCHEDULE, now=december
        )

        assert (renewed.member, renewed.year, renewed.status) == (previous.member, 2028, PENDING)
        assert renewed.dues == Decimal("300.00")
        assert events == [
            MembershipRenewed(
                membership_id=renewed.id,
                previous_membership_id=previous.id,
                member=previous.member,
                year=2028,
                dues=Decimal("300.00"),
                status=PENDING,
                occurred_at=december,
            )
        ]

    def test_renews_a_free_membership_and_activates_it(self) -> None:
        previous, _ = Membership.open(
            member=MemberRef("person", uuid.uuid4()),
            member_kind="inhabitant",
            population=None,
            year=2027,
            schedule=SCHEDULE,
            now=OPENED,
        )
        previous.advance(at(date(2028, 1, 1)), GRACE_UNTIL)

        renewed, events = renewal_of(
            previous, member_kind="inhabitant", population=None, schedule=SCHEDULE, now=LATER
        )

        assert [type(e) for e in events] == [MembershipRenewed, MembershipActivated]
        assert renewed.status is ACTIVE

    @pytest.mark.parametrize("status", [PENDING, LAPSED])
    def test_refuses_to_renew_a_membership_that_gave_no_access(
        self, status: MembershipStatus
    ) -> None:
        previous = paid_association()
        previous.override(status, "test", LATER, STAFF)

        with pytest.raises(Conflict, match="active ou en période de grâce"):
            renewal_of(
                previous, member_kind="association", population=None, schedule=SCHEDULE, now=LATER
            )


class TestIsCovered:
    person = uuid.uuid4()
    organisation = uuid.uuid4()

    def membership(self, kind: str, status: MembershipStatus, year: int = 2027) -> Membership:
        holder = self.person if kind == "person" else self.organisation
        member = MemberRef("person" if kind == "person" else "organisation", holder)
        return Membership(uuid.uuid4(), member, year, Decimal("30.00"), status=status)

    def works_at(
        self, start: date = date(2027, 3, 1), end: date | None = None
    ) -> list[Affiliation]:
        return [Affiliation(self.person, self.organisation, "cheffe de projet", start, end)]

    def test_covers_a_person_with_their_own_active_membership(self) -> None:
        assert is_covered(self.person, date(2027, 6, 1), [self.membership("person", ACTIVE)], [])

    def test_does_not_cover_a_person_whose_membership_is_unpaid(self) -> None:
        assert not is_covered(
            self.person, date(2027, 6, 1), [self.membership("person", PENDING)], []
        )

    def test_covers_a_person_through_their_organisation_while_affiliated(self) -> None:
        memberships = [self.membership("organisation", ACTIVE)]

        assert is_covered(self.person, date(2027, 6, 1), memberships, self.works_at())

    def test_covers_from_the_first_to_the_last_day_of_the_affiliation(self) -> None:
        memberships = [self.membership("organisation", ACTIVE)]
        affiliations = self.works_at(start=date(2027, 3, 1), end=date(2027, 9, 30))

        assert not is_covered(self.person, date(2027, 2, 28), memberships, affiliations)
        assert is_covered(self.person, date(2027, 3, 1), memberships, affiliations)
        assert is_covered(self.person, date(2027, 9, 30), memberships, affiliations)
        assert not is_covered(self.person, date(2027, 10, 1), memberships, affiliations)

    def test_does_not_cover_through_an_organisation_whose_membership_lapsed(self) -> None:
        memberships = [self.membership("organisation", LAPSED)]

        assert not is_covered(self.person, date(2027, 6, 1), memberships, self.works_at())

    def test_does_not_cover_through_someone_elses_affiliation(self) -> None:
        memberships = [self.membership("organisation", ACTIVE)]
        colleague = [Affiliation(uuid.uuid4(), self.organisation, "élu", date(2027, 1, 1))]

        assert not is_covered(self.person, date(2027, 6, 1), memberships, colleague)

    def test_grace_covers_the_start_of_the_next_year(self) -> None:
        memberships = [self.membership("organisation", GRACE, year=2027)]

        assert is_covered(self.person, date(2028, 2, 15), memberships, self.works_at())

    def test_a_membership_covers_neither_the_year_before_nor_two_years_on(self) -> None:
        memberships = [self.membership("person", ACTIVE, year=2027)]

        assert not is_covered(self.person, date(2026, 12, 31), memberships, [])
        assert not is_covered(self.person, date(2029, 1, 1), memberships, [])

    def test_refuses_an_affiliation_that_ends_before_it_starts(self) -> None:
        with pytest.raises(InvalidInput, match="finir avant de commencer"):
            self.works_at(start=date(2027, 3, 1), end=date(2027, 2, 1))
