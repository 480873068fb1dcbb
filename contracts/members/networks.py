"""Messages about thematic networks."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.base import (
    Command,
    Event,
    Query,
    Reply,
)


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
