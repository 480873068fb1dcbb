"""FastStream adapters of the members service: message -> handler call -> reply."""

from __future__ import annotations

from contracts.members import (
    AccessV1,
    AddAffiliationV1,
    AffiliationV1,
    AppointCorrespondentV1,
    CheckAccessV1,
    CorrespondentsV1,
    CorrespondentV1,
    CreateOrganisationV1,
    DecideNetworkRequestV1,
    EndCorrespondentV1,
    ErasePersonV1,
    FindCorrespondentsV1,
    GetMembershipV1,
    GetOrganisationV1,
    GetPersonV1,
    GetRosterV1,
    ImportOrganisationsV1,
    ImportPeopleV2,
    ImportReportV1,
    JoinNetworkV1,
    LeaveNetworkV1,
    ListCorrespondentsV1,
    ListNetworksV1,
    MemberRegisteredV1,
    MembershipActivatedV1,
    MembershipLapsedV1,
    MembershipRenewedV1,
    MembershipV1,
    NetworkJoinedV1,
    NetworkLeftV1,
    NetworkMembershipV1,
    NetworksV1,
    OpenMembershipV1,
    OrganisationCreatedV1,
    OrganisationV1,
    OverrideMembershipV1,
    PersonErasedV1,
    PersonErasureReplyV1,
    PersonRegisteredReplyV1,
    PersonV1,
    RecordPaymentV1,
    RegisterPersonV1,
    RenewalReplyV1,
    RenewMembershipsV1,
    RosterV1,
    TerritoryCorrespondentsV1,
    WaiveMembershipV1,
)
from services.members import handlers
from services.runtime.bus import Bus


