"""Tables and repository of calls for applications, their applications and reviews."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.events.domain.calls import (
    Application,
    Call,
    CallDefinition,
    Criterion,
    Review,
    Section,
)
from services.events.store.schema import metadata
from services.runtime.store import UtcDateTime

calls = Table(
    "calls",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("eligible_kinds", JSON, nullable=False),
    Column("sections", JSON, nullable=False),
    Column("criteria", JSON, nullable=False),
    Column("places", Integer, nullable=False),
    Column("opens_at", UtcDateTime(), nullable=True),
    Column("deadline", UtcDateTime(), nullable=False),
    Column("reference_prefix", String(30), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("last_number", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(254), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

applications = Table(
    "applications",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("call_id", String(36), ForeignKey("calls.id"), nullable=False),
    Column("organisation_id", String(36), nullable=False),
    Column("organisation_name", String(200), nullable=False),
    Column("organisation_kind", String(32), nullable=False),
    # The applicant: personal data, erased on reso.members.person.erased.v1.
    Column("person_id", String(36), nullable=True, index=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("email", String(254), nullable=False),
    Column("answers", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("number", Integer, nullable=True),
    Column("reference", String(40), nullable=True),
    Column("submitted_at", UtcDateTime(), nullable=True),
    Column("decision", String(16), nullable=True),
    Column("decision_message", Text, nullable=False),
    Column("decided_by", String(254), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=True),
    Column("published_decision", String(16), nullable=True),
    Column("published_message", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("call_id", "organisation_id", name="uq_applications_call_organisation"),
    UniqueConstraint("call_id", "number", name="uq_applications_call_number"),
)

application_reviews = Table(
    "application_reviews",
    metadata,
    Column(
        "application_id",
        String(36),
        ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("reviewer", String(254), nullable=False),
    Column("scores", JSON, nullable=False),
    Column("comment", Text, nullable=False),
    Column("reviewed_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("application_id", "reviewer", name="pk_application_reviews"),
)

Index("ix_applications_call_status", applications.c.call_id, applications.c.status)


def _call_row(call: Call) -> dict[str, Any]:
    definition = call.definition
    return {
        "title": definition.title,
        "description": definition.description,
        "eligible_kinds": list(definition.eligible_kinds),
        "sections": [vars(section) for section in definition.sections],
        "criteria": [vars(criterion) for criterion in definition.criteria],
        "places": definition.places,
        "opens_at": definition.opens_at,
        "deadline": definition.deadline,
        "reference_prefix": definition.reference_prefix,
        "status": call.status,
        "last_number": call.last_number,
        "created_at": call.created_at,
        "created_by": call.created_by,
        "updated_at": call.updated_at,
    }


def _call(row: Any) -> Call:
    return Call(
        id=uuid.UUID(row.id),
        definition=CallDefinition(
            title=row.title,
            description=row.description,
            eligible_kinds=tuple(row.eligible_kinds),
            sections=tuple(Section(**item) for item in row.sections),
            criteria=tuple(Criterion(**item) for item in row.criteria),
            places=row.places,
            opens_at=row.opens_at,
            deadline=row.deadline,
            reference_prefix=row.reference_prefix,
        ),
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
        created_by=row.created_by,
        last_number=row.last_number,
    )


_APPLICATION_FIELDS = (
    "organisation_name",
    "organisation_kind",
    "first_name",
    "last_name",
    "email",
    "answers",
    "status",
    "number",
    "reference",
    "submitted_at",
    "decision",
    "decision_message",
    "decided_by",
    "decided_at",
    "published_decision",
    "published_message",
    "created_at",
    "updated_at",
)


def _application_row(application: Application) -> dict[str, Any]:
    row = {name: getattr(application, name) for name in _APPLICATION_FIELDS}
    row["person_id"] = str(application.person_id) if application.person_id else None
    return row


def _application(row: Any) -> Application:
    return Application(
        id=uuid.UUID(row.id),
        call_id=uuid.UUID(row.call_id),
        organisation_id=uuid.UUID(row.organisation_id),
        person_id=uuid.UUID(row.person_id) if row.person_id else None,
        **{name: getattr(row, name) for name in _APPLICATION_FIELDS},
    )


class CallRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _lockable(self) -> bool:
        return self._session.get_bind().dialect.name == "postgresql"

    async def add(self, call: Call) -> None:
        await self._session.execute(insert(calls).values(id=str(call.id), **_call_row(call)))

    async def save(self, call: Call) -> None:
        await self._session.execute(
            update(calls).where(calls.c.id == str(call.id)).values(**_call_row(call))
        )

    async def get(self, call_id: uuid.UUID, *, lock: bool = False) -> Call | None:
        """One call; ``lock`` holds its row until the transaction ends (PostgreSQL; SQLite
        serialises units of work anyway): numbering and places count under it."""
        statement = select(calls).where(calls.c.id == str(call_id))
        if lock and self._lockable():
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        return _call(row) if row else None

    async def find(self, statuses: Sequence[str] | None = None) -> list[Call]:
        statement = select(calls).order_by(calls.c.deadline.desc(), calls.c.id)
        if statuses is not None:
            statement = statement.where(calls.c.status.in_(list(statuses)))
        return [_call(row) for row in await self._session.execute(statement)]

    async def add_application(self, application: Application) -> None:
        await self._session.execute(
            insert(applications).values(
                id=str(application.id),
                call_id=str(application.call_id),
                organisation_id=str(application.organisation_id),
                **_application_row(application),
            )
        )

    async def save_application(self, application: Application) -> None:
        await self._session.execute(
            update(applications)
            .where(applications.c.id == str(application.id))
            .values(**_application_row(application))
        )

    async def application(
        self, application_id: uuid.UUID, *, lock: bool = False
    ) -> Application | None:
        statement = select(applications).where(applications.c.id == str(application_id))
        if lock and self._lockable():
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        return _application(row) if row else None

    async def application_of(
        self, call_id: uuid.UUID, organisation_id: uuid.UUID, *, lock: bool = False
    ) -> Application | None:
        statement = select(applications).where(
            applications.c.call_id == str(call_id),
            applications.c.organisation_id == str(organisation_id),
        )
        if lock and self._lockable():
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        return _application(row) if row else None

    async def applications(
        self,
        call_id: uuid.UUID,
        *,
        submitted_only: bool = False,
        person_id: uuid.UUID | None = None,
    ) -> list[Application]:
        statement = (
            select(applications)
            .where(applications.c.call_id == str(call_id))
            .order_by(applications.c.number.asc().nulls_last(), applications.c.created_at)
        )
        if submitted_only:
            statement = statement.where(applications.c.status == "submitted")
        if person_id is not None:
            statement = statement.where(applications.c.person_id == str(person_id))
        return [_application(row) for row in await self._session.execute(statement)]

    async def applications_of_person(self, person_id: uuid.UUID) -> list[Application]:
        statement = select(applications).where(applications.c.person_id == str(person_id))
        return [_application(row) for row in await self._session.execute(statement)]

    async def count_selected(self, call_id: uuid.UUID, *, besides: uuid.UUID) -> int:
        statement = select(func.count()).where(
            applications.c.call_id == str(call_id),
            applications.c.decision == "selected",
            applications.c.id != str(besides),
        )
        return int((await self._session.execute(statement)).scalar_one())

    async def save_review(self, review: Review) -> None:
        await self._session.execute(
            delete(application_reviews).where(
                application_reviews.c.application_id == str(review.application_id),
                application_reviews.c.reviewer == review.reviewer,
            )
        )
        await self._session.execute(
            insert(application_reviews).values(
                application_id=str(review.application_id),
                reviewer=review.reviewer,
                scores=review.scores,
                comment=review.comment,
                reviewed_at=review.reviewed_at,
            )
        )

    async def reviews(self, application_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Review]]:
        found: dict[uuid.UUID, list[Review]] = {key: [] for key in application_ids}
        if not application_ids:
            return found
        statement = (
            select(application_reviews)
            .where(application_reviews.c.application_id.in_([str(i) for i in application_ids]))
            .order_by(application_reviews.c.reviewed_at, application_reviews.c.reviewer)
        )
        for row in await self._session.execute(statement):
            key = uuid.UUID(row.application_id)
            found[key].append(
                Review(key, row.reviewer, dict(row.scores), row.comment, row.reviewed_at)
            )
        return found
