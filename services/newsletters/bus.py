"""FastStream adapters of the newsletters service."""

from __future__ import annotations

from contracts.base import ExportPersonDataV1, PersonDataV1
from contracts.events import (
    ApplicationDecidedV1,
    ApplicationSubmittedV1,
    EventCancelledV1,
    EventUpdatedV1,
    RegistrationCancelledV1,
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
    PersonErasedV1,
)
from contracts.newsletters import WelcomeMailSentV1
from services.newsletters import handlers
from services.runtime.bus import Bus


def register(bus: Bus, uow: handlers.UowFactory) -> None:
    bus.publisher(WelcomeMailSentV1)

    @bus.consumer(
        MemberRegisteredV1.subject,
        description="Owe the new person a welcome e-mail (asking to confirm the address when "
        "the event carries a confirmation link).",
    )
    async def on_member_registered(event: MemberRegisteredV1) -> None:
        await handlers.on_member_registered(event, uow)

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
        description="Erase what newsletters holds on the person: every mail of theirs.",
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
        "for those holding a seat (one per change and registration).",
    )
    async def on_event_updated(event: EventUpdatedV1) -> None:
        await handlers.on_events_fact(event, uow)

    @bus.consumer(
        EventCancelledV1.subject,
        description="Owe each registrant the cancellation and its reason, with the calendar "
        "cancellation for those holding a seat (one per registration).",
    )
    async def on_event_cancelled(event: EventCancelledV1) -> None:
        await handlers.on_events_fact(event, uow)

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
