"""Yearly memberships through the members service on real NATS and both database lanes: dues
from the fee schedule, payments and receipts, waivers, and member-only access inherited through
an organisation."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from faststream.nats import NatsBroker

from contracts.members import (
    AccessV1,
    AddAffiliationV1,
    AffiliationV1,
    CheckAccessV1,
    CreateOrganisationV1,
    MembershipV1,
    OpenMembershipV1,
    OrganisationV1,
    PersonRegisteredReplyV1,
    RecordPaymentV1,
    RegisterPersonV1,
    WaiveMembershipV1,
)
from services.members.app import build_app as build_members
from services.runtime.rpc import RpcClient, RpcError
from tests.support.factories import unique_email
from tests.support.services import members_settings, running, stream_messages, wait_until

STAFF = "tresoriere@crpv.example.org"


@pytest.fixture
async def rpc(database, nats_server):
    async with running(build_members(members_settings(database("members"), nats_server.url))):
        client = NatsBroker(nats_server.url)
        await client.connect()
        yield RpcClient(client, timeout=10)
        await client.stop()


async def _organisation(rpc: RpcClient, **fields) -> OrganisationV1:
    return await rpc.call(CreateOrganisationV1(created_by=STAFF, **fields), OrganisationV1)


async def _person(rpc: RpcClient) -> PersonRegisteredReplyV1:
    return await rpc.call(
        RegisterPersonV1(first_name="Anne", last_name="Le Bihan", email=unique_email()),
        PersonRegisteredReplyV1,
    )


def _pay(membership: MembershipV1, amount: str) -> RecordPaymentV1:
    return RecordPaymentV1(
        membership_id=membership.membership_id,
        amount=Decimal(amount),
        paid_on=date(2026, 3, 2),
        method="administrative_mandate",
        reference="mandat 2026-118",
        by=STAFF,
    )


class TestDuesAndPayments:
    async def test_a_city_pays_in_two_instalments_and_gets_the_first_receipt_of_the_year(
        self, rpc, nats_server
    ):
        rennes = await _organisation(
            rpc, kind="commune", name="Rennes", territory={"commune": "35238"}
        )
        opened = await rpc.call(
            OpenMembershipV1(
                member_type="organisation", member_id=rennes.organisation_id, year=2026, by=STAFF
            ),
            MembershipV1,
        )
        partly = await rpc.call(_pay(opened, "500.00"), MembershipV1)
        settled = await rpc.call(_pay(opened, "700.00"), MembershipV1)
        other = await _organisation(rpc, kind="state_service", name="Préfecture d'Ille-et-Vilaine")
        second = await rpc.call(
            OpenMembershipV1(
                member_type="organisation", member_id=other.organisation_id, year=2026, by=STAFF
            ),
            MembershipV1,
        )
        second_paid = await rpc.call(_pay(second, "150.00"), MembershipV1)
        activated = await wait_until(
            lambda: stream_messages(
                nats_server.url, "MEMBERS", "reso.members.membership.activated.v1"
            )
        )

        # Rennes has over 200,000 inhabitants in the reference data: the top bracket.
        assert (opened.dues, opened.status) == (Decimal("1200.00"), "pending")
        assert (partly.status, partly.receipt_number, partly.paid) == (
            "pending",
            None,
            Decimal("500.00"),
        )
        assert (settled.status, settled.receipt_number) == ("active", "2026-000001")
        assert second_paid.receipt_number == "2026-000002"
        assert [p.amount for p in settled.payments] == [Decimal("500.00"), Decimal("700.00")]
        assert settled.history[-1].to_status == "active" and settled.history[-1].by == STAFF
        assert sorted(json.loads(m.data)["membership_id"] for m in activated) == sorted(
            [str(opened.membership_id), str(second.membership_id)]
        )

    async def test_a_year_cannot_be_opened_twice_for_the_same_member(self, rpc):
        association = await _organisation(rpc, kind="association", name="Vivre à Maurepas")
        command = OpenMembershipV1(
            member_type="organisation", member_id=association.organisation_id, year=2026, by=STAFF
        )
        await rpc.call(command, MembershipV1)
        with pytest.raises(RpcError) as refused:
            await rpc.call(command, MembershipV1)
        assert refused.value.error.code == "conflict"

    async def test_staff_waive_the_dues_with_a_reason_and_no_receipt_is_issued(self, rpc):
        association = await _organisation(rpc, kind="association", name="Régie de quartier")
        opened = await rpc.call(
            OpenMembershipV1(
                member_type="organisation",
                member_id=association.organisation_id,
                year=2026,
                by=STAFF,
            ),
            MembershipV1,
        )
        waived = await rpc.call(
            WaiveMembershipV1(
                membership_id=opened.membership_id, reason="décision du bureau", by=STAFF
            ),
            MembershipV1,
        )
        assert (waived.status, waived.waived, waived.receipt_number) == ("active", True, None)
        assert waived.history[-1].reason == "décision du bureau"


class TestMemberOnlyAccess:
    async def test_a_person_is_covered_by_their_organisation_only_while_affiliated(self, rpc):
        rennes = await _organisation(
            rpc, kind="commune", name="Rennes", territory={"commune": "35238"}
        )
        opened = await rpc.call(
            OpenMembershipV1(
                member_type="organisation", member_id=rennes.organisation_id, year=2026, by=STAFF
            ),
            MembershipV1,
        )
        agent, former, outsider = await _person(rpc), await _person(rpc), await _person(rpc)
        for person, end in ((agent, None), (former, date(2026, 3, 31))):
            await rpc.call(
                AddAffiliationV1(
                    person_id=person.person_id,
                    organisation_id=rennes.organisation_id,
                    role="cheffe de projet politique de la ville",
                    start=date(2025, 9, 1),
                    end=end,
                ),
                AffiliationV1,
            )

        async def access(person: PersonRegisteredReplyV1, on: date) -> bool:
            reply = await rpc.call(CheckAccessV1(person_id=person.person_id, on=on), AccessV1)
            return reply.member

        before_payment = await access(agent, date(2026, 6, 1))
        await rpc.call(_pay(opened, "1200.00"), MembershipV1)

        assert before_payment is False
        assert await access(agent, date(2026, 6, 1)) is True
        assert await access(former, date(2026, 3, 15)) is True
        assert await access(former, date(2026, 6, 1)) is False
        assert await access(outsider, date(2026, 6, 1)) is False
