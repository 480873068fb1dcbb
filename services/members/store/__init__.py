"""Tables, repositories and the unit of work of the members service."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from contracts.base import Event
from contracts.members import (
    AccessLinkRequestedV1,
    AffiliationChangedV1,
    College,
    MemberRegisteredV1,
    MembershipActivatedV1,
    MembershipLapsedV1,
    MembershipRenewedV1,
    NetworkJoinedV1,
    NetworkLeftV1,
    OrganisationCreatedV1,
    OrganisationKind,
    OrganisationUpdatedV1,
    PersonConfirmedV1,
    PersonErasedV1,
    PersonKind,
    PersonUpdatedV1,
    RecipientV1,
    Territory,
)
from services.members.domain import (
    MemberRegistered,
    OrganisationCreated,
    PersonErased,
    TerritoryCodes,
)
from services.members.domain.access import AccessLinkRequested
from services.members.domain.memberships import (
    AffiliationChanged,
    MembershipActivated,
    MembershipLapsed,
    MembershipRenewed,
    MembershipStatusChanged,
)
from services.members.domain.networks import NetworkEvent, NetworkJoined, NetworkLeft
from services.members.domain.organisations import OrganisationChanged
from services.members.domain.people import PersonChanged, PersonConfirmed
from services.members.store.access import AccessLinkRepository, ConsentRepository
from services.members.store.audit import AuditRepository
from services.members.store.correspondents import CorrespondentRepository
from services.members.store.exports import ExportRepository
from services.members.store.governance import GovernanceRepository
from services.members.store.memberships import AffiliationRepository, MembershipRepository
from services.members.store.networks import NetworkRepository
from services.members.store.organisations import OrganisationRepository
from services.members.store.people import PeopleRepository
from services.members.store.republish import RepublishRepository
from services.members.store.schema import (
    access_links,
    affiliations,
    audit_log,
    consents,
    mandates,
    meeting_presence,
    meeting_proxies,
    meetings,
    membership_history,
    membership_payments,
    memberships,
    metadata,
    organisation_qpvs,
    organisations,
    people,
    person_qpvs,
    receipt_counters,
    reliability,
)
from services.runtime.settings import CentreSettings
from services.runtime.store import UnitOfWork

__all__ = [
    "MembersUnitOfWork",
    "UowFactory",
    "access_links",
    "affiliations",
    "audit_log",
    "consents",
    "contract_mapper",
    "mandates",
    "meeting_presence",
    "meeting_proxies",
    "meetings",
    "membership_history",
    "membership_payments",
    "memberships",
    "metadata",
    "organisation_qpvs",
    "organisations",
    "people",
    "person_qpvs",
    "receipt_counters",
    "reliability",
    "territory_contract",
]


def contract_mapper(centre: CentreSettings) -> Any:
    """Turn members' domain events into contract events (at the edge, for the outbox)."""

    def to_contract(domain_event: object) -> Event | None:
        if isinstance(domain_event, MemberRegistered):
            person = domain_event.person
            url, expires_at = domain_event.confirmation or (None, None)
            return MemberRegisteredV1(
                producer="members",
                centre=centre.slug,
                occurred_at=person.registered_at,
                person_id=person.id,
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
                confirmation_url=url,
                confirmation_expires_at=expires_at,
            )
        if isinstance(domain_event, PersonChanged):
            person = domain_event.person
            # Built without validation: every value comes from a person the domain checked when
            # it entered (the address above all). An import of 50,000 people otherwise spends
            # most of its time validating each address a second time. Consumers validate.
            return PersonUpdatedV1.model_construct(
                event_id=uuid.uuid4(),  # given: construct's default factories are slow
                producer="members",
                centre=centre.slug,
                occurred_at=domain_event.occurred_at,
                person_id=person.id,
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
                kind=PersonKind(person.kind),
                college=College(person.college),
                territory=territory_contract(person.territory),
                archived=person.archived_at is not None,
            )
        if isinstance(domain_event, AccessLinkRequested):
            link = domain_event.link
            return AccessLinkRequestedV1(
                producer="members",
                centre=centre.slug,
                occurred_at=domain_event.occurred_at,
                person_id=link.person_id,
                email=domain_event.email,
                first_name=domain_event.first_name,
                last_name=domain_event.last_name,
                purpose=link.purpose.value,
                url=link.url,
                expires_at=link.expires_at,
            )
        if isinstance(domain_event, PersonConfirmed):
            return PersonConfirmedV1(
                producer="members",
                centre=centre.slug,
                occurred_at=domain_event.occurred_at,
                person_id=domain_event.person_id,
            )
        if isinstance(domain_event, OrganisationChanged):
            organisation = domain_event.organisation
            return OrganisationUpdatedV1(
                producer="members",
                centre=centre.slug,
                occurred_at=domain_event.occurred_at,
                organisation_id=organisation.id,
                kind=OrganisationKind(organisation.kind),
                name=organisation.name,
                siren=organisation.siren,
                territory=territory_contract(organisation.territory),
                college=College(organisation.college),
                archived=organisation.archived_at is not None,
            )
        if isinstance(domain_event, AffiliationChanged):
            tie = domain_event.affiliation
            if tie.id is None:
                raise ValueError("an affiliation event needs the stored affiliation's id")
            return AffiliationChangedV1(
                producer="members",
                centre=centre.slug,
                occurred_at=domain_event.occurred_at,
                affiliation_id=tie.id,
                person_id=tie.person_id,
                organisation_id=tie.organisation_id,
                start=tie.start,
                end=tie.end,
                verified=tie.verified,
                removed=domain_event.removed,
            )
        if isinstance(domain_event, OrganisationCreated):
            organisation = domain_event.organisation
            return OrganisationCreatedV1(
                producer="members",
                centre=centre.slug,
                occurred_at=organisation.created_at,
                organisation_id=organisation.id,
                kind=OrganisationKind(organisation.kind),
                name=organisation.name,
                siren=organisation.siren,
                territory=territory_contract(organisation.territory),
                college=College(organisation.college),
            )
        if isinstance(domain_event, MembershipActivated | MembershipLapsed):
            contract = (
                MembershipActivatedV1
                if isinstance(domain_event, MembershipActivated)
                else MembershipLapsedV1
            )
            return contract(
                producer="members",
                centre=centre.slug,
                occurred_at=domain_event.occurred_at,
                membership_id=domain_event.membership_id,
                member_type=domain_event.member.kind,
                member_id=domain_event.member.id,
                year=domain_event.year,
            )
        if isinstance(domain_event, MembershipRenewed):
            return MembershipRenewedV1(
                producer="members",
                centre=centre.slug,
                occurred_at=domain_event.occurred_at,
                membership_id=domain_event.membership_id,
                previous_membership_id=domain_event.previous_membership_id,
                member_type=domain_event.member.kind,
                member_id=domain_event.member.id,
                year=domain_event.year,
                dues=domain_event.dues,
                member_name=domain_event.member_name,
                recipients=tuple(
                    RecipientV1(person_id=r.person_id, name=r.name, email=r.email)
                    for r in domain_event.recipients
                ),
            )
        if isinstance(domain_event, MembershipStatusChanged):
            return None  # entering grace, back to pending: no contract yet
        if isinstance(domain_event, NetworkJoined | NetworkLeft):
            network_contract = (
                NetworkJoinedV1 if isinstance(domain_event, NetworkJoined) else NetworkLeftV1
            )
            return network_contract(
                producer="members",
                centre=centre.slug,
                occurred_at=domain_event.occurred_at,
                network_slug=domain_event.network_slug,
                person_id=domain_event.person_id,
            )
        if isinstance(domain_event, NetworkEvent):
            return None  # a request or a refusal: no contract yet
        if isinstance(domain_event, PersonErased):
            erased = PersonErasedV1(
                producer="members", centre=centre.slug, person_id=domain_event.person_id
            )
            if domain_event.occurred_at is not None:
                erased = erased.model_copy(update={"occurred_at": domain_event.occurred_at})
            return erased
        raise TypeError(f"no contract for {type(domain_event).__name__}")

    return to_contract


