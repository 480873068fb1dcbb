"""FastStream adapters of the newsletters service."""

from __future__ import annotations

from contracts.base import ExportPersonDataV1, PersonDataV1
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

    @bus.rpc("rpc.newsletters.person.export.v1", description=ExportPersonDataV1.__doc__)
    async def export_person_data(query: ExportPersonDataV1) -> PersonDataV1:
        return await handlers.export_person_data(query, uow)
