"""Messages about the local correspondents of thematic networks."""

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

TerritoryLevel = Literal["department", "epci", "commune"]


class CorrespondentTerritory(BaseModel):
    """A territory a correspondent answers for, as the reference data shipped with reso knows it."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    kind: TerritoryLevel = Field(
        description="'department' (code, e.g. '35', '2A'), 'epci' (SIREN) or 'commune' (INSEE)."
    )
    code: str = Field(min_length=1, max_length=9, description="The territory's code.")


class AppointCorrespondentV1(Command):
    """Staff appoint a current member of a network as its local correspondent for a territory,
    from ``since`` (and until ``until``, both included, when given).

    Answered with :class:`CorrespondentV1`. Refused with ``not_found`` (unknown network or
    person), ``conflict`` (not a current member of the network; the same person already
    appointed for that territory over an overlapping period) or ``invalid`` (territory unknown to
    the reference, ``until`` before ``since``). Sending the same appointment again answers the
    existing one and adds nothing.
    """

    subject: ClassVar[str] = "rpc.members.correspondent.appoint.v1"

    network_slug: str
    person_id: uuid.UUID
    territory: CorrespondentTerritory
    since: date = Field(description="First day of the appointment.")
    until: date | None = Field(default=None, description="Last day, if already known.")
    by: str = Field(description="E-mail of the staff account that asked.")


class EndCorrespondentV1(Command):
    """Staff end an appointment on ``until`` (included). An appointment that already ends by
    then is left as it is. Answered with :class:`CorrespondentV1`; ``not_found`` for an unknown
    appointment, ``invalid`` when ``until`` is before its first day.

    Appointments also end without this command: on the day their holder leaves the network or
    is erased (those not started yet are then withdrawn).
    """

    subject: ClassVar[str] = "rpc.members.correspondent.end.v1"

    network_slug: str
    appointment_id: uuid.UUID
    until: date = Field(description="Last day of the appointment.")
    by: str = Field(description="E-mail of the staff account that asked.")


class CorrespondentEntryV1(BaseModel):
    """One appointment, with the name of the person holding it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    appointment_id: uuid.UUID
    person_id: uuid.UUID
    first_name: str
    last_name: str
    territory: CorrespondentTerritory
    since: date
    until: date | None = Field(description="Last day (included); null while open-ended.")


class CorrespondentV1(Reply):
    """An appointment as staff see it; the appointment and end commands answer with it."""

    subject: ClassVar[str] = "rpc.members.correspondent.appoint.v1"

    network_slug: str
    appointment_id: uuid.UUID
    person_id: uuid.UUID
    first_name: str
    last_name: str
    territory: CorrespondentTerritory
    since: date
    until: date | None = None


class ListCorrespondentsV1(Query):
    """A network's correspondents (staff): those holding on ``on``, or every appointment, past,
    current and future, with its dates when ``on`` is null. Erased people never appear."""

    subject: ClassVar[str] = "rpc.members.correspondent.list.v1"

    network_slug: str
    on: date | None = Field(default=None, description="Only those holding that day.")


class CorrespondentsV1(Reply):
    subject: ClassVar[str] = "rpc.members.correspondent.list.v1"

    network_slug: str
    on: date | None = None
    correspondents: tuple[CorrespondentEntryV1, ...] = Field(
        description="By territory (kind, code), then first day, then person."
    )


class FindCorrespondentsV1(Query):
    """Who answers for a territory in a network on a day (staff): the correspondents of that
    very territory or, when it has none, of the nearest enclosing level that has some: commune
    → its EPCI → its department; EPCI → its department(s). ``invalid`` for a territory unknown
    to the reference."""

    subject: ClassVar[str] = "rpc.members.correspondent.find.v1"

    network_slug: str
    territory: CorrespondentTerritory
    on: date


class TerritoryCorrespondentsV1(Reply):
    subject: ClassVar[str] = "rpc.members.correspondent.find.v1"

    network_slug: str
    territory: CorrespondentTerritory = Field(
        description="The territory asked, its code in reference form."
    )
    on: date
    level: TerritoryLevel | None = Field(
        description="The level whose correspondents answer; null when nobody does."
    )
    correspondents: tuple[CorrespondentEntryV1, ...]