def territory_contract(territory: TerritoryCodes) -> Territory:
    return Territory(
        region=territory.region,
        department=territory.department,
        commune=territory.commune,
        epci=territory.epci,
        qpvs=territory.qpvs,
    )


class MembersUnitOfWork(UnitOfWork):
    people: PeopleRepository
    organisations: OrganisationRepository
    memberships: MembershipRepository
    affiliations: AffiliationRepository
    networks: NetworkRepository
    audit: AuditRepository
    republish: RepublishRepository

    governance: GovernanceRepository
    links: AccessLinkRepository
    consents: ConsentRepository
    correspondents: CorrespondentRepository
    exports: ExportRepository

    def _open(self) -> None:
        self.audit = AuditRepository(self.session)
        self.links = AccessLinkRepository(self.session)
        self.consents = ConsentRepository(self.session)
        self.governance = GovernanceRepository(self.session)
        self.networks = NetworkRepository(self.session)
        self.correspondents = CorrespondentRepository(self.session)
        self.exports = ExportRepository(self.session)
        self.memberships = MembershipRepository(self.session)
        self.affiliations = AffiliationRepository(self.session)
        self.people = PeopleRepository(self.session, reliability.outbox)
        self.organisations = OrganisationRepository(self.session)
        self.republish = RepublishRepository(self.session)


UowFactory = Callable[[], MembersUnitOfWork]
