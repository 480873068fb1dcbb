"""Bases for every wire message, and the value types the services share."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    JsonValue,
    StringConstraints,
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    """Base of every wire message: frozen, named after its subject.

    Within a version, messages only gain optional fields; a reader ignores fields it does not
    know yet, so producers and consumers can be upgraded one at a time (rolling deploys).
    """

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    subject: ClassVar[str]


class Event(Message):
    """A fact, published by its owner on ``reso.<service>.<entity>.<past_verb>.v<N>``."""

    event_id: uuid.UUID = Field(
        default_factory=uuid.uuid4,
        description="Unique id of this event; also sent as the Nats-Msg-Id header for dedupe.",
    )
    occurred_at: AwareDatetime = Field(
        default_factory=_utcnow, description="When the fact happened (aware, UTC)."
    )
    producer: str = Field(description="Name of the service that emitted the event.")
    centre: str = Field(description="Slug of the resource centre the event belongs to.")


class Command(Message):
    """A request to change state, sent by request/reply on ``rpc.<svc>.<entity>.<verb>.v<N>``."""


class Query(Message):
    """A request for data, sent by request/reply on ``rpc.<service>.<entity>.<verb>.v<N>``."""


class Reply(Message):
    """A successful answer to a command or query."""


class ErrorBody(BaseModel):
    """What went wrong, with a stable machine code and a message a person can read (French)."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Stable error code, e.g. 'invalid', 'not_found', 'unavailable'.")
    message: str = Field(description="Human-readable explanation, in French.")
    details: dict[str, Any] = Field(default_factory=dict, description="Machine-readable context.")


class ErrorReply(BaseModel):
    """The answer of a command or query that failed. Every RPC subject may answer with it."""

    model_config = ConfigDict(frozen=True)

    error: ErrorBody


class HealthCheckV1(Query):
    """Ask a service whether it is alive and ready (database and NATS reachable).

    Every service answers on ``rpc.<service>.health.check.v1``.
    """


class HealthReplyV1(Reply):
    """A service's health: ``ready`` is true when its database and NATS both answer."""

    service: str
    ready: bool
    checks: dict[str, str] = Field(description="Each dependency and 'ok' or the reason it failed.")


class ExportPersonDataV1(Query):
    """Ask a service for everything it holds about one person (right of access, GDPR art. 15).

    Every service that stores personal data answers on ``rpc.<service>.person.export.v1``. The
    gateway asks each of them for the person signed in to their personal space, never for
    anyone else.
    """

    person_id: uuid.UUID


class PersonDataV1(Reply):
    """What one service holds about a person, as plain JSON, sections named in English."""

    service: str
    data: dict[str, JsonValue] = Field(default_factory=dict)


class DeadLetterV1(BaseModel):
    """A message a consumer gave up on, published on ``dlq.<service>.<original subject>``.

    Emitted by the consumer's service when a message can never be processed (invalid payload,
    a rule that says no) or still fails after the bounded number of attempts.
    """

    model_config = ConfigDict(frozen=True)

    service: str = Field(description="The consumer that gave up.")
    subject: str = Field(description="Subject the message arrived on.")
    reason: str = Field(description="Why it can never be processed, for the person who looks.")
    error_type: str
    delivered: int = Field(description="How many times it was delivered.")
    original_payload: str = Field(description="The payload as received (UTF-8, lossy).")
    original_payload_b64: str = Field(description="The exact payload bytes, base64.")
    original_headers: dict[str, str] = Field(default_factory=dict)
    dead_lettered_at: AwareDatetime


# --- shared value types -----------------------------------------------------------------------

Email = Annotated[EmailStr, StringConstraints(max_length=254)]
"""An e-mail address, syntax-checked (no DNS look-up)."""

PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]

_QPV_2024 = re.compile(r"^QN(\d{3}|\d{2}[AB])\d{2}[A-Z]$")
_INSEE_COMMUNE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_SIREN = re.compile(r"^\d{9}$")


def _check_qpv(value: str) -> str:
    value = value.strip().upper()
    if value.startswith("QP") and not value.startswith("QN"):
        raise ValueError(
            "code QPV de la génération 2015, remplacé par la géographie prioritaire 2024"
        )
    if not _QPV_2024.match(value):
        raise ValueError("code QPV invalide (attendu : QN suivi de 7 caractères, ex. QN03501I)")
    return value


def _check_insee(value: str) -> str:
    value = value.strip().upper()
    if not _INSEE_COMMUNE.match(value):
        raise ValueError("code commune INSEE invalide (5 caractères, ex. 35238 ou 2A004)")
    return value


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2 == 1:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


def _check_siren(value: str) -> str:
    value = value.replace(" ", "")
    if not _SIREN.match(value) or not _luhn_ok(value) or value == "000000000":
        raise ValueError("numéro SIREN invalide (9 chiffres, clé de Luhn)")
    return value


QpvCode = Annotated[str, AfterValidator(_check_qpv)]
"""A 2024-generation QPV code (``QN``, department on 3, number on 2, a letter: QN03501I).

2015-generation codes (``QP…``) are refused with a reason, not silently accepted."""

InseeCommuneCode = Annotated[str, AfterValidator(_check_insee)]
"""A 5-character INSEE commune code (Corsica: 2A/2B)."""

Siren = Annotated[str, AfterValidator(_check_siren)]
"""A 9-digit SIREN with a valid Luhn key."""


class Theme(StrEnum):
    """The themes letters, events and indicators are filed under."""

    CITIZEN_PARTICIPATION = "participation-citoyenne"
    EDUCATION = "education"
    EMPLOYMENT = "emploi-developpement-economique"
    HEALTH = "sante"
    CULTURE = "culture"
    URBAN_RENEWAL = "renouvellement-urbain"
    ECOLOGICAL_TRANSITION = "transitions"
    SAFETY = "tranquillite-publique"
    GUSP = "gestion-urbaine-de-proximite"
    DATA = "data-et-quartiers"
    CONTRAT_DE_VILLE = "contrat-de-ville"
