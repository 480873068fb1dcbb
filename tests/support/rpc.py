"""A stand-in for the gateway's RPC client, for unit tests of the HTTP layer without NATS."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from contracts.base import ErrorBody
from services.runtime.rpc import RpcClient, RpcError

R = TypeVar("R", bound=BaseModel)


class FakeRpc(RpcClient):
    """Answers every request as a service would: with the reply or the error the test chose.

    Requests are kept in ``requests`` as ``(subject, request)`` pairs.
    """

    def __init__(self) -> None:
        super().__init__(broker=None, timeout=1.0)  # type: ignore[arg-type]
        self.requests: list[tuple[str, BaseModel]] = []
        self._replies: dict[str, dict[str, Any]] = {}
        self._error: ErrorBody | None = None

    def reply(self, subject: str, **payload: Any) -> None:
        """Answer requests on ``subject`` with ``payload``."""
        self._replies[subject] = payload

    def fail(self, code: str, message: str = "Échec.", **details: Any) -> None:
        """Answer every request with an error reply of ``code``."""
        self._error = ErrorBody(code=code, message=message, details=details)

    async def call_subject(
        self,
        subject: str,
        request: BaseModel,
        reply_type: type[R],
        *,
        timeout: float | None = None,
    ) -> R:
        self.requests.append((subject, request))
        if self._error is not None:
            raise RpcError(self._error)
        return reply_type.model_validate(self._replies[subject])
