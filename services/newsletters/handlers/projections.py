"""The coming events and new data letters' blocks show, projected from events' and
dataquartiers' facts (idempotent per fact: inbox claims)."""

from __future__ import annotations

from contracts.dataquartiers import IndicatorPublishedV1
from contracts.events import EventCancelledV1, EventPublishedV1, EventSummaryV1, EventUpdatedV1
from services.newsletters.domain.issues import AgendaItem, DataItem
from services.newsletters.formatting import event_place
from services.newsletters.handlers.common import UowFactory

CONSUMER_AGENDA = "newsletters.agenda"
CONSUMER_DATA = "newsletters.data"


def _agenda_item(event: EventSummaryV1, summary: str) -> AgendaItem:
    venue = event.venue.model_dump(mode="json") if event.venue else None
    return AgendaItem(
        event_id=event.event_id,
        title=event.title,
        summary=summary,
        themes=event.themes,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        place=event_place(event.format.value, venue, None),
        url=event.url,
    )


async def on_agenda_fact(
    fact: EventPublishedV1 | EventUpdatedV1 | EventCancelledV1, uow: UowFactory
) -> None:
    """Keep the coming events up to date (member-only events are left out of letters; the
    registrants an update or a cancellation carries are not kept)."""
    summary = fact.summary if isinstance(fact, EventPublishedV1) else ""
    async with uow() as work:
        if not await work.claim(CONSUMER_AGENDA, str(fact.event_id)):
            return
        if fact.event.member_only and not isinstance(fact, EventCancelledV1):
            await work.agenda.forget(fact.event.event_id)  # now for members only
        else:
            item = _agenda_item(fact.event, summary)
            cancelled = isinstance(fact, EventCancelledV1)
            await work.agenda.apply(
                item, cancelled=cancelled, fact_at=fact.occurred_at, keep_summary=not summary
            )
        await work.commit()


async def on_indicator_published(fact: IndicatorPublishedV1, uow: UowFactory) -> None:
    async with uow() as work:
        if not await work.claim(CONSUMER_DATA, str(fact.event_id)):
            return
        await work.data.apply(
            DataItem(
                key=f"{fact.indicator}:{fact.vintage}",
                label=fact.label,
                theme=fact.theme,
                vintage=fact.vintage,
                territories=len(fact.territories),
                url=fact.link,
                published_at=fact.occurred_at,
            )
        )
        await work.commit()
