"""FastStream adapters of the newsletters service."""

from __future__ import annotations

from contracts.members import MemberRegisteredV1, PersonErasedV1
from contracts.newsletters import WelcomeMailSentV1
from services.newsletters import handlers
from services.runtime.bus import Bus


def register(bus: Bus, uow: handlers.UowFactory) -> None:
    bus.publisher(WelcomeMailSentV1)

    @bus.consumer(MemberRegisteredV1.subject, description="Owe the new person a welcome e-mail.")
    async def on_member_registered(event: MemberRegisteredV1) -> None:
        await handlers.on_member_registered(event, uow)

    @bus.consumer(PersonErasedV1.subject, description="Erase what newsletters holds on the person.")
    async def on_person_erased(event: PersonErasedV1) -> None:
        await handlers.on_person_erased(event, uow)
