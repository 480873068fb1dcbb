"""What the gateway does to every request and response, whatever the route: security headers,
CSRF checks and rate limits on the requests a browser can be tricked into sending, and the
attributes of the cookies it sets.

One pure ASGI middleware, so that routes added later are covered without doing anything:

* **Headers** on every response: a CSP without ``unsafe-inline`` (pages load their styles and
  scripts from ``/static``), ``frame-ancestors 'none'``, ``X-Content-Type-Options``,
  ``Referrer-Policy: no-referrer`` (mailed links carry tokens in their query string) and, when
  served over https, HSTS. The API documentation page (Swagger UI from a CDN) gets its own CSP
  allowing that CDN and the hash of its one inline script, computed from the page itself.
* **CSRF**, signed double submit: every response without a valid ``reso_csrf`` cookie sets one
  (a random value signed with the gateway's secret, so a cookie planted by a sibling domain is
  refused). A state-changing request (POST, PUT, PATCH, DELETE) must then send the same value
  back in the ``csrf_token`` form field (HTML forms: ``{% include "csrf.html.j2" %}``, first
  in a form that sends a file: only the first 64 KiB of an upload are read here) or the
  ``X-CSRF-Token`` header (scripts). Exempt: requests with an ``Authorization`` header (staff
  tokens are not sent by browsers on their own), JSON API requests without the personal-space
  session cookie (nothing ambient to abuse), the RFC 8058 one-click unsubscribe URL, which
  mail clients POST to without cookies (its signed token is the authority), and the bounce
  webhook the mail server POSTs to (its shared secret header is the authority).
* **Rate limits** on anonymous state-changing requests (no ``Authorization`` header): per client
  address, and per e-mail address when the body has an ``email`` field; 429 with a French reason
  and ``Retry-After``. Counters live in the memory of each gateway process (``limits``' memory
  storage): with N replicas the effective limit is N times the setting, and a restart resets
  them. The one-click unsubscribe URL is not limited (mail providers POST from few addresses),
  nor the bounce webhook (one mail server, many reports; a wrong secret answers 401).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from itsdangerous import BadSignature, Signer
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from services.gateway.auth import SESSION_COOKIE
from services.gateway.settings import GatewaySettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSRF_COOKIE = "reso_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ONE_CLICK_UNSUBSCRIBE = re.compile(
    r"^(/lettres/desabonnement|/api/v1/newsletters/unsubscribe)/[^/]+$"
)
"""RFC 8058: mail clients POST ``List-Unsubscribe=One-Click`` here without cookies."""
BOUNCE_WEBHOOK = "/api/v1/newsletters/bounces"
"""The mail server POSTs delivery status notifications here, authorised by a shared secret
header (``X-Reso-Bounce-Secret``, checked by the route), many from one address."""

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_DOCS_CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)

MULTIPART_START_BYTES = 64 * 1024
"""A multipart form (a file upload) is checked on its first 64 KiB: its CSRF field must come
before the file (forms list fields in document order); the rest streams to the route."""

FORM_MAX_BYTES = 1024 * 1024
"""Any other body posted without an API token (a page's form, a visitor's JSON) is read here
whole, so it is refused above 1 MiB (413) before it can fill the memory; file uploads are
multipart and are limited by their routes as they stream."""

CSRF_FAILED = "Ce formulaire a expiré ou ne vient pas de ce site : rechargez la page et réessayez."
TOO_MANY = "Trop de demandes en peu de temps : réessayez dans quelques minutes."
TOO_LARGE = "Ce formulaire est trop volumineux (1 Mo au plus) : raccourcissez-le et réessayez."


def served_over_https(settings: GatewaySettings) -> bool:
    """Whether cookies are Secure and HSTS is sent: the ``https`` setting, or else whether the
    public URL is an https one."""
    if settings.https is not None:
        return settings.https
    return settings.centre.public_url.startswith("https://")


def set_session_cookie(
    response: Response, settings: GatewaySettings, token: str, expires: datetime
) -> None:
    """The personal-space session cookie: HttpOnly, SameSite=Lax, Secure over https."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        expires=expires,
        httponly=True,
        samesite="lax",
        secure=served_over_https(settings),
        path="/",
    )


