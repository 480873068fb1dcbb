"""The message bus every service uses: broker factory, stream provisioning, consumers, dead letters.

- RPC (``rpc.…``): core NATS request/reply in a queue group per service. A handler returns a typed
  reply; a domain error or an invalid request becomes an :class:`~contracts.base.ErrorReply`.
- Events (``reso.…``): durable pull consumers on the owner's stream, explicit acks. A message that
  can never succeed (invalid payload, a rule that says no) is dead-lettered at once on
  ``dlq.<service>.<subject>`` with the reason and the original payload, then acked so the consumer
  carries on. Any other failure is retried with exponential back-off (``nak`` with a delay) and
  dead-lettered after ``max_deliver`` attempts.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import nats
from faststream import AckPolicy
from faststream._internal.middlewares import BaseMiddleware
from faststream.exceptions import AckMessage, NackMessage
from faststream.message import StreamMessage
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.publisher.usecase import LogicPublisher
from faststream.security import SASLPlaintext
from nats.js.api import ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError
from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError

from contracts import subjects
from contracts.base import DeadLetterV1, ErrorBody, ErrorReply, Event
from services.runtime.errors import DomainError, Unavailable
from services.runtime.files import Files, provision_files
from services.runtime.logging import get_logger
from services.runtime.metrics import DEAD_LETTERS, MESSAGE_FAILURES, MESSAGES_HANDLED
from services.runtime.settings import NatsSettings

log = get_logger("reso.bus")

DAY = 24 * 3600

TRANSIENT: tuple[type[BaseException], ...] = (
    Unavailable,
    OperationalError,
    InterfaceError,
    OSError,
    TimeoutError,
)
"""Failures of a dependency (database, network) rather than of the request: worth a retry."""


def _is_jetstream(msg: StreamMessage[Any]) -> bool:
    reply = getattr(msg.raw_message, "reply", "") or ""
    return reply.startswith("$JS.ACK.")


def validation_details(error: ValidationError) -> list[dict[str, Any]]:
    """Field errors in a form the gateway can show: location, type, message, context.

    FastStream validates the handler's argument, so each location starts with that argument's
    name (``command``, ``query``); it is dropped so locations name the request's own fields.
    """
    return [
        {
            "loc": [str(part) for part in item["loc"][1:]],
            "type": item["type"],
            "msg": item["msg"],
            "ctx": {key: str(value) for key, value in item.get("ctx", {}).items()},
        }
        for item in error.errors()
    ]


class DeadLetters:
    """Declared publishers for the dead-letter subjects of one service's consumers."""

    def __init__(self, broker: NatsBroker, service: str) -> None:
        self._broker = broker
        self._service = service
        self._publishers: dict[str, LogicPublisher] = {}

    def declare(self, subject: str) -> None:
        dlq = subjects.dlq_subject(self._service, subject)
        self._publishers[subject] = self._broker.publisher(
            dlq,
            stream=JStream(name=subjects.DLQ_STREAM, declare=False),
            schema=DeadLetterV1,
            title=f"{dlq}:DeadLetter",
            description=f"Messages on {subject} that {self._service} can never process.",
        )

    async def send(self, msg: StreamMessage[Any], reason: str, error: BaseException) -> None:
        raw = msg.raw_message
        subject = raw.subject
        publisher = self._publishers.get(subject)
        if publisher is None:
            raise LookupError(f"no dead-letter publisher declared for {subject}")
        body: bytes = raw.data or b""
        letter = DeadLetterV1(
            service=self._service,
            subject=subject,
            reason=reason,
            error_type=type(error).__name__,
            delivered=raw.metadata.num_delivered,
            original_payload=body.decode("utf-8", errors="replace"),
            original_payload_b64=base64.b64encode(body).decode(),
            original_headers=dict(raw.headers or {}),
            dead_lettered_at=datetime.now(UTC),
        )
        meta = raw.metadata
        msg_id = f"dlq-{meta.stream}-{meta.sequence.stream}"
        await publisher.publish(letter, headers={"Nats-Msg-Id": msg_id})
        DEAD_LETTERS.labels(self._service, subject).inc()
        log.warning(
            "message dead-lettered", subject=subject, reason=reason, delivered=letter.delivered
        )


def reliability_middleware(
    service: str, settings: NatsSettings, dead_letters: DeadLetters
) -> Callable[..., BaseMiddleware]:
    """Build the broker middleware that applies the error rules of this module."""

    class ReliabilityMiddleware(BaseMiddleware):
        async def consume_scope(self, call_next: Any, msg: StreamMessage[Any]) -> Any:
            jetstream = _is_jetstream(msg)
            labels = (service, "event" if jetstream else "rpc", msg.raw_message.subject)
            try:
                result = await call_next(msg)
            except (ValidationError, DomainError) as error:
                if jetstream:
                    MESSAGE_FAILURES.labels(*labels).inc()
                    await self._dead_letter(msg, _reason(error), error)
                    raise AckMessage() from error
                MESSAGES_HANDLED.labels(*labels).inc()  # the answer is the error
                return _error_reply(error)
            except Exception as error:
                MESSAGE_FAILURES.labels(*labels).inc()
                if not jetstream:
                    log.exception("rpc handler failed", subject=msg.raw_message.subject)
                    return _error_reply(error)
                delivered = msg.raw_message.metadata.num_delivered
                if delivered >= settings.max_deliver:
                    reason = f"abandonné après {delivered} tentatives : {error!r}"
                    await self._dead_letter(msg, reason, error)
                    raise AckMessage() from error
                delay = min(
                    settings.retry_max_seconds,
                    settings.retry_base_seconds * 2 ** (delivered - 1),
                )
                log.warning(
                    "event handler failed, will retry",
                    subject=msg.raw_message.subject,
                    delivered=delivered,
                    retry_in=delay,
                    error=repr(error),
                )
                raise NackMessage(delay=delay) from error
            MESSAGES_HANDLED.labels(*labels).inc()
            return result

        async def _dead_letter(
            self, msg: StreamMessage[Any], reason: str, error: BaseException
        ) -> None:
            try:
                await dead_letters.send(msg, reason, error)
            except Exception as publish_error:
                # Could not record the dead letter: keep the message and try again later.
                log.error("dead-letter publish failed", error=repr(publish_error))
                raise NackMessage(delay=settings.retry_max_seconds) from error

    return ReliabilityMiddleware


