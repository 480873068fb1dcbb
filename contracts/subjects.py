"""Stream names and subject grammar.

- Events (facts): ``reso.<service>.<entity>.<past_verb>.v<N>``, kept in the owner's stream.
- Commands and queries: ``rpc.<service>.<entity>.<verb>.v<N>``, core NATS request/reply.
- Dead letters: ``dlq.<service>.<original subject>``, kept in the ``DLQ`` stream.
"""

from __future__ import annotations

import re

SERVICES: tuple[str, ...] = ("members", "events", "newsletters", "dataquartiers")
"""The services that own a stream (the gateway owns none)."""

DLQ_STREAM = "DLQ"

_SUBJECT = re.compile(r"^(reso|rpc)\.([a-z]+)\.([a-z_]+)\.([a-z_]+)\.v(\d+)$")


def stream_name(service: str) -> str:
    """The JetStream stream holding ``service``'s events: ``MEMBERS`` for ``members``."""
    return service.upper()


def stream_subjects(service: str) -> list[str]:
    """The subjects captured by ``service``'s stream."""
    return [f"reso.{service}.>"]


def event_subject(service: str, entity: str, past_verb: str, version: int) -> str:
    return f"reso.{service}.{entity}.{past_verb}.v{version}"


def rpc_subject(service: str, entity: str, verb: str, version: int) -> str:
    return f"rpc.{service}.{entity}.{verb}.v{version}"


def dlq_subject(service: str, original_subject: str) -> str:
    """Where ``service`` dead-letters a message it received on ``original_subject``."""
    return f"dlq.{service}.{original_subject}"


def durable_name(consumer: str, subject: str) -> str:
    """Durable consumer name: ``<consumer>-<entity>-<verb>-v<N>``.

    >>> durable_name("newsletters", "reso.members.member.registered.v1")
    'newsletters-member-registered-v1'
    """
    match = _SUBJECT.match(subject)
    if match is None or match.group(1) != "reso":
        raise ValueError(f"not an event subject: {subject!r}")
    _, _, entity, verb, version = match.groups()
    return f"{consumer}-{entity}-{verb}-v{version}".replace("_", "-")


def owner_of(subject: str) -> str:
    """The service that owns ``subject`` (the second token)."""
    match = _SUBJECT.match(subject)
    if match is None:
        raise ValueError(f"not a reso subject: {subject!r}")
    return match.group(2)