class CsrfTokens:
    """Random values signed with the gateway's secret (the same on every replica)."""

    def __init__(self, secret: str) -> None:
        self._signer = Signer(secret, salt="reso.gateway.csrf")

    def issue(self) -> str:
        return self._signer.sign(secrets.token_urlsafe(24)).decode()

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        try:
            self._signer.unsign(token)
        except BadSignature:
            return False
        return True


def csrf_token(request: Request) -> str:
    """The CSRF token to put in the forms of the page answering ``request``."""
    token: str = request.state.csrf_token
    return token


class SiteSecurity:
    """The middleware (see the module docstring). ``render_html`` renders a French message page
    ``(title, message) -> html`` for refusals of requests that are not API calls."""

    def __init__(
        self,
        app: ASGIApp,
        settings: GatewaySettings,
        render_html: Callable[[str, str], str],
        docs_path: str | None = None,
    ) -> None:
        self.app = app
        self.https = served_over_https(settings)
        secret = settings.secret_key.get_secret_value() if settings.secret_key else None
        self.tokens = CsrfTokens(secret or secrets.token_urlsafe(32))
        self.render_html = render_html
        self.docs_path = docs_path
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.per_ip = _limit(settings.rate_limit_per_ip)
        self.per_email = _limit(settings.rate_limit_per_email)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = Request(scope).cookies
        cookie = cookies.get(CSRF_COOKIE)
        has_token = self.tokens.valid(cookie)
        token = cookie if has_token and cookie else self.tokens.issue()
        scope.setdefault("state", {})["csrf_token"] = token
        https = self.https or scope.get("scheme") == "https"
        send = self._with_headers(scope, send, https, None if has_token else token)

        path: str = scope["path"]
        if scope["method"] in UNSAFE_METHODS and "authorization" not in headers:
            exempt = ONE_CLICK_UNSUBSCRIBE.match(path) is not None or path == BOUNCE_WEBHOOK
            if headers.get("content-type", "").startswith("multipart/form-data"):
                # A file upload: only its start is read here (the CSRF field comes first in
                # our forms); the route streams the rest, never held whole in memory.
                body, more = await _read_start(receive, MULTIPART_START_BYTES)
                receive = _replay(body, then=receive if more else None)
            elif exempt:
                body = await _read_body(receive)
                receive = _replay(body)
            else:
                body, more = await _read_start(receive, FORM_MAX_BYTES + 1)
                if more or len(body) > FORM_MAX_BYTES:
                    too_large = self._refuse(
                        path, 413, "too_large", "Formulaire trop volumineux", TOO_LARGE
                    )
                    await too_large(scope, _replay(b""), send)
                    return
                receive = _replay(body)
            refusal = None if exempt else await self._limited(scope, headers, body)
            if refusal is None and not exempt:
                refusal = self._csrf_refusal(
                    path, headers, cookies, body, cookie if has_token else None
                )
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    # --- CSRF ---------------------------------------------------------------------------------

    def _csrf_refusal(
        self,
        path: str,
        headers: Headers,
        cookies: dict[str, str],
        body: bytes,
        cookie: str | None,
    ) -> Response | None:
        api = path.startswith("/api/")
        if api and SESSION_COOKIE not in cookies:
            return None
        sent = headers.get(CSRF_HEADER) or (None if api else _form_field(headers, body, CSRF_FIELD))
        if cookie is not None and sent is not None and hmac.compare_digest(sent, cookie):
            return None
        return self._refuse(path, 403, "forbidden", "Requête refusée", CSRF_FAILED)

    # --- rate limits --------------------------------------------------------------------------

    async def _limited(self, scope: Scope, headers: Headers, body: bytes) -> Response | None:
        client = scope.get("client")
        checks: list[tuple[RateLimitItem, str]] = []
        if self.per_ip is not None:
            checks.append((self.per_ip, f"ip:{client[0] if client else 'unknown'}"))
        if self.per_email is not None:
            email = _email_in(headers, body)
            if email:
                digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
                checks.append((self.per_email, f"email:{digest}"))
        for limit, key in checks:
            if not await self.limiter.hit(limit, key):
                stats = await self.limiter.get_window_stats(limit, key)
                retry = max(1, int(stats.reset_time - datetime.now().timestamp()) + 1)
                response = self._refuse(
                    scope["path"], 429, "too_many_requests", "Trop de demandes", TOO_MANY
                )
                response.headers["Retry-After"] = str(retry)
                return response
        return None

    # --- responses ----------------------------------------------------------------------------

    def _refuse(self, path: str, status: int, code: str, title: str, message: str) -> Response:
        if path.startswith("/api/"):
            return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
        return HTMLResponse(self.render_html(title, message), status_code=status)

    def _with_headers(self, scope: Scope, send: Send, https: bool, new_token: str | None) -> Send:
        docs = self.docs_path is not None and scope["path"] == self.docs_path
        pending: list[Message] = []

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if https:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                if new_token is not None:
                    cookie = f"{CSRF_COOKIE}={new_token}; Path=/; SameSite=Lax"
                    extra.append((b"set-cookie", (cookie + ("; Secure" if https else "")).encode()))
                message["headers"] = [*message.get("headers", []), *extra]
                if docs:  # the CSP needs the page's inline script: wait for the body
                    pending.append(message)
                    return
                message["headers"].append((b"content-security-policy", CSP.encode()))
                await send(message)
                return
            if docs and message["type"] == "http.response.body":
                pending.append(message)
                if message.get("more_body"):
                    return
                body = b"".join(m.get("body", b"") for m in pending[1:])
                start = pending[0]
                start["headers"].append((b"content-security-policy", _docs_csp(body).encode()))
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        return sending