def register(bus: Bus, uow: handlers.UowFactory, rules: handlers.MembershipRules) -> None:
    bus.publisher(MemberRegisteredV1)
    bus.publisher(PersonErasedV1)
    bus.publisher(OrganisationCreatedV1)
    bus.publisher(MembershipActivatedV1)
    bus.publisher(MembershipLapsedV1)
    bus.publisher(MembershipRenewedV1)
    bus.publisher(NetworkJoinedV1)
    bus.publisher(NetworkLeftV1)

    @bus.rpc(RegisterPersonV1.subject, description=RegisterPersonV1.__doc__)
    async def register_person(command: RegisterPersonV1) -> PersonRegisteredReplyV1:
        return await handlers.register_person(command, uow)

    @bus.rpc(GetPersonV1.subject, description=GetPersonV1.__doc__)
    async def get_person(query: GetPersonV1) -> PersonV1:
        return await handlers.get_person(query, uow)

    @bus.rpc(ErasePersonV1.subject, description=ErasePersonV1.__doc__)
    async def erase_person(command: ErasePersonV1) -> PersonErasureReplyV1:
        return await handlers.erase_person(command, uow)

    @bus.rpc(CreateOrganisationV1.subject, description=CreateOrganisationV1.__doc__)
    async def create_organisation(command: CreateOrganisationV1) -> OrganisationV1:
        return await handlers.create_organisation(command, uow)

    @bus.rpc(GetOrganisationV1.subject, description=GetOrganisationV1.__doc__)
    async def get_organisation(query: GetOrganisationV1) -> OrganisationV1:
        return await handlers.get_organisation(query, uow)

    @bus.rpc(OpenMembershipV1.subject, description=OpenMembershipV1.__doc__)
    async def open_membership(command: OpenMembershipV1) -> MembershipV1:
        return await handlers.open_membership(command, uow, rules)

    @bus.rpc(RecordPaymentV1.subject, description=RecordPaymentV1.__doc__)
    async def record_payment(command: RecordPaymentV1) -> MembershipV1:
        return await handlers.record_payment(command, uow)

    @bus.rpc(WaiveMembershipV1.subject, description=WaiveMembershipV1.__doc__)
    async def waive_membership(command: WaiveMembershipV1) -> MembershipV1:
        return await handlers.waive_membership(command, uow)

    @bus.rpc(GetMembershipV1.subject, description=GetMembershipV1.__doc__)
    async def get_membership(query: GetMembershipV1) -> MembershipV1:
        return await handlers.get_membership(query, uow)

    @bus.rpc(AddAffiliationV1.subject, description=AddAffiliationV1.__doc__)
    async def add_affiliation(command: AddAffiliationV1) -> AffiliationV1:
        return await handlers.add_affiliation(command, uow)

    @bus.rpc(CheckAccessV1.subject, description=CheckAccessV1.__doc__)
    async def check_access(query: CheckAccessV1) -> AccessV1:
        return await handlers.check_access(query, uow)

    @bus.rpc(RenewMembershipsV1.subject, description=RenewMembershipsV1.__doc__)
    async def renew_memberships(command: RenewMembershipsV1) -> RenewalReplyV1:
        return await handlers.renew_memberships(command, uow, rules)

    @bus.rpc(ListNetworksV1.subject, description=ListNetworksV1.__doc__)
    async def list_networks(query: ListNetworksV1) -> NetworksV1:
        return handlers.list_networks()

    @bus.rpc(JoinNetworkV1.subject, description=JoinNetworkV1.__doc__)
    async def join_network(command: JoinNetworkV1) -> NetworkMembershipV1:
        return await handlers.join_network(command, uow)

    @bus.rpc(DecideNetworkRequestV1.subject, description=DecideNetworkRequestV1.__doc__)
    async def decide_network_request(command: DecideNetworkRequestV1) -> NetworkMembershipV1:
        return await handlers.decide_network_request(command, uow)

    @bus.rpc(LeaveNetworkV1.subject, description=LeaveNetworkV1.__doc__)
    async def leave_network(command: LeaveNetworkV1) -> NetworkMembershipV1:
        return await handlers.leave_network(command, uow)

    @bus.rpc(GetRosterV1.subject, description=GetRosterV1.__doc__)
    async def network_roster(query: GetRosterV1) -> RosterV1:
        return await handlers.network_roster(query, uow)

    @bus.rpc(ImportPeopleV2.subject, description=ImportPeopleV2.__doc__)
    async def import_people(command: ImportPeopleV2) -> ImportReportV1:
        return await handlers.import_people(command, uow, bus.files)

    @bus.rpc(ImportOrganisationsV1.subject, description=ImportOrganisationsV1.__doc__)
    async def import_organisations(command: ImportOrganisationsV1) -> ImportReportV1:
        return await handlers.import_organisations(command, uow, bus.files)

    @bus.rpc(OverrideMembershipV1.subject, description=OverrideMembershipV1.__doc__)
    async def override_membership(command: OverrideMembershipV1) -> MembershipV1:
        return await handlers.override_membership(command, uow)

    @bus.rpc(AppointCorrespondentV1.subject, description=AppointCorrespondentV1.__doc__)
    async def appoint_correspondent(command: AppointCorrespondentV1) -> CorrespondentV1:
        return await handlers.appoint_correspondent(command, uow)

    @bus.rpc(EndCorrespondentV1.subject, description=EndCorrespondentV1.__doc__)
    async def end_correspondent(command: EndCorrespondentV1) -> CorrespondentV1:
        return await handlers.end_correspondent(command, uow)

    @bus.rpc(ListCorrespondentsV1.subject, description=ListCorrespondentsV1.__doc__)
    async def list_correspondents(query: ListCorrespondentsV1) -> CorrespondentsV1:
        return await handlers.list_correspondents(query, uow)

    @bus.rpc(FindCorrespondentsV1.subject, description=FindCorrespondentsV1.__doc__)
    async def find_correspondents(query: FindCorrespondentsV1) -> TerritoryCorrespondentsV1:
        return await handlers.find_correspondents(query, uow)
