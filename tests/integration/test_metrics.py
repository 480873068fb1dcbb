"""Prometheus metrics (`/metrics` on RESO_<SERVICE>_HTTP_PORT): what an operator's dashboards read
after real traffic — messages handled, failures, dead letters, outbox backlog, HTTP latency."""

from __future__ import annotations

import uuid

import httpx
import nats
from prometheus_client.parser import text_string_to_metric_families

from contracts.base import HealthCheckV1, HealthReplyV1
from contracts.members import MemberRegisteredV1, RegisterPersonV1
from contracts.newsletters import IssueStatus
from contracts.newsletters.sending import SendProgressV1, StartSendV1
from services.members import handlers as members_handlers
from services.members.app import build_app as build_members
from services.newsletters.app import build_app as build_newsletters
from services.newsletters.domain.sending import Recipient
from services.runtime.bus import Bus
from services.runtime.rpc import RpcClient
from tests.support.factories import unique_email
from tests.support.infra import free_port
from tests.support.sending import an_issue, newsletters_db, recipients
from tests.support.services import (
    CENTRE,
    gateway,
    link_signer,
    members_settings,
    members_uow,
    nats_settings,
    newsletters_settings,
    running,
    wait_until,
)

REGISTERED = "reso.members.member.registered.v1"


def _registered(email: str) -> MemberRegisteredV1:
    return MemberRegisteredV1(
        event_id=uuid.uuid4(),
        producer="members",
        centre=CENTRE.slug,
        person_id=uuid.uuid4(),
        first_name="Awa",
        last_name="Diallo",
        email=email,
    )


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(port: int) -> Samples:
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


class TestServiceMetrics:
    async def test_requests_handled_and_the_outbox_backlog_are_counted(
        self, database, nats_server
    ) -> None:
        settings = members_settings(database("members"), nats_server.url)
        settings.http_port = 0
        app = build_members(settings)
        async with running(app):
            assert app.probes is not None
            port = app.probes.port
            health = {"service": "members", "kind": "rpc", "subject": "rpc.members.health.check.v1"}
            before = value(await scrape(port), "reso_messages_handled_total", **health)
            bus = Bus("probe", nats_settings(nats_server.url))
            await bus.broker.connect()
            try:
                reply = await RpcClient(bus.broker, timeout=5).call_subject(
                    "rpc.members.health.check.v1", HealthCheckV1(), HealthReplyV1
                )
            finally:
                await bus.broker.stop()
            assert reply.ready
            samples = await scrape(port)
            assert value(samples, "reso_messages_handled_total", **health) == before + 1
            assert value(samples, "reso_outbox_backlog", service="members") == 0

            # NATS goes away: what members records waits in its outbox, and the gauge says so.
            nats_server.stop()
            await members_handlers.register_person(
                RegisterPersonV1(first_name="Inès", last_name="Morvan", email=unique_email()),
                members_uow(app),
                link_signer(),
            )
            samples = await scrape(port)
            assert value(samples, "reso_outbox_backlog", service="members") >= 1
            assert value(samples, "reso_outbox_lag_seconds", service="members") >= 0

    async def test_a_dead_lettered_message_counts_as_a_failure_and_a_dead_letter(
        self, database, nats_server, mail_sink
    ) -> None:
        settings = newsletters_settings(database("newsletters"), nats_server.url, mail_sink.port)
        settings.http_port = 0
        app = build_newsletters(settings)
        labels = {"service": "newsletters", "subject": REGISTERED}
        async with running(app):
            assert app.probes is not None
            port = app.probes.port
            before = await scrape(port)
            connection = await nats.connect(nats_server.url)
            try:
                await connection.jetstream().publish(
                    REGISTERED, b'{"email": "pas-une-adresse"}', headers={"Nats-Msg-Id": "bad"}
                )
                good = _registered(unique_email())
                await connection.jetstream().publish(
                    REGISTERED, good.model_dump_json().encode(), headers={"Nats-Msg-Id": "good"}
                )
            finally:
                await connection.close()

            def grew(samples: Samples, name: str, **more: str) -> bool:
                return value(samples, name, **labels, **more) > value(
                    before, name, **labels, **more
                )

            async def counted() -> Samples:
                samples = await scrape(port)
                handled = grew(samples, "reso_messages_handled_total", kind="event")
                dead = grew(samples, "reso_dead_letters_total")
                return samples if handled and dead else {}

            samples = await wait_until(counted)
        assert value(samples, "reso_dead_letters_total", **labels) == (
            value(before, "reso_dead_letters_total", **labels) + 1
        )
        assert value(samples, "reso_message_failures_total", kind="event", **labels) == (
            value(before, "reso_message_failures_total", kind="event", **labels) + 1
        )
        assert value(samples, "reso_messages_handled_total", kind="event", **labels) == (
            value(before, "reso_messages_handled_total", kind="event", **labels) + 1
        )


