"""French formats for what people read in e-mails: dates in Paris time, amounts in euros.

Written out by hand rather than through the system locale, which a container may not have.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

NBSP = "\u00a0"  # espace insécable: before € and inside « 10 h 30 »
NNBSP = "\u202f"  # espace fine insécable: between thousands

_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def paris_datetime(moment: datetime) -> str:
    """``lundi 2 mars 2026 à 10 h 30``, in Paris time (winter or summer)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: use aware datetimes")
    local = moment.astimezone(PARIS)
    day = "1er" if local.day == 1 else str(local.day)
    return (
        f"{_DAYS[local.weekday()]} {day} {_MONTHS[local.month - 1]} {local.year} "
        f"à {local.hour}{NBSP}h{NBSP}{local.minute:02d}"
    )


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
