"""FastStream adapters of the events service."""

from __future__ import annotations

from contracts.events import ApplicationDecidedV1, ApplicationSubmittedV1
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
from services.events import handlers
from services.events.domain.calls import Clock
from services.events.handlers import calls
from services.runtime.bus import Bus


def register(bus: Bus, uow: handlers.UowFactory) -> None:
    """Declare the service's RPC handlers, consumers and publishers (none yet)."""


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
