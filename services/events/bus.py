"""FastStream adapters of the events service: message -> handler call -> reply."""

from __future__ import annotations

from contracts.base import ExportPersonDataV1, PersonDataV1
from contracts.events import (
    AcceptOfferV1,
    ActivityReportV1,
    AgendaV1,
    ApplicationDecidedV1,
    ApplicationSubmittedV1,
    CalendarV1,
    CancelEventV1,
    CancelRegistrationV1,
    CheckInV1,
    CompleteEventV1,
    CreateCycleV1,
    CreateEventV1,
    CycleRegistrationV1,
    CycleV1,
    EventCancelledV1,
    EventFileV1,
    EventPublishedV1,
    EventUpdatedV1,
    EventV1,
    GetActivityReportV1,
    GetAgendaCalendarV1,
    GetAttendanceSheetV1,
    GetCertificatesV1,
    GetCycleV1,
    GetEventCalendarV1,
    GetEventV1,
    GetRegistrationV1,
    ListRegistrantsV1,
    MoveRegistrationV1,
    PublishEventV1,
    RegisterToCycleV1,
    RegisterV1,
    RegistrantsV1,
    RegistrationCancelledV1,
    RegistrationChangedV1,
    RegistrationConfirmedV1,
    RegistrationOfferedV1,
    RegistrationPromotedV1,
    RegistrationV1,
    RegistrationWaitlistedV1,
    ReminderDueV1,
    SearchAgendaV1,
    UpdateCycleV1,
    UpdateEventV1,
)
from contracts.events.calls import (
    ApplicationReviewV1,
    ApplicationsV1,
    ApplicationV1,
    CallsV1,
    CallV1,
    ChangeCallStatusV1,
    CreateCallV1,
    DecideApplicationV1,
    DecisionsPublishedV1,
    GetApplicationV1,
    GetCallV1,
    GetMyApplicationsV1,
    ListApplicationsV1,
    ListCallsV1,
    MyApplicationsV1,
    PublishDecisionsV1,
    SaveApplicationDraftV1,
    ScoreApplicationV1,
    SubmitApplicationV1,
    UpdateCallV1,
)
from contracts.members import (
    AffiliationChangedV1,
    MemberRegisteredV1,
    MembershipActivatedV1,
    MembershipLapsedV1,
    MembershipRenewedV1,
    NetworkJoinedV1,
    NetworkLeftV1,
    OrganisationCreatedV1,
    OrganisationUpdatedV1,
    PersonErasedV1,
    PersonUpdatedV1,
)
from services.events import handlers
from services.events.domain.calls import Clock
from services.events.handlers import calls
from services.runtime.bus import Bus


