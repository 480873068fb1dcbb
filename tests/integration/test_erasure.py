"""Erasure: staff erase a person; members anonymises them and every service forgets them.
Afterwards no service database holds the person's e-mail address (both lanes)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from services.gateway.store import Role, StaffStore
from services.members.app import build_app as build_members
from services.members.domain import register
from services.members.store import reliability
from services.newsletters.app import build_app as build_newsletters
from services.newsletters.store import transactional_mails
from services.platform import MIGRATED
from services.runtime.migrations import upgrade
from tests.support.factories import sign_up_payload, unique_email
from tests.support.mail import await_mail
from tests.support.scan import find_text
from tests.support.services import (
    gateway,
    members_settings,
    members_uow,
    newsletters_settings,
    running,
    stream_messages,
    wait_until,
)


class TestErasePerson:
    async def test_leaves_no_trace_of_the_address_in_any_service_database(
        self, database, nats_server, mail_sink
    ):
        urls = {name: database(name) for name in MIGRATED}
        for name in ("events", "dataquartiers"):
            await upgrade(name, urls[name])
        members = build_members(members_settings(urls["members"], nats_server.url))
        newsletters = build_newsletters(
            newsletters_settings(urls["newsletters"], nats_server.url, mail_sink.port)
        )
        payload = sign_up_payload()
        address = payload["email"]
        async with (
            running(members),
            running(newsletters),
            gateway(urls["gateway"], nats_server.url) as client,
        ):
            staff_store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
            token = await staff_store.add(unique_email("staff"), Role.STAFF)
            data_token = await staff_store.add(unique_email("data"), Role.DATA)
            auth = {"Authorization": f"Bearer {token}"}
            person_id = (await client.post("/api/v1/signup", json=payload)).json()["id"]
            title = f"Médiatrice {uuid.uuid4().hex[:8]}"
            changed = await client.patch(
                f"/api/v1/people/{person_id}",
                json={"phone": "02 99 87 76 65", "title": title},
                headers=auth,
            )
            assert changed.status_code == 200, changed.text
            traces = (address, "+33299877665", title)
            assert (await await_mail(mail_sink.directory, [address]))[address.lower()] == 1
            before = {
                (name, trace): await find_text(url, trace)
                for name, url in urls.items()
                for trace in traces
            }

            anonymous = await client.delete(f"/api/v1/people/{person_id}")
            data_role = await client.delete(
                f"/api/v1/people/{person_id}", headers={"Authorization": f"Bearer {data_token}"}
            )
            erased = await client.delete(f"/api/v1/people/{person_id}", headers=auth)
            again = await client.delete(f"/api/v1/people/{person_id}", headers=auth)
            await wait_until(lambda: _mails_of(newsletters, person_id, expected=0))
            read = await client.get(f"/api/v1/people/{person_id}", headers=auth)
            after = {
                (name, trace): await find_text(url, trace)
                for name, url in urls.items()
                for trace in traces
            }
            events = await stream_messages(
                nats_server.url, "MEMBERS", "reso.members.person.erased.v1"
            )
            comeback = await client.post("/api/v1/signup", json=payload)

        # The scan does find each trace where it was (the audit log holds them too).
        assert {"people.email", "audit_log.changes"} <= set(before[("members", address)])
        assert before[("newsletters", address)]
        assert {"people.phone", "audit_log.changes"} <= set(before[("members", "+33299877665")])
        assert {"people.title", "audit_log.changes"} <= set(before[("members", title)])
        assert (anonymous.status_code, data_role.status_code) == (401, 403)
        assert (erased.status_code, again.status_code) == (204, 204)
        assert read.status_code == 404
        assert after == {key: [] for key in before}
        assert len(events) == 1 and address not in events[0].data.decode()
        assert comeback.status_code == 201 and comeback.json()["id"] != person_id

    async def test_answers_404_for_an_unknown_person(self, database, nats_server):
        async with (
            running(build_members(members_settings(database("members"), nats_server.url))),
            gateway(database("gateway"), nats_server.url) as client,
        ):
            staff_store: StaffStore = client.app.state.staff  # type: ignore[attr-defined]
            token = await staff_store.add(unique_email("staff"), Role.ADMIN)
            response = await client.delete(
                "/api/v1/people/00000000-0000-4000-8000-000000000000",
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.status_code == 404


async def _mails_of(app, person_id: str, *, expected: int) -> bool:
    async with app.engine.connect() as connection:
        count = (
            await connection.execute(
                select(func.count())
                .select_from(transactional_mails)
                .where(transactional_mails.c.person_id == person_id)
            )
        ).scalar_one()
    return count == expected


class TestErasureInTheOutbox:
    async def test_forgets_the_person_and_keeps_others_mail_going(self, database, nats_server):
        app = build_members(members_settings(database("members"), nats_server.url))
        await upgrade("members", app.settings.database_url)
        uow = members_uow(app)
        person = register("Lou", "Tanguy", unique_email("lou"), datetime.now(UTC))
        other = uuid.uuid4()
        outbox = reliability.outbox

        def row(subject: str, payload: dict[str, object], published: bool) -> dict[str, object]:
            return {
                "event_id": str(uuid.uuid4()),
                "subject": subject,
                "payload": json.dumps(payload),
                "created_at": datetime.now(UTC),
                "published_at": datetime.now(UTC) if published else None,
            }

        async with uow() as work:
            await work.people.add(person)
            await work.session.execute(
                insert(outbox),
                [
                    row("reso.members.member.registered.v1", {"person_id": str(person.id)}, True),
                    row("reso.members.person.updated.v1", {"person_id": str(person.id)}, False),
                    row(
                        "reso.members.membership.renewed.v1",
                        {
                            "member_id": str(other),
                            "recipients": [
                                {"person_id": None, "email": "mairie@example.org"},
                                {"person_id": str(person.id), "email": person.email},
                            ],
                        },
                        False,
                    ),
                ],
            )
            await work.commit()
        async with uow() as work:
            person.erase(datetime.now(UTC))
            await work.people.save_erasure(person)
            await work.commit()
        async with app.engine.connect() as connection:
            left = (await connection.execute(select(outbox.c.subject, outbox.c.payload))).all()
        await app.engine.dispose()

        assert [subject for subject, _ in left] == ["reso.members.membership.renewed.v1"]
        assert json.loads(left[0][1])["recipients"] == [
            {"person_id": None, "email": "mairie@example.org"}
        ]
