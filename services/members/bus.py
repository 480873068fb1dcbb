"""FastStream adapters of the members service: message -> handler call -> reply."""

from __future__ import annotations

from contracts.base import ExportPersonDataV1, PersonDataV1
from contracts.members import (
    AccessLinkReplyV1,
    AccessLinkRequestedV1,
    AccessV1,
    AddAffiliationV1,
    AffiliationChangedV1,
    AffiliationV1,
    AppointCorrespondentV1,
    ArchiveOrganisationV1,
    ArchivePersonV1,
    AuditLogV1,
    CheckAccessV1,
    CorrespondentsV1,
    CorrespondentV1,
    CreateMandateV1,
    CreateMeetingV1,
    CreateOrganisationV1,
    CreatePersonV1,
    DecideNetworkRequestV1,
    EndCorrespondentV1,
    EndMandateV1,
    ErasePersonV1,
    ExportedFileV1,
    ExportOrganisationsV1,
    ExportPeopleV1,
    FindCorrespondentsV1,
    GetAuditLogV1,
    GetMeetingV1,
    GetMembershipV1,
    GetOrganisationV1,
    GetPersonSpaceV1,
    GetPersonV1,
    GetRosterV1,
    ImportOrganisationsV1,
    ImportPeopleV2,
    ImportReportV1,
    JoinNetworkV1,
    LeaveNetworkV1,
    ListCorrespondentsV1,
    ListMandatesV1,
    ListNetworksV1,
    ListPersonMandatesV1,
    MandatesV1,
    MandateV1,
    MeetingV1,
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
    OrganisationsPageV1,
    OrganisationUpdatedV1,
    OrganisationV1,
    OverrideMembershipV1,
    PeoplePageV1,
    PersonConfirmedV1,
    PersonErasedV1,
    PersonErasureReplyV1,
    PersonRegisteredReplyV1,
    PersonSpaceV1,
    PersonUpdatedV1,
    PersonV1,
    RecordPaymentV1,
    RecordPresenceV1,
    RecordProxyV1,
    RedeemAccessLinkV1,
    RedeemedLinkV1,
    RegisterPersonV1,
    RemoveAffiliationV1,
    RemovePresenceV1,
    RenewalReplyV1,
    RenewMembershipsV1,
    RepublishedFactsV1,
    RepublishFactsV1,
    RequestAccessLinkV1,
    RequestEmailChangeV1,
    RestoreOrganisationV1,
    RestorePersonV1,
    RosterV1,
    SearchOrganisationsV1,
    SearchPeopleV1,
    TerritoryCorrespondentsV1,
    UpdateAffiliationV1,
    UpdateOrganisationV1,
    UpdatePersonV1,
    WaiveMembershipV1,
    WithdrawProxyV1,
)
from contracts.newsletters import SubscriptionCancelledV1, SubscriptionConfirmedV1
from services.members import handlers
from services.runtime.bus import Bus


