"""Messages owned by the members service."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

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


MemberType = Literal["organisation", "person"]


class OpenMembershipV1(Command):
    """Open a member's membership for a calendar year, priced by the centre's fee schedule.

    Answered with :class:`MembershipV1`; ``conflict`` when that year is already open for them.
    Local authorities are priced by population: give it, or the commune's from the reference data
    is used.
    """

    subject: ClassVar[str] = "rpc.members.membership.open.v1"

    member_type: MemberType
    member_id: uuid.UUID
    year: int = Field(ge=2000, le=2100)
    population: int | None = Field(default=None, ge=0)
    by: str = Field(description="E-mail of the staff account that asked.")


class RecordPaymentV1(Command):
    """Record a payment; the one that settles the dues activates the membership and numbers
    its receipt. Answered with :class:`MembershipV1`."""

    subject: ClassVar[str] = "rpc.members.membership.pay.v1"

    membership_id: uuid.UUID
    amount: Decimal = Field(gt=0, decimal_places=2)
    paid_on: date
    method: Literal["transfer", "cheque", "card", "cash", "administrative_mandate"]
    reference: str = Field(default="", max_length=100)
    by: str


class WaiveMembershipV1(Command):
    """Waive the dues (staff decision, with a reason): the membership is active without payment."""

    subject: ClassVar[str] = "rpc.members.membership.waive.v1"

    membership_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=500)
    by: str


class OverrideMembershipV1(Command):
    """Staff set a membership's status by hand, with a reason kept in its history."""

    subject: ClassVar[str] = "rpc.members.membership.override.v1"

    membership_id: uuid.UUID
    status: Literal["pending", "active", "grace", "lapsed"]
    reason: str = Field(min_length=1, max_length=500)
    by: str


class GetMembershipV1(Query):
    """Read a membership with its payments and history (staff)."""

    subject: ClassVar[str] = "rpc.members.membership.get.v1"

    membership_id: uuid.UUID


class PaymentV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    amount: Decimal
    paid_on: date
    method: str
    reference: str
    recorded_by: str


class StatusChangeV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    at: AwareDatetime
    from_status: str | None
    to_status: str
    reason: str
    by: str | None = Field(description="Staff e-mail; null when the calendar made the change.")


class MembershipV1(Reply):
    """A membership as staff see it. Every membership command answers with it."""

    subject: ClassVar[str] = "rpc.members.membership.get.v1"

    membership_id: uuid.UUID
    member_type: MemberType
    member_id: uuid.UUID
    year: int
    dues: Decimal
    paid: Decimal
    status: Literal["pending", "active", "grace", "lapsed"]
    waived: bool
    receipt_number: str | None
    payments: tuple[PaymentV1, ...] = ()
    history: tuple[StatusChangeV1, ...] = ()


class AddAffiliationV1(Command):
    """Tie a person to an organisation (role and dates): an organisation's membership then covers
    them for member-only access while the affiliation holds."""

    subject: ClassVar[str] = "rpc.members.affiliation.add.v1"

    person_id: uuid.UUID
    organisation_id: uuid.UUID
    role: str = Field(min_length=1, max_length=100)
    start: date
    end: date | None = None


class AffiliationV1(Reply):
    subject: ClassVar[str] = "rpc.members.affiliation.add.v1"

    person_id: uuid.UUID
    organisation_id: uuid.UUID
    role: str
    start: date
    end: date | None


class CheckAccessV1(Query):
    """Whether a person has member-only access on a date: their own membership, or that of an
    organisation they are affiliated to, is active or in grace."""

    subject: ClassVar[str] = "rpc.members.access.check.v1"

    person_id: uuid.UUID
    on: date


class AccessV1(Reply):
    subject: ClassVar[str] = "rpc.members.access.check.v1"

    person_id: uuid.UUID
    on: date
    member: bool


class MembershipActivatedV1(Event):
    """A membership became active: paid in full, waived, free of charge, or staff decision.

    Emitted by members in the transaction that changes the status; not emitted when a payment
    leaves an already active membership active. Carries no personal data.
    """

    subject: ClassVar[str] = "reso.members.membership.activated.v1"

    membership_id: uuid.UUID
    member_type: MemberType
    member_id: uuid.UUID
    year: int


class MembershipLapsedV1(Event):
    """A membership lapsed: its grace period ended unpaid or unrenewed, or staff decided so.

    Emitted by members in the transaction that changes the status. Carries no personal data.
    """

    subject: ClassVar[str] = "reso.members.membership.lapsed.v1"

    membership_id: uuid.UUID
    member_type: MemberType
    member_id: uuid.UUID
    year: int


class RenewMembershipsV1(Command):
    """Open ``year`` for every member whose previous year is active or in grace (``reso members
    renew --year Y``). Idempotent: members already open for ``year`` are skipped."""

    subject: ClassVar[str] = "rpc.members.membership.renew.v1"

    year: int = Field(ge=2000, le=2100)
    by: str


