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
    WaiveMembershipV1,
)
from services.gateway.store import Role, StaffStore
from services.members import handlers
from services.members.app import build_app as build_members
from services.members.app import membership_rules
from services.members.domain.memberships import MemberRef
from services.members.store import MembersUnitOfWork, contract_mapper, reliability
from services.newsletters.app import build_app as build_newsletters
from services.runtime.db import session_factory
from services.runtime.rpc import RpcClient
from tests.support.factories import unique_email
from tests.support.mail import await_mail, read_mails
from tests.support.services import (
    CENTRE,
    gateway,
    members_settings,
    newsletters_settings,
    running,
    stream_messages,
    wait_until,
)

STAFF = "tresorier@crpv.example.org"
# Memberships are opened today, so their year is this one (the calendar respects decisions
# taken after a grace period: a past year opened today would never lapse).
THIS_YEAR = date.today().year
NEXT_YEAR = THIS_YEAR + 1


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
                        year=THIS_YEAR,
                        by=STAFF,
                    ),
                    MembershipV1,
                )
            await rpc.call(
                RecordPaymentV1(
                    membership_id=memberships[paid_member.organisation_id].membership_id,
                    amount=Decimal("30.00"),
                    paid_on=date.today(),
                    method="transfer",
                    reference="VIR 0203",
                    by=STAFF,
                ),
                MembershipV1,
            )
            # A département is priced by population, which the reference data does not know:
            # its renewal is reported, and the others still happen.
            departement = await rpc.call(
                CreateOrganisationV1(
                    kind="departement", name="Département d'Ille-et-Vilaine", created_by=STAFF
                ),
                OrganisationV1,
            )
            opened_this_year = await rpc.call(
                OpenMembershipV1(
                    member_type="organisation",
                    member_id=departement.organisation_id,
                    year=THIS_YEAR,
                    population=1_100_000,
                    by=STAFF,
                ),
                MembershipV1,
            )
            await rpc.call(
                WaiveMembershipV1(
                    membership_id=opened_this_year.membership_id, reason="convention", by=STAFF
                ),
                MembershipV1,
            )
            await client.stop()

            first = await _reso(nats_server.url, "members", "renew", "--year", str(NEXT_YEAR))
            second = await _reso(nats_server.url, "members", "renew", "--year", str(NEXT_YEAR))
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
            # Paid this year and renewed: grace in January, lapsed once the grace period is over.
            new_year = datetime(NEXT_YEAR, 1, 2, tzinfo=UTC)
            after_grace = datetime(NEXT_YEAR, 4, 1, tzinfo=UTC)
            january = await handlers.advance_memberships(uow, rules, new_year)
            april = await handlers.advance_memberships(uow, rules, after_grace)
            again = await handlers.advance_memberships(uow, rules, after_grace)
            lapsed = await wait_until(
                lambda: stream_messages(
                    nats_server.url, "MEMBERS", "reso.members.membership.lapsed.v1"
                )
            )
            async with uow() as work:
                next_year = await work.memberships.for_member_year(
                    MemberRef("organisation", paid_member.organisation_id), NEXT_YEAR
                )
                unpaid_next_year = await work.memberships.for_member_year(
                    MemberRef("organisation", unpaid_member.organisation_id), NEXT_YEAR
                )

        assert first[0] == 1 and f"{NEXT_YEAR}: 1 memberships opened, 0 already open" in first[1]
        assert f"not renewed: organisation {departement.organisation_id}" in first[1]
        assert "population" in first[1]
        assert second[0] == 1 and f"{NEXT_YEAR}: 0 memberships opened, 1 already open" in second[1]
        assert next_year is not None and next_year.status.value == "pending"
        assert next_year.dues == Decimal("30.00")
        assert unpaid_next_year is None  # never paid this year: nothing to renew
        [renewal] = [json.loads(m.data) for m in renewed]
        assert renewal["member_id"] == str(paid_member.organisation_id)
        assert renewal["year"] == NEXT_YEAR and renewal["dues"] == "30.00"
        assert (january, april, again) == (2, 3, 0)
        assert sorted(json.loads(m.data)["member_id"] for m in lapsed) == sorted(
            str(o.organisation_id) for o in (paid_member, unpaid_member, departement)
        )


class TestRenewalMails:
    async def test_the_call_for_dues_reaches_the_organisation_its_contact_and_a_person_member(
        self, database, nats_server, mail_sink
    ):
        members = build_members(members_settings(database("members"), nats_server.url))
        newsletters = build_newsletters(
            newsletters_settings(database("newsletters"), nats_server.url, mail_sink.port)
        )
        organisation_address = unique_email("contact-mairie")
        async with (
            running(members),
            running(newsletters),
            gateway(database("gateway"), nats_server.url) as client,
        ):
            store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
            staff = {"Authorization": f"Bearer {await store.add(unique_email(), Role.STAFF)}"}

            async def create(path: str, body: dict[str, object]) -> dict[str, object]:
                response = await client.post(path, json=body, headers=staff)
                assert response.status_code == 201, response.text
                result: dict[str, object] = response.json()
                return result

            async def paid_year(member_type: str, member_id: object) -> None:
                opened = await create(
                    "/api/v1/memberships",
                    {"member_type": member_type, "member_id": member_id, "year": THIS_YEAR},
                )
                waived = await client.post(
                    f"/api/v1/memberships/{opened['membership_id']}/waiver",
                    json={"reason": "test"},
                    headers=staff,
                )
                assert waived.status_code == 200, waived.text

            town = await create(
                "/api/v1/organisations",
                {
                    "kind": "commune",
                    "name": "Ville de Saint-Herblain",
                    "territory": {"commune": "44162"},
                    "email": organisation_address,
                },
            )
            contact = await create(
                "/api/v1/people",
                {"first_name": "Paul", "last_name": "Gicquel", "email": unique_email("paul")},
            )
            await create(
                f"/api/v1/people/{contact['person_id']}/affiliations",
                {
                    "organisation_id": town["id"],
                    "role": "chargé de mission",
                    "start": f"{THIS_YEAR}-01-01",
                    "contact": True,
                },
            )
            individual = await create(
                "/api/v1/people",
                {"first_name": "Rose", "last_name": "Le Bris", "email": unique_email("rose")},
            )
            left = await create(
                "/api/v1/organisations", {"kind": "association", "name": "Association dissoute"}
            )
            for member_type, member in (
                ("organisation", town["id"]),
                ("person", individual["person_id"]),
                ("organisation", left["id"]),
            ):
                await paid_year(member_type, member)
            await client.post(f"/api/v1/organisations/{left['id']}/archive", headers=staff)

            code, output = await _reso(
                nats_server.url, "members", "renew", "--year", str(NEXT_YEAR)
            )
            addresses = [organisation_address, contact["email"], individual["email"]]
            counts = await await_mail(mail_sink.directory, [str(a) for a in addresses])
            mails = [m for m in read_mails(mail_sink.directory) if "cotisation" in m["Subject"]]

        assert code == 0, output
        assert "2 memberships opened" in output
        assert "skipped: organisation" in output and "Association dissoute" in output
        assert [counts[str(a).lower()] for a in addresses] == [1, 1, 1]
        assert len(mails) == 3
        assert all(str(NEXT_YEAR) in m["Subject"] for m in mails)