class TestMailSenderMetrics:
    async def test_mails_waiting_for_an_unreachable_smtp_server_show_as_due(
        self, database, nats_server
    ) -> None:
        # Nothing listens on the SMTP port: the welcome mail stays due.
        settings = newsletters_settings(database("newsletters"), nats_server.url, free_port())
        settings.http_port = 0
        app = build_newsletters(settings)
        async with running(app):
            assert app.probes is not None
            port = app.probes.port
            samples = await scrape(port)
            assert value(samples, "reso_newsletters_mails_due", status="pending") == 0
            assert value(samples, "reso_newsletters_oldest_due_seconds") == 0
            connection = await nats.connect(nats_server.url)
            try:
                event = _registered(unique_email("attente"))
                await connection.jetstream().publish(
                    REGISTERED,
                    event.model_dump_json().encode(),
                    headers={"Nats-Msg-Id": str(event.event_id)},
                )
            finally:
                await connection.close()

            async def due() -> Samples:
                samples = await scrape(port)
                waiting = sum(
                    value(samples, "reso_newsletters_mails_due", status=status)
                    for status in ("pending", "sending")
                )
                return samples if waiting == 1 else {}

            samples = await wait_until(due)
        assert value(samples, "reso_newsletters_oldest_due_seconds") >= 0


class TestSendProgressMetrics:
    async def test_a_letter_being_sent_shows_its_deliveries_by_status(
        self, database, nats_server
    ) -> None:
        # Nothing listens on the SMTP port: the letter's 12 deliveries stay to send.
        people = recipients(12)

        async def audience(work: object, command: object) -> list[Recipient]:
            return people

        url = database("newsletters")
        settings = newsletters_settings(url, nats_server.url, free_port())
        settings.http_port = 0
        app = build_newsletters(settings, audience=audience)
        async with running(app):
            assert app.probes is not None
            port = app.probes.port
            async with newsletters_db(url) as uow, uow() as work:
                issue = await an_issue(work, status=IssueStatus.DRAFT)
                await work.commit()
            bus = Bus("probe", nats_settings(nats_server.url))
            await bus.broker.connect()
            try:
                started = await RpcClient(bus.broker, timeout=5).call(
                    StartSendV1(issue_id=issue.id, letter="la-minute-pop", by="equipe@crpv.fr"),
                    SendProgressV1,
                )
            finally:
                await bus.broker.stop()
            send = {"send": str(started.send_id), "letter": "la-minute-pop"}
            samples = await scrape(port)
        to_send = sum(
            value(samples, "reso_newsletters_send_deliveries", **send, status=status)
            for status in ("pending", "sending")
        )
        assert to_send == 12
        assert value(samples, "reso_newsletters_send_deliveries", **send, status="sent") == 0
        assert (
            "reso_newsletters_send_deliveries",
            frozenset({**send, "status": "failed"}.items()),
        ) in samples


class TestGatewayMetrics:
    async def test_http_latency_is_recorded_by_route_template_on_a_separate_port(
        self, database, nats_server
    ) -> None:
        async with gateway(database("gateway"), nats_server.url, http_port=0) as client:
            port = client.app.state.metrics_server.port  # type: ignore[attr-defined]
            person = uuid.uuid4()
            await client.get("/healthz")
            await client.get(f"/api/v1/people/{person}")  # no staff token: 401
            samples = await scrape(port)
            # The public port does not show the metrics.
            assert (await client.get("/metrics")).status_code == 404
        route = "/api/v1/people/{person_id}"
        assert (
            value(
                samples,
                "reso_http_request_duration_seconds_count",
                method="GET",
                route=route,
                status="401",
            )
            >= 1
        )
        assert (
            value(
                samples,
                "reso_http_request_duration_seconds_count",
                method="GET",
                route="/healthz",
                status="200",
            )
            >= 1
        )
        assert not any(str(person) in dict(labels).get("route", "") for _, labels in samples)
