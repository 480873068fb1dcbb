"""FastStream adapters of the newsletters service."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, datetime

from contracts.base import ExportPersonDataV1, PersonDataV1
from contracts.dataquartiers import IndicatorPublishedV1
from contracts.events import (
    ApplicationDecidedV1,
    ApplicationSubmittedV1,
    EventCancelledV1,
    EventPublishedV1,
    EventUpdatedV1,
    RegistrationCancelledV1,
    RegistrationChangedV1,
    RegistrationConfirmedV1,
    RegistrationOfferedV1,
    RegistrationPromotedV1,
    RegistrationWaitlistedV1,
    ReminderDueV1,
)
from contracts.members import (
    AccessLinkRequestedV1,
    MemberRegisteredV1,
    MembershipRenewedV1,
    NetworkJoinedV1,
    NetworkLeftV1,
    PersonErasedV1,
    PersonUpdatedV1,
)
from contracts.newsletters import (
    AcceptedV1,
    ArchivedIssuePageV1,
    ArchiveV1,
    BounceReportV1,
    CancelIssueV1,
    ConfirmSubscriptionV1,
    ControlSendV1,
    CreateIssueV1,
    CreateLetterV1,
    DeliveryFailedV1,
    DescribeUnsubscribeV1,
    EraseSubscriberV1,
    FlaggedV1,
    FlagInactiveSubscribersV1,
    GetArchivedIssueV1,
    GetIssueV1,
    GetPreferencesV1,
    GetSendProgressV1,
    ImportSubscribersV1,
    IssuePreviewV1,
    IssueReplyV1,
    IssueSentV1,
    IssuesV1,
    IssueTestSentV1,
    LetterReplyV1,
    LettersV1,
    ListArchiveV1,
    ListIssuesV1,
    ListLettersV1,
    MailUnsubscribeV1,
    PreferencesV1,
    PreviewIssueV1,
    ReportBounceV1,
    RequestPreferencesLinkV1,
    RequestSubscriptionV1,
    ScheduleIssueV1,
    SearchSubscribersV1,
    SendIssueNowV1,
    SendProgressV1,
    SendTestIssueV1,
    StartSendV1,
    SubscriberErasureV1,
    SubscribersImportReportV1,
    SubscribersPageV1,
    SubscriptionCancelledV1,
    SubscriptionConfirmedV1,
    UnsubscribeByMailV1,
    UnsubscribeTargetV1,
    UnsubscribeV1,
    UpdateIssueV1,
    UpdateLetterV1,
    UpdatePreferencesV1,
    WelcomeMailSentV1,
)
from services.newsletters import handlers
from services.newsletters.domain import SubscriptionLinks
from services.newsletters.handlers import sending
from services.runtime.bus import Bus
from services.runtime.errors import InvalidInput
from services.runtime.settings import CentreSettings

Clock = Callable[[], datetime]


def register(
    bus: Bus,
    uow: handlers.UowFactory,
    links: SubscriptionLinks,
    clock: Clock = lambda: datetime.now(UTC),
    centre: CentreSettings | None = None,
    start_send: handlers.StartSend | None = None,
) -> None:
    bus.publisher(WelcomeMailSentV1)
    bus.publisher(SubscriptionConfirmedV1)
    bus.publisher(SubscriptionCancelledV1)
    _register_subscriptions(bus, uow, links, clock)
    start = start_send or sending.issue_starter(sending.SendingRules(), clock)
    _register_issues(bus, uow, links, clock, centre or CentreSettings(), start)

    @bus.consumer(
        MemberRegisteredV1.subject,
        description="Owe the new person a welcome e-mail (asking to confirm the address when "
        "the event carries a confirmation link), keep their address (network audiences) and "
        "tie the subscriber of that address to the person.",
    )
    async def on_member_registered(event: MemberRegisteredV1) -> None:
        await handlers.on_member_registered(event, uow)
        await handlers.on_person_address(event, uow)

    @bus.consumer(
        PersonUpdatedV1.subject,
        description="Keep the person's current address (matches network members to the "
        "letters' subscribers; the latest fact wins) and tie the subscriber of that address to "
        "the person.",
    )
    async def on_person_updated(event: PersonUpdatedV1) -> None:
        await handlers.on_person_address(event, uow)

    @bus.consumer(
        NetworkJoinedV1.subject,
        description="Record that the person belongs to the network (issues can narrow their "
        "audience to networks; the latest fact wins).",
    )
    async def on_network_joined(event: NetworkJoinedV1) -> None:
        await handlers.on_network_changed(event, uow)

    @bus.consumer(
        NetworkLeftV1.subject,
        description="Record that the person left the network (the latest fact wins).",
    )
    async def on_network_left(event: NetworkLeftV1) -> None:
        await handlers.on_network_changed(event, uow)

    @bus.consumer(
        AccessLinkRequestedV1.subject,
        description="Owe the person the e-mail carrying their personal link (one per request; "
        "not sent once the link has expired).",
    )
    async def on_access_link_requested(event: AccessLinkRequestedV1) -> None:
        await handlers.on_access_link_requested(event, uow)

    @bus.consumer(
        MembershipRenewedV1.subject,
        description="Owe each recipient the call for the new year's dues (one per membership "
        "and address).",
    )
    async def on_membership_renewed(event: MembershipRenewedV1) -> None:
        await handlers.on_membership_renewed(event, uow)

    @bus.consumer(
        PersonErasedV1.subject,
        description="Erase what newsletters holds on the person: every mail of theirs, and "
        "the subscriptions (with consents) of the addresses it mailed them at.",
    )
    async def on_person_erased(event: PersonErasedV1) -> None:
        await handlers.on_person_erased(event, uow)

    @bus.consumer(
        RegistrationConfirmedV1.subject,
        description="Owe the registrant « Votre inscription est confirmée », with the event's "
        "calendar file (one per registration).",
    )
    async def on_registration_confirmed(event: RegistrationConfirmedV1) -> None:
        await handlers.on_events_fact(event, uow)

    @bus.consumer(
        RegistrationPromotedV1.subject,
        description="Owe the person promoted from the waiting list « Une place s'est libérée », "
        "with the event's calendar file (one per registration).",
    )
    async def on_registration_promoted(event: RegistrationPromotedV1) -> None:
        await handlers.on_events_fact(event, uow)

    @bus.consumer(
        RegistrationWaitlistedV1.subject,
        description="Owe the registrant « Vous êtes sur liste d'attente », with their position "
        "(one per registration).",
    )
    async def on_registration_waitlisted(event: RegistrationWaitlistedV1) -> None:
        await handlers.on_events_fact(event, uow)

    @bus.consumer(
        RegistrationChangedV1.subject,
        description="Owe the registrant « Votre inscription a changé » when staff move them to "
        "the other mode: their seat there (with the calendar file) or their place in its waiting "
        "list (one per move).",
    )
    async def on_registration_changed(event: RegistrationChangedV1) -> None:
        await handlers.on_events_fact(event, uow)

    @bus.consumer(
        RegistrationOfferedV1.subject,
        description="Owe the first person waiting « Une place vous attend » with the link that "
        "takes it (one per offer; not sent once the hold has ended).",
    )
    async def on_registration_offered(event: RegistrationOfferedV1) -> None:
        await handlers.on_events_fact(event, uow)

    @bus.consumer(
        RegistrationCancelledV1.subject,
        description="Owe the registrant « Votre inscription est annulée », with the calendar "
        "cancellation when the fact carries one (one per registration).",
    )
    async def on_registration_cancelled(event: RegistrationCancelledV1) -> None:
        await handlers.on_events_fact(event, uow)

    @bus.consumer(
        ReminderDueV1.subject,
        description="Owe the registrant a reminder of the event, with the video link when the "
        "fact carries one (one per registration and rule; not sent once the event is over).",
    )
    async def on_reminder_due(event: ReminderDueV1) -> None:
        await handlers.on_events_fact(event, uow)

    @bus.consumer(
        EventUpdatedV1.subject,
        description="Owe each registrant the list of changes, with the updated calendar file "
        "for those holding a seat (one per change and registration); update the event in "
        "the letters' coming events.",
    )
    async def on_event_updated(event: EventUpdatedV1) -> None:
        await handlers.on_events_fact(event, uow)
        await handlers.on_agenda_fact(event, uow)

    @bus.consumer(
        EventCancelledV1.subject,
        description="Owe each registrant the cancellation and its reason, with the calendar "
        "cancellation for those holding a seat (one per registration); drop the event from "
        "the letters' coming events.",
    )
    async def on_event_cancelled(event: EventCancelledV1) -> None:
        await handlers.on_events_fact(event, uow)
        await handlers.on_agenda_fact(event, uow)

    @bus.consumer(
        ApplicationSubmittedV1.subject,
        description="Owe the applicant « Votre candidature est bien reçue » with its reference "
        "(one per application).",
    )
    async def on_application_submitted(event: ApplicationSubmittedV1) -> None:
        await handlers.on_events_fact(event, uow)

    @bus.consumer(
        ApplicationDecidedV1.subject,
        description="Owe the applicant the decision (retenue, sur liste d'attente, non retenue) "
        "and staff's message (one per application and decision).",
    )
    async def on_application_decided(event: ApplicationDecidedV1) -> None:
        await handlers.on_events_fact(event, uow)

    @bus.rpc("rpc.newsletters.person.export.v1", description=ExportPersonDataV1.__doc__)
    async def export_person_data(query: ExportPersonDataV1) -> PersonDataV1:
        return await handlers.export_person_data(query, uow)


def _register_subscriptions(
    bus: Bus, uow: handlers.UowFactory, links: SubscriptionLinks, clock: Clock
) -> None:
    @bus.rpc(ListLettersV1.subject, description=ListLettersV1.__doc__)
    async def list_letters(query: ListLettersV1) -> LettersV1:
        return await handlers.list_letters(query, uow)

    @bus.rpc(CreateLetterV1.subject, description=CreateLetterV1.__doc__)
    async def create_letter(command: CreateLetterV1) -> LetterReplyV1:
        return await handlers.create_letter(command, uow)

    @bus.rpc(UpdateLetterV1.subject, description=UpdateLetterV1.__doc__)
    async def update_letter(command: UpdateLetterV1) -> LetterReplyV1:
        return await handlers.update_letter(command, uow)

    @bus.rpc(RequestSubscriptionV1.subject, description=RequestSubscriptionV1.__doc__)
    async def request_subscription(command: RequestSubscriptionV1) -> AcceptedV1:
        return await handlers.request_subscription(command, uow, links, clock())

    @bus.rpc(ConfirmSubscriptionV1.subject, description=ConfirmSubscriptionV1.__doc__)
    async def confirm_subscription(command: ConfirmSubscriptionV1) -> PreferencesV1:
        return await handlers.confirm_subscription(command, uow, links, clock())

    @bus.rpc(GetPreferencesV1.subject, description=GetPreferencesV1.__doc__)
    async def get_preferences(query: GetPreferencesV1) -> PreferencesV1:
        return await handlers.get_preferences(query, uow, links)

    @bus.rpc(UpdatePreferencesV1.subject, description=UpdatePreferencesV1.__doc__)
    async def update_preferences(command: UpdatePreferencesV1) -> PreferencesV1:
        return await handlers.update_preferences(command, uow, links, clock())

    @bus.rpc(RequestPreferencesLinkV1.subject, description=RequestPreferencesLinkV1.__doc__)
    async def request_preferences_link(command: RequestPreferencesLinkV1) -> AcceptedV1:
        return await handlers.request_preferences_link(command, uow, links, clock())

    @bus.rpc(DescribeUnsubscribeV1.subject, description=DescribeUnsubscribeV1.__doc__)
    async def describe_unsubscribe(query: DescribeUnsubscribeV1) -> UnsubscribeTargetV1:
        return await handlers.describe_unsubscribe(query, uow, links)

    @bus.rpc(UnsubscribeV1.subject, description=UnsubscribeV1.__doc__)
    async def unsubscribe(command: UnsubscribeV1) -> UnsubscribeTargetV1:
        return await handlers.unsubscribe(command, uow, links, clock())

    @bus.rpc(UnsubscribeByMailV1.subject, description=UnsubscribeByMailV1.__doc__)
    async def unsubscribe_by_mail(command: UnsubscribeByMailV1) -> MailUnsubscribeV1:
        try:
            raw = base64.b64decode(command.message, validate=True)
        except (binascii.Error, ValueError) as error:
            raise InvalidInput("Le message doit être encodé en base64.") from error
        return await handlers.unsubscribe_by_mail(raw, uow, links, clock())

    @bus.rpc(SearchSubscribersV1.subject, description=SearchSubscribersV1.__doc__)
    async def search_subscribers(query: SearchSubscribersV1) -> SubscribersPageV1:
        return await handlers.search_subscribers(query, uow)

    @bus.rpc(ImportSubscribersV1.subject, description=ImportSubscribersV1.__doc__)
    async def import_subscribers(command: ImportSubscribersV1) -> SubscribersImportReportV1:
        return await handlers.import_subscribers(command, uow, bus.files, clock())

    @bus.rpc(FlagInactiveSubscribersV1.subject, description=FlagInactiveSubscribersV1.__doc__)
    async def flag_inactive(command: FlagInactiveSubscribersV1) -> FlaggedV1:
        return FlaggedV1(flagged=await handlers.flag_inactive_subscribers(uow, clock()))

    @bus.rpc(EraseSubscriberV1.subject, description=EraseSubscriberV1.__doc__)
    async def erase_subscriber(command: EraseSubscriberV1) -> SubscriberErasureV1:
        return await handlers.erase_subscriber(command, uow)


def register_sending(
    bus: Bus,
    uow: handlers.UowFactory,
    *,
    audience: sending.Audience,
    rules: sending.SendingRules,
    soft_threshold: int,
    clock: Clock = lambda: datetime.now(UTC),
) -> None:
    """The sending engine's RPCs (start, control, progress, bounce reports) and its event."""
    bus.publisher(DeliveryFailedV1)
    bus.publisher(IssueSentV1)

    @bus.rpc(StartSendV1.subject, description=StartSendV1.__doc__)
    async def start_send(command: StartSendV1) -> SendProgressV1:
        return await sending.start_send_command(command, uow, audience, rules, clock())

    @bus.rpc(ControlSendV1.subject, description=ControlSendV1.__doc__)
    async def control_send(command: ControlSendV1) -> SendProgressV1:
        return await sending.control_send(command, uow, clock())

    @bus.rpc(GetSendProgressV1.subject, description=GetSendProgressV1.__doc__)
    async def send_progress(query: GetSendProgressV1) -> SendProgressV1:
        return await sending.send_progress(query, uow, clock())

    @bus.rpc(ReportBounceV1.subject, description=ReportBounceV1.__doc__)
    async def report_bounce(command: ReportBounceV1) -> BounceReportV1:
        try:
            raw = base64.b64decode(command.message, validate=True)
        except binascii.Error as error:
            raise InvalidInput("Le rapport doit être encodé en base64.") from error
        return await sending.report_bounce(raw, uow, soft_threshold=soft_threshold, now=clock())


