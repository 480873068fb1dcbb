"""Scale-out, proven locally: a 3-node JetStream cluster with streams replicated 3 times, two
processes of events and two of newsletters (``reso serve``, as the Kubernetes Deployments run
them), a stream of registrations, and in the middle of it one NATS node and one replica of each
service SIGKILLed. Every registration the system acknowledged is stored once, no seat is
overbooked, and every registrant gets exactly one mail: nothing lost, nothing done twice. A
letter's issue is sent to its subscribers through the same chaos: it ends sent, and every
subscriber gets it once (one Message-ID each).

PostgreSQL only: two replicas of a service share one database, which SQLite files cannot be
(the ``postgres`` fixture skips, naming the missing prerequisite, where there is no PostgreSQL,
and fails in CI).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses
from pathlib import Path
from typing import IO, Any

import httpx
import nats
import pytest
from faststream.nats import NatsBroker
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import text

from contracts.events import CreateEventV1, EventV1, PublishEventV1, RegisterV1, RegistrationV1
from contracts.newsletters import CreateIssueV1, EditorialBlock, IssueReplyV1, SendIssueNowV1
from services.newsletters.domain.subscriptions import email_key
from services.newsletters.store.schema import DUE as MAIL_DUE
from services.newsletters.store.schema import subscribers, subscriptions
from services.runtime.db import create_engine
from services.runtime.mailsink import MailSink
from services.runtime.migrations import upgrade_sync
from services.runtime.nats_cluster import NatsCluster, free_ports
from services.runtime.rpc import RpcClient, RpcError
from tests.support.events import details
from tests.support.mail import read_mails

pytestmark = pytest.mark.e2e

STAFF = "equipe@crpv-test.example.org"
SEATS = 200
PEOPLE = 300  # a hundred beyond the seats: they wait
SPREAD_SECONDS = 8.0  # the registrations arrive over this long
MAILS_BEFORE_CHAOS = 30  # the chaos starts once this many mails were sent
DOWN_SECONDS = 3.0  # how long the killed node and replicas stay down
LETTER = "la-minute-pop"  # created by the newsletters migrations
SUBSCRIBERS = 200  # active subscribers of the letter, who get the issue sent during the chaos
LETTER_BATCH = 10  # deliveries a replica claims at once (RESO_NEWSLETTERS_SEND_BATCH_SIZE)
LETTER_SUBJECT = "La Minute Pop : à la une"

FAST = {
    "RESO_NATS_RETRY_BASE_SECONDS": "0.2",
    "RESO_NATS_RETRY_MAX_SECONDS": "2",
    "RESO_NATS_RPC_TIMEOUT_SECONDS": "5",
    # What a killed replica had fetched and not acknowledged goes to the other one after this.
    "RESO_NATS_ACK_WAIT_SECONDS": "10",
    "RESO_EVENTS_OUTBOX_POLL_SECONDS": "0.5",
    "RESO_NEWSLETTERS_OUTBOX_POLL_SECONDS": "0.5",
    "RESO_NEWSLETTERS_SEND_POLL_SECONDS": "0.2",
    # A mail the killed newsletters replica had claimed goes to the other one after this.
    "RESO_NEWSLETTERS_SMTP_TIMEOUT_SECONDS": "5",
    "RESO_NEWSLETTERS_SEND_LEASE_SECONDS": "10",
    # The letter goes slowly enough (10 a second for both replicas together, 200 subscribers)
    # to be under way when the replica is killed; the batch it had claimed goes to the other
    # one after 6 s.
    "RESO_NEWSLETTERS_SEND_RATE_PER_SECOND": "10",
    "RESO_NEWSLETTERS_SEND_BATCH_SIZE": str(LETTER_BATCH),
    "RESO_NEWSLETTERS_ISSUE_LEASE_SECONDS": "6",
}


@dataclass
class Replica:
    """One ``reso serve <service>`` process, with its own probe port and log file."""

    service: str
    index: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"

    @property
    def probe_url(self) -> str:
        return f"http://127.0.0.1:{self.env[f'RESO_{self.service.upper()}_HTTP_PORT']}/readyz"

    def start(self) -> None:
        self.log = open(self.log_path, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", self.service],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )

    def ready(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited (see {self.log_path})")
        try:
            return httpx.get(self.probe_url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()
            self.log = None


@dataclass
class ScaledOut:
    cluster: NatsCluster
    replicas: dict[str, Replica]
    events_db: str
    newsletters_db: str
    mail_dir: Path
    logs: Path


def _wait(predicate: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {timeout}s")
        time.sleep(0.2)


@pytest.fixture
def scaled_out(postgres: Any, mail_sink: MailSink, tmp_path: Path) -> Iterator[ScaledOut]:
    cluster = NatsCluster(tmp_path / "nats", size=3)
    cluster.start()
    logs = tmp_path / "log"
    logs.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith("RESO_")}
    base.update(FAST)
    base.update(
        {
            "RESO_NATS_URL": cluster.url,
            "RESO_NATS_STREAM_REPLICAS": "3",
            "RESO_EVENTS_DATABASE_URL": postgres.create("events"),
            "RESO_NEWSLETTERS_DATABASE_URL": postgres.create("newsletters"),
            # The same keys on every replica, as the Kubernetes Secret gives them.
            "RESO_EVENTS_SECRET_KEY": "scale-out-events-secret-0123456789",
            "RESO_NEWSLETTERS_SECRET_KEY": "scale-out-newsletters-secret-0123456789",
            "RESO_NEWSLETTERS_SMTP_HOST": "127.0.0.1",
            "RESO_NEWSLETTERS_SMTP_PORT": str(mail_sink.port),
            "RESO_NEWSLETTERS_SMTP_SECURITY": "none",
            "RESO_CENTRE_PUBLIC_URL": "http://127.0.0.1:9999",
        }
    )
    for service in ("events", "newsletters"):
        upgrade_sync(service, base[f"RESO_{service.upper()}_DATABASE_URL"])
    subprocess.run(
        [sys.executable, "-m", "services.cli", "provision"], env=base, check=True, timeout=60
    )
    replicas: dict[str, Replica] = {}
    ports = iter(free_ports(4))
    for service in ("events", "newsletters"):
        for index in range(2):
            env = dict(base, **{f"RESO_{service.upper()}_HTTP_PORT": str(next(ports))})
            replica = Replica(service, index, env, logs / f"{service}-{index}.log")
            replicas[replica.name] = replica
    try:
        for replica in replicas.values():
            replica.start()
        for replica in replicas.values():
            _wait(replica.ready, f"{replica.name} ready")
        yield ScaledOut(
            cluster,
            replicas,
            base["RESO_EVENTS_DATABASE_URL"],
            base["RESO_NEWSLETTERS_DATABASE_URL"],
            mail_sink.directory,
            logs,
        )
    finally:
        for replica in replicas.values():
            replica.stop()
        cluster.stop()


# --- the client: a person whose request fails tries again, with the same address -------------


@dataclass
class Outcome:
    email: str
    registration_id: str | None = None
    status: str | None = None
    attempts: int = 0
    unavailable: int = 0


async def _register_until_answered(rpc: RpcClient, event_id: uuid.UUID, outcome: Outcome) -> None:
    """Register; on a timeout or an unavailable service, ask again (one registration per address
    and event: a repeat of a request that did land answers ``conflict`` with its id)."""
    for _ in range(60):
        outcome.attempts += 1
        try:
            reply = await rpc.call(
                RegisterV1(
                    event_id=event_id,
                    email=outcome.email,
                    first_name="Awa",
                    last_name="Diallo",
                ),
                RegistrationV1,
            )
        except RpcError as error:
            if error.error.code == "conflict" and "registration_id" in error.error.details:
                outcome.registration_id = str(error.error.details["registration_id"])
                outcome.status = str(error.error.details.get("status"))
                return
            outcome.unavailable += 1
            await asyncio.sleep(0.5)
            continue
        outcome.registration_id = str(reply.registration_id)
        outcome.status = reply.status
        return


async def _published_event(rpc: RpcClient) -> EventV1:
    starts = (datetime.now(UTC) + timedelta(days=30)).replace(hour=10, minute=0, microsecond=0)
    event = await rpc.call(
        CreateEventV1(
            details=details(
                starts_at=starts.strftime("%Y-%m-%dT%H:%M:%S"),
                ends_at=(starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S"),
                capacity_online=SEATS,
            ),
            by=STAFF,
        ),
        EventV1,
    )
    return await rpc.call(PublishEventV1(event_id=event.event_id, by=STAFF), EventV1)


def _subscriber(index: int) -> str:
    return f"lecteur{index}@scale-out.example.org"


async def _subscribe(database_url: str) -> None:
    """The letter's active subscribers, written as an import leaves them (active, no mail)."""
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as connection:
            for index in range(SUBSCRIBERS):
                subscriber_id = str(uuid.uuid4())
                email = _subscriber(index)
                await connection.execute(
                    subscribers.insert().values(
                        id=subscriber_id,
                        email=email,
                        email_key=email_key(email),
                        first_name=f"Lecteur{index}",
                        last_name="Martin",
                        created_at=now,
                        last_activity_at=now,
                    )
                )
                await connection.execute(
                    subscriptions.insert().values(
                        id=str(uuid.uuid4()),
                        subscriber_id=subscriber_id,
                        letter=LETTER,
                        status="active",
                        requested_at=now,
                        confirmed_at=now,
                    )
                )
    finally:
        await engine.dispose()


