"""axe-core (from the npm registry, run in the page) finds no serious or critical WCAG 2.1 A/AA
violation on any public page, in each of its states (form, message, error, signed in).

Every GET page route of the gateway must have sample URLs in ``PAGES``: a page added later
fails ``test_every_page_route_has_sample_urls`` until it is scanned too."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.platform import Platform
from tests.browser.conftest import (
    Visit,
    ask_subscription,
    axe_violations,
    mailed_link,
    subscriber_id,
    subscription_links,
    token_of,
)
from tests.browser.test_public_pages import public_samples
from tests.browser.test_staff_data import DATA_PAGES
from tests.browser.test_staff_pages import STAFF_PAGES
from tests.browser.test_staff_review import REVIEW_PAGES
from tests.support.factories import sign_up_payload, unique_email

NOT_PAGES = ("/api/", "/static", "/healthz", "/readyz", "/docs/")


def _subscriber_pages(platform: Platform) -> dict[str, str]:
    address = unique_email("a11y")
    letter = ask_subscription(platform, address)
    link = mailed_link(platform.mail_dir, address, "/lettres/confirmation")
    confirmed = httpx.post(
        f"{platform.gateway_url}/api/v1/newsletters/subscriptions/confirm",
        json={"token": token_of(link)},
        timeout=10,
    )
    assert confirmed.status_code == 200, confirmed.text
    links = subscription_links(platform)
    subscriber = subscriber_id(platform, address)
    return {
        "confirmation": link,
        "preferences": links.preferences_url(subscriber),
        "unsubscribe": links.unsubscribe_url(subscriber, letter["slug"]),
    }


Sample = Callable[[dict[str, str]], list[str]]
PAGES: dict[str, Sample] = {
    "/": lambda _: ["/"],
    "/agenda": lambda _: ["/agenda", "/agenda?theme=participation-citoyenne&department=!!"],
    "/agenda/{event_id}": lambda s: [f"/agenda/{s['event']}", "/agenda/inconnu"],
    "/inscription": lambda s: [
        f"/inscription{s['manage']}",
        f"/inscription{s['waiting']}",
        "/inscription?jeton=faux",
    ],
    "/inscription/accepter": lambda s: [f"/inscription/accepter{s['waiting']}"],
    "/lettres": lambda _: ["/lettres"],
    "/adhesion": lambda _: ["/adhesion"],
    "/appels": lambda _: ["/appels"],
    "/appels/{call_id}": lambda s: [f"/appels/{s['call']}"],
    "/espace": lambda _: ["/espace"],  # the signed-in space: see the test below
    "/equipe/connexion": lambda _: ["/equipe/connexion"],  # staff pages: test_staff_pages.py
    "/espace/{kind}": lambda _: [
        "/espace/connexion?jeton=un-jeton",
        "/espace/confirmation",
        "/espace/inconnu",
    ],
    "/lettres/confirmation": lambda s: [s["confirmation"], "/lettres/confirmation"],
    "/lettres/desabonnement/{token}": lambda s: [s["unsubscribe"], "/lettres/desabonnement/faux"],
    "/lettres/preferences": lambda s: [s["preferences"], "/lettres/preferences?jeton=faux"],
    "/lettres/{letter}/numeros": lambda _: ["/lettres/la-minute-pop/numeros"],
    "/lettres/{letter}/numeros/{number}": lambda _: ["/lettres/la-minute-pop/numeros/1"],
    "/territoires/qpv/{code}": lambda _: ["/territoires/qpv/QN04405M", "/territoires/qpv/QP044001"],
    "/donnees/indicateurs/{indicator}": lambda _: [
        "/donnees/indicateurs/taux_pauvrete?millesime=2020",
        "/donnees/indicateurs/population_municipale",
    ],
}


def _page_routes() -> set[str]:
    app = create_app(GatewaySettings(database_url="sqlite+aiosqlite://"))
    return {
        str(route.path)
        for route in iter_route_contexts(app.routes)
        if "GET" in (route.methods or set())
        and not str(route.path).startswith(NOT_PAGES)
        and str(route.path) != "/api/docs"
    }


def test_every_page_route_has_sample_urls() -> None:
    missing = _page_routes() - PAGES.keys() - STAFF_PAGES - DATA_PAGES - REVIEW_PAGES

    assert not missing, (
        f"pages without sample URLs in tests/browser/test_accessibility.py: {missing}"
    )


def test_no_public_page_has_a_serious_or_critical_violation(
    platform: Platform, axe_visit: Visit
) -> None:
    samples = {**_subscriber_pages(platform), **public_samples(platform)}
    found: dict[str, list[str]] = {}
    for route, sample in PAGES.items():
        for url in sample(samples):
            axe_visit.page.goto(url)
            axe_visit.shot(route.strip("/").replace("/", "_").replace("{", "").replace("}", ""))
            violations = axe_violations(axe_visit.page)
            if violations:
                found[url] = violations

    assert not found, found


@pytest.mark.parametrize("width", [1280, 360])
def test_the_signed_in_personal_space_has_no_serious_or_critical_violation(
    platform: Platform, axe_visit: Visit, width: int
) -> None:
    person = sign_up_payload()
    base = platform.gateway_url
    assert httpx.post(f"{base}/api/v1/signup", json=person, timeout=10).status_code == 201
    confirm = token_of(mailed_link(platform.mail_dir, person["email"], "/espace/confirmation"))
    httpx.post(f"{base}/api/v1/me/confirmation", json={"token": confirm}, timeout=10)
    httpx.post(f"{base}/api/v1/me/link", json={"email": person["email"]}, timeout=10)
    sign_in = token_of(mailed_link(platform.mail_dir, person["email"], "/espace/connexion"))
    session = axe_visit.context.request.post("/api/v1/me/session", data={"token": sign_in})
    assert session.ok, session.text()

    axe_visit.page.set_viewport_size({"width": width, "height": 800})
    axe_visit.page.goto("/espace")
    axe_visit.shot(f"personal-space-{width}")

    assert axe_visit.page.get_by_role("heading", level=1).inner_text().startswith("Bonjour")
    assert axe_violations(axe_visit.page) == []


def test_the_scan_does_report_a_field_without_label(platform: Platform, axe_visit: Visit) -> None:
    """The scan sees real violations: a field without its label, added to a real page."""
    axe_visit.page.goto("/espace")
    axe_visit.page.evaluate(
        "() => { const input = document.createElement('input');"
        " input.type = 'text'; document.querySelector('form').append(input); }"
    )

    assert any(v.startswith("label (critical)") for v in axe_violations(axe_visit.page))
