"""Messages about the association's governance: mandates in its bodies, meetings, their sign-in
sheets and quorum.

The bodies are the general assembly (``ag``), the board (``ca``), the ``bureau`` and the comité
des financeurs (``comite_financeurs``), which meets but does not deliberate: it has no quorum and
takes no proxies. Every command here is sent by the gateway for a staff account.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.base import (
    Command,
    Query,
    Reply,
)
from contracts.members.common import (
    College,
)

GovernanceBody = Literal["ag", "ca", "bureau", "comite_financeurs"]
MandateVoice = Literal["deliberative", "consultative"]
SeatKind = Literal["member", "personne_qualifiee"]


class CreateMandateV1(Command):
    """Give a person a seat in a body, from ``start`` to ``end`` (both included).

    Answered with :class:`MandateV1`. Refused with ``not_found`` for an unknown or erased person
    or an unknown organisation, ``invalid`` when the seat breaks a rule (a personne qualifiée with
    a deliberative voice, a seat of the comité des financeurs that represents no organisation, a
    deliberative seat at the AG outside the colleges), and ``conflict`` when the person already
    has a deliberative mandate in that body on one of those days.
    """

    subject: ClassVar[str] = "rpc.members.mandate.create.v1"

    person_id: uuid.UUID
    body: GovernanceBody
    college: College | None = Field(
        default=None, description="Required for a deliberative seat at the general assembly."
    )
    seat: str = Field(
        min_length=1, max_length=100, description="The seat as the bylaws name it, e.g. 'membre'."
    )
    seat_kind: SeatKind = Field(
        default="member",
        description="'personne_qualifiee': co-opted, consultative voice only, never counted.",
    )
    voice: MandateVoice | None = Field(
        default=None,
        description="Default: deliberative for a member, consultative for a personne qualifiée.",
    )
    organisation_id: uuid.UUID | None = Field(
        default=None,
        description="The organisation the person represents; required at the comité des "
        "financeurs (a funder organisation known to members).",
    )
    start: date
    end: date | None = Field(default=None, description="Last day included; null: open-ended.")
    by: str = Field(description="E-mail of the staff account that asked.")


class EndMandateV1(Command):
    """Set the last day of a mandate (not before its first day). Answered with
    :class:`MandateV1`; ``conflict`` when the new end would overlap another deliberative mandate
    or strike its holder off the sheet of a later meeting."""

    subject: ClassVar[str] = "rpc.members.mandate.end.v1"

    mandate_id: uuid.UUID
    end: date = Field(description="Last day the mandate is in force (included).")
    by: str


class MandateV1(Reply):
    """A mandate with the names staff read: the person's and the organisation's, if any."""

    subject: ClassVar[str] = "rpc.members.mandate.create.v1"

    mandate_id: uuid.UUID
    person_id: uuid.UUID
    first_name: str
    last_name: str
    body: GovernanceBody
    college: College | None
    seat: str
    seat_kind: SeatKind
    voice: MandateVoice
    organisation_id: uuid.UUID | None
    organisation_name: str | None
    start: date
    end: date | None


class ListMandatesV1(Query):
    """The mandates of a body in force on a day (staff)."""

    subject: ClassVar[str] = "rpc.members.mandate.list.v1"

    body: GovernanceBody
    on: date | None = Field(default=None, description="Default: today (UTC).")


class ListPersonMandatesV1(Query):
    """Every mandate of one person, past, current and future (staff). ``not_found`` for an
    unknown or erased person."""

    subject: ClassVar[str] = "rpc.members.mandate.list_by_person.v1"

    person_id: uuid.UUID


class MandatesV1(Reply):
    """Mandates ordered by body, college, seat kind and name (a list answer)."""

    subject: ClassVar[str] = "rpc.members.mandate.list.v1"

    mandates: tuple[MandateV1, ...]


class CreateMeetingV1(Command):
    """Convene a meeting of a body on a day. Answered with :class:`MeetingV1`."""

    subject: ClassVar[str] = "rpc.members.meeting.create.v1"

    body: GovernanceBody
    held_on: date
    title: str = Field(min_length=1, max_length=200)
    second_convocation: bool = Field(
        default=False,
        description="Held on second convocation: the bylaws may then waive the quorum.",
    )
    by: str


class GetMeetingV1(Query):
    """A meeting with its sign-in sheet and its quorum (staff)."""

    subject: ClassVar[str] = "rpc.members.meeting.get.v1"

    meeting_id: uuid.UUID


class RecordPresenceV1(Command):
    """Sign a person in to a meeting. They need a mandate in force in the body that day and must
    not have given a proxy. Repeating it changes nothing. Answered with :class:`MeetingV1`."""

    subject: ClassVar[str] = "rpc.members.presence.record.v1"

    meeting_id: uuid.UUID
    person_id: uuid.UUID
    by: str


class RemovePresenceV1(Command):
    """Strike a person off a meeting's sheet; ``conflict`` while they hold proxies. Answered with
    :class:`MeetingV1`."""

    subject: ClassVar[str] = "rpc.members.presence.remove.v1"

    meeting_id: uuid.UUID
    person_id: uuid.UUID
    by: str


class RecordProxyV1(Command):
    """Record that an absent member gives their proxy to a member present at the meeting, as the
    bylaws allow (how many each may hold, within the college or not). Repeating it changes
    nothing; giving it to someone else first needs the proxy withdrawn. Changes to one meeting's
    sheet are serialised, so concurrent proxies never exceed the maximum. Answered with
    :class:`MeetingV1`."""

    subject: ClassVar[str] = "rpc.members.proxy.record.v1"

    meeting_id: uuid.UUID
    giver_id: uuid.UUID = Field(description="The absent member who gives the proxy.")
    holder_id: uuid.UUID = Field(description="The member present who receives it.")
    by: str


class WithdrawProxyV1(Command):
    """Withdraw a member's proxy (nothing happens if they gave none). Answered with
    :class:`MeetingV1`."""

    subject: ClassVar[str] = "rpc.members.proxy.withdraw.v1"

    meeting_id: uuid.UUID
    giver_id: uuid.UUID
    by: str


class SheetLineV1(BaseModel):
    """One person sitting in the body that day, with the mandate that gives their voice."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    person_id: uuid.UUID
    first_name: str
    last_name: str
    mandate_id: uuid.UUID
    college: College | None
    seat: str
    seat_kind: SeatKind
    voice: MandateVoice
    organisation_id: uuid.UUID | None
    organisation_name: str | None
    attendance: Literal["present", "represented", "absent"]
    proxy_holder_id: uuid.UUID | None = Field(
        default=None, description="Who holds this member's proxy, when represented."
    )


