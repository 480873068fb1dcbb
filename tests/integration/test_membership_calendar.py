"""The membership calendar and the yearly renewal (both lanes): the renewal command opens next
year for last year's members, once; the calendar moves unpaid or unrenewed memberships to grace,
then lapsed, and says so on the bus."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, date, datetime
from decimal import Decimal

from faststream.nats import NatsBroker

from contracts.members import (
    CreateOrganisationV1,
    MembershipV1,
    OpenMembershipV1,
    OrganisationV1,
    RecordPaymentV1,
)
from services.members import handlers
from services.members.app import build_app as build_members
from services.members.app import membership_rules
from services.members.domain.memberships import MemberRef
from services.members.store import MembersUnitOfWork, contract_mapper, reliability
from services.runtime.db import session_factory
from services.runtime.rpc import RpcClient
from tests.support.services import CENTRE, members_settings, running, stream_messages, wait_until

STAFF = "tresorier@crpv.example.org"


async def _reso(nats_url: str, *args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESO_")}
    env["RESO_NATS_URL"] = nats_url
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


class TestRenewalAndCalendar:
    async def test_renewal_opens_next_year_once_and_the_calendar_lapses_what_stays_unpaid(
        self, database, nats_server
    ):
        settings = members_settings(database("members"), nats_server.url)
        app = build_members(settings)
        async with running(app):
            client = NatsBroker(nats_server.url)
            await client.connect()
            rpc = RpcClient(client, timeout=10)
            paid_member, unpaid_member = [
                await rpc.call(
                    CreateOrganisationV1(kind="association", name=name, created_by=STAFF),
                    OrganisationV1,
                )
                for name in ("Les Ateliers du Blosne", "Bellevue en fête")
            ]
            memberships = {}
            for organisation in (paid_member, unpaid_member):
                memberships[organisation.organisation_id] = await rpc.call(
                    OpenMembershipV1(
                        member_type="organisation",
                        member_id=organisation.organisation_id,
                        year=2025,
                        by=STAFF,
                    ),
                    MembershipV1,
                )
            await rpc.call(
                RecordPaymentV1(
                    membership_id=memberships[paid_member.organisation_id].membership_id,
                    amount=Decimal("30.00"),
                    paid_on=date(2025, 2, 3),
                    method="transfer",
                    reference="VIR 0203",
                    by=STAFF,
                ),
                MembershipV1,
            )
            await client.stop()

            first = await _reso(nats_server.url, "members", "renew", "--year", "2026")
            second = await _reso(nats_server.url, "members", "renew", "--year", "2026")
            renewed = await wait_until(
                lambda: stream_messages(
                    nats_server.url, "MEMBERS", "reso.members.membership.renewed.v1"
                )
            )

            def uow() -> MembersUnitOfWork:
                return MembersUnitOfWork(
                    session_factory(app.engine),
                    reliability,
                    to_contract=contract_mapper(CENTRE),
                    on_commit=app.relay.notify,
                )

            rules = membership_rules(settings)
            # Paid for 2025 and renewed: grace in January 2026, lapsed once grace is over.
            january = await handlers.advance_memberships(
                uow, rules, datetime(2026, 1, 2, tzinfo=UTC)
            )
            april = await handlers.advance_memberships(uow, rules, datetime(2026, 4, 1, tzinfo=UTC))
            again = await handlers.advance_memberships(uow, rules, datetime(2026, 4, 1, tzinfo=UTC))
            lapsed = await wait_until(
                lambda: stream_messages(
                    nats_server.url, "MEMBERS", "reso.members.membership.lapsed.v1"
                )
            )
            async with uow() as work:
                next_year = await work.memberships.for_member_year(
                    MemberRef("organisation", paid_member.organisation_id), 2026
                )
                unpaid_next_year = await work.memberships.for_member_year(
                    MemberRef("organisation", unpaid_member.organisation_id), 2026
                )

        assert first[0] == 0 and "2026: 1 memberships opened, 0 already open" in first[1]
        assert second[0] == 0 and "2026: 0 memberships opened, 1 already open" in second[1]
        assert next_year is not None and next_year.status.value == "pending"
        assert next_year.dues == Decimal("30.00")
        assert unpaid_next_year is None  # never paid for 2025: nothing to renew
        [renewal] = [json.loads(m.data) for m in renewed]
        assert renewal["member_id"] == str(paid_member.organisation_id)
        assert renewal["year"] == 2026 and renewal["dues"] == "30.00"
        assert (january, april, again) == (1, 2, 0)
        assert sorted(json.loads(m.data)["member_id"] for m in lapsed) == sorted(
            [str(paid_member.organisation_id), str(unpaid_member.organisation_id)]
        )