async def _send_an_issue(rpc: RpcClient) -> uuid.UUID:
    reply = await rpc.call(
        CreateIssueV1(
            letter=LETTER,
            subject_line=LETTER_SUBJECT,
            blocks=(EditorialBlock(title="Édito", markdown="Les nouvelles du réseau."),),
            by=STAFF,
        ),
        IssueReplyV1,
    )
    await rpc.call(SendIssueNowV1(issue_id=reply.issue.id, by=STAFF), IssueReplyV1)
    return reply.issue.id


async def _issue_state(database_url: str, issue_id: uuid.UUID) -> tuple[str, str | None]:
    """The issue's status and its send's (None before the engine started it)."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            issue = (
                await connection.execute(
                    text("SELECT status FROM issues WHERE id = :id"), {"id": str(issue_id)}
                )
            ).scalar_one()
            send = (
                await connection.execute(
                    text("SELECT status FROM sends WHERE issue_id = :id"), {"id": str(issue_id)}
                )
            ).scalar_one_or_none()
            return str(issue), None if send is None else str(send)
    finally:
        await engine.dispose()


async def _deliveries(database_url: str, issue_id: uuid.UUID) -> dict[str, int]:
    """The issue's deliveries by status."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT d.status, count(*) AS n FROM issue_deliveries d"
                    " JOIN sends s ON s.id = d.send_id WHERE s.issue_id = :id GROUP BY d.status"
                ),
                {"id": str(issue_id)},
            )
            return {str(row.status): int(row.n) for row in rows}
    finally:
        await engine.dispose()


