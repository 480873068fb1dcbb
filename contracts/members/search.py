"""Messages that search the register: people and organisations, filtered and paged."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.base import Query, Reply
from contracts.members.common import College, OrganisationKind, PersonKind, Territory

MembershipFilter = Literal["pending", "active", "grace", "lapsed", "none"]
ArchivedFilter = Literal["exclude", "include", "only"]


class _Filter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    q: str | None = Field(
        default=None,
        max_length=100,
        description="Words that must all appear in the name and e-mail of a person, the name and "
        "SIREN of an organisation (case and accents ignored).",
    )
    college: College | None = None
    region: str | None = Field(default=None, max_length=3, description="INSEE region code.")
    department: str | None = Field(default=None, max_length=3, description="Department code.")
    commune: str | None = Field(default=None, max_length=5, description="INSEE commune code.")
    epci: str | None = Field(default=None, max_length=9, description="SIREN of the EPCI.")
    qpv: str | None = Field(default=None, max_length=8, description="2024 QPV code (QN…).")
    membership_year: int | None = Field(default=None, ge=2000, le=2100)
    membership_status: MembershipFilter | None = Field(
        default=None,
        description="Status of the membership of ``membership_year`` (the current year when "
        "not given); 'none' for no membership that year.",
    )
    archived: ArchivedFilter = Field(
        default="exclude", description="Archived records: left out, included, or only them."
    )


class PeopleFilter(_Filter):
    """Which people: every given criterion must hold. Erased people never match."""

    kind: tuple[PersonKind, ...] = Field(default=(), description="Any of these kinds.")
    network: str | None = Field(
        default=None, max_length=80, description="Slug of a network the person is a member of."
    )
    organisation_id: uuid.UUID | None = Field(
        default=None, description="Affiliated to this organisation (today)."
    )
    confirmed: bool | None = Field(default=None, description="Address confirmed or not.")


class OrganisationsFilter(_Filter):
    """Which organisations: every given criterion must hold."""

    kind: tuple[OrganisationKind, ...] = Field(default=(), description="Any of these kinds.")


class SearchPeopleV1(Query):
    """A page of the people matching ``filter``, by last name then first name (staff)."""

    subject: ClassVar[str] = "rpc.members.people.search.v1"

    filter: PeopleFilter = PeopleFilter()
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class PersonSummaryV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    person_id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str
    kind: PersonKind
    college: College
    territory: Territory
    confirmed: bool
    archived_at: AwareDatetime | None = None


class PeoplePageV1(Reply):
    subject: ClassVar[str] = "rpc.members.people.search.v1"

    total: int = Field(description="How many people match, all pages together.")
    offset: int
    items: tuple[PersonSummaryV1, ...]


class SearchOrganisationsV1(Query):
    """A page of the organisations matching ``filter``, by name (staff)."""

    subject: ClassVar[str] = "rpc.members.organisations.search.v1"

    filter: OrganisationsFilter = OrganisationsFilter()
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class OrganisationSummaryV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    organisation_id: uuid.UUID
    kind: OrganisationKind
    name: str
    siren: str | None
    college: College
    territory: Territory
    email: str
    archived_at: AwareDatetime | None = None


class OrganisationsPageV1(Reply):
    subject: ClassVar[str] = "rpc.members.organisations.search.v1"

    total: int
    offset: int
    items: tuple[OrganisationSummaryV1, ...]