def register(bus: Bus, uow: handlers.UowFactory, context: handlers.Agenda) -> None:
    """Declare the service's RPC handlers, consumers and publishers."""
    for fact in (
        EventPublishedV1,
        EventUpdatedV1,
        EventCancelledV1,
        RegistrationConfirmedV1,
        RegistrationWaitlistedV1,
        RegistrationOfferedV1,
        RegistrationPromotedV1,
        RegistrationCancelledV1,
        RegistrationChangedV1,
        ReminderDueV1,
    ):
        bus.publisher(fact)

    # --- the agenda ---------------------------------------------------------------------------

    @bus.rpc(CreateEventV1.subject, description=CreateEventV1.__doc__)
    async def create_event(command: CreateEventV1) -> EventV1:
        return await handlers.create_event(command, uow, context)

    @bus.rpc(UpdateEventV1.subject, description=UpdateEventV1.__doc__)
    async def update_event(command: UpdateEventV1) -> EventV1:
        return await handlers.update_event(command, uow, context)

    @bus.rpc(PublishEventV1.subject, description=PublishEventV1.__doc__)
    async def publish_event(command: PublishEventV1) -> EventV1:
        return await handlers.publish_event(command, uow, context)

    @bus.rpc(CancelEventV1.subject, description=CancelEventV1.__doc__)
    async def cancel_event(command: CancelEventV1) -> EventV1:
        return await handlers.cancel_event(command, uow, context)

    @bus.rpc(CompleteEventV1.subject, description=CompleteEventV1.__doc__)
    async def complete_event(command: CompleteEventV1) -> EventV1:
        return await handlers.complete_event(command, uow, context)

    @bus.rpc(GetEventV1.subject, description=GetEventV1.__doc__)
    async def get_event(query: GetEventV1) -> EventV1:
        return await handlers.get_event(query, uow, context)

    @bus.rpc(SearchAgendaV1.subject, description=SearchAgendaV1.__doc__)
    async def search_agenda(query: SearchAgendaV1) -> AgendaV1:
        return await handlers.search_agenda(query, uow, context)

    @bus.rpc(GetEventCalendarV1.subject, description=GetEventCalendarV1.__doc__)
    async def event_calendar(query: GetEventCalendarV1) -> CalendarV1:
        return await handlers.event_calendar(query, uow, context)

    @bus.rpc(GetAgendaCalendarV1.subject, description=GetAgendaCalendarV1.__doc__)
    async def agenda_calendar(query: GetAgendaCalendarV1) -> CalendarV1:
        return await handlers.agenda_calendar(query, uow, context)

    @bus.rpc(CreateCycleV1.subject, description=CreateCycleV1.__doc__)
    async def create_cycle(command: CreateCycleV1) -> CycleV1:
        return await handlers.create_cycle(command, uow, context)

    @bus.rpc(UpdateCycleV1.subject, description=UpdateCycleV1.__doc__)
    async def update_cycle(command: UpdateCycleV1) -> CycleV1:
        return await handlers.update_cycle(command, uow, context)

    @bus.rpc(GetCycleV1.subject, description=GetCycleV1.__doc__)
    async def get_cycle(query: GetCycleV1) -> CycleV1:
        return await handlers.get_cycle(query, uow, context)

    # --- registrations ------------------------------------------------------------------------

    @bus.rpc(RegisterV1.subject, description=RegisterV1.__doc__)
    async def register_person(command: RegisterV1) -> RegistrationV1:
        return await handlers.register(command, uow, context)

    @bus.rpc(RegisterToCycleV1.subject, description=RegisterToCycleV1.__doc__)
    async def register_to_cycle(command: RegisterToCycleV1) -> CycleRegistrationV1:
        return await handlers.register_to_cycle(command, uow, context)

    @bus.rpc(GetRegistrationV1.subject, description=GetRegistrationV1.__doc__)
    async def get_registration(query: GetRegistrationV1) -> RegistrationV1:
        return await handlers.get_registration(query, uow, context)

    @bus.rpc(CancelRegistrationV1.subject, description=CancelRegistrationV1.__doc__)
    async def cancel_registration(command: CancelRegistrationV1) -> RegistrationV1:
        return await handlers.cancel_registration(command, uow, context)

    @bus.rpc(AcceptOfferV1.subject, description=AcceptOfferV1.__doc__)
    async def accept_offer(command: AcceptOfferV1) -> RegistrationV1:
        return await handlers.accept_offer(command, uow, context)

    @bus.rpc(MoveRegistrationV1.subject, description=MoveRegistrationV1.__doc__)
    async def move_registration(command: MoveRegistrationV1) -> RegistrationV1:
        return await handlers.move_registration(command, uow, context)

    @bus.rpc(ListRegistrantsV1.subject, description=ListRegistrantsV1.__doc__)
    async def list_registrants(query: ListRegistrantsV1) -> RegistrantsV1:
        return await handlers.list_registrants(query, uow, context)

    @bus.rpc("rpc.events.person.export.v1", description=ExportPersonDataV1.__doc__)
    async def export_person_data(query: ExportPersonDataV1) -> PersonDataV1:
        return await handlers.export_person_data(query, uow)

    # --- members' facts -----------------------------------------------------------------------

    @bus.consumer(
        MembershipActivatedV1.subject, description="Count the member in for member-only events."
    )
    async def on_membership_activated(event: MembershipActivatedV1) -> None:
        await handlers.on_membership_changed(event, uow)

    @bus.consumer(
        MembershipLapsedV1.subject, description="Count the member out of member-only events."
    )
    async def on_membership_lapsed(event: MembershipLapsedV1) -> None:
        await handlers.on_membership_changed(event, uow)

    @bus.consumer(
        MembershipRenewedV1.subject, description="Note the new year's membership (not active yet)."
    )
    async def on_membership_renewed(event: MembershipRenewedV1) -> None:
        await handlers.on_membership_changed(event, uow)

    @bus.consumer(
        AffiliationChangedV1.subject,
        description="Whom a person works for (organisation members, quotas, the report).",
    )
    async def on_affiliation_changed(event: AffiliationChangedV1) -> None:
        await handlers.on_affiliation_changed(event, uow)

    @bus.consumer(
        OrganisationCreatedV1.subject,
        description="An organisation's kind, college and territory, for the activity report.",
    )
    async def on_organisation_created(event: OrganisationCreatedV1) -> None:
        await handlers.on_organisation_changed(event, uow)

    @bus.consumer(
        OrganisationUpdatedV1.subject,
        description="An organisation's kind, college and territory, for the activity report.",
    )
    async def on_organisation_updated(event: OrganisationUpdatedV1) -> None:
        await handlers.on_organisation_changed(event, uow)

    @bus.consumer(
        PersonUpdatedV1.subject,
        description="A person's names, address, college and territory (registrations, report).",
    )
    async def on_person_updated(event: PersonUpdatedV1) -> None:
        await handlers.on_person_changed(event, uow)

    @bus.consumer(
        MemberRegisteredV1.subject,
        description="A person who signed up: names and address, to recognise them.",
    )
    async def on_member_registered(event: MemberRegisteredV1) -> None:
        await handlers.on_person_changed(event, uow)

    @bus.consumer(
        PersonErasedV1.subject,
        description="Erase the person's registrations' personal data (the counts stay).",
    )
    async def on_person_erased(event: PersonErasedV1) -> None:
        await handlers.on_person_erased(event, uow)