def register(
    bus: Bus,
    uow: handlers.UowFactory,
    rules: handlers.MembershipRules,
    *,
    quorum_rules: handlers.QuorumRules,
    self_service: handlers.SelfService,
    export_max_rows: int,
) -> None:
    bus.publisher(MemberRegisteredV1)
    bus.publisher(AccessLinkRequestedV1)
    bus.publisher(PersonErasedV1)
    bus.publisher(OrganisationCreatedV1)
    bus.publisher(MembershipActivatedV1)
    bus.publisher(MembershipLapsedV1)
    bus.publisher(MembershipRenewedV1)
    bus.publisher(NetworkJoinedV1)
    bus.publisher(NetworkLeftV1)
    bus.publisher(PersonUpdatedV1)
    bus.publisher(PersonConfirmedV1)
    bus.publisher(OrganisationUpdatedV1)
    bus.publisher(AffiliationChangedV1)

    @bus.rpc(RegisterPersonV1.subject, description=RegisterPersonV1.__doc__)
    async def register_person(command: RegisterPersonV1) -> PersonRegisteredReplyV1:
        return await handlers.register_person(command, uow, self_service.links)

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

    @bus.rpc(RepublishFactsV1.subject, description=RepublishFactsV1.__doc__)
    async def republish_facts(command: RepublishFactsV1) -> RepublishedFactsV1:
        return await handlers.republish_facts(command, uow)

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

    @bus.rpc(ExportPeopleV1.subject, description=ExportPeopleV1.__doc__)
    async def export_people(query: ExportPeopleV1) -> ExportedFileV1:
        return await handlers.export_people(query, uow, bus.files, max_rows=export_max_rows)

    @bus.rpc(ExportOrganisationsV1.subject, description=ExportOrganisationsV1.__doc__)
    async def export_organisations(query: ExportOrganisationsV1) -> ExportedFileV1:
        return await handlers.export_organisations(query, uow, bus.files, max_rows=export_max_rows)

    @bus.rpc(OverrideMembershipV1.subject, description=OverrideMembershipV1.__doc__)
    async def override_membership(command: OverrideMembershipV1) -> MembershipV1:
        return await handlers.override_membership(command, uow)

    @bus.rpc(CreatePersonV1.subject, description=CreatePersonV1.__doc__)
    async def create_person(command: CreatePersonV1) -> PersonV1:
        return await handlers.create_person(command, uow)

    @bus.rpc(UpdatePersonV1.subject, description=UpdatePersonV1.__doc__)
    async def update_person(command: UpdatePersonV1) -> PersonV1:
        return await handlers.update_person(command, uow)

    @bus.rpc(ArchivePersonV1.subject, description=ArchivePersonV1.__doc__)
    async def archive_person(command: ArchivePersonV1) -> PersonV1:
        return await handlers.archive_person(command, uow)

    @bus.rpc(RestorePersonV1.subject, description=RestorePersonV1.__doc__)
    async def restore_person(command: RestorePersonV1) -> PersonV1:
        return await handlers.restore_person(command, uow)

    @bus.rpc(SearchPeopleV1.subject, description=SearchPeopleV1.__doc__)
    async def search_people(query: SearchPeopleV1) -> PeoplePageV1:
        return await handlers.search_people(query, uow)

    @bus.rpc(UpdateOrganisationV1.subject, description=UpdateOrganisationV1.__doc__)
    async def update_organisation(command: UpdateOrganisationV1) -> OrganisationV1:
        return await handlers.update_organisation(command, uow)

    @bus.rpc(ArchiveOrganisationV1.subject, description=ArchiveOrganisationV1.__doc__)
    async def archive_organisation(command: ArchiveOrganisationV1) -> OrganisationV1:
        return await handlers.archive_organisation(command, uow)

    @bus.rpc(RestoreOrganisationV1.subject, description=RestoreOrganisationV1.__doc__)
    async def restore_organisation(command: RestoreOrganisationV1) -> OrganisationV1:
        return await handlers.restore_organisation(command, uow)

    @bus.rpc(SearchOrganisationsV1.subject, description=SearchOrganisationsV1.__doc__)
    async def search_organisations(query: SearchOrganisationsV1) -> OrganisationsPageV1:
        return await handlers.search_organisations(query, uow)

    @bus.rpc(UpdateAffiliationV1.subject, description=UpdateAffiliationV1.__doc__)
    async def update_affiliation(command: UpdateAffiliationV1) -> AffiliationV1:
        return await handlers.update_affiliation(command, uow)

    @bus.rpc(RemoveAffiliationV1.subject, description=RemoveAffiliationV1.__doc__)
    async def remove_affiliation(command: RemoveAffiliationV1) -> AffiliationV1:
        return await handlers.remove_affiliation(command, uow)

    @bus.rpc(GetAuditLogV1.subject, description=GetAuditLogV1.__doc__)
    async def get_audit_log(query: GetAuditLogV1) -> AuditLogV1:
        return await handlers.get_audit_log(query, uow)

    @bus.rpc(CreateMandateV1.subject, description=CreateMandateV1.__doc__)
    async def create_mandate(command: CreateMandateV1) -> MandateV1:
        return await handlers.create_mandate(command, uow)

    @bus.rpc(EndMandateV1.subject, description=EndMandateV1.__doc__)
    async def end_mandate(command: EndMandateV1) -> MandateV1:
        return await handlers.end_mandate(command, uow, quorum_rules)

    @bus.rpc(ListMandatesV1.subject, description=ListMandatesV1.__doc__)
    async def list_mandates(query: ListMandatesV1) -> MandatesV1:
        return await handlers.list_mandates(query, uow)

    @bus.rpc(ListPersonMandatesV1.subject, description=ListPersonMandatesV1.__doc__)
    async def list_person_mandates(query: ListPersonMandatesV1) -> MandatesV1:
        return await handlers.list_person_mandates(query, uow)

    @bus.rpc(CreateMeetingV1.subject, description=CreateMeetingV1.__doc__)
    async def create_meeting(command: CreateMeetingV1) -> MeetingV1:
        return await handlers.create_meeting(command, uow, quorum_rules)

    @bus.rpc(GetMeetingV1.subject, description=GetMeetingV1.__doc__)
    async def get_meeting(query: GetMeetingV1) -> MeetingV1:
        return await handlers.get_meeting(query, uow, quorum_rules)

    @bus.rpc(RecordPresenceV1.subject, description=RecordPresenceV1.__doc__)
    async def record_presence(command: RecordPresenceV1) -> MeetingV1:
        return await handlers.record_presence(command, uow, quorum_rules)

    @bus.rpc(RemovePresenceV1.subject, description=RemovePresenceV1.__doc__)
    async def remove_presence(command: RemovePresenceV1) -> MeetingV1:
        return await handlers.remove_presence(command, uow, quorum_rules)

    @bus.rpc(RecordProxyV1.subject, description=RecordProxyV1.__doc__)
    async def record_proxy(command: RecordProxyV1) -> MeetingV1:
        return await handlers.record_proxy(command, uow, quorum_rules)

    @bus.rpc(WithdrawProxyV1.subject, description=WithdrawProxyV1.__doc__)
    async def withdraw_proxy(command: WithdrawProxyV1) -> MeetingV1:
        return await handlers.withdraw_proxy(command, uow, quorum_rules)

    @bus.rpc(RequestAccessLinkV1.subject, description=RequestAccessLinkV1.__doc__)
    async def request_access_link(command: RequestAccessLinkV1) -> AccessLinkReplyV1:
        return await handlers.request_access_link(command, uow, self_service)

    @bus.rpc(RedeemAccessLinkV1.subject, description=RedeemAccessLinkV1.__doc__)
    async def redeem_access_link(command: RedeemAccessLinkV1) -> RedeemedLinkV1:
        return await handlers.redeem_access_link(command, uow, self_service)

    @bus.rpc(RequestEmailChangeV1.subject, description=RequestEmailChangeV1.__doc__)
    async def request_email_change(command: RequestEmailChangeV1) -> AccessLinkReplyV1:
        return await handlers.request_email_change(command, uow, self_service)

    @bus.rpc(GetPersonSpaceV1.subject, description=GetPersonSpaceV1.__doc__)
    async def person_space(query: GetPersonSpaceV1) -> PersonSpaceV1:
        return await handlers.person_space(query, uow)

    @bus.rpc("rpc.members.person.export.v1", description=ExportPersonDataV1.__doc__)
    async def export_person_data(query: ExportPersonDataV1) -> PersonDataV1:
        return await handlers.export_person_data(query, uow)

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

    @bus.consumer(
        SubscriptionConfirmedV1.subject,
        description="Record the subscription as a consent of the person with that address.",
    )
    async def on_subscription_confirmed(event: SubscriptionConfirmedV1) -> None:
        await handlers.on_subscription_changed(event, uow)

    @bus.consumer(
        SubscriptionCancelledV1.subject,
        description="Record the withdrawal as a consent decision of the person with that address.",
    )
    async def on_subscription_cancelled(event: SubscriptionCancelledV1) -> None:
        await handlers.on_subscription_changed(event, uow)
