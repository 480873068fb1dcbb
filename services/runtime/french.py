"""French names of days and months, written out rather than taken from the system locale (a
container may not have ``fr_FR``). Every service that writes dates for people uses these."""

from __future__ import annotations

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
"""Monday first, as ``datetime.weekday()`` counts."""

MONTHS = (
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
"""January first: ``MONTHS[month - 1]``."""
