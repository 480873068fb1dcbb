"""Thematic networks: the seeded list, joining and leaving, staff decisions, rosters and local
correspondents found through the territorial reference."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.members.domain.networks import (
    SEEDED_NETWORKS,
    Correspondent,
    JoinRefused,
    JoinRequested,
    Network,
    NetworkJoined,
    NetworkLeft,
    NetworkMembership,
    NetworkMembershipStatus,
    NetworkStatusChange,
    TerritoryKind,
    appoint_correspondent,
    correspondents_for,
    end_appointments,
    join,
    reference_territory,
    repeated_appointment,
    roster,
    seeded_network,
)
from services.runtime.errors import Conflict, InvalidInput, NotFound

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(days=3)
MUCH_LATER = NOW + timedelta(days=40)
STAFF = "staff:claire"

OPEN = seeded_network("chefs-de-projet-politique-de-la-ville")
CLOSED = seeded_network("agents-de-l-etat-delegues-du-prefet")
Status = NetworkMembershipStatus
FIRST_ID, LAST_ID = uuid.UUID(int=1), uuid.UUID(int=2**128 - 1)  # ids sort against the dates


def member_of(
    network: Network, at: datetime = NOW, person_id: uuid.UUID | None = None
) -> NetworkMembership:
    membership, _ = join(network, person_id or uuid.uuid4(), at)
    if not network.open:
        membership.approve(STAFF, at)
    return membership


def requested(network: Network = CLOSED) -> NetworkMembership:
    membership, _ = join(network, uuid.uuid4(), NOW)
    return membership


class TestSeededNetworks:
    def test_seeds_the_eight_networks_of_the_centre_with_unique_slugs(self) -> None:
        slugs = [network.slug for network in SEEDED_NETWORKS]

        assert len(slugs) == 8
        assert len(set(slugs)) == 8

    def test_closes_only_the_state_agents_and_the_nantes_citizens_councils(self) -> None:
        closed = {network.slug for network in SEEDED_NETWORKS if not network.open}

        assert closed == {
            "agents-de-l-etat-delegues-du-prefet",
            "conseils-citoyens-de-la-metropole-nantaise",
        }

    def test_ties_the_nantes_citizens_councils_to_nantes_metropole(self) -> None:
        network = seeded_network("conseils-citoyens-de-la-metropole-nantaise")

        assert network.territory_epci == "244400404"
        assert [n.slug for n in SEEDED_NETWORKS if n.territory_epci] == [network.slug]

    def test_gives_every_network_a_french_name_and_description(self) -> None:
        assert all(n.name.strip() and n.description.strip() for n in SEEDED_NETWORKS)

    def test_reports_an_unknown_slug_as_not_found(self) -> None:
        with pytest.raises(NotFound):
            seeded_network("reseau-inexistant")

    def test_refuses_a_slug_with_capitals_or_spaces(self) -> None:
        with pytest.raises(InvalidInput):
            Network("Chefs de projet", "Chefs de projet", "…", open=True)


class TestJoin:
    def test_makes_the_person_a_member_of_an_open_network_at_once(self) -> None:
        person_id = uuid.uuid4()

        membership, event = join(OPEN, person_id, NOW)

        assert membership.status is Status.MEMBER
        assert event == NetworkJoined(OPEN.slug, person_id, NOW)

    def test_records_a_request_for_a_closed_network(self) -> None:
        person_id = uuid.uuid4()

        membership, event = join(CLOSED, person_id, NOW)

        assert membership.status is Status.REQUESTED
        assert event == JoinRequested(CLOSED.slug, person_id, NOW)

    def test_starts_the_history_with_the_join(self) -> None:
        membership, _ = join(OPEN, uuid.uuid4(), NOW)

        assert membership.history == [NetworkStatusChange(NOW, None, Status.MEMBER, None)]

    @pytest.mark.parametrize("network", [OPEN, CLOSED])
    def test_joining_again_while_in_progress_changes_nothing(self, network: Network) -> None:
        membership, _ = join(network, uuid.uuid4(), NOW)
        before = list(membership.history)

        again, event = join(network, membership.person_id, LATER, current=membership)

        assert again is membership
        assert event is None
        assert membership.history == before

    def test_refuses_a_membership_of_another_person(self) -> None:
        membership = member_of(OPEN)

        with pytest.raises(ValueError):
            join(OPEN, uuid.uuid4(), LATER, current=membership)


class TestApproveAndRefuse:
    def test_approval_makes_the_requester_a_member(self) -> None:
        membership = requested()

        event = membership.approve(STAFF, LATER)

        assert membership.status is Status.MEMBER
        assert event == NetworkJoined(CLOSED.slug, membership.person_id, LATER)
        assert membership.history[-1] == NetworkStatusChange(
            LATER, Status.REQUESTED, Status.MEMBER, STAFF
        )

    def test_refusal_keeps_the_reason_in_the_history(self) -> None:
        membership = requested()

        event = membership.refuse(STAFF, "  hors périmètre  ", LATER)

        assert membership.status is Status.REFUSED
        assert event == JoinRefused(CLOSED.slug, membership.person_id, LATER)
        assert membership.history[-1] == NetworkStatusChange(
            LATER, Status.REQUESTED, Status.REFUSED, STAFF, "hors périmètre"
        )

    def test_refusal_needs_a_reason(self) -> None:
        membership = requested()

        with pytest.raises(InvalidInput):
            membership.refuse(STAFF, "  ", LATER)
        assert membership.status is Status.REQUESTED

    @pytest.mark.parametrize("decision", ["approve", "refuse"])
    def test_staff_cannot_decide_on_a_member(self, decision: str) -> None:
        membership = member_of(OPEN)

        with pytest.raises(Conflict, match="pas de demande"):
            self._decide(membership, decision)
        assert membership.status is Status.MEMBER

    @pytest.mark.parametrize("decision", ["approve", "refuse"])
    def test_staff_cannot_decide_twice(self, decision: str) -> None:
        membership = requested()
        membership.refuse(STAFF, "doublon", NOW)

        with pytest.raises(Conflict):
            self._decide(membership, decision)
        assert membership.status is Status.REFUSED

    @staticmethod
    def _decide(membership: NetworkMembership, decision: str) -> None:
        if decision == "approve":
            membership.approve(STAFF, LATER)
        else:
            membership.refuse(STAFF, "motif", LATER)


class TestLeave:
    def test_a_member_leaves_with_an_event(self) -> None:
        membership = member_of(OPEN)

        event = membership.leave(LATER)

        assert membership.status is Status.LEFT
        assert event == NetworkLeft(OPEN.slug, membership.person_id, LATER)

    def test_withdrawing_a_request_emits_nothing_since_the_person_never_joined(self) -> None:
        membership = requested()

        assert membership.leave(LATER) is None
        assert membership.status is Status.LEFT

    def test_leaving_twice_changes_nothing(self) -> None:
        membership = member_of(OPEN)
        membership.leave(LATER)

        assert membership.leave(MUCH_LATER) is None
        assert len(membership.history) == 2

    def test_rejoining_an_open_network_starts_a_new_cycle_with_the_history_kept(self) -> None:
        membership = member_of(OPEN)
        membership.leave(LATER)

        again, event = join(OPEN, membership.person_id, MUCH_LATER, current=membership)

        assert again is membership
        assert event == NetworkJoined(OPEN.slug, membership.person_id, MUCH_LATER)
        assert [(c.at, c.from_status, c.to_status) for c in membership.history] == [
            (NOW, None, Status.MEMBER),
            (LATER, Status.MEMBER, Status.LEFT),
            (MUCH_LATER, Status.LEFT, Status.MEMBER),
        ]
        assert membership.since == MUCH_LATER

    def test_rejoining_a_closed_network_asks_staff_again(self) -> None:
        membership = member_of(CLOSED)
        membership.leave(LATER)

        _, event = join(CLOSED, membership.person_id, MUCH_LATER, current=membership)

        assert membership.status is Status.REQUESTED
        assert isinstance(event, JoinRequested)

    def test_a_refused_person_may_ask_again(self) -> None:
        membership = requested()
        membership.refuse(STAFF, "pièces manquantes", LATER)

        _, event = join(CLOSED, membership.person_id, MUCH_LATER, current=membership)

        assert membership.status is Status.REQUESTED
        assert event == JoinRequested(CLOSED.slug, membership.person_id, MUCH_LATER)


class TestRoster:
    def test_lists_only_current_members_earliest_joined_first(self) -> None:
        late = member_of(OPEN, MUCH_LATER, FIRST_ID)
        early = member_of(OPEN, NOW, LAST_ID)
        gone = member_of(OPEN, NOW)
        gone.leave(LATER)
        pending = requested(CLOSED)

        assert roster([late, gone, pending, early]) == [early, late]

    def test_orders_by_the_date_of_joining_again_not_the_first_one(self) -> None:
        returning = member_of(OPEN, NOW)
        returning.leave(LATER)
        join(OPEN, returning.person_id, MUCH_LATER, current=returning)
        steady = member_of(OPEN, LATER)

        assert roster([returning, steady]) == [steady, returning]


RENNES, BRUZ, SAINT_MALO, OUESSANT = "35238", "35047", "35288", "29155"
RENNES_METROPOLE, REDON_AGGLOMERATION = "243500139", "243500741"
APPOINTED = date(2026, 1, 1)
ON = date(2026, 3, 2)


def correspondent(
    kind: TerritoryKind,
    code: str,
    since: date = APPOINTED,
    until: date | None = None,
    person_id: uuid.UUID | None = None,
) -> Correspondent:
    return appoint_correspondent(member_of(OPEN, person_id=person_id), kind, code, since, until)


class TestAppointCorrespondent:
    def test_appoints_a_member_for_a_territory(self) -> None:
        membership = member_of(OPEN)

        appointed = appoint_correspondent(membership, "epci", RENNES_METROPOLE, APPOINTED)

        assert appointed == Correspondent(
            OPEN.slug, membership.person_id, "epci", RENNES_METROPOLE, APPOINTED
        )

    def test_stores_the_reference_form_of_the_code(self) -> None:
        assert correspondent("department", " 2a ").territory_code == "2A"

    @pytest.mark.parametrize("status", ["requested", "left", "refused"])
    def test_refuses_someone_who_is_not_a_member(self, status: str) -> None:
        membership = requested()
        if status == "left":
            membership.leave(NOW)
        elif status == "refused":
            membership.refuse(STAFF, "hors périmètre", NOW)

        with pytest.raises(Conflict, match="membre du réseau"):
            appoint_correspondent(membership, "commune", RENNES, APPOINTED)

    def test_refuses_a_territory_unknown_to_the_reference(self) -> None:
        with pytest.raises(InvalidInput, match="commune inconnue"):
            correspondent("commune", "75056")

    def test_refuses_an_appointment_that_ends_before_it_starts(self) -> None:
        with pytest.raises(InvalidInput):
            correspondent("commune", RENNES, until=APPOINTED - timedelta(days=1))


class TestCorrespondentsFor:
    def test_finds_the_correspondent_of_the_very_commune(self) -> None:
        rennes = correspondent("commune", RENNES)
        metropole = correspondent("epci", RENNES_METROPOLE)

        found = correspondents_for(OPEN.slug, ("commune", RENNES), ON, [metropole, rennes])

        assert found == [rennes]

    def test_falls_back_from_a_commune_to_its_epci(self) -> None:
        metropole = correspondent("epci", RENNES_METROPOLE)
        department = correspondent("department", "35")

        found = correspondents_for(OPEN.slug, ("commune", BRUZ), ON, [department, metropole])

        assert found == [metropole]

    def test_falls_back_to_the_department_when_the_epci_has_no_correspondent(self) -> None:
        department = correspondent("department", "35")
        elsewhere = correspondent("epci", RENNES_METROPOLE)

        found = correspondents_for(OPEN.slug, ("commune", SAINT_MALO), ON, [elsewhere, department])

        assert found == [department]

    def test_an_island_outside_any_epci_goes_straight_to_its_department(self) -> None:
        finistere = correspondent("department", "29")

        assert correspondents_for(OPEN.slug, ("commune", OUESSANT), ON, [finistere]) == [finistere]

    def test_an_epci_across_departments_falls_back_to_each_of_them(self) -> None:
        ille_et_vilaine = correspondent("department", "35", person_id=FIRST_ID)
        earlier = APPOINTED - timedelta(days=1)
        morbihan = correspondent("department", "56", since=earlier, person_id=LAST_ID)
        finistere = correspondent("department", "29")

        found = correspondents_for(
            OPEN.slug, ("epci", REDON_AGGLOMERATION), ON, [ille_et_vilaine, finistere, morbihan]
        )

        assert found == [morbihan, ille_et_vilaine]

    def test_does_not_fall_down_from_a_department_to_its_communes(self) -> None:
        rennes = correspondent("commune", RENNES)

        assert correspondents_for(OPEN.slug, ("department", "35"), ON, [rennes]) == []

    def test_ignores_the_correspondents_of_another_network(self) -> None:
        other = appoint_correspondent(member_of(CLOSED), "commune", RENNES, APPOINTED)

        assert correspondents_for(OPEN.slug, ("commune", RENNES), ON, [other]) == []

    def test_counts_the_last_day_of_an_appointment_but_not_the_next(self) -> None:
        ended = correspondent("commune", RENNES, until=ON)
        department = correspondent("department", "35")
        both = [ended, department]

        assert correspondents_for(OPEN.slug, ("commune", RENNES), ON, both) == [ended]
        next_day = ON + timedelta(days=1)
        assert correspondents_for(OPEN.slug, ("commune", RENNES), next_day, both) == [department]

    def test_ignores_an_appointment_that_has_not_started(self) -> None:
        future = correspondent("commune", RENNES, since=ON + timedelta(days=1))

        assert correspondents_for(OPEN.slug, ("commune", RENNES), ON, [future]) == []

    def test_refuses_an_unknown_territory_level(self) -> None:
        with pytest.raises(InvalidInput, match="Niveau de territoire"):
            correspondents_for(OPEN.slug, ("region", "53"), ON, [])  # type: ignore[arg-type]


class TestEndAppointment:
    def test_ends_an_open_ended_appointment_on_the_day_given(self) -> None:
        appointment = correspondent("commune", RENNES)

        ended = appointment.ending(ON)

        assert ended is not None and ended.until == ON and ended.id == appointment.id

    def test_brings_a_later_end_forward(self) -> None:
        appointment = correspondent("commune", RENNES, until=ON + timedelta(days=30))

        ended = appointment.ending(ON)

        assert ended is not None and ended.until == ON

    def test_leaves_an_appointment_that_already_ends_by_then(self) -> None:
        assert correspondent("commune", RENNES, until=ON).ending(ON + timedelta(days=1)) is None

    def test_refuses_an_end_before_the_first_day(self) -> None:
        with pytest.raises(InvalidInput, match="ne finit pas avant de commencer"):
            correspondent("commune", RENNES).ending(APPOINTED - timedelta(days=1))


class TestEndAppointmentsOnLeaving:
    def test_ends_what_runs_that_day_and_withdraws_what_has_not_started(self) -> None:
        person = uuid.uuid4()
        running = correspondent("commune", RENNES, person_id=person)
        future = correspondent("epci", RENNES_METROPOLE, since=ON + timedelta(1), person_id=person)

        ended, withdrawn = end_appointments([running, future], ON)

        assert [(a.id, a.until) for a in ended] == [(running.id, ON)]
        assert withdrawn == [future]

    def test_keeps_the_earlier_end_of_an_appointment_over_before(self) -> None:
        over = correspondent("commune", RENNES, until=ON - timedelta(days=1))

        assert end_appointments([over], ON) == ([], [])


class TestRepeatedAppointment:
    def test_recognises_the_same_appointment_sent_twice(self) -> None:
        person = uuid.uuid4()
        first = correspondent("commune", RENNES, person_id=person)
        again = correspondent("commune", RENNES, person_id=person)

        repeated = repeated_appointment(again, [first])

        assert repeated is not None and repeated.id == first.id

    def test_refuses_an_overlapping_appointment_for_the_same_territory(self) -> None:
        person = uuid.uuid4()
        first = correspondent("commune", RENNES, person_id=person)
        later = correspondent("commune", RENNES, since=ON, person_id=person)

        with pytest.raises(Conflict, match="déjà correspondante"):
            repeated_appointment(later, [first])

    def test_accepts_a_new_period_after_the_previous_one_ended(self) -> None:
        person = uuid.uuid4()
        first = correspondent("commune", RENNES, until=ON, person_id=person)
        after = correspondent("commune", RENNES, since=ON + timedelta(days=1), person_id=person)

        assert repeated_appointment(after, [first]) is None

    def test_accepts_the_same_person_for_another_territory(self) -> None:
        person = uuid.uuid4()
        rennes = correspondent("commune", RENNES, person_id=person)
        bruz = correspondent("commune", BRUZ, person_id=person)

        assert repeated_appointment(bruz, [rennes]) is None


class TestReferenceTerritory:
    def test_gives_the_code_in_reference_form(self) -> None:
        assert reference_territory("department", " 2a ") == ("department", "2A")

    def test_refuses_an_unknown_commune(self) -> None:
        with pytest.raises(InvalidInput, match="commune inconnue"):
            reference_territory("commune", "75056")
