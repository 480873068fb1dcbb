"""Messages owned by the members service."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.base import (
    Command,
    Email,
    Event,
    InseeCommuneCode,
    PersonName,
    QpvCode,
    Query,
    Reply,
    Siren,
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


class OrganisationKind(StrEnum):
    """What kind of organisation a member is. Extensible: new kinds are additive."""

    COMMUNE = "commune"
    EPCI = "epci"
    DEPARTEMENT = "departement"
    REGION = "region"
    STATE_SERVICE = "state_service"
    SOCIAL_LANDLORD = "social_landlord"
    ASSOCIATION = "association"
    SOCIAL_CENTRE = "social_centre"
    OTHER = "other"


class College(StrEnum):
    """The two colleges of the general assembly."""

    ELUS = "elus"
    ACTEURS_TERRITORIAUX = "acteurs_territoriaux"


class Territory(BaseModel):
    """Where a member works, checked against the reference data reso ships."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    region: str | None = Field(default=None, description="INSEE region code, e.g. '53'.")
    department: str | None = Field(default=None, description="Department code, e.g. '35'.")
    commune: InseeCommuneCode | None = None
    epci: Siren | None = Field(default=None, description="SIREN of the EPCI.")
    qpvs: tuple[QpvCode, ...] = Field(default=(), description="2024 QPV codes it works in.")


class Address(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    street: str = Field(default="", max_length=200)
    postcode: str = Field(default="", max_length=10)
    city: str = Field(default="", max_length=100)


class CreateOrganisationV1(Command):
    """Create an organisation (staff). Answered with :class:`OrganisationV1`.

    Refused with ``conflict`` when the SIREN is already known, ``invalid`` when the territory is
    unknown or inconsistent (reasons in French in ``details``).
    """

    subject: ClassVar[str] = "rpc.members.organisation.create.v1"

    kind: OrganisationKind
    name: str = Field(min_length=1, max_length=200)
    siren: Siren | None = None
    address: Address = Address()
    territory: Territory = Territory()
    college: College | None = Field(
        default=None, description="Defaults to 'elus' for local authorities, else the other."
    )
    created_by: str = Field(description="E-mail of the staff account that asked.")


class GetOrganisationV1(Query):
    """Read one organisation (staff)."""

    subject: ClassVar[str] = "rpc.members.organisation.get.v1"

    organisation_id: uuid.UUID


class OrganisationV1(Reply):
    """An organisation as staff see it."""

    subject: ClassVar[str] = "rpc.members.organisation.get.v1"

    organisation_id: uuid.UUID
    kind: OrganisationKind
    name: str
    siren: str | None
    address: Address
    territory: Territory
    college: College
    created_at: str


class OrganisationCreatedV1(Event):
    """An organisation was added to the members' register.

    Emitted by members once, in the transaction that stores it. Carries no personal data.
    """

    subject: ClassVar[str] = "reso.members.organisation.created.v1"

    organisation_id: uuid.UUID
    kind: OrganisationKind
    name: str
    siren: str | None = None
    territory: Territory
    college: College