class RenewalReplyV1(Reply):
    subject: ClassVar[str] = "rpc.members.membership.renew.v1"

    year: int
    opened: int = Field(description="Memberships opened for the year by this run.")
    already_open: int = Field(description="Members that already had the year open.")
    failed: tuple[str, ...] = Field(
        default=(), description="Members that could not be renewed, with the reason (French)."
    )


class MembershipRenewedV1(Event):
    """Next year's membership was opened for a member of this year: its dues are now expected.

    Emitted by members once per member and year, in the transaction that opens it; consumers
    send the renewal call for dues. Carries no personal data.
    """

    subject: ClassVar[str] = "reso.members.membership.renewed.v1"

    membership_id: uuid.UUID
    previous_membership_id: uuid.UUID
    member_type: MemberType
    member_id: uuid.UUID
    year: int
    dues: Decimal


class ListNetworksV1(Query):
    """The centre's thematic networks (public)."""

    subject: ClassVar[str] = "rpc.members.network.list.v1"


class NetworkV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    slug: str
    name: str
    description: str
    open: bool = Field(description="Open: joining is immediate; closed: staff approve requests.")


class NetworksV1(Reply):
    subject: ClassVar[str] = "rpc.members.network.list.v1"

    networks: tuple[NetworkV1, ...]


class JoinNetworkV1(Command):
    """A person joins a network (open) or asks to (closed). Joining again changes nothing."""

    subject: ClassVar[str] = "rpc.members.network.join.v1"

    network_slug: str
    person_id: uuid.UUID
    by: str | None = Field(default=None, description="Staff e-mail; null when the person acts.")


class DecideNetworkRequestV1(Command):
    """Staff approve or refuse (with a reason) a request to join a closed network."""

    subject: ClassVar[str] = "rpc.members.network.decide.v1"

    network_slug: str
    person_id: uuid.UUID
    approve: bool
    reason: str | None = Field(default=None, max_length=500)
    by: str


class LeaveNetworkV1(Command):
    """A person leaves a network (or withdraws a pending request)."""

    subject: ClassVar[str] = "rpc.members.network.leave.v1"

    network_slug: str
    person_id: uuid.UUID
    by: str | None = None


class NetworkMembershipV1(Reply):
    """Where a person stands with a network. Every network command answers with it."""

    subject: ClassVar[str] = "rpc.members.network.join.v1"

    network_slug: str
    person_id: uuid.UUID
    status: Literal["requested", "member", "left", "refused"]


class GetRosterV1(Query):
    """The current members of a network (staff)."""

    subject: ClassVar[str] = "rpc.members.network.roster.v1"

    network_slug: str


class RosterEntryV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    person_id: uuid.UUID
    first_name: str
    last_name: str
    since: AwareDatetime


class RosterV1(Reply):
    subject: ClassVar[str] = "rpc.members.network.roster.v1"

    network_slug: str
    members: tuple[RosterEntryV1, ...]


class NetworkJoinedV1(Event):
    """A person became a member of a network (open network, or request approved).

    Emitted by members once per joining, in the transaction that records it; not emitted for a
    pending request nor for a repeated join. Newsletters use it for network-targeted letters.
    """

    subject: ClassVar[str] = "reso.members.network.joined.v1"

    network_slug: str
    person_id: uuid.UUID


class NetworkLeftV1(Event):
    """A member left a network. Not emitted when a pending request is withdrawn."""

    subject: ClassVar[str] = "reso.members.network.left.v1"

    network_slug: str
    person_id: uuid.UUID


class ImportPeopleV1(Command):
    """Import people from a CSV file as French offices produce them (staff).

    ``dry_run`` only reports. Otherwise valid rows are applied idempotently: a row whose e-mail
    is already known changes nothing, so importing the same file twice creates no duplicate.
    Imported people get no welcome e-mail (they did not sign up themselves). The file travels in
    the message: keep it under the NATS payload limit (1 MB by default, about 8,000 short rows).
    """

    subject: ClassVar[str] = "rpc.members.people.import.v1"

    csv_base64: str = Field(description="The file's bytes, base64-encoded.")
    dry_run: bool = True
    by: str


class ImportProblemV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    line: int
    reason: str


class ImportReportV1(Reply):
    """What an import found and did; ``errors`` lists every refused row with its line."""

    subject: ClassVar[str] = "rpc.members.people.import.v1"

    summary: str
    encoding: str
    delimiter: str
    read: int
    valid: int
    refused: bool = Field(description="The whole file was refused (see errors).")
    errors: tuple[ImportProblemV1, ...] = ()
    warnings: tuple[ImportProblemV1, ...] = ()
    notices: tuple[str, ...] = ()
    dry_run: bool
    created: int = 0
    already_known: int = 0
