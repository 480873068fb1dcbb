"""Messages about organisations."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from contracts.base import (
    Command,
    Email,
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
    email: Email | None = Field(
        default=None, description="The organisation's own address (calls for dues go there)."
    )
    phone: str = Field(default="", max_length=40)


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
    email: str = ""
    phone: str = ""
    archived_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None


class UpdateOrganisationV1(Command):
    """Change an organisation's record (staff). Fields left null stay as they are; an empty
    ``email`` or ``phone`` clears it; ``address`` and ``territory`` replace the whole value.
    Answered with :class:`OrganisationV1`; ``conflict`` when the SIREN belongs to another one."""

    subject: ClassVar[str] = "rpc.members.organisation.update.v1"

    organisation_id: uuid.UUID
    kind: OrganisationKind | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    siren: Siren | None = None
    address: Address | None = None
    territory: Territory | None = None
    college: College | None = None
    email: Email | Literal[""] | None = None
    phone: str | None = Field(default=None, max_length=40)
    by: str


class ArchiveOrganisationV1(Command):
    """Take an organisation out of the register without deleting it: it no longer appears in
    lists and searches unless asked for, and is not renewed. Answered with
    :class:`OrganisationV1`; ``conflict`` if already archived."""

    subject: ClassVar[str] = "rpc.members.organisation.archive.v1"

    organisation_id: uuid.UUID
    by: str


class RestoreOrganisationV1(Command):
    """Bring an archived organisation back. Answered with :class:`OrganisationV1`."""

    subject: ClassVar[str] = "rpc.members.organisation.restore.v1"

    organisation_id: uuid.UUID
    by: str


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


class OrganisationUpdatedV1(Event):
    """An organisation's record as it stands after it changed (profile, archived or restored).

    Emitted by members in the transaction of the change; not emitted when nothing changes.
    Carries no personal data.
    """

    subject: ClassVar[str] = "reso.members.organisation.updated.v1"

    organisation_id: uuid.UUID
    kind: OrganisationKind
    name: str
    siren: str | None = None
    territory: Territory
    college: College
    archived: bool = False
