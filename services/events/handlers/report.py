"""The activity report of a period, and the projection of network memberships it needs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from contracts.events import ActivityReportV1, GetActivityReportV1
from contracts.members import NetworkJoinedV1, NetworkLeftV1
from services.events.domain import report
from services.events.handlers.common import Agenda
from services.events.store import EventsUnitOfWork, UowFactory
from services.runtime.errors import InvalidInput

CONSUMER = "events.networks"
MAX_DAYS = 3 * 366


async def activity_report(
    query: GetActivityReportV1, uow: UowFactory, context: Agenda
) -> ActivityReportV1:
    if query.end < query.start:
        raise InvalidInput("La fin de la période précède son début.", field="to")
    if (query.end - query.start).days > MAX_DAYS:
        raise InvalidInput("La période couvre trois ans au plus.", field="to")
    period = report.Period(query.start, query.end)
    # UTC bounds a day wider than the Paris dates; build_report keeps the Paris days.
    start = datetime.combine(query.start - timedelta(days=1), time(), tzinfo=UTC)
    end = datetime.combine(query.end + timedelta(days=2), time(), tzinfo=UTC)
    async with uow() as work:
        events, registrations = await work.activity.report_records(start, end)
    built = report.build_report(period, events, registrations, generated_at=context.now())
    return ActivityReportV1(
        report=report.report_json(built),
        csv=report.report_csv(built).decode("utf-8-sig") if query.format == "csv" else None,
    )


async def on_network_changed(event: NetworkJoinedV1 | NetworkLeftV1, uow: UowFactory) -> None:
    """Who belongs to which network (the report's breakdown by network). Joins and leaves come
    on two subjects, so in any order: the latest fact (``occurred_at``) wins."""
    async with uow() as work:
        if not await work.claim(CONSUMER, str(event.event_id)):
            return
        await work.activity.set_network(
            event.person_id,
            event.network_slug,
            member=isinstance(event, NetworkJoinedV1),
            as_of=event.occurred_at,
        )
        await work.commit()


async def forget_networks(work: EventsUnitOfWork, person_id: uuid.UUID) -> None:
    """Erasure: the person's network memberships go."""
    await work.activity.forget_networks(person_id)
