"""Request/reply client: send a typed command or query, get a typed reply or a typed error."""

from __future__ import annotations

from typing import Any, TypeVar

import nats.errors
from faststream.exceptions import FastStreamException
from faststream.nats import NatsBroker
from pydantic import BaseModel, ValidationError

from contracts.base import ErrorBody, ErrorReply, Message

R = TypeVar("R", bound=BaseModel)


class RpcError(Exception):
    """The service answered with an error (domain rule, invalid request, unavailable…)."""

    def __init__(self, error: ErrorBody) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.error = error


class RpcClient:
    def __init__(self, broker: NatsBroker, *, timeout: float) -> None:
        self._broker = broker
        self._timeout = timeout

    async def call(
        self, request: Message, reply_type: type[R], *, timeout: float | None = None
    ) -> R:
        """Send ``request`` on its subject; raise :class:`RpcError` on an error reply."""
        return await self.call_subject(request.subject, request, reply_type, timeout=timeout)

    async def call_subject(
        self,
        subject: str,
        request: BaseModel,
        reply_type: type[R],
        *,
        timeout: float | None = None,
    ) -> R:
        """Send ``request`` on ``subject``; raise :class:`RpcError` on an error reply.

        A service that does not answer (down, NATS unreachable, timeout) is reported as an
        ``unavailable`` error, never as a crash.
        """
        try:
            response = await self._broker.request(
                request.model_dump(mode="json"),
                subject,
                timeout=timeout or self._timeout,
            )
            data: Any = await response.decode()
        except (TimeoutError, nats.errors.Error, ConnectionError, FastStreamException) as error:
            # FastStreamException: the broker is not connected (yet).
            raise RpcError(
                ErrorBody(
                    code="unavailable",
                    message="Service momentanément indisponible ; réessayez dans un instant.",
                    details={"subject": subject, "cause": type(error).__name__},
                )
            ) from error
        try:
            if isinstance(data, dict) and "error" in data:
                raise RpcError(ErrorReply.model_validate(data).error)
            return reply_type.model_validate(data)
        except ValidationError as error:
            raise RpcError(
                ErrorBody(
                    code="internal",
                    message="Réponse inattendue d'un service ; réessayez plus tard.",
                    details={"subject": subject},
                )
            ) from error
