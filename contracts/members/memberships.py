"""Messages about memberships, dues, payments and affiliations."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.base import (
    Command,
    Email,
    Event,
    Query,
    Reply,
)
from contracts.members.common import (
    MemberType,
)


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
    them for member-only access while the affiliation holds and is verified.

    Staff ties are verified at once; a tie a person declares from their personal space
    (``by`` = 'self') waits for staff to verify it. ``contact`` makes the person a recipient of
    the organisation's calls for dues."""

    subject: ClassVar[str] = "rpc.members.affiliation.add.v1"

    person_id: uuid.UUID
    organisation_id: uuid.UUID
    role: str = Field(min_length=1, max_length=100)
    start: date
    end: date | None = None
    contact: bool = False
    by: str | None = Field(default=None, description="Staff e-mail, or 'self'.")


class AffiliationV1(Reply):
    subject: ClassVar[str] = "rpc.members.affiliation.add.v1"

    person_id: uuid.UUID
    organisation_id: uuid.UUID
    role: str
    start: date
    end: date | None
    affiliation_id: int | None = None
    organisation_name: str | None = None
    contact: bool = False
    verified: bool = True


class UpdateAffiliationV1(Command):
    """Change an affiliation: role, end date (``clear_end`` removes it), contact flag, or verify
    a tie the person declared (staff). Answered with :class:`AffiliationV1`."""

    subject: ClassVar[str] = "rpc.members.affiliation.update.v1"

    affiliation_id: int
    role: str | None = Field(default=None, min_length=1, max_length=100)
    end: date | None = None
    clear_end: bool = False
    contact: bool | None = None
    verified: bool | None = None
    by: str
    person_id: uuid.UUID | None = Field(
        default=None, description="When set, the affiliation must be this person's (self-service)."
    )


class RemoveAffiliationV1(Command):
    """Delete an affiliation entered by mistake (to end a real one, set its end date).
    Answered with :class:`AffiliationV1` as it was."""

    subject: ClassVar[str] = "rpc.members.affiliation.remove.v1"

    affiliation_id: int
    by: str
    person_id: uuid.UUID | None = Field(
        default=None, description="When set, the affiliation must be this person's (self-service)."
    )


class AffiliationChangedV1(Event):
    """An affiliation was added, changed or removed: the tie as it stands (``removed`` when it is
    gone). Consumers that decide member-only access keep it with the memberships.

    Emitted by members in the transaction of the change. Carries ids and dates only.
    """

    subject: ClassVar[str] = "reso.members.affiliation.changed.v1"

    affiliation_id: int
    person_id: uuid.UUID
    organisation_id: uuid.UUID
    start: date
    end: date | None
    verified: bool
    removed: bool = False


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
    skipped: tuple[str, ...] = Field(
        default=(), description="Members not renewed because they left the register (French)."
    )
    unreachable: tuple[str, ...] = Field(
        default=(), description="Members renewed with no address to mail the call to (French)."
    )


class RecipientV1(BaseModel):
    """Someone an e-mail about a membership goes to."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    person_id: uuid.UUID | None = Field(
        default=None, description="The person in members; null for an organisation's address."
    )
    name: str = Field(default="", description="Display name (a person's or an organisation's).")
    email: Email


class MembershipRenewedV1(Event):
    """Next year's membership was opened for a member of this year: its dues are now expected.

    Emitted by members once per member and year, in the transaction that opens it; newsletters
    mails the renewal call for dues to ``recipients``. When ``recipients`` is empty there is no
    one to mail (an organisation with no contact address): staff are told by the renewal report.
    Carries personal data (names, addresses) when it has recipients: it lives in the MEMBERS
    stream for its bounded max age only.
    """

    subject: ClassVar[str] = "reso.members.membership.renewed.v1"

    membership_id: uuid.UUID
    previous_membership_id: uuid.UUID
    member_type: MemberType
    member_id: uuid.UUID
    year: int
    dues: Decimal
    member_name: str | None = Field(
        default=None, description="The organisation's or the person's name, for the mail."
    )
    recipients: tuple[RecipientV1, ...] = Field(
        default=(), description="Who the renewal call goes to."
    )