def register_calls(
    bus: Bus, uow: handlers.UowFactory, directory: calls.Directory, clock: Clock
) -> None:
    """Calls for applications: staff define, open, close, review, decide and publish;
    applicants save drafts and submit."""
    bus.publisher(ApplicationSubmittedV1)
    bus.publisher(ApplicationDecidedV1)

    @bus.rpc(CreateCallV1.subject, description=CreateCallV1.__doc__)
    async def create_call(command: CreateCallV1) -> CallV1:
        return await calls.create_call(command, uow, clock)

    @bus.rpc(UpdateCallV1.subject, description=UpdateCallV1.__doc__)
    async def update_call(command: UpdateCallV1) -> CallV1:
        return await calls.update_call(command, uow, clock)

    @bus.rpc(ChangeCallStatusV1.subject, description=ChangeCallStatusV1.__doc__)
    async def change_call_status(command: ChangeCallStatusV1) -> CallV1:
        return await calls.change_call_status(command, uow, clock)

    @bus.rpc(GetCallV1.subject, description=GetCallV1.__doc__)
    async def get_call(query: GetCallV1) -> CallV1:
        return await calls.get_call(query, uow, clock)

    @bus.rpc(ListCallsV1.subject, description=ListCallsV1.__doc__)
    async def list_calls(query: ListCallsV1) -> CallsV1:
        return await calls.list_calls(query, uow, clock)

    @bus.rpc(SaveApplicationDraftV1.subject, description=SaveApplicationDraftV1.__doc__)
    async def save_draft(command: SaveApplicationDraftV1) -> ApplicationV1:
        return await calls.save_draft(command, uow, directory, clock)

    @bus.rpc(SubmitApplicationV1.subject, description=SubmitApplicationV1.__doc__)
    async def submit_application(command: SubmitApplicationV1) -> ApplicationV1:
        return await calls.submit_application(command, uow, directory, clock)

    @bus.rpc(GetMyApplicationsV1.subject, description=GetMyApplicationsV1.__doc__)
    async def my_applications(query: GetMyApplicationsV1) -> MyApplicationsV1:
        return await calls.my_applications(query, uow, clock)

    @bus.rpc(ListApplicationsV1.subject, description=ListApplicationsV1.__doc__)
    async def list_applications(query: ListApplicationsV1) -> ApplicationsV1:
        return await calls.list_applications(query, uow)

    @bus.rpc(GetApplicationV1.subject, description=GetApplicationV1.__doc__)
    async def get_application(query: GetApplicationV1) -> ApplicationReviewV1:
        return await calls.get_application(query, uow)

    @bus.rpc(ScoreApplicationV1.subject, description=ScoreApplicationV1.__doc__)
    async def score_application(command: ScoreApplicationV1) -> ApplicationReviewV1:
        return await calls.score_application(command, uow, clock)

    @bus.rpc(DecideApplicationV1.subject, description=DecideApplicationV1.__doc__)
    async def decide_application(command: DecideApplicationV1) -> ApplicationReviewV1:
        return await calls.decide_application(command, uow, clock)

    @bus.rpc(PublishDecisionsV1.subject, description=PublishDecisionsV1.__doc__)
    async def publish_decisions(command: PublishDecisionsV1) -> DecisionsPublishedV1:
        return await calls.publish_decisions(command, uow, clock)


def register_attendance(
    bus: Bus, uow: handlers.UowFactory, context: handlers.Agenda, documents: handlers.Documents
) -> None:
    """Declare check-in, the attendance documents, the activity report and the network
    memberships it needs."""

    @bus.rpc(CheckInV1.subject, description=CheckInV1.__doc__)
    async def check_in(command: CheckInV1) -> RegistrationV1:
        return await handlers.check_in(command, uow, context)

    @bus.rpc(GetAttendanceSheetV1.subject, description=GetAttendanceSheetV1.__doc__)
    async def attendance_sheet(query: GetAttendanceSheetV1) -> EventFileV1:
        return await handlers.attendance_sheet(query, uow, context, documents)

    @bus.rpc(GetCertificatesV1.subject, description=GetCertificatesV1.__doc__)
    async def certificates(query: GetCertificatesV1) -> EventFileV1:
        return await handlers.certificates(query, uow, context, documents)

    @bus.rpc(GetActivityReportV1.subject, description=GetActivityReportV1.__doc__)
    async def activity_report(query: GetActivityReportV1) -> ActivityReportV1:
        return await handlers.activity_report(query, uow, context)

    @bus.consumer(
        NetworkJoinedV1.subject, description="Who belongs to a network (the activity report)."
    )
    async def on_network_joined(event: NetworkJoinedV1) -> None:
        await handlers.on_network_changed(event, uow)

    @bus.consumer(NetworkLeftV1.subject, description="Who left a network (the activity report).")
    async def on_network_left(event: NetworkLeftV1) -> None:
        await handlers.on_network_changed(event, uow)
