"""Calls for applications: ``/api/v1/calls`` for applicants (open calls, drafts, submission,
their application) and ``/api/v1/staff/calls`` for staff (define, open, close, review, decide,
publish).

An applicant acts as the person signed in (session cookie), for an organisation they are tied
to; the events service checks the tie and the organisation's kind with the members' register.
"""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from contracts.events.calls import (
    ApplicationReviewV1,
    ApplicationsV1,
    ApplicationV1,
    CallDefinition,
    CallsV1,
    CallV1,
    ChangeCallStatusV1,
    CreateCallV1,
    DecideApplicationV1,
    Decision,
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
from services.gateway.api import Rpc, Staff
from services.gateway.api.selfservice import Me

router = APIRouter(prefix="/api/v1/calls", tags=["calls"])
staff_router = APIRouter(prefix="/api/v1/staff", tags=["calls (staff)"])


class Answers(BaseModel):
    """The texts of the form's sections, by section key."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, str] = Field(default_factory=dict)


class Submission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, str] | None = Field(
        default=None, description="If given, saved before submitting."
    )


class Scores(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    scores: dict[str, int] = Field(description="Criterion key → score, from 0 to its maximum.")
    comment: str = Field(default="", max_length=5000)


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Decision
    message: str = Field(default="", max_length=5000, description="To the applicant (French).")


# --- public and applicants ----------------------------------------------------------------------


@router.get("", response_model=CallsV1, summary="Calls open for applications")
async def list_open_calls(rpc: Rpc) -> CallsV1:
    return await rpc.call(ListCallsV1(public=True), CallsV1)


@router.get("/{call_id}", response_model=CallV1, summary="A call, its form and its deadline")
async def get_call(call_id: uuid.UUID, rpc: Rpc) -> CallV1:
    return await rpc.call(GetCallV1(call_id=call_id, public=True), CallV1)


@router.get(
    "/{call_id}/applications/mine",
    response_model=MyApplicationsV1,
    summary="My applications to a call (signed-in person)",
)
async def my_applications(call_id: uuid.UUID, rpc: Rpc, me: Me) -> MyApplicationsV1:
    return await rpc.call(GetMyApplicationsV1(call_id=call_id, person_id=me), MyApplicationsV1)


@router.put(
    "/{call_id}/applications/{organisation_id}",
    response_model=ApplicationV1,
    summary="Save the draft of an organisation's application (signed-in person)",
)
async def save_draft(
    call_id: uuid.UUID, organisation_id: uuid.UUID, body: Answers, rpc: Rpc, me: Me
) -> ApplicationV1:
    command = SaveApplicationDraftV1(
        call_id=call_id, person_id=me, organisation_id=organisation_id, answers=body.answers
    )
    return await rpc.call(command, ApplicationV1)


@router.post(
    "/{call_id}/applications/{organisation_id}/submit",
    response_model=ApplicationV1,
    summary="Submit an organisation's application before the deadline (signed-in person)",
)
async def submit(
    call_id: uuid.UUID, organisation_id: uuid.UUID, body: Submission, rpc: Rpc, me: Me
) -> ApplicationV1:
    command = SubmitApplicationV1(
        call_id=call_id, person_id=me, organisation_id=organisation_id, answers=body.answers
    )
    return await rpc.call(command, ApplicationV1)


# --- staff -------------------------------------------------------------------------------------


@staff_router.get("/calls", response_model=CallsV1, summary="Every call, drafts included")
async def list_calls(rpc: Rpc, _staff: Staff) -> CallsV1:
    return await rpc.call(ListCallsV1(public=False), CallsV1)


@staff_router.post("/calls", response_model=CallV1, status_code=201, summary="Create a call")
async def create_call(body: CallDefinition, rpc: Rpc, staff: Staff) -> CallV1:
    return await rpc.call(CreateCallV1(call=body, by=staff.email), CallV1)


@staff_router.get("/calls/{call_id}", response_model=CallV1, summary="Read a call")
async def read_call(call_id: uuid.UUID, rpc: Rpc, _staff: Staff) -> CallV1:
    return await rpc.call(GetCallV1(call_id=call_id, public=False), CallV1)


@staff_router.put("/calls/{call_id}", response_model=CallV1, summary="Replace a call's definition")
async def update_call(call_id: uuid.UUID, body: CallDefinition, rpc: Rpc, staff: Staff) -> CallV1:
    return await rpc.call(UpdateCallV1(call_id=call_id, call=body, by=staff.email), CallV1)


async def _status(
    rpc: Rpc, call_id: uuid.UUID, status: Literal["open", "closed"], by: str
) -> CallV1:
    return await rpc.call(ChangeCallStatusV1(call_id=call_id, status=status, by=by), CallV1)


@staff_router.post("/calls/{call_id}/open", response_model=CallV1, summary="Open a call")
async def open_call(call_id: uuid.UUID, rpc: Rpc, staff: Staff) -> CallV1:
    return await _status(rpc, call_id, "open", staff.email)


@staff_router.post("/calls/{call_id}/close", response_model=CallV1, summary="Close a call")
async def close_call(call_id: uuid.UUID, rpc: Rpc, staff: Staff) -> CallV1:
    return await _status(rpc, call_id, "closed", staff.email)


@staff_router.get(
    "/calls/{call_id}/applications",
    response_model=ApplicationsV1,
    summary="The applications of a call, with their average scores",
)
async def list_applications(
    call_id: uuid.UUID, rpc: Rpc, _staff: Staff, drafts: bool = False
) -> ApplicationsV1:
    query = ListApplicationsV1(call_id=call_id, submitted_only=not drafts)
    return await rpc.call(query, ApplicationsV1)


@staff_router.post(
    "/calls/{call_id}/decisions/publish",
    response_model=DecisionsPublishedV1,
    summary="Make the decisions known (mails the applicants)",
)
async def publish_decisions(call_id: uuid.UUID, rpc: Rpc, staff: Staff) -> DecisionsPublishedV1:
    command = PublishDecisionsV1(call_id=call_id, by=staff.email)
    return await rpc.call(command, DecisionsPublishedV1)


@staff_router.get(
    "/applications/{application_id}",
    response_model=ApplicationReviewV1,
    summary="An application with every reviewer's scores",
)
async def read_application(
    application_id: uuid.UUID, rpc: Rpc, _staff: Staff
) -> ApplicationReviewV1:
    return await rpc.call(GetApplicationV1(application_id=application_id), ApplicationReviewV1)


@staff_router.put(
    "/applications/{application_id}/scores",
    response_model=ApplicationReviewV1,
    summary="My scores and comment on an application",
)
async def score(
    application_id: uuid.UUID, body: Scores, rpc: Rpc, staff: Staff
) -> ApplicationReviewV1:
    command = ScoreApplicationV1(
        application_id=application_id,
        reviewer=staff.email,
        scores=body.scores,
        comment=body.comment,
    )
    return await rpc.call(command, ApplicationReviewV1)


@staff_router.put(
    "/applications/{application_id}/decision",
    response_model=ApplicationReviewV1,
    summary="Decide an application (selected, waiting, rejected)",
)
async def decide(
    application_id: uuid.UUID, body: DecisionBody, rpc: Rpc, staff: Staff
) -> ApplicationReviewV1:
    command = DecideApplicationV1(
        application_id=application_id,
        decision=body.decision,
        message=body.message,
        by=staff.email,
    )
    return await rpc.call(command, ApplicationReviewV1)