def _register_issues(
    bus: Bus,
    uow: handlers.UowFactory,
    links: SubscriptionLinks,
    clock: Clock,
    centre: CentreSettings,
    start_send: handlers.StartSend,
) -> None:
    @bus.consumer(
        EventPublishedV1.subject,
        description="Add the event to the coming events the letters' blocks show (not a "
        "member-only one).",
    )
    async def on_event_published(event: EventPublishedV1) -> None:
        await handlers.on_agenda_fact(event, uow)

    @bus.consumer(
        IndicatorPublishedV1.subject,
        description="Add the indicator and vintage to the new data the letters' blocks show.",
    )
    async def on_indicator_published(event: IndicatorPublishedV1) -> None:
        await handlers.on_indicator_published(event, uow)

    @bus.rpc(CreateIssueV1.subject, description=CreateIssueV1.__doc__)
    async def create_issue(command: CreateIssueV1) -> IssueReplyV1:
        return await handlers.create_issue(command, uow)

    @bus.rpc(UpdateIssueV1.subject, description=UpdateIssueV1.__doc__)
    async def update_issue(command: UpdateIssueV1) -> IssueReplyV1:
        return await handlers.update_issue(command, uow)

    @bus.rpc(GetIssueV1.subject, description="One issue (staff).")
    async def get_issue(query: GetIssueV1) -> IssueReplyV1:
        return await handlers.get_issue(query, uow)

    @bus.rpc(ListIssuesV1.subject, description=ListIssuesV1.__doc__)
    async def list_issues(query: ListIssuesV1) -> IssuesV1:
        return await handlers.list_issues(query, uow)

    @bus.rpc(PreviewIssueV1.subject, description=PreviewIssueV1.__doc__)
    async def preview_issue(query: PreviewIssueV1) -> IssuePreviewV1:
        return await handlers.preview_issue(query, uow, links, centre, clock())

    @bus.rpc(SendTestIssueV1.subject, description=SendTestIssueV1.__doc__)
    async def send_test_issue(command: SendTestIssueV1) -> IssueTestSentV1:
        return await handlers.send_test_issue(command, uow, links, centre, clock())

    @bus.rpc(ScheduleIssueV1.subject, description=ScheduleIssueV1.__doc__)
    async def schedule_issue(command: ScheduleIssueV1) -> IssueReplyV1:
        return await handlers.schedule_issue(command, uow, clock())

    @bus.rpc(SendIssueNowV1.subject, description=SendIssueNowV1.__doc__)
    async def send_issue_now(command: SendIssueNowV1) -> IssueReplyV1:
        return await handlers.send_issue_now(command, uow, clock(), start_send)

    @bus.rpc(CancelIssueV1.subject, description=CancelIssueV1.__doc__)
    async def cancel_issue(command: CancelIssueV1) -> IssueReplyV1:
        return await handlers.cancel_issue(command, uow)

    @bus.rpc(ListArchiveV1.subject, description=ListArchiveV1.__doc__)
    async def list_archive(query: ListArchiveV1) -> ArchiveV1:
        return await handlers.list_archive(query, uow)

    @bus.rpc(GetArchivedIssueV1.subject, description=GetArchivedIssueV1.__doc__)
    async def get_archived_issue(query: GetArchivedIssueV1) -> ArchivedIssuePageV1:
        return await handlers.get_archived_issue(query, uow, centre)
