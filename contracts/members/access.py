"""Messages of the self-service: personal links (confirm a sign-up, sign in, confirm a new
address) and what a person sees of themself in their personal space."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.base import Command, Email, Query, Reply
from contracts.members.governance import MandateV1
from contracts.members.memberships import MembershipV1
from contracts.members.people import PersonV1

LinkPurpose = Literal["confirm_signup", "sign_in", "confirm_email"]


class RequestAccessLinkV1(Command):
    """A person asks for a link to their personal space (public). A confirmed address gets a
    sign-in link; an address still to confirm gets the confirmation link again; an unknown or
    erased one gets nothing. The answer is the same in every case, so it never tells whether an
    address is known. At most one link a minute per person."""

    subject: ClassVar[str] = "rpc.members.access_link.request.v1"

    email: Email


class AccessLinkReplyV1(Reply):
    subject: ClassVar[str] = "rpc.members.access_link.request.v1"

    message: str = Field(description="What to tell the person, in French (always the same).")


class RedeemAccessLinkV1(Command):
    """Follow a personal link: confirm the sign-up, open a session (the link then stops
    working), or switch to the new address. Refused with ``gone`` when the link expired, was
    used, or no longer matches the person; ``invalid`` when it is not a link of ours."""

    subject: ClassVar[str] = "rpc.members.access_link.redeem.v1"

    purpose: LinkPurpose
    token: str = Field(min_length=10, max_length=2000)


class RedeemedLinkV1(Reply):
    subject: ClassVar[str] = "rpc.members.access_link.redeem.v1"

    purpose: LinkPurpose
    person_id: uuid.UUID
    first_name: str


class RequestEmailChangeV1(Command):
    """A person signed in asks to use another address: a link goes to the new address, and the
    change happens only when it is followed. The answer is the same whether or not the address
    can be used (it may be someone else's)."""

    subject: ClassVar[str] = "rpc.members.email_change.request.v1"

    person_id: uuid.UUID
    email: Email


class GetPersonSpaceV1(Query):
    """What a person sees of themself in their personal space (the gateway asks it only for the
    person signed in)."""

    subject: ClassVar[str] = "rpc.members.person.space.v1"

    person_id: uuid.UUID


class ConsentV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    purpose: str = Field(description="'signup', or 'newsletter:<letter>'.")
    granted: bool
    at: AwareDatetime
    wording: str = Field(description="The text the person agreed to (French).")
    version: str
    source: str = Field(description="Where it was given: signup, newsletters, self, staff.")


class PersonNetworkV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    slug: str
    name: str
    open: bool
    status: Literal["requested", "member", "left", "refused"] | None = Field(
        description="The person's status; null when they never joined nor asked."
    )
    since: AwareDatetime | None = None


class PersonSpaceV1(Reply):
    subject: ClassVar[str] = "rpc.members.person.space.v1"

    person: PersonV1
    memberships: tuple[MembershipV1, ...] = ()
    networks: tuple[PersonNetworkV1, ...] = ()
    consents: tuple[ConsentV1, ...] = Field(
        default=(), description="Each purpose's latest decision, with the wording agreed to."
    )
    mandates: tuple[MandateV1, ...] = ()
