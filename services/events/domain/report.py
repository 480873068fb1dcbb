"""The activity report funders ask for: over a period, the events held by type and theme, and who
registered and attended, by organisation kind, college, department, network and QPV.

Pure: :func:`build_report` takes plain records (the store reads them), returns an
:class:`ActivityReport`; :func:`report_json` and :func:`report_csv` write it out. No clock: the
caller passes ``generated_at``.

**Counting rules** (also written in the report's ``notes``, so a reader of the file knows them):

- *Period*: an event belongs to the period when its start, in Europe/Paris time, falls on a day
  between the period's first and last day, both included.
- *Events*: published and completed events count. Cancelled events are reported apart (their
  number, and the number of registrations they had); drafts are left out.
- *Registrants* = registrations that hold a seat (confirmed) plus any registration checked in as
  present (so attendees are always among registrants). *Attendees* = registrations checked in.
  Registrations waiting for a seat (waiting list, or a seat offered but not yet taken) and
  cancelled registrations are not registrants: they are reported apart.
- Figures count *registrations*: a person at three events counts three times.
- Each registrant falls in exactly one organisation kind, college, department and QPV answer
  (``unknown`` when the record does not say), so those breakdowns add up to the totals. An event
  has several themes and a person several networks: such an event counts under each of its themes
  and such a registrant under each of their networks, so those two breakdowns add up to *at least*
  the totals (``none`` holds events without a theme and registrants without a network).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from contracts.base import Theme
from contracts.events.common import EventType, RegistrationStatus
from contracts.members.common import College, OrganisationKind
from reference import territories

PARIS = ZoneInfo("Europe/Paris")

EventStatus = Literal["draft", "published", "cancelled", "completed"]
COUNTED_EVENT_STATUSES: frozenset[str] = frozenset({"published", "completed"})
WAITING_STATUSES: frozenset[str] = frozenset({"waitlisted", "offered"})

UNKNOWN = "unknown"
"""The key of registrants whose record does not say (kind, college, department, QPV)."""
NONE = "none"
"""The key of events without a theme, registrants without a network."""
QPV_KEYS = ("yes", "no", UNKNOWN)

NOTES = (
    "Période : événements dont le début, heure de Paris, tombe entre le premier et le dernier "
    "jour de la période inclus.",
    "Événements comptés : publiés et terminés ; les événements annulés sont comptés à part, "
    "les brouillons ne sont pas comptés.",
    "Inscrits : inscriptions confirmées, plus toute inscription pointée présente ; présents : "
    "inscriptions pointées présentes. Liste d'attente (y compris places proposées non encore "
    "acceptées) et inscriptions annulées sont comptées à part.",
    "Les chiffres comptent des inscriptions : une personne venue à trois événements compte "
    "trois fois.",
    "Type de structure, collège, département et QPV : chaque inscrit est compté une fois "
    "(« non renseigné » au besoin), les sous-totaux font le total.",
    "Thèmes et réseaux : un événement à deux thèmes compte dans chacun, un inscrit membre de "
    "deux réseaux aussi ; ces sous-totaux dépassent donc le total.",
)

SECTION_LABELS: dict[str, str] = {
    "total": "Total",
    "events_by_type": "Événements par type",
    "events_by_theme": "Événements par thème",
    "organisation_kind": "Inscrits par type de structure",
    "college": "Inscrits par collège",
    "department": "Inscrits par département",
    "network": "Inscrits par réseau",
    "qpv": "Inscrits travaillant en QPV",
    "not_counted": "Hors effectifs",
}
CSV_HEADER = ("Rubrique", "Clé", "Libellé", "Événements", "Inscrits", "Présents")

EVENT_TYPE_LABELS: dict[str, str] = {
    EventType.WEBINAR: "Webinaire",
    EventType.THEMATIC_DAY: "Journée thématique",
    EventType.INTERREGIONAL_MEETING: "Rencontre interrégionale",
    EventType.WORKSHOP: "Atelier",
    EventType.VIDEO_EXCHANGE: "Échange en visio",
    EventType.FIELD_VISIT: "Visite de terrain",
    EventType.TRAINING: "Journée de formation",
    EventType.CLIMATE_FRESCO: "Fresque du climat",
    EventType.RESEARCH_RESTITUTION: "Restitution de recherche",
    EventType.OTHER: "Autre",
}
THEME_LABELS: dict[str, str] = {
    Theme.CITIZEN_PARTICIPATION: "Participation citoyenne",
    Theme.EDUCATION: "Éducation",
    Theme.EMPLOYMENT: "Emploi et développement économique",
    Theme.HEALTH: "Santé",
    Theme.CULTURE: "Culture",
    Theme.URBAN_RENEWAL: "Renouvellement urbain",
    Theme.ECOLOGICAL_TRANSITION: "Transitions",
    Theme.SAFETY: "Tranquillité publique",
    Theme.GUSP: "Gestion urbaine de proximité",
    Theme.DATA: "Data et quartiers",
    Theme.CONTRAT_DE_VILLE: "Contrat de ville",
}
ORGANISATION_KIND_LABELS: dict[str, str] = {
    OrganisationKind.COMMUNE: "Commune",
    OrganisationKind.EPCI: "EPCI",
    OrganisationKind.DEPARTEMENT: "Département",
    OrganisationKind.REGION: "Région",
    OrganisationKind.STATE_SERVICE: "Service de l'État",
    OrganisationKind.SOCIAL_LANDLORD: "Bailleur social",
    OrganisationKind.ASSOCIATION: "Association",
    OrganisationKind.SOCIAL_CENTRE: "Centre social",
    OrganisationKind.OTHER: "Autre",
}
COLLEGE_LABELS: dict[str, str] = {
    College.ELUS: "Élus",
    College.ACTEURS_TERRITORIAUX: "Acteurs territoriaux",
}
QPV_LABELS: dict[str, str] = {"yes": "Oui", "no": "Non"}
_UNKNOWN_LABEL = "Non renseigné"
_NONE_LABELS = {"events_by_theme": "Sans thème", "network": "Aucun réseau"}


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included (Paris dates)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period ends on or after its first day")

    def contains(self, moment: datetime) -> bool:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("event starts must be aware datetimes")
        return self.start <= moment.astimezone(PARIS).date() <= self.end


@dataclass(frozen=True)
class EventRecord:
    id: uuid.UUID | str
    type: str
    themes: tuple[str, ...]
    starts_at: datetime
    status: EventStatus


@dataclass(frozen=True)
class RegistrationRecord:
    event_id: uuid.UUID | str
    status: RegistrationStatus
    attended: bool = False
    organisation_kind: str | None = None
    college: str | None = None
    department: str | None = None
    networks: tuple[str, ...] = ()
    works_in_qpv: bool | None = None
    """None: not known."""


@dataclass(frozen=True)
class Figures:
    registrants: int = 0
    attendees: int = 0


@dataclass(frozen=True)
class EventFigures:
    """Events of a type or theme, and the registrants and attendees of those events."""

    events: int = 0
    registrants: int = 0
    attendees: int = 0


@dataclass(frozen=True)
class ActivityReport:
    period: Period
    generated_at: datetime
    events: int
    """Published and completed events of the period."""
    cancelled_events: int
    totals: Figures
    waitlisted: int
    """Registrations of counted events still waiting (waiting list or seat offered)."""
    cancelled_registrations: int
    """Cancelled registrations of counted events."""
    registrations_to_cancelled_events: int
    events_by_type: Mapping[str, EventFigures]
    events_by_theme: Mapping[str, EventFigures]
    by_organisation_kind: Mapping[str, Figures]
    by_college: Mapping[str, Figures]
    by_department: Mapping[str, Figures]
    by_network: Mapping[str, Figures]
    by_qpv: Mapping[str, Figures]
    notes: tuple[str, ...] = field(default=NOTES)

    @property
    def registrations(self) -> int:
        """All registrations of counted events: registrants, waiting and cancelled."""
        return self.totals.registrants + self.waitlisted + self.cancelled_registrations


def build_report(
    period: Period,
    events: Iterable[EventRecord],
    registrations: Iterable[RegistrationRecord],
    *,
    generated_at: datetime,
) -> ActivityReport:
    """The activity report of ``period`` (see the module docstring for what counts)."""
    if generated_at.tzinfo is None or generated_at.utcoffset() is None:
        raise ValueError("generated_at must be an aware datetime")
    counted: dict[str, EventRecord] = {}
    cancelled: set[str] = set()
    for event in events:
        if not period.contains(event.starts_at):
            continue
        if event.status in COUNTED_EVENT_STATUSES:
            counted[str(event.id)] = event
        elif event.status == "cancelled":
            cancelled.add(str(event.id))

    per_event: dict[str, Counter[str]] = {key: Counter() for key in counted}
    breakdowns: dict[str, dict[str, Counter[str]]] = {
        name: {} for name in ("organisation_kind", "college", "department", "network", "qpv")
    }
    totals: Counter[str] = Counter()
    to_cancelled_events = 0
    for registration in registrations:
        key = str(registration.event_id)
        if key in cancelled:
            to_cancelled_events += 1
            continue
        if key not in counted:
            continue
        if registration.status == "confirmed" or registration.attended:
            outcome = {"registrants": 1, "attendees": int(registration.attended)}
        elif registration.status in WAITING_STATUSES:
            totals["waitlisted"] += 1
            continue
        else:
            totals["cancelled"] += 1
            continue
        totals.update(outcome)
        per_event[key].update(outcome)
        for name, value in _classify(registration):
            breakdowns[name].setdefault(value, Counter()).update(outcome)

    by_type: dict[str, Counter[str]] = {}
    by_theme: dict[str, Counter[str]] = {}
    for key, event in counted.items():
        figures = Counter({"events": 1, **per_event[key]})
        by_type.setdefault(event.type, Counter()).update(figures)
        for theme in dict.fromkeys(event.themes) or (NONE,):
            by_theme.setdefault(theme, Counter()).update(figures)

    qpv = {value: breakdowns["qpv"].get(value, Counter()) for value in QPV_KEYS}
    return ActivityReport(
        period=period,
        generated_at=generated_at,
        events=len(counted),
        cancelled_events=len(cancelled),
        totals=_figures(totals),
        waitlisted=totals["waitlisted"],
        cancelled_registrations=totals["cancelled"],
        registrations_to_cancelled_events=to_cancelled_events,
        events_by_type=_sorted(by_type, _event_figures),
        events_by_theme=_sorted(by_theme, _event_figures),
        by_organisation_kind=_sorted(breakdowns["organisation_kind"], _figures),
        by_college=_sorted(breakdowns["college"], _figures),
        by_department=_sorted(breakdowns["department"], _figures),
        by_network=_sorted(breakdowns["network"], _figures),
        by_qpv={value: _figures(counts) for value, counts in qpv.items()},
    )


def _classify(registration: RegistrationRecord) -> list[tuple[str, str]]:
    qpv = {True: "yes", False: "no", None: UNKNOWN}[registration.works_in_qpv]
    networks = dict.fromkeys(n for n in registration.networks if n) or {NONE: None}
    return [
        ("organisation_kind", registration.organisation_kind or UNKNOWN),
        ("college", registration.college or UNKNOWN),
        ("department", registration.department or UNKNOWN),
        ("qpv", qpv),
        *(("network", network) for network in networks),
    ]


def _figures(counts: Mapping[str, int]) -> Figures:
    return Figures(registrants=counts.get("registrants", 0), attendees=counts.get("attendees", 0))


def _event_figures(counts: Mapping[str, int]) -> EventFigures:
    return EventFigures(
        events=counts.get("events", 0),
        registrants=counts.get("registrants", 0),
        attendees=counts.get("attendees", 0),
    )


_T = TypeVar("_T")


def _sorted(
    groups: Mapping[str, Counter[str]], make: Callable[[Counter[str]], _T]
) -> dict[str, _T]:
    """Keys in order, with ``unknown`` and ``none`` last."""
    order = sorted(groups, key=lambda key: (key in (UNKNOWN, NONE), key))
    return {key: make(groups[key]) for key in order}


# --- JSON --------------------------------------------------------------------------------------


def report_json(report: ActivityReport) -> dict[str, Any]:
    """The report as a dict ready for ``json.dumps``: codes as keys, dates in ISO 8601."""
    return {
        "period": {"start": report.period.start.isoformat(), "end": report.period.end.isoformat()},
        "generated_at": report.generated_at.astimezone(UTC).isoformat(),
        "events": {
            "total": report.events,
            "cancelled": report.cancelled_events,
            "by_type": {k: _event_dict(v) for k, v in report.events_by_type.items()},
            "by_theme": {k: _event_dict(v) for k, v in report.events_by_theme.items()},
        },
        "registrations": {
            "registrants": report.totals.registrants,
            "attendees": report.totals.attendees,
            "waitlisted": report.waitlisted,
            "cancelled": report.cancelled_registrations,
            "to_cancelled_events": report.registrations_to_cancelled_events,
        },
        "breakdowns": {
            name: {k: _figures_dict(v) for k, v in figures.items()}
            for name, figures in _breakdowns(report).items()
        },
        "notes": list(report.notes),
    }


def _event_dict(figures: EventFigures) -> dict[str, int]:
    return {
        "events": figures.events,
        "registrants": figures.registrants,
        "attendees": figures.attendees,
    }


def _figures_dict(figures: Figures) -> dict[str, int]:
    return {"registrants": figures.registrants, "attendees": figures.attendees}


def _breakdowns(report: ActivityReport) -> dict[str, Mapping[str, Figures]]:
    return {
        "organisation_kind": report.by_organisation_kind,
        "college": report.by_college,
        "department": report.by_department,
        "network": report.by_network,
        "qpv": report.by_qpv,
    }


# --- CSV ---------------------------------------------------------------------------------------


def report_csv(report: ActivityReport, *, network_names: Mapping[str, str] | None = None) -> bytes:
    """The report in long format for a French spreadsheet (UTF-8 with BOM, ``;``): one line per
    section and key, ``Rubrique;Clé;Libellé;Événements;Inscrits;Présents``; the counting rules
    follow as lines of the « Notes » section.

    Args:
        report: The report.
        network_names: Names of networks by slug, for the labels; a slug without a name stands
            alone. Departments are named from the shipped reference (« Ille-et-Vilaine »).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    rows: list[tuple[str, str, str, int | str, int | str, int | str]] = [
        ("total", "total", "Ensemble", report.events, *_pair(report.totals)),
    ]
    labels: dict[str, Mapping[str, str]] = {
        "events_by_type": EVENT_TYPE_LABELS,
        "events_by_theme": THEME_LABELS,
        "organisation_kind": ORGANISATION_KIND_LABELS,
        "college": COLLEGE_LABELS,
        "department": _department_names(report.by_department),
        "network": network_names or {},
        "qpv": QPV_LABELS,
    }
    for section, event_figures in (
        ("events_by_type", report.events_by_type),
        ("events_by_theme", report.events_by_theme),
    ):
        for key, figures in event_figures.items():
            label = _label(section, key, labels[section])
            rows.append(
                (section, key, label, figures.events, figures.registrants, figures.attendees)
            )
    for section, breakdown in _breakdowns(report).items():
        for key, pair in breakdown.items():
            rows.append((section, key, _label(section, key, labels[section]), "", *_pair(pair)))
    rows += [
        ("not_counted", "cancelled_events", "Événements annulés", report.cancelled_events, "", ""),
        (
            "not_counted",
            "registrations_to_cancelled_events",
            "Inscriptions à des événements annulés",
            "",
            report.registrations_to_cancelled_events,
            "",
        ),
        ("not_counted", "waitlisted", "Liste d'attente", "", report.waitlisted, ""),
        (
            "not_counted",
            "cancelled_registrations",
            "Inscriptions annulées",
            "",
            report.cancelled_registrations,
            "",
        ),
    ]
    for section, key, label, *numbers in rows:
        writer.writerow([SECTION_LABELS[section], key, label, *numbers])
    for number, note in enumerate(report.notes, start=1):
        writer.writerow(["Notes", str(number), note, "", "", ""])
    return buffer.getvalue().encode("utf-8-sig")


def _department_names(codes: Iterable[str]) -> dict[str, str]:
    ref = territories()
    found = {code: ref.department(code) for code in codes if code != UNKNOWN}
    return {code: department.name for code, department in found.items() if department}


def _pair(figures: Figures) -> tuple[int, int]:
    return figures.registrants, figures.attendees


def _label(section: str, key: str, names: Mapping[str, str]) -> str:
    if key == UNKNOWN:
        return _UNKNOWN_LABEL
    if key == NONE and section in _NONE_LABELS:
        return _NONE_LABELS[section]
    return names.get(key, key)
