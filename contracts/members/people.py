"""Messages about people: sign-up, reading, erasure."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import Field

from contracts.base import (
    Command,
    Email,
    Event,
    PersonName,
    Query,
    Reply,
)


class RegisterPersonV1(Command):
    """Sign a person up (public sign-up from the gateway).

    Answered with :class:`PersonRegisteredReplyV1`. Signing up again with an address already known
    (compared case-insensitively) answers exactly as the first time and changes nothing, so the
    answer never reveals whether an address was known.
    """

    subject: ClassVar[str] = "rpc.members.person.register.v1"

    first_name: PersonName
    last_name: PersonName
    email: Email


class PersonRegisteredReplyV1(Reply):
    """The id of the person signed up (the same id for a repeated sign-up)."""

    subject: ClassVar[str] = "rpc.members.person.register.v1"

    person_id: uuid.UUID


class GetPersonV1(Query):
    """Read one person's record. Staff only: the gateway checks the caller's role first."""

    subject: ClassVar[str] = "rpc.members.person.get.v1"

    person_id: uuid.UUID


class PersonV1(Reply):
    """A person's record as staff see it."""

    subject: ClassVar[str] = "rpc.members.person.get.v1"

    person_id: uuid.UUID
    first_name: str
    last_name: str
    email: Email
    registered_at: str = Field(description="ISO 8601 timestamp (UTC) of the first sign-up.")


class MemberRegisteredV1(Event):
    """A person signed up for the first time.

    Emitted by members once per person, in the same transaction that stores the person. Not emitted
    for a repeated sign-up with a known address. Carries personal data (name, e-mail): it lives in
    the MEMBERS stream for its bounded max age only.
    """

    subject: ClassVar[str] = "reso.members.member.registered.v1"

    person_id: uuid.UUID = Field(description="Id of the person in the members service.")
    first_name: str
    last_name: str
    email: Email = Field(description="Address the welcome e-mail goes to.")


class ErasePersonV1(Command):
    """Erase a person (GDPR right to erasure). Staff only: the gateway checks the role first.

    Answered with :class:`PersonErasureReplyV1`. Erasing an already erased person answers the
    same and emits nothing new.
    """

    subject: ClassVar[str] = "rpc.members.person.erase.v1"

    person_id: uuid.UUID
    requested_by: str = Field(description="Who asked: a staff account's e-mail, or 'self'.")


class PersonErasureReplyV1(Reply):
    """The person is erased in members; other services follow on PersonErasedV1."""

    subject: ClassVar[str] = "rpc.members.person.erase.v1"

    person_id: uuid.UUID


class PersonErasedV1(Event):
    """A person was erased: every service deletes or anonymises what it holds about them.

    Emitted by members once per person, in the same transaction that anonymises the person and
    deletes members' outbox copies of their earlier events. Carries the person's id only, never
    their data. Not emitted again for a repeated erasure request.
    """

    subject: ClassVar[str] = "reso.members.person.erased.v1"

    person_id: uuid.UUID = Field(description="Id of the erased person in the members service.")
