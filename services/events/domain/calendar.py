"""RFC 5545 calendar files of the agenda, built with ``icalendar``: one event (METHOD:REQUEST,
or METHOD:CANCEL once cancelled) and the agenda feed.

The UID of an event never changes (it is derived from its id and the centre's domain), its
SEQUENCE goes up with each change registrants must know of, times carry TZID=Europe/Paris with
the matching VTIMEZONE. The video link is never written here: calendar files travel further
than the registrant (forwarded invitations, public feeds).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

import icalendar

from services.events.domain.agenda import PARIS, Event, Status

PRODID = "-//reso//agenda//FR"


@dataclass(frozen=True)
class CalendarSite:
    """What the files say of the centre: its name, public address and organiser mailbox."""

    name: str
    public_url: str
    email: str

    @property
    def domain(self) -> str:
        return urlsplit(self.public_url).hostname or "reso.invalid"

    def event_url(self, event_id: uuid.UUID) -> str:
        return f"{self.public_url.rstrip('/')}/agenda/{event_id}"


def uid(event_id: uuid.UUID, site: CalendarSite) -> str:
    """The event's stable UID."""
    return f"{event_id}@{site.domain}"


def _vevent(event: Event, site: CalendarSite, *, stamp: datetime) -> icalendar.Event:
    draft = event.draft
    vevent = icalendar.Event()
    vevent.add("uid", uid(event.id, site))
    vevent.add("dtstamp", stamp)
    vevent.add("sequence", event.sequence)
    vevent.add("summary", draft.title)
    vevent.add("dtstart", draft.starts_at.astimezone(PARIS))
    vevent.add("dtend", draft.ends_at.astimezone(PARIS))
    url = site.event_url(event.id)
    vevent.add("url", url)
    description = draft.summary.strip()
    vevent.add("description", f"{description}\n\n{url}".strip())
    if draft.venue is not None:
        venue = draft.venue
        vevent.add(
            "location",
            ", ".join(
                part
                for part in (venue.name, venue.street, f"{venue.postcode} {venue.city}".strip())
                if part
            ),
        )
    elif draft.format == "online":
        vevent.add("location", "En ligne")
    if draft.themes:
        vevent.add("categories", list(draft.themes))
    organizer = icalendar.vCalAddress(f"mailto:{site.email}")
    organizer.params["cn"] = icalendar.vText(site.name)
    vevent.add("organizer", organizer)
    cancelled = event.status is Status.CANCELLED
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return vevent


def _calendar(method: str | None, events: Iterable[icalendar.Event], name: str) -> str:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method is not None:
        calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    years: list[int] = []
    for vevent in events:
        calendar.add_component(vevent)
        years.append(vevent.start.year)
    first = date(min(years, default=2026) - 1, 1, 1)
    last = date(max(years, default=2026) + 2, 1, 1)
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical().decode("utf-8")


def event_ics(event: Event, site: CalendarSite, *, stamp: datetime) -> str:
    """The event's calendar file: METHOD:REQUEST, or METHOD:CANCEL once it is cancelled."""
    method = "CANCEL" if event.status is Status.CANCELLED else "REQUEST"
    return _calendar(method, [_vevent(event, site, stamp=stamp)], event.draft.title)


def cancellation_ics(event: Event, site: CalendarSite, *, stamp: datetime) -> str:
    """The calendar cancellation of one registrant's seat (or of the whole event)."""
    vevent = _vevent(event, site, stamp=stamp)
    vevent["status"] = icalendar.vText("CANCELLED")
    return _calendar("CANCEL", [vevent], event.draft.title)


def agenda_ics(events: Iterable[Event], site: CalendarSite, *, stamp: datetime) -> str:
    """The agenda feed: published events (a subscription feed has no METHOD)."""
    return _calendar(
        None, [_vevent(event, site, stamp=stamp) for event in events], f"Agenda — {site.name}"
    )
