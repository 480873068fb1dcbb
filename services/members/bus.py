"""FastStream adapters of the members service: message -> handler call -> reply."""

from __future__ import annotations

from contracts.members import (
    CreateOrganisationV1,
    ErasePersonV1,
    GetOrganisationV1,
    GetPersonV1,
    MemberRegisteredV1,
    OrganisationCreatedV1,
    OrganisationV1,
    PersonErasedV1,
    PersonErasureReplyV1,
    PersonRegisteredReplyV1,
    PersonV1,
    RegisterPersonV1,
)
from services.members import handlers
from services.runtime.bus import Bus


def register(bus: Bus, uow: handlers.UowFactory) -> None:
    bus.publisher(MemberRegisteredV1)
    bus.publisher(PersonErasedV1)
    bus.publisher(OrganisationCreatedV1)

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
