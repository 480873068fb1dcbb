"""The whole platform, started as ``reso up`` starts it: separate processes, real nats-server,
real SMTP sink, SQLite or PostgreSQL. A person signs up over HTTP and gets one welcome e-mail,
whatever crashes in between."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import nats
import pytest

from services.platform import MIGRATED, Platform, UpSettings
from tests.support.factories import sign_up_payload
from tests.support.infra import free_port, run_sync
from tests.support.mail import read_mails, recipients, wait_for_mail

pytestmark = pytest.mark.e2e

FAST = {
    "RESO_NATS_RETRY_BASE_SECONDS": "0.2",
    "RESO_NATS_RETRY_MAX_SECONDS": "2",
    "RESO_MEMBERS_OUTBOX_POLL_SECONDS": "0.5",
    "RESO_NEWSLETTERS_SEND_POLL_SECONDS": "0.2",
    # many sign-ups from one address: the gateway's rate limits are tested on their own
    "RESO_GATEWAY_RATE_LIMIT_PER_IP": "",
    "RESO_GATEWAY_RATE_LIMIT_PER_EMAIL": "",
}


def _clean_env(database, marker: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESO_")}
    for name in MIGRATED:
        env[f"RESO_{name.upper()}_DATABASE_URL"] = database(name)
    env.update(FAST)
    env["RESO_TEST_MARKER"] = marker
    return env


@pytest.fixture
def platform(database, tmp_path: Path) -> Iterator[Platform]:
    settings = UpSettings(
        var_dir=tmp_path / "var",
        nats_port=free_port(),
        mail_sink_port=free_port(),
        gateway_port=free_port(),
        seed=False,
    )
    running = Platform(settings, env=_clean_env(database, uuid.uuid4().hex), log_to_files=True)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def _sign_up(base_url: str, payload: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{base_url}/api/v1/signup", json=payload, timeout=10)


async def _publish(url: str, subject: str, data: bytes) -> None:
    connection = await nats.connect(url)
    try:
        await connection.jetstream().publish(subject, data)
    finally:
        await connection.close()


async def _dead_letters(url: str) -> list[dict]:
    connection = await nats.connect(url)
    try:
        js = connection.jetstream()
        subscription = await js.pull_subscribe("dlq.>", stream="DLQ")
        try:
            messages = await subscription.fetch(10, timeout=2)
        except TimeoutError:
            return []
        return [json.loads(m.data) for m in messages]
    finally:
        await connection.close()


class TestSignUpJourney:
    def test_every_person_gets_exactly_one_welcome_mail_through_crashes_and_outages(
        self, platform: Platform
    ):
        base, mail = platform.gateway_url, platform.mail_dir

        # 1. A person signs up over HTTP: one welcome mail in the sink.
        first = sign_up_payload()
        response = _sign_up(base, first)
        assert response.status_code == 201 and response.json()["id"]
        assert wait_for_mail(mail, [first["email"]])[first["email"].lower()] == 1

        # 2. Newsletters is killed; two people sign up; it comes back; both mails arrive once.
        platform.stop_child("newsletters", kill=True)
        while_down = [sign_up_payload(), sign_up_payload()]
        for payload in while_down:
            assert _sign_up(base, payload).status_code == 201
        time.sleep(1)
        assert not {p["email"].lower() for p in while_down} & set(recipients(mail))
        platform.start_child("newsletters")
        counts = wait_for_mail(mail, [p["email"] for p in while_down])
        assert [counts[p["email"].lower()] for p in while_down] == [1, 1]

        # 3. NATS stops for a few seconds while people keep signing up, one every 0.2 s (a
        #    person whose request fails tries again, as the page asks). Every accepted person
        #    gets exactly one mail.
        accepted: list[str] = []
        attempts: list[tuple[float, int]] = []

        def sign_up_until_accepted() -> None:
            payload = sign_up_payload()
            for _ in range(100):
                begun = time.monotonic()
                try:
                    status = _sign_up(base, payload).status_code
                except httpx.HTTPError:
                    status = -1
                attempts.append((begun, status))
                if status == 201:
                    accepted.append(payload["email"])
                    return
                time.sleep(0.2)

        assert platform.nats is not None
        with ThreadPoolExecutor(max_workers=64) as pool:
            started = time.monotonic()
            outage: tuple[float, float] | None = None
            submitted = 0
            while time.monotonic() - started < 8.0:
                pool.submit(sign_up_until_accepted)
                submitted += 1
                elapsed = time.monotonic() - started
                if outage is None and elapsed > 1.5:
                    platform.nats.stop()
                    outage = (time.monotonic(), time.monotonic() + 3.0)
                nats_down = platform.nats.process and platform.nats.process.poll() is not None
                if outage is not None and time.monotonic() > outage[1] and nats_down:
                    platform.nats.start()
                time.sleep(0.2)
        assert outage is not None
        during = [status for begun, status in attempts if outage[0] <= begun <= outage[1]]
        assert during, "no sign-up was attempted while NATS was down"
        # Short outages are ridden out (requests wait for the reconnection); longer ones get a
        # 503 with a reason, never a 500.
        assert {status for _, status in attempts} <= {201, 503}, attempts
        assert len(accepted) == submitted, "someone could not sign up even after the outage"
        counts = wait_for_mail(mail, accepted, timeout=60)
        assert {address: counts[address.lower()] for address in accepted} == dict.fromkeys(
            accepted, 1
        )

        # 4. A malformed message on the registered subject is dead-lettered with a reason,
        #    and later sign-ups still flow.
        nats_url = platform.env["RESO_NATS_URL"]
        run_sync(_publish(nats_url, "reso.members.member.registered.v1", b'{"person_id": 42}'))
        last = sign_up_payload()
        assert _sign_up(base, last).status_code == 201
        assert wait_for_mail(mail, [last["email"]])[last["email"].lower()] == 1
        letters = run_sync(_dead_letters(nats_url))
        assert [letter["original_payload"] for letter in letters] == ['{"person_id": 42}']
        assert letters[0]["reason"].startswith("message invalide")

        # Nobody at all received two welcome mails.
        assert max(recipients(mail).values()) == 1


def _descendants(marker: str) -> list[int]:
    """Processes still alive that inherited our marker (children of `reso up`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if f"RESO_TEST_MARKER={marker}".encode() in environ and state != "Z":
            found.append(int(entry.name))
    return found


class TestResoUpCommand:
    def test_starts_twice_in_a_row_keeps_its_state_and_ctrl_c_leaves_no_process_behind(
        self, database, tmp_path: Path
    ):
        marker = uuid.uuid4().hex
        env = _clean_env(database, marker)
        gateway_port = free_port()
        env.update(
            {
                "RESO_UP_VAR_DIR": str(tmp_path / "var"),
                "RESO_UP_NATS_PORT": str(free_port()),
                "RESO_UP_MAIL_SINK_PORT": str(free_port()),
                "RESO_UP_GATEWAY_PORT": str(gateway_port),
            }
        )
        base = f"http://127.0.0.1:{gateway_port}"
        mail = tmp_path / "var" / "mail"
        token = subprocess.run(
            [sys.executable, "-m", "services.cli", "staff", "add", "a@b.example.org",
             "--role", "admin"],
            env=env, capture_output=True, text=True, check=True, timeout=60,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        person = sign_up_payload()

        for run in (1, 2):
            up = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "up"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,  # its own process group, as in a terminal
            )
            output: list[str] = []
            assert up.stdout is not None
            for line in up.stdout:
                output.append(line)
                if "Press Ctrl-C to stop." in line:
                    break
            text = "".join(output)
            assert base in text and str(mail) in text, text
            assert "demo data loaded" in text

            response = _sign_up(base, person)
            assert response.status_code == 201
            if run == 1:
                person_id = response.json()["id"]
            else:
                assert response.json()["id"] == person_id  # state in var/ survived
                read = httpx.get(
                    f"{base}/api/v1/people/{person_id}",
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert read.status_code == 200 and read.json()["email"] == person["email"]
            counts = wait_for_mail(mail, [person["email"]])
            assert counts[person["email"].lower()] == 1
            assert counts["camille.martin@example.org"] == 1  # demo data mailed once, not twice
            if run == 1:
                link_token = _confirmation_token(mail, person["email"])
                key = tmp_path / "var" / "secret_key"
                assert key.stat().st_mode & 0o777 == 0o600
            else:  # a link mailed before the restart still works after it
                confirmed = httpx.post(
                    f"{base}/api/v1/me/confirmation", json={"token": link_token}, timeout=10
                )
                assert confirmed.status_code == 200, confirmed.text

            os.killpg(up.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
            rest, _ = up.communicate(timeout=90)
            assert up.returncode == 0, text + rest
            assert "reso: stopped." in rest
            assert _descendants(marker) == []


def _confirmation_token(mail: Path, address: str) -> str:
    """The ``jeton`` of the confirmation link in the welcome mail sent to ``address``."""
    [welcome] = [m for m in read_mails(mail) if address in str(m["To"])]
    text = welcome.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    match = re.search(r"jeton=([A-Za-z0-9_.\-]+)", text)
    assert match, text
    return match.group(1)
