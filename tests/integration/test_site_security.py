"""What the gateway's security middleware does to every request and response: headers, CSRF
checks on forms and on cookie-authenticated JSON, rate limits of anonymous POSTs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from services.gateway.auth import SESSION_COOKIE
from services.gateway.security import CSRF_COOKIE
from tests.support.services import gateway

ANY_ID = "00000000-0000-4000-8000-000000000000"


@asynccontextmanager
async def browser(database, nats_server, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends only what a browser sends on its own (no CSRF header)."""
    async with gateway(database("gateway"), nats_server.url, **settings) as site:
        app = site.app  # type: ignore[attr-defined]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def _csrf_field(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


class TestSecurityHeaders:
    async def test_pages_and_api_answers_forbid_framing_inline_code_and_sniffing(
        self, database, nats_server
    ):
        async with browser(database, nats_server) as client:
            answers = [
                await client.get("/espace"),
                await client.get("/healthz"),
                await client.get(f"/api/v1/people/{ANY_ID}"),  # 401
                await client.get("/static/reso.css"),
            ]

        for answer in answers:
            csp = answer.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
            assert "script-src 'self'" in csp and "style-src 'self'" in csp
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["referrer-policy"] == "no-referrer"
            assert "strict-transport-security" not in answer.headers  # served over http

    async def test_over_https_cookies_are_secure_and_hsts_is_sent(self, database, nats_server):
        async with browser(database, nats_server, https=True) as client:
            page = await client.get("/espace")

        assert page.headers["strict-transport-security"].startswith("max-age=")
        cookie = page.headers["set-cookie"]
        assert (
            cookie.startswith(f"{CSRF_COOKIE}=") and "Secure" in cookie and "SameSite=Lax" in cookie
        )

    async def test_the_api_documentation_runs_its_script_by_hash_not_unsafe_inline(
        self, database, nats_server
    ):
        async with browser(database, nats_server) as client:
            docs = await client.get("/api/docs")

        csp = docs.headers["content-security-policy"]
        assert docs.status_code == 200
        assert "'sha256-" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp


class TestCsrf:
    async def test_a_form_posted_without_the_page_token_is_refused_in_french(
        self, database, nats_server
    ):
        async with browser(database, nats_server) as client:
            client.cookies.set(SESSION_COOKIE, "whatever")
            forged = await client.post("/espace/deconnexion", data={})
            page = await client.get("/espace")
            wrong = await client.post("/espace/deconnexion", data={"csrf_token": "forged.value"})
            sent = await client.post(
                "/espace/deconnexion", data={"csrf_token": _csrf_field(page.text)}
            )

        assert forged.status_code == 403
        assert "Ce formulaire a expiré ou ne vient pas de ce site" in forged.text
        assert wrong.status_code == 403
        assert sent.status_code == 303  # signed out, back to the space

    async def test_an_oversized_form_is_refused_in_french_before_it_is_read_whole(
        self, database, nats_server
    ):
        async with browser(database, nats_server) as client:
            page = await client.get("/espace")
            token = _csrf_field(page.text)
            huge = await client.post(
                "/espace/deconnexion", data={"csrf_token": token, "x": "a" * (1024 * 1024)}
            )
            json_body = await client.post(
                f"/api/v1/events/{ANY_ID}/registrations", content=b"[" * (2 * 1024 * 1024)
            )
            fine = await client.post("/espace/deconnexion", data={"csrf_token": token})

        assert huge.status_code == 413
        assert "trop volumineux" in huge.text
        assert json_body.status_code == 413
        assert json_body.json()["error"]["code"] == "too_large"
        assert fine.status_code == 303

    async def test_a_token_signed_by_someone_else_is_refused(self, database, nats_server):
        async with browser(database, nats_server) as client:
            client.cookies.set(CSRF_COOKIE, "abc.def")
            planted = await client.post("/espace/deconnexion", data={"csrf_token": "abc.def"})

        assert planted.status_code == 403

    async def test_json_sent_with_the_session_cookie_needs_the_token_header(
        self, database, nats_server
    ):
        async with browser(database, nats_server) as client:
            page = await client.get("/espace")
            token = client.cookies[CSRF_COOKIE]
            client.cookies.set(SESSION_COOKIE, "whatever")
            forged = await client.delete("/api/v1/me/session")
            sent = await client.delete("/api/v1/me/session", headers={"X-CSRF-Token": token})

        assert page.status_code == 200
        assert forged.status_code == 403
        assert forged.json()["error"]["code"] == "forbidden"
        assert sent.status_code == 204

    async def test_api_calls_without_cookie_or_with_a_staff_token_need_no_csrf_token(
        self, database, nats_server
    ):
        async with browser(database, nats_server) as client:
            anonymous = await client.delete("/api/v1/me/session")
            client.cookies.set(SESSION_COOKIE, "whatever")
            staff = await client.post(
                "/api/v1/people", json={}, headers={"Authorization": "Bearer reso_nobody"}
            )

        assert anonymous.status_code == 204
        assert staff.status_code == 401  # judged on its token, not refused as a forgery

    async def test_one_click_unsubscribe_stays_open_to_mail_clients(self, database, nats_server):
        async with browser(database, nats_server, rate_limit_per_ip="1/minute") as client:
            answers = [
                await client.post("/lettres/desabonnement/some-token", data={"x": "y"})
                for _ in range(3)
            ]

        # reaches the page (which asks for List-Unsubscribe=One-Click), never a 403 nor a 429
        assert [a.status_code for a in answers] == [400, 400, 400]
        assert "List-Unsubscribe=One-Click" in answers[0].text


class TestRateLimits:
    async def test_too_many_anonymous_posts_from_one_address_get_a_429_in_french(
        self, database, nats_server
    ):
        async with browser(database, nats_server, rate_limit_per_ip="3/minute") as client:
            page = await client.get("/espace")
            form = {"csrf_token": _csrf_field(page.text)}
            answers = [await client.post("/espace/deconnexion", data=form) for _ in range(4)]
            reads = [await client.get("/espace") for _ in range(4)]

        assert [a.status_code for a in answers] == [303, 303, 303, 429]
        assert "Trop de demandes" in answers[3].text
        assert int(answers[3].headers["retry-after"]) >= 1
        assert all(r.status_code == 200 for r in reads)  # reading is not limited

    async def test_one_email_address_cannot_be_named_too_often(self, database, nats_server):
        async with browser(
            database, nats_server, rate_limit_per_ip="", rate_limit_per_email="2/hour"
        ) as client:
            page = await client.get("/espace")
            token = _csrf_field(page.text)

            def form(email: str) -> dict[str, str]:
                return {"csrf_token": token, "email": email}

            same = [
                await client.post("/espace/deconnexion", data=form(" Lea@Example.org"))
                for _ in range(2)
            ]
            third = await client.post("/espace/deconnexion", data=form("lea@example.org"))
            other = await client.post("/espace/deconnexion", data=form("paul@example.org"))
            api = await client.post("/api/v1/signup", json={"email": "LEA@example.org"})

        assert [a.status_code for a in same] == [303, 303]
        assert third.status_code == 429
        assert other.status_code == 303
        assert api.status_code == 429
        assert api.json()["error"]["message"].startswith("Trop de demandes")
