"""The gateway's one error table: domain codes -> HTTP statuses, and French validation messages."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from contracts.base import Command, Query
from services.runtime.errors import DomainError, Unavailable
from services.runtime.logging import get_logger
from services.runtime.rpc import RpcError

log = get_logger("reso.gateway")

STATUS_BY_CODE: dict[str, int] = {
    "invalid": 422,
    "rule_violated": 422,
    "not_found": 404,
    "conflict": 409,
    "not_attended": 409,  # an attendance certificate for someone not checked in
    "gone": 410,  # a personal link that expired or was already used
    "superseded_qpv_code": 410,  # a 2015-generation QPV code (QP…): replaced by the 2024 list
    "too_large": 413,
    "unauthorized": 401,
    "forbidden": 403,
    "unavailable": 503,
    "internal": 502,  # a service failed: the gateway reports it, it does not crash
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


# French messages for the pydantic error types a person can cause.
_MESSAGES: dict[str, str] = {
    "missing": "Ce champ est obligatoire.",
    "string_too_short": "Ce champ ne peut pas être vide.",
    "string_too_long": "Ce champ est trop long ({max_length} caractères au plus).",
    "string_type": "Une chaîne de caractères est attendue.",
    "value_error": "Valeur invalide : {error}",
    "json_invalid": "Le corps de la requête n'est pas du JSON valide.",
    "model_attributes_type": "Un objet JSON est attendu.",
    "dict_type": "Un objet JSON est attendu.",
    "extra_forbidden": "Ce champ n'est pas attendu.",
    "uuid_parsing": "Identifiant invalide.",
    "uuid_type": "Identifiant invalide.",
    "int_parsing": "Un nombre entier est attendu.",
}


def french_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    context = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    if kind == "value_error" and "email" in str(context.get("reason", error.get("msg", ""))):
        return "Adresse e-mail invalide."
    if kind == "value_error":
        message = str(context.get("error", error.get("msg", "")))
        if "email" in message.lower() or "@" in message:
            return "Adresse e-mail invalide."
        return f"Valeur invalide : {message}"
    template = _MESSAGES.get(kind, "Valeur invalide.")
    try:
        return template.format(**context)
    except KeyError:
        return template


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for error in errors:
        location = [str(part) for part in error.get("loc", []) if part not in ("body", "query")]
        if error.get("type") == "json_invalid":
            location = []  # its location is a character position, not a field
        out.append({"field": ".".join(location) or "body", "message": french_message(error)})
    return out


def _body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def _request_models() -> set[str]:
    """Names of every command and query contract (what the gateway builds from requests)."""
    names: set[str] = set()
    pending: list[type] = [Command, Query]
    while pending:
        model = pending.pop()
        names.add(model.__name__)
        pending.extend(model.__subclasses__())
    return names


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content=_body(
                "invalid",
                "Les données envoyées sont invalides.",
                fields=field_errors(list(exc.errors())),
            ),
        )

    @app.exception_handler(ValidationError)
    async def on_command_validation(request: Request, exc: ValidationError) -> JSONResponse:
        """A command or query built from what the request sent (a path or query parameter the
        route passes on as is) that its contract refuses: the request's fault, a 422. Any other
        model (a service's reply) failing validation stays a server error."""
        if exc.title not in _request_models():
            raise exc
        return JSONResponse(
            status_code=422,
            content=_body(
                "invalid",
                "Les données envoyées sont invalides.",
                fields=field_errors(list(exc.errors())),  # type: ignore[arg-type]
            ),
        )

    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(
            status_code=exc.status,
            content=_body(exc.code, exc.message, **exc.details),
            headers=headers,
        )

    @app.exception_handler(DomainError)
    async def on_domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(
            status_code=STATUS_BY_CODE.get(exc.code, 422), content=_body(exc.code, exc.message)
        )

    @app.exception_handler(SQLAlchemyError)
    @app.exception_handler(OSError)
    @app.exception_handler(Unavailable)
    async def on_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("gateway dependency failed", error=repr(exc))
        return JSONResponse(
            status_code=503,
            content=_body("unavailable", "Service momentanément indisponible ; réessayez."),
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(RpcError)
    async def on_rpc_error(request: Request, exc: RpcError) -> JSONResponse:
        error = exc.error
        extra: dict[str, Any] = {}
        if error.code == "invalid" and "errors" in error.details:
            extra["fields"] = field_errors(error.details["errors"])
        headers = {"Retry-After": "5"} if error.code == "unavailable" else None
        return JSONResponse(
            status_code=STATUS_BY_CODE.get(error.code, 502),
            content=_body(error.code, error.message, **extra),
            headers=headers,
        )
