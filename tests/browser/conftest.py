"""Browser tests: the platform started as ``reso up`` starts it (processes, real NATS, SMTP sink,
SQLite), pages driven in Debian's headless ``chromium`` by Playwright (``executable_path``: no
browser is ever downloaded), axe-core from the npm registry injected to scan pages.

``make test`` (or ``make browser-deps``) installs chromium and axe-core. One platform serves the
whole browser session (SQLite lane only: what the browser sees does not depend on the database,
which the integration tests cover on both lanes). Screenshots of every page a test visits go to
``var/screenshots/<test>/`` (gitignored), kept as the run's artefacts.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from services.platform import Platform, UpSettings
from tests.support.infra import free_port
from tests.support.mail import read_mails

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("RESO_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "var" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
SECRETS = {
    "RESO_GATEWAY_SECRET_KEY": "browser-tests-gateway-secret",
    "RESO_NEWSLETTERS_SECRET_KEY": "browser-tests-newsletters-secret",
}
FAST = {
    "RESO_NATS_RETRY_BASE_SECONDS": "0.2",
    "RESO_NATS_RETRY_MAX_SECONDS": "2",
    "RESO_MEMBERS_OUTBOX_POLL_SECONDS": "0.2",
    "RESO_NEWSLETTERS_SEND_POLL_SECONDS": "0.2",
    # letters go out slowly, one message a batch, so a send's progress can be seen moving
    # (tests/browser/test_staff_sending.py)
    "RESO_NEWSLETTERS_SEND_RATE_PER_SECOND": "3",
    "RESO_NEWSLETTERS_SEND_BATCH_SIZE": "1",
    # every browser test posts from 127.0.0.1: rate limits would refuse the later ones (they
    # are proven in tests/integration/test_site_security.py)
    "RESO_GATEWAY_RATE_LIMIT_PER_IP": "",
    "RESO_GATEWAY_RATE_LIMIT_PER_EMAIL": "",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESO_")}
    env.update(FAST)
    env.update(SECRETS)
    settings = UpSettings(
        var_dir=tmp_path_factory.mktemp("platform") / "var",
        nats_port=free_port(),
        mail_sink_port=free_port(),
        gateway_port=free_port(),
        seed=False,
    )
    running = Platform(settings, env=env, log_to_files=True, say=lambda _: None)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists() or not AXE.exists():
        pytest.fail(f"{CHROMIUM} or {AXE} missing: run `make browser-deps` (as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            browser.close()


class Visit:
    """A browser tab on the platform that saves a screenshot of each step and records what the
    CSP refused (pages must work without breaking it)."""

    def __init__(self, browser: Any, base_url: str, folder: Path, **context: Any) -> None:
        self.context = browser.new_context(base_url=base_url, locale="fr-FR", **context)
        self.page = self.context.new_page()
        self.folder = folder
        self.shots = 0
        self.console: list[str] = []
        self.page.on("console", lambda message: self.console.append(message.text))

    def shot(self, name: str) -> Path:
        self.shots += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.shots:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def csp_violations(self) -> list[str]:
        return [text for text in self.console if "Content Security Policy" in text]


@pytest.fixture
def visit(chromium: Any, platform: Platform, request: pytest.FixtureRequest) -> Iterator[Visit]:
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    tab = Visit(chromium, platform.gateway_url, folder)
    try:
        yield tab
    finally:
        tab.context.close()


@pytest.fixture
def axe_visit(chromium: Any, platform: Platform, request: pytest.FixtureRequest) -> Iterator[Visit]:
    """A tab that lets axe-core's injected script run (the CSP would refuse it, rightly)."""
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    tab = Visit(chromium, platform.gateway_url, folder, bypass_csp=True)
    try:
        yield tab
    finally:
        tab.context.close()


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations axe-core finds in the page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values:"
        " ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def mailed_link(
    mail_dir: Path, address: str, path: str, *, skip: int = 0, timeout: float = 30
) -> str:
    """The first link to ``path`` in the ``skip``+1-th mail to ``address`` that has one."""
    pattern = re.compile(r"https?://[^\s\"'<>]+" + re.escape(path) + r"[^\s\"'<>]*")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        links = []
        for message in read_mails(mail_dir):
            if address.lower() not in str(message["To"]).lower():
                continue
            body = message.get_body(preferencelist=("plain",))
            found = pattern.search(body.get_content() if body is not None else "")
            if found:
                links.append(found.group(0))
        if len(links) > skip:
            return links[skip]
        time.sleep(0.1)
    raise AssertionError(f"no mail to {address} with a link to {path} after {timeout}s")


def subscription_links(platform: Platform) -> Any:
    """The newsletters' link signer, with the platform's secret (to build links it would mail)."""
    from services.newsletters.domain.subscriptions import LinkDurations, SubscriptionLinks

    return SubscriptionLinks(
        SECRETS["RESO_NEWSLETTERS_SECRET_KEY"],
        platform.gateway_url,
        "contact@example.org",
        LinkDurations(),
    )


def subscriber_id(platform: Platform, address: str) -> uuid.UUID:
    with sqlite3.connect(platform.var / "newsletters.db") as db:
        [(found,)] = db.execute(
            "SELECT id FROM subscribers WHERE email_key = ?", (address.lower(),)
        ).fetchall()
    return uuid.UUID(found)


def ask_subscription(platform: Platform, address: str) -> dict[str, Any]:
    """Ask for the first public letter (a confirmation mail goes out); that letter."""
    base = platform.gateway_url
    letters = httpx.get(f"{base}/api/v1/newsletters/letters", timeout=10).json()["letters"]
    letter: dict[str, Any] = letters[0]
    asked = httpx.post(
        f"{base}/api/v1/newsletters/subscriptions",
        json={
            "email": address,
            "letters": [letter["slug"]],
            "consent_wording_version": letter["consent_wording_version"],
        },
        timeout=10,
    )
    assert asked.status_code == 202, asked.text
    return letter


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["jeton"][0]
