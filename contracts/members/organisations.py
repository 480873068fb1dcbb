"""Messages about organisations."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import Field

from contracts.base import (
    Command,
    Event,
    Query,
    Reply,
    Siren,
)
from contracts.members.common import (
    Address,
    College,
    OrganisationKind,
    Territory,
)


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
