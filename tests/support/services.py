"""Building the real services in-process for integration tests, through their composition roots."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from services.gateway.app import create_app
from services.gateway.security import CSRF_COOKIE, CSRF_HEADER, CsrfTokens
from services.gateway.settings import GatewaySettings
from services.members.domain.access import LinkDurations, LinkSigner
from services.members.settings import MembersSettings
from services.members.store import MembersUnitOfWork, contract_mapper
from services.members.store import reliability as members_reliability
from services.newsletters.settings import NewslettersSettings
from services.runtime.db import session_factory
from services.runtime.files import FILES_BUCKET
from services.runtime.migrations import upgrade
from services.runtime.service import ServiceApp
from services.runtime.settings import CentreSettings, NatsSettings

LINK_SECRET = "reso-tests-link-secret-0123456789"
"""What the test members sign personal links with (so tests can read and forge them)."""

CENTRE = CentreSettings(
    slug="crpv-test",
    name="Centre de ressources de test",
    email="bonjour@crpv-test.example.org",
    public_url="http://127.0.0.1:9999",
)


def nats_settings(url: str, **overrides: Any) -> NatsSettings:
    values: dict[str, Any] = {
        "url": url,
        "retry_base_seconds": 0.05,
        "retry_max_seconds": 0.5,
        "rpc_timeout_seconds": 5,
    }
    values.update(overrides)
    return NatsSettings(**values)


def members_settings(database_url: str, nats_url: str) -> MembersSettings:
    return MembersSettings(
        database_url=database_url,
        nats=nats_settings(nats_url),
        centre=CENTRE,
        outbox_poll_seconds=0.2,
        secret_key=LINK_SECRET,
    )


def link_signer() -> LinkSigner:
    """The signer of the test members' personal links."""
    return LinkSigner(LINK_SECRET, CENTRE.public_url, LinkDurations())


def members_uow(app: ServiceApp) -> Callable[[], MembersUnitOfWork]:
    """A unit-of-work factory on a running members app's database and outbox relay, for tests
    that call a use case directly (the calendar, the clean-up of unconfirmed sign-ups)."""

    def uow() -> MembersUnitOfWork:
        return MembersUnitOfWork(
            session_factory(app.engine),
            members_reliability,
            to_contract=contract_mapper(CENTRE),
            on_commit=app.relay.notify,
        )

    return uow


def newsletters_settings(database_url: str, nats_url: str, smtp_port: int) -> NewslettersSettings:
    return NewslettersSettings(
        database_url=database_url,
        nats=nats_settings(nats_url),
        centre=CENTRE,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        send_poll_seconds=0.1,
        outbox_poll_seconds=0.2,
    )


@asynccontextmanager
async def running(app: ServiceApp) -> AsyncIterator[ServiceApp]:
    """Migrate, start, and finally stop a service app."""
    await upgrade(app.name, app.settings.database_url)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


async def wait_until(predicate: Any, *, timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll an async or sync predicate until it returns a truthy value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(interval)


async def stream_messages(nats_url: str, stream: str, subject: str) -> list[Any]:
    """Every message stored in ``stream`` on ``subject``.

    Read by an ephemeral consumer that needs no acks (nothing is ever redelivered), with a
    deadline: a broken read fails here, naming what it was reading, instead of hanging a test.
    """
    async with asyncio.timeout(30):
        connection = await nats.connect(nats_url)
        try:
            js = connection.jetstream()
            info = await js.stream_info(stream)
            if info.state.messages == 0:
                return []
            subscription = await js.pull_subscribe(
                subject,
                stream=stream,
                config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE),
            )
            messages: list[Any] = []
            while True:
                try:
                    batch = await subscription.fetch(100, timeout=0.5)
                except TimeoutError:
                    break
                messages.extend(batch)
            await subscription.unsubscribe()
            return messages
        finally:
            await connection.close()


def payload(message: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(message.data)
    return data


@asynccontextmanager
async def gateway(
    database_url: str, nats_url: str, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway app over ASGI; ``overrides`` are further ``GatewaySettings`` fields.

    The client behaves like the site's own scripts: it sends the CSRF cookie back in the
    ``X-CSRF-Token`` header (tests of the CSRF check itself use a client of their own), and
    rate limits are off unless ``overrides`` set them."""
    await upgrade("gateway", database_url)
    settings: dict[str, Any] = {
        "secret_key": GATEWAY_SECRET,
        "rate_limit_per_ip": "",
        "rate_limit_per_email": "",
    }
    settings.update(overrides)
    app = create_app(
        GatewaySettings(
            database_url=database_url, nats=nats_settings(nats_url), centre=CENTRE, **settings
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://gateway",
            event_hooks={"request": [_send_csrf_token]},
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


GATEWAY_SECRET = "test-gateway-secret-key"


async def _send_csrf_token(request: httpx.Request) -> None:
    """Send the ``reso_csrf`` cookie's value as ``X-CSRF-Token`` (minting one if the client
    has none yet), as a script of the site would."""
    header = request.headers.get("cookie", "")
    found = [part.split("=", 1)[1] for part in header.split("; ") if part.startswith(CSRF_COOKIE)]
    token = found[0] if found else CsrfTokens(GATEWAY_SECRET).issue()
    if not found:
        request.headers["cookie"] = f"{header}; {CSRF_COOKIE}={token}".lstrip("; ")
    request.headers[CSRF_HEADER] = token


async def stored_files(nats_url: str) -> list[str]:
    """Names of the files waiting in the RESO_FILES object store bucket (deleted ones aside)."""
    async with asyncio.timeout(30):
        connection = await nats.connect(nats_url)
        try:
            store = await connection.jetstream().object_store(FILES_BUCKET)
            try:
                return [info.name for info in await store.list(ignore_deletes=True)]
            except NotFoundError:  # nats-py's answer for an empty bucket
                return []
        finally:
            await connection.close()