class TallyV1(BaseModel):
    """Deliberative members of the body (or of one college) and how many count."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    members: int
    present: int
    represented: int = Field(description="Absent members who gave a proxy.")
    counted: int = Field(description="Toward quorum: present, plus represented if proxies count.")
    required: int = Field(description="0 when no quorum is required (second convocation).")
    votes: int = Field(description="Present plus represented.")


class QuorumV1(BaseModel):
    """The quorum of a meeting, counted with the centre's bylaws."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    total: TallyV1
    colleges: dict[College, TallyV1] = Field(
        description="The colleges that have deliberative members that day."
    )
    consultative_present: int = Field(
        description="People present with a consultative voice (personnes qualifiées): never "
        "counted."
    )
    reached: bool
    reasons: tuple[str, ...] = Field(description="Why it is not reached (French); empty if it is.")


class MeetingV1(Reply):
    """A meeting, its sign-in sheet and its quorum. Every meeting command answers with it."""

    subject: ClassVar[str] = "rpc.members.meeting.get.v1"

    meeting_id: uuid.UUID
    body: GovernanceBody
    held_on: date
    title: str
    second_convocation: bool
    sheet: tuple[SheetLineV1, ...] = Field(
        description="Everyone with a mandate in force in the body that day, present or not."
    )
    quorum_applies: bool = Field(
        description="False for the comité des financeurs, which does not deliberate."
    )
    quorum: QuorumV1 | None = Field(
        description="Null when no quorum applies, or when it cannot be counted (quorum_problem)."
    )
    quorum_problem: str | None = Field(
        default=None,
        description="Why the quorum cannot be counted (French): the sheet no longer agrees with "
        "the mandates or the bylaws, e.g. after the bylaws changed. Correct the sheet.",
    )
