"""French formats for what people read in e-mails: dates in Paris time, amounts in euros,
ordinals, where an event takes place.

Written out by hand rather than through the system locale, which a container may not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.runtime.french import DAYS as _DAYS
from services.runtime.french import MONTHS as _MONTHS

PARIS = ZoneInfo("Europe/Paris")

NBSP = "\u00a0"  # espace insécable: before € and inside « 10 h 30 »
NNBSP = "\u202f"  # espace fine insécable: between thousands


def paris_date(moment: datetime) -> str:
    """``lundi 2 mars 2026``, the day in Paris."""
    local = _paris(moment)
    day = "1er" if local.day == 1 else str(local.day)
    return f"{_DAYS[local.weekday()]} {day} {_MONTHS[local.month - 1]} {local.year}"


def paris_time(moment: datetime) -> str:
    """``10 h 30``, the time in Paris."""
    local = _paris(moment)
    return f"{local.hour}{NBSP}h{NBSP}{local.minute:02d}"


def paris_datetime(moment: datetime) -> str:
    """``lundi 2 mars 2026 à 10 h 30``, in Paris time (winter or summer)."""
    return f"{paris_date(moment)} à {paris_time(moment)}"


def paris_span(starts: datetime, ends: datetime, *, article: bool = False) -> str:
    """When an event takes place, in Paris time: ``lundi 2 mars 2026, de 10 h 30 à 12 h 00``
    within one day (``le lundi …`` with ``article``, to follow « prévu »), ``du lundi 2 mars
    2026 à 10 h 30 au mardi 3 mars 2026 à 17 h 00`` over several."""
    if _paris(starts).date() == _paris(ends).date():
        day = f"{paris_date(starts)}, de {paris_time(starts)} à {paris_time(ends)}"
        return f"le {day}" if article else day
    return f"du {paris_datetime(starts)} au {paris_datetime(ends)}"


def _paris(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: use aware datetimes")
    return moment.astimezone(PARIS)


def ordinal(position: int) -> str:
    """``1re``, ``2e``, ``10e``: a rank, as in « en 2e position » (feminine, as position)."""
    return f"{position}re" if position == 1 else f"{position}e"


def venue_line(venue: Mapping[str, Any]) -> str:
    """``Maison de quartier du Blosne, 7 boulevard de Yougoslavie, 35200 Rennes``: the parts a
    venue has, in the order a French address is read."""
    town = " ".join(part for part in (venue.get("postcode"), venue.get("city")) if part)
    return ", ".join(part for part in (venue.get("name"), venue.get("street"), town) if part)


def event_place(event_format: str, venue: Mapping[str, Any] | None, mode: str | None) -> str:
    """Where a registrant attends (``mode``), or where the event takes place when the mode is
    not known: « en ligne », the venue, or both for a hybrid event."""
    online = "en ligne"
    if mode == "online" or (mode is None and event_format == "online"):
        return online
    place = venue_line(venue) if venue else ""
    if not place:
        place = "lieu à préciser"
    if mode is None and event_format == "hybrid":
        return f"{place}, ou {online}"
    return place


def euros(amount: Decimal | str | int) -> str:
    """``1 200,00 €``: thousands apart, a decimal comma, two decimals, then the sign."""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    units, cents = f"{abs(value):.2f}".split(".")
    groups: list[str] = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    return f"{sign}{NNBSP.join(groups)},{cents}{NBSP}€"


def minutes_left(expires_at: datetime, now: datetime) -> int:
    """Whole minutes a link still works (at least 1 while it works)."""
    return max(1, int((expires_at - now).total_seconds() // 60))