def _docs_csp(html: bytes) -> str:
    """The Swagger UI page's CSP: its CDN, and its inline scripts by hash (no unsafe-inline)."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'self'; script-src 'self' {_DOCS_CDN} {hashes}; "
        f"style-src 'self' {_DOCS_CDN}; img-src 'self' data: https://fastapi.tiangolo.com; "
        "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    )


def _limit(value: str) -> RateLimitItem | None:
    return parse(value) if value.strip() else None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _read_start(receive: Receive, size: int) -> tuple[bytes, bool]:
    """At least the first ``size`` bytes of the body (all of it if shorter), and whether more
    is to come."""
    chunks: list[bytes] = []
    read = 0
    while read < size:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        read += len(chunk)
        if not message.get("more_body"):
            return b"".join(chunks), False
    return b"".join(chunks), True


def _replay(body: bytes, then: Receive | None = None) -> Receive:
    """``body`` again, then (if given) what ``then`` receives: the rest of the body."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": then is not None}
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


def _form_field(headers: Headers, body: bytes, name: str) -> str | None:
    content_type = headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(name)
        return values[0] if values else None
    if content_type.startswith("multipart/form-data"):
        match = re.search(
            rb'name="' + name.encode() + rb'"\r\n(?:[^\r\n]+\r\n)*\r\n([^\r\n]*)\r\n', body
        )
        return match.group(1).decode("latin-1") if match else None
    return None


def _email_in(headers: Headers, body: bytes) -> str | None:
    """The ``email`` field of a JSON or form body, if there is one."""
    if headers.get("content-type", "").startswith("application/json"):
        try:
            document = json.loads(body)
        except ValueError:
            return None
        value = document.get("email") if isinstance(document, dict) else None
        return value if isinstance(value, str) else None
    return _form_field(headers, body, "email")