async def _in_flight(events_db: str, newsletters_db: str) -> int:
    """Facts not yet published from either outbox, and transactional mails not yet settled
    (pending, or sending under a sender's lease)."""
    count = 0
    for url, query in (
        (events_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL"),
        (newsletters_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL"),
        (newsletters_db, f"SELECT count(*) FROM transactional_mails WHERE {MAIL_DUE}"),
    ):
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                count += int((await connection.execute(text(query))).scalar_one())
        finally:
            await engine.dispose()
    return count


@dataclass
class Run:
    event: EventV1
    issue_id: uuid.UUID
    outcomes: list[Outcome]
    log: list[str]  # what happened, in order: requests sent, kills, restarts


async def _registrations_under_chaos(platform: ScaledOut) -> Run:
    broker = NatsBroker(platform.cluster.urls, max_reconnect_attempts=-1, reconnect_time_wait=1)
    await broker.connect()
    log: list[str] = []
    try:
        rpc = RpcClient(broker, timeout=5)
        event = await _published_event(rpc)
        await _subscribe(platform.newsletters_db)
        issue_id = await _send_an_issue(rpc)
        log.append("letter sent")
        outcomes = [Outcome(f"personne{i}@scale-out.example.org") for i in range(PEOPLE)]
        loop = asyncio.get_running_loop()
        started = loop.time()
        tasks = []

        async def chaos_monkey() -> None:
            # Once mails flow (both senders busy), one replica of each service goes, then the
            # NATS meta leader (the node whose loss hurts most); all come back a little later.
            await asyncio.to_thread(
                _wait,
                lambda: len(list(platform.mail_dir.glob("*.eml"))) >= MAILS_BEFORE_CHAOS,
                "the first mails",
            )
            # The kill comes while the letter's replicas hold claimed batches when it can.
            for _ in range(50):
                progress = await _deliveries(platform.newsletters_db, issue_id)
                if progress.get("sending"):
                    break
                await asyncio.sleep(0.1)
            _, send = await _issue_state(platform.newsletters_db, issue_id)
            platform.replicas["events-0"].kill()
            platform.replicas["newsletters-0"].kill()
            log.append("service replicas killed")
            log.append(f"letter's send {send} at the kill")
            log.append(f"letter's deliveries at the kill: {progress}")
            await asyncio.sleep(0.5)
            leader = platform.cluster.leader() or platform.cluster.nodes[0].name
            platform.cluster.kill(leader)
            log.append("nats node killed")
            await asyncio.sleep(DOWN_SECONDS)
            await asyncio.to_thread(platform.cluster.restart, leader)
            platform.replicas["events-0"].start()
            platform.replicas["newsletters-0"].start()
            log.append("restarted")

        monkey = asyncio.create_task(chaos_monkey())
        for index, outcome in enumerate(outcomes):
            due = started + SPREAD_SECONDS * index / PEOPLE
            await asyncio.sleep(max(0.0, due - loop.time()))
            if index in (0, PEOPLE - 1):
                log.append(f"registration {index} sent")
            tasks.append(
                asyncio.create_task(_register_until_answered(rpc, event.event_id, outcome))
            )
        await asyncio.gather(*tasks)
        await monkey
        return Run(event, issue_id, outcomes, log)
    finally:
        await broker.stop()


async def _stored_registrations(
    database_url: str, event_id: uuid.UUID
) -> list[tuple[str, str, str]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT id, email, status FROM registrations WHERE event_id = :event"),
                {"event": str(event_id)},
            )
            return [(str(row.id), str(row.email), str(row.status)) for row in rows]
    finally:
        await engine.dispose()


@dataclass
class BusState:
    replicas: dict[str, int]
    dead_letters: int
    registration_facts: Counter[str]  # registration id -> confirmed/waitlisted facts stored


async def _bus_state(urls: list[str]) -> BusState:
    connection = await nats.connect(urls)
    try:
        js = connection.jetstream()
        replicas = {}
        for name in ("EVENTS", "NEWSLETTERS", "DLQ"):
            info = await js.stream_info(name)
            replicas[name] = info.config.num_replicas or 1
        dead_letters = (await js.stream_info("DLQ")).state.messages
        facts: Counter[str] = Counter()
        for verb in ("confirmed", "waitlisted"):
            subscription = await js.pull_subscribe(
                f"reso.events.registration.{verb}.v1",
                stream="EVENTS",
                config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE),
            )
            while True:
                try:
                    batch = await subscription.fetch(200, timeout=1)
                except TimeoutError:
                    break
                facts.update(json.loads(m.data)["registration_id"] for m in batch)
            await subscription.unsubscribe()
        return BusState(replicas, dead_letters, facts)
    finally:
        await connection.close()


def _mails(directory: Path) -> list[tuple[str, str, str]]:
    """(recipient, Message-ID, Subject) of every message the sink received."""
    found = []
    for message in read_mails(directory):
        for _, address in getaddresses([str(message["To"])]):
            found.append((address.lower(), str(message["Message-ID"]), str(message["Subject"])))
    return found


class TestScaleOut:
    def test_a_nats_node_and_a_replica_of_each_service_killed_mid_run_lose_and_double_nothing(
        self, scaled_out: ScaledOut
    ):
        run = asyncio.run(_registrations_under_chaos(scaled_out))
        event, outcomes = run.event, run.outcomes
        retried = sum(o.attempts > 1 for o in outcomes)
        print(f"\n{run.log}; {retried} registrations needed more than one attempt")

        # The chaos came while registrations were arriving.
        assert run.log.index("service replicas killed") > run.log.index("registration 0 sent")
        assert run.log.index("nats node killed") < run.log.index(f"registration {PEOPLE - 1} sent")
        assert "letter's send sending at the kill" in run.log

        # Every person got an answer in the end (retries included), and the chaos did happen.
        assert all(o.registration_id for o in outcomes), [
            o for o in outcomes if not o.registration_id
        ]
        assert scaled_out.cluster.killed == set() and all(
            node.running for node in scaled_out.cluster.nodes
        )

        # The database holds each acknowledged registration once, and nothing else.
        stored = asyncio.run(_stored_registrations(scaled_out.events_db, event.event_id))
        by_email = Counter(email for _, email, _ in stored)
        assert sorted(by_email) == sorted(o.email for o in outcomes)
        assert set(by_email.values()) == {1}
        ids = {email: registration_id for registration_id, email, _ in stored}
        assert {o.email: o.registration_id for o in outcomes} == ids
        statuses = Counter(status for _, _, status in stored)
        assert statuses == {"confirmed": SEATS, "waitlisted": PEOPLE - SEATS}  # never overbooked

        # On the bus: streams replicated 3 times, one fact per registration, no dead letter.
        bus = asyncio.run(_bus_state(scaled_out.cluster.urls))
        assert bus.replicas == {"EVENTS": 3, "NEWSLETTERS": 3, "DLQ": 3}
        assert bus.dead_letters == 0
        assert Counter(bus.registration_facts.values()) == {1: PEOPLE}
        assert set(bus.registration_facts) == set(ids.values())

        # Every registrant gets exactly one mail (one Message-ID), of their registration's kind.
        wanted = {o.email for o in outcomes}
        _wait(
            lambda: wanted <= {to for to, _, _ in _mails(scaled_out.mail_dir)},
            "a mail to every registrant",
            timeout=60,
        )
        # A duplicate could only come from what is still in flight: a fact not yet published
        # from an outbox, or a mail a sender still holds (pending, or claimed under a lease,
        # as the killed replica's may be until its lease runs out). Once none is left, the
        # sink holds everything that will ever be sent.
        _wait(
            lambda: asyncio.run(_in_flight(scaled_out.events_db, scaled_out.newsletters_db)) == 0,
            "every outbox drained and every mail settled",
            timeout=60,
        )
        every_mail = _mails(scaled_out.mail_dir)
        mails = [mail for mail in every_mail if mail[0] in wanted]
        per_person = Counter(to for to, _ in {(to, message_id) for to, message_id, _ in mails})
        assert {to: n for to, n in per_person.items() if n != 1} == {}
        # SMTP is at-least-once: the one mail the killed sender may have had between the server's
        # acceptance and recording it is sent again, with the same Message-ID (receivers keep one
        # copy). Nothing else is ever sent twice.
        copies = len(mails) - len({message_id for _, message_id, _ in mails})
        print(f"{copies} mail(s) sent again with the same Message-ID")
        assert copies <= 1
        subjects = {to: subject for to, _, subject in mails}
        status_of = {email: status for _, email, status in stored}
        kinds = {(status_of[to], subject) for to, subject in subjects.items()}
        # One subject per kind of mail, a different one for each: each got their own kind.
        assert len(kinds) == 2 and len({status for status, _ in kinds}) == 2

        # The letter sent through the chaos: the issue ends sent, its send done.
        _wait(
            lambda: (
                asyncio.run(_issue_state(scaled_out.newsletters_db, run.issue_id))
                == ("sent", "done")
            ),
            "the letter's send done",
            timeout=60,
        )
        readers = {_subscriber(index) for index in range(SUBSCRIBERS)}
        letters = [mail for mail in _mails(scaled_out.mail_dir) if mail[0] in readers]
        assert {subject for _, _, subject in letters} == {LETTER_SUBJECT}
        # Every subscriber got the issue, as one message (one Message-ID per delivery).
        per_reader = Counter(to for to, _ in {(to, message_id) for to, message_id, _ in letters})
        assert per_reader == dict.fromkeys(readers, 1)
        # The batch the killed replica had claimed and not settled is sent again once its lease
        # runs out, with the same Message-IDs (receivers keep one copy): at most one batch.
        letter_copies = len(letters) - len({message_id for _, message_id, _ in letters})
        print(f"{letter_copies} letter message(s) sent again with the same Message-ID")
        assert letter_copies <= LETTER_BATCH