def _reason(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        fields = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        return f"message invalide ({fields})"
    if isinstance(error, DomainError):
        return f"{error.code}: {error.message}"
    return repr(error)


def _error_reply(error: BaseException) -> dict[str, Any]:
    if isinstance(error, ValidationError):
        body = ErrorBody(
            code="invalid",
            message="Requête invalide.",
            details={"errors": validation_details(error)},
        )
    elif isinstance(error, DomainError):
        body = ErrorBody(code=error.code, message=error.message, details=error.details)
    elif isinstance(error, TRANSIENT):
        log.warning("rpc handler could not reach a dependency", error=repr(error))
        body = ErrorBody(
            code="unavailable", message="Service momentanément indisponible ; réessayez."
        )
    else:
        body = ErrorBody(code="internal", message="Erreur interne ; réessayez plus tard.")
    return ErrorReply(error=body).model_dump(mode="json")


def nats_security(settings: NatsSettings) -> SASLPlaintext | None:
    """User/password authentication for FastStream brokers, when configured."""
    if settings.user is None:
        return None
    password = settings.password.get_secret_value() if settings.password else ""
    return SASLPlaintext(username=settings.user, password=password)


class Bus:
    """A service's broker plus the helpers to declare its RPC handlers, consumers and publishers."""

    def __init__(self, service: str, settings: NatsSettings) -> None:
        self.service = service
        self.settings = settings
        self.broker = NatsBroker(
            settings.servers,
            name=f"reso-{service}",
            security=nats_security(settings),
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=5,
            graceful_timeout=30,
            # FastStream logs every message twice at the broker log level: keep that at DEBUG.
            logger=logging.getLogger("reso.bus.messages"),
            log_level=logging.DEBUG,
        )
        self.dead_letters = DeadLetters(self.broker, service)
        self.broker.add_middleware(reliability_middleware(service, settings, self.dead_letters))
        self.publishers: dict[str, LogicPublisher] = {}
        self.files = Files(self.broker)

    def rpc(self, subject: str, *, description: str | None = None) -> Any:
        """Decorator: answer requests on ``subject`` (queue group shared by the replicas).

        Up to ``rpc_concurrency`` requests are handled at once, so one slow request (waiting on
        the database) does not hold up the others.
        """
        return self.broker.subscriber(
            subject,
            queue=self.service,
            max_workers=self.settings.rpc_concurrency,
            description=description,
        )

    def consumer(self, subject: str, *, description: str | None = None) -> Any:
        """Decorator: consume events on ``subject`` through a durable pull consumer."""
        owner = subjects.owner_of(subject)
        self.dead_letters.declare(subject)
        return self.broker.subscriber(
            subject,
            stream=JStream(name=subjects.stream_name(owner), declare=False),
            durable=subjects.durable_name(self.service, subject),
            pull_sub=PullSub(batch_size=16, timeout=5.0),
            # No server-side bound: the middleware dead-letters at max_deliver, and keeps the
            # message (nak) if even the dead-letter publish fails, so nothing is dropped silently.
            config=ConsumerConfig(
                max_deliver=-1,
                ack_wait=self.settings.ack_wait_seconds,
                deliver_policy=DeliverPolicy.ALL,
            ),
            ack_policy=AckPolicy.NACK_ON_ERROR,
            description=description,
        )

    def publisher(self, event: type[Event]) -> LogicPublisher:
        """Declare the publisher of an event this service owns (used by the outbox relay)."""
        if subjects.owner_of(event.subject) != self.service:
            raise ValueError(f"{self.service} does not own {event.subject}")
        publisher = self.broker.publisher(
            event.subject,
            stream=JStream(name=subjects.stream_name(self.service), declare=False),
            schema=event,
            timeout=self.settings.publish_timeout_seconds,
            title=f"{event.subject}:{event.__name__}",
            description=(event.__doc__ or "").strip(),
        )
        self.publishers[event.subject] = publisher
        return publisher


async def provision_streams(settings: NatsSettings) -> None:
    """Create or update every reso stream, and the files bucket (idempotent). Safe to run from
    several processes."""
    connection = await nats.connect(
        settings.servers,
        user=settings.user,
        password=settings.password.get_secret_value() if settings.password else None,
        connect_timeout=5,
        max_reconnect_attempts=3,
    )
    try:
        js = connection.jetstream()
        configs = [
            StreamConfig(
                name=subjects.stream_name(service),
                subjects=subjects.stream_subjects(service),
                max_age=settings.stream_max_age_days * DAY,
                duplicate_window=120,
                num_replicas=settings.stream_replicas,
            )
            for service in subjects.SERVICES
        ]
        configs.append(
            StreamConfig(
                name=subjects.DLQ_STREAM,
                subjects=["dlq.>"],
                max_age=settings.dlq_max_age_days * DAY,
                duplicate_window=120,
                num_replicas=settings.stream_replicas,
            )
        )
        for config in configs:
            try:
                await js.stream_info(config.name or "")
            except NotFoundError:
                await js.add_stream(config)
            else:
                await js.update_stream(config)
        await provision_files(js, settings)
    finally:
        await connection.close()
