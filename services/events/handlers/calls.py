"""Use cases of calls for applications: staff define and open calls, organisations apply through
a signed-in person (drafts, submission before the deadline), staff score, decide and publish.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from pydantic import JsonValue
from sqlalchemy.exc import IntegrityError

from contracts.events.calls import (
    ApplicationReviewV1,
    ApplicationSummaryV1,
    ApplicationsV1,
    ApplicationV1,
    CallDefinition,
    CallSectionV1,
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
    ReviewCriterionV1,
    ReviewV1,
    SaveApplicationDraftV1,
    ScoreApplicationV1,
    SubmitApplicationV1,
    UpdateCallV1,
)
from contracts.members import OrganisationKind
from services.events.domain import calls as domain
from services.events.domain.calls import (
    ApplicantCard,
    ApplicantDirectory,
    Application,
    Call,
    Clock,
    NotEligible,
    OrganisationCard,
    OrganisationDirectory,
    Review,
)
from services.events.store import EventsUnitOfWork, UowFactory
from services.runtime.errors import Conflict, NotFound


class Directory(OrganisationDirectory, ApplicantDirectory, Protocol):
    """Organisations and people, as the calls need them."""


def definition(call: CallDefinition) -> domain.CallDefinition:
    return domain.CallDefinition(
        title=call.title,
        description=call.description,
        eligible_kinds=tuple(kind.value for kind in call.eligible_kinds),
        sections=tuple(domain.Section(**section.model_dump()) for section in call.sections),
        criteria=tuple(domain.Criterion(**criterion.model_dump()) for criterion in call.criteria),
        places=call.places,
        opens_at=call.opens_at,
        deadline=call.deadline,
        reference_prefix=call.reference_prefix,
    )


# --- staff: calls ------------------------------------------------------------------------------


async def create_call(command: CreateCallV1, uow: UowFactory, clock: Clock) -> CallV1:
    call = Call.create(definition(command.call), now=clock(), by=command.by)
    async with uow() as work:
        await work.calls.add(call)
        await work.commit()
    return call_reply(call, clock())


async def update_call(command: UpdateCallV1, uow: UowFactory, clock: Clock) -> CallV1:
    async with uow() as work:
        call = await _call(work, command.call_id, lock=True)
        call.update(definition(command.call), clock())
        await work.calls.save(call)
        await work.commit()
    return call_reply(call, clock())


async def change_call_status(command: ChangeCallStatusV1, uow: UowFactory, clock: Clock) -> CallV1:
    now = clock()
    async with uow() as work:
        call = await _call(work, command.call_id, lock=True)
        if command.status == "open":
            call.open(now)
        else:
            call.close(now)
        await work.calls.save(call)
        await work.commit()
    return call_reply(call, now)


async def get_call(query: GetCallV1, uow: UowFactory, clock: Clock) -> CallV1:
    async with uow() as work:
        call = await _call(work, query.call_id)
    if query.public and call.status == "draft":
        raise NotFound("Appel à candidatures introuvable.", call_id=str(query.call_id))
    return call_reply(call, clock())


async def list_calls(query: ListCallsV1, uow: UowFactory, clock: Clock) -> CallsV1:
    async with uow() as work:
        found = await work.calls.find(("open",) if query.public else None)
    now = clock()
    if query.public:
        found = [call for call in found if call.accepting(now)]
    return CallsV1(items=tuple(call_reply(call, now) for call in found))


# --- applicants ----------------------------------------------------------------------------------


async def _applicant(
    directory: Directory, person_id: uuid.UUID, organisation_id: uuid.UUID
) -> tuple[ApplicantCard, OrganisationCard]:
    person = await directory.applicant(person_id)
    if person is None:
        raise NotFound("Personne introuvable dans le registre.", person_id=str(person_id))
    organisation = await directory.organisation(organisation_id)
    if organisation is None:
        raise NotFound("Organisation introuvable.", organisation_id=str(organisation_id))
    return person, organisation


async def save_draft(
    command: SaveApplicationDraftV1, uow: UowFactory, directory: Directory, clock: Clock
) -> ApplicationV1:
    """Save answers (incomplete allowed, limits checked); starts the application if needed."""
    person, organisation = await _applicant(directory, command.person_id, command.organisation_id)
    now = clock()
    async with uow() as work:
        call = await _call(work, command.call_id, public=True)
        application, new = await _application_for(work, call, organisation, person, now)
        application.save(call, person, command.answers, now)
        await _store(work, application, new)
        await work.commit()
    return application_reply(application, call)


async def submit_application(
    command: SubmitApplicationV1, uow: UowFactory, directory: Directory, clock: Clock
) -> ApplicationV1:
    """Submit before the deadline: every required section complete; one acknowledgement number
    per call without gaps (the call's row is locked while numbering). Submitting again answers
    the submitted application and announces nothing."""
    person, organisation = await _applicant(directory, command.person_id, command.organisation_id)
    now = clock()
    async with uow() as work:
        call = await _call(work, command.call_id, public=True, lock=True)
        application, new = await _application_for(work, call, organisation, person, now)
        if application.status == "submitted":
            return application_reply(application, call)
        if command.answers is not None:
            application.save(call, person, command.answers, now)
        submitted = application.submit(call, person, now)
        await _store(work, application, new)
        await work.calls.save(call)
        work.record(submitted)
        await work.commit()
    return application_reply(application, call)


async def my_applications(
    query: GetMyApplicationsV1, uow: UowFactory, clock: Clock
) -> MyApplicationsV1:
    async with uow() as work:
        call = await _call(work, query.call_id, public=True)
        found = await work.calls.applications(query.call_id, person_id=query.person_id)
    return MyApplicationsV1(items=tuple(application_reply(a, call) for a in found))


async def _application_for(
    work: EventsUnitOfWork,
    call: Call,
    organisation: OrganisationCard,
    person: ApplicantCard,
    now: datetime,
) -> tuple[Application, bool]:
    """The organisation's application to the call (new if none), once eligibility holds."""
    existing = await work.calls.application_of(call.id, organisation.id, lock=True)
    domain.check_eligible(call, organisation, person)
    if existing is not None:
        return existing, False
    return Application.start(call, organisation, person, now), True


async def _store(work: EventsUnitOfWork, application: Application, new: bool) -> None:
    if not new:
        await work.calls.save_application(application)
        return
    try:
        await work.calls.add_application(application)
    except IntegrityError as error:  # the same organisation started one at the same time
        raise Conflict(
            "Une candidature de cette organisation vient d'être créée ; rechargez la page."
        ) from error


# --- staff: review and decisions ---------------------------------------------------------------


async def list_applications(query: ListApplicationsV1, uow: UowFactory) -> ApplicationsV1:
    async with uow() as work:
        call = await _call(work, query.call_id)
        found = await work.calls.applications(query.call_id, submitted_only=query.submitted_only)
        reviews = await work.calls.reviews([a.id for a in found])
    return ApplicationsV1(
        call_id=call.id,
        places=call.places,
        selected=sum(1 for a in found if a.decision == "selected"),
        items=tuple(summary(a, call, reviews[a.id]) for a in found),
    )


async def get_application(query: GetApplicationV1, uow: UowFactory) -> ApplicationReviewV1:
    async with uow() as work:
        application = await _application(work, query.application_id)
        call = await _call(work, application.call_id)
        reviews = (await work.calls.reviews([application.id]))[application.id]
    return review_reply(application, call, reviews)


async def score_application(
    command: ScoreApplicationV1, uow: UowFactory, clock: Clock
) -> ApplicationReviewV1:
    async with uow() as work:
        application = await _application(work, command.application_id)
        call = await _call(work, application.call_id)
        review = Review.of(
            call, application, command.reviewer, command.scores, command.comment, clock()
        )
        await work.calls.save_review(review)
        reviews = (await work.calls.reviews([application.id]))[application.id]
        await work.commit()
    return review_reply(application, call, reviews)


async def decide_application(
    command: DecideApplicationV1, uow: UowFactory, clock: Clock
) -> ApplicationReviewV1:
    """Decide; ``selected`` never beyond the call's places (counted under the call's lock)."""
    async with uow() as work:
        # The call's row first, then the application's: the order submissions lock them in.
        call_id = (await _application(work, command.application_id, lock=False)).call_id
        call = await _call(work, call_id, lock=True)
        application = await _application(work, command.application_id)
        selected = await work.calls.count_selected(call.id, besides=application.id)
        application.decide(
            call, command.decision, command.message, selected=selected, by=command.by, now=clock()
        )
        await work.calls.save_application(application)
        reviews = (await work.calls.reviews([application.id]))[application.id]
        await work.commit()
    return review_reply(application, call, reviews)


async def publish_decisions(
    command: PublishDecisionsV1, uow: UowFactory, clock: Clock
) -> DecisionsPublishedV1:
    """Announce each decision not announced yet (or changed since); the call becomes decided."""
    async with uow() as work:
        call = await _call(work, command.call_id, lock=True)
        if call.status not in ("closed", "decided"):
            raise Conflict("Clôturez l'appel avant de publier les décisions.")
        announced = undecided = 0
        for application in await work.calls.applications(call.id, submitted_only=True):
            if application.decision is None:
                undecided += 1
                continue
            decided = application.publish_decision(call)
            if decided is None:
                continue
            await work.calls.save_application(application)
            if application.email:  # an erased applicant has no address left to tell
                work.record(decided)
            announced += 1
        call.status = "decided"
        call.updated_at = clock()
        await work.calls.save(call)
        await work.commit()
    return DecisionsPublishedV1(call_id=call.id, announced=announced, undecided=undecided)


# --- erasure -------------------------------------------------------------------------------------


async def forget_person(work: EventsUnitOfWork, person_id: uuid.UUID) -> None:
    """Erase a person's data from applications (the organisation's application and its decision
    stay). Runs inside the caller's unit of work; the caller claims the event and commits."""
    for application in await work.calls.applications_of_person(person_id):
        application.forget_person()
        await work.calls.save_application(application)


async def person_data(work: EventsUnitOfWork, person_id: uuid.UUID) -> list[dict[str, JsonValue]]:
    """The applications a person made, for their right of access (``person.export``): what
    they wrote and what they were told; not staff's scores."""
    return [
        {
            "call_id": str(application.call_id),
            "organisation": application.organisation_name,
            "status": application.status,
            "reference": application.reference,
            "submitted_at": application.submitted_at.isoformat()
            if application.submitted_at
            else None,
            "answers": dict(application.answers),
            "decision": application.published_decision,
            "decision_message": application.published_message,
            "first_name": application.first_name,
            "last_name": application.last_name,
            "email": application.email,
        }
        for application in await work.calls.applications_of_person(person_id)
    ]


# --- replies -------------------------------------------------------------------------------------


async def _call(
    work: EventsUnitOfWork, call_id: uuid.UUID, *, public: bool = False, lock: bool = False
) -> Call:
    call = await work.calls.get(call_id, lock=lock)
    if call is None or (public and call.status == "draft"):
        raise NotFound("Appel à candidatures introuvable.", call_id=str(call_id))
    return call


async def _application(
    work: EventsUnitOfWork, application_id: uuid.UUID, *, lock: bool = True
) -> Application:
    application = await work.calls.application(application_id, lock=lock)
    if application is None:
        raise NotFound("Candidature introuvable.", application_id=str(application_id))
    return application


def call_reply(call: Call, now: datetime) -> CallV1:
    spec = call.definition
    return CallV1(
        call_id=call.id,
        title=spec.title,
        description=spec.description,
        eligible_kinds=tuple(OrganisationKind(kind) for kind in spec.eligible_kinds),
        sections=tuple(CallSectionV1(**vars(section)) for section in spec.sections),
        criteria=tuple(ReviewCriterionV1(**vars(criterion)) for criterion in spec.criteria),
        places=spec.places,
        opens_at=spec.opens_at,
        deadline=spec.deadline,
        deadline_paris=domain.in_paris(spec.deadline),
        deadline_label=domain.paris_label(spec.deadline),
        reference_prefix=spec.reference_prefix,
        status=call.status,
        accepting=call.accepting(now),
    )


def application_reply(application: Application, call: Call) -> ApplicationV1:
    published = application.published_decision
    return ApplicationV1(
        application_id=application.id,
        call_id=application.call_id,
        organisation_id=application.organisation_id,
        organisation_name=application.organisation_name,
        status=application.status,
        answers=application.answers,
        reference=application.reference,
        submitted_at=application.submitted_at,
        updated_at=application.updated_at,
        decision=published,
        decision_message=application.published_message if published else "",
        missing=application.missing(call) if application.status == "draft" else (),
    )


def summary(
    application: Application, call: Call, reviews: Sequence[Review]
) -> ApplicationSummaryV1:
    criteria = call.definition.criteria
    name = f"{application.first_name} {application.last_name}".strip()
    return ApplicationSummaryV1(
        application_id=application.id,
        organisation_id=application.organisation_id,
        organisation_name=application.organisation_name,
        organisation_kind=application.organisation_kind,
        applicant_name=name or "(données effacées)",
        status=application.status,
        reference=application.reference,
        submitted_at=application.submitted_at,
        average=_rounded(domain.average(review.total(criteria) for review in reviews)),
        reviews=len(reviews),
        decision=application.decision,
        decision_published=application.published_decision is not None
        and application.published_decision == application.decision,
    )


def _rounded(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def review_reply(
    application: Application, call: Call, reviews: Sequence[Review]
) -> ApplicationReviewV1:
    criteria = call.definition.criteria
    staff_view = application_reply(application, call).model_copy(
        update={"decision": application.decision, "decision_message": application.decision_message}
    )
    return ApplicationReviewV1(
        application=staff_view,
        summary=summary(application, call, reviews),
        applicant_email=application.email,
        reviews=tuple(
            ReviewV1(
                reviewer=review.reviewer,
                scores=review.scores,
                comment=review.comment,
                total=round(review.total(criteria), 2),
                reviewed_at=review.reviewed_at,
            )
            for review in reviews
        ),
        decided_by=application.decided_by,
    )


__all__ = [
    "Directory",
    "NotEligible",
    "change_call_status",
    "create_call",
    "decide_application",
    "forget_person",
    "get_application",
    "get_call",
    "list_applications",
    "list_calls",
    "my_applications",
    "person_data",
    "publish_decisions",
    "save_draft",
    "score_application",
    "submit_application",
    "update_call",
]
