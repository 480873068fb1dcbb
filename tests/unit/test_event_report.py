"""The activity report: what counts, the breakdowns, and figures that reconcile with the records."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.base import Theme
from contracts.events.common import EventType, RegistrationStatus
from contracts.members.common import College, OrganisationKind
from services.events.domain.report import (
    EVENT_TYPE_LABELS,
    NONE,
    QPV_KEYS,
    THEME_LABELS,
    UNKNOWN,
    ActivityReport,
    EventRecord,
    EventStatus,
    Figures,
    Period,
    RegistrationRecord,
    build_report,
    report_csv,
    report_json,
)

PARIS = ZoneInfo("Europe/Paris")
YEAR = Period(date(2027, 1, 1), date(2027, 12, 31))
GENERATED = datetime(2028, 1, 15, 9, 0, tzinfo=UTC)
PARTICIPATION, EDUCATION = Theme.CITIZEN_PARTICIPATION.value, Theme.EDUCATION.value


def event(
    id: str,
    type: EventType = EventType.WEBINAR,
    themes: tuple[str, ...] = (PARTICIPATION,),
    starts_at: datetime = datetime(2027, 6, 10, 9, 30, tzinfo=PARIS),
    status: str = "completed",
) -> EventRecord:
    return EventRecord(id, type.value, themes, starts_at, status)  # type: ignore[arg-type]


def registration(event_id: str, status: str = "confirmed", **facts: object) -> RegistrationRecord:
    return RegistrationRecord(event_id, status, **facts)  # type: ignore[arg-type]


def report(events: list[EventRecord], registrations: list[RegistrationRecord]) -> ActivityReport:
    return build_report(YEAR, events, registrations, generated_at=GENERATED)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


class TestWhatCounts:
    def test_counts_published_and_completed_events_of_the_period_only(self) -> None:
        result = report(
            [
                event("held"),
                event("coming", status="published"),
                event("draft", status="draft"),
                event("cancelled", status="cancelled"),
                event("last-year", starts_at=datetime(2026, 12, 31, 23, 0, tzinfo=PARIS)),
            ],
            [],
        )
        assert (result.events, result.cancelled_events) == (2, 1)

    def test_reads_the_period_in_paris_time(self) -> None:
        new_year_eve = datetime(2027, 12, 31, 23, 30, tzinfo=PARIS)  # already 2028 nowhere
        new_year = datetime(2027, 12, 31, 23, 30, tzinfo=UTC)  # 1 January 2028 in Paris
        result = report([event("a", starts_at=new_year_eve), event("b", starts_at=new_year)], [])
        assert result.events == 1

    def test_registrants_are_confirmed_or_checked_in_and_attendees_checked_in(self) -> None:
        result = report(
            [event("e")],
            [
                registration("e", "confirmed", attended=True),
                registration("e", "confirmed"),
                registration("e", "waitlisted"),
                registration("e", "offered"),
                registration("e", "cancelled"),
                registration("e", "cancelled"),
            ],
        )
        assert result.totals == Figures(registrants=2, attendees=1)
        assert (result.waitlisted, result.cancelled_registrations) == (2, 2)
        assert result.registrations == 6

    def test_a_checked_in_person_counts_as_registrant_whatever_the_status_says(self) -> None:
        result = report([event("e")], [registration("e", "waitlisted", attended=True)])
        assert result.totals == Figures(registrants=1, attendees=1)
        assert result.waitlisted == 0

    def test_registrations_to_cancelled_events_are_reported_apart(self) -> None:
        result = report(
            [event("e", status="cancelled")],
            [registration("e"), registration("e", "cancelled")],
        )
        assert result.totals == Figures()
        assert result.registrations_to_cancelled_events == 2

    def test_ignores_registrations_to_events_outside_the_report(self) -> None:
        result = report([event("e", status="draft")], [registration("e"), registration("x")])
        assert result.totals == Figures()
        assert result.registrations == 0

    def test_refuses_a_period_that_ends_before_it_starts(self) -> None:
        with pytest.raises(ValueError, match="ends on or after"):
            Period(date(2027, 2, 1), date(2027, 1, 31))


class TestBreakdowns:
    events = (
        event("w", EventType.WEBINAR, (PARTICIPATION, EDUCATION)),
        event("d", EventType.THEMATIC_DAY, ()),
        event("v", EventType.WEBINAR, (EDUCATION,)),
    )
    registrations = (
        registration(
            "w",
            attended=True,
            organisation_kind=OrganisationKind.EPCI.value,
            college=College.ELUS.value,
            department="35",
            networks=("reussite-educative", "participation"),
            works_in_qpv=True,
        ),
        registration(
            "d",
            organisation_kind=OrganisationKind.COMMUNE.value,
            college=College.ACTEURS_TERRITORIAUX.value,
            department="53",
            works_in_qpv=False,
        ),
        registration("d", attended=True),
        registration("v", "cancelled", department="44"),
    )

    def result(self) -> ActivityReport:
        return report(list(self.events), list(self.registrations))

    def test_counts_events_and_their_audience_by_type(self) -> None:
        by_type = self.result().events_by_type
        assert {k: (v.events, v.registrants, v.attendees) for k, v in by_type.items()} == {
            "thematic_day": (1, 2, 1),
            "webinar": (2, 1, 1),
        }

    def test_counts_an_event_under_each_of_its_themes_and_themeless_events_apart(self) -> None:
        by_theme = self.result().events_by_theme
        assert {k: v.events for k, v in by_theme.items()} == {
            EDUCATION: 2,
            PARTICIPATION: 1,
            NONE: 1,
        }
        assert sum(v.events for v in by_theme.values()) == 4  # three events, one has two themes

    def test_counts_each_registrant_once_by_kind_college_department_and_qpv(self) -> None:
        result = self.result()
        assert result.by_organisation_kind == {
            "commune": Figures(1, 0),
            "epci": Figures(1, 1),
            UNKNOWN: Figures(1, 1),
        }
        assert result.by_college == {
            "acteurs_territoriaux": Figures(1, 0),
            "elus": Figures(1, 1),
            UNKNOWN: Figures(1, 1),
        }
        assert result.by_department == {
            "35": Figures(1, 1),
            "53": Figures(1, 0),
            UNKNOWN: Figures(1, 1),
        }
        assert result.by_qpv == {"yes": Figures(1, 1), "no": Figures(1, 0), UNKNOWN: Figures(1, 1)}

    def test_counts_a_registrant_under_each_of_their_networks(self) -> None:
        assert self.result().by_network == {
            "participation": Figures(1, 1),
            "reussite-educative": Figures(1, 1),
            NONE: Figures(2, 1),
        }

    def test_always_gives_the_three_qpv_answers(self) -> None:
        assert list(report([], []).by_qpv) == list(QPV_KEYS)

    def test_json_is_ready_for_dumping_with_period_and_generation_time(self) -> None:
        data = report_json(self.result())
        assert json.loads(json.dumps(data)) == data
        assert data["period"] == {"start": "2027-01-01", "end": "2027-12-31"}
        assert data["generated_at"] == "2028-01-15T09:00:00+00:00"
        assert data["events"]["total"] == 3
        assert data["events"]["by_type"]["webinar"] == {
            "events": 2,
            "registrants": 1,
            "attendees": 1,
        }
        assert data["registrations"] == {
            "registrants": 3,
            "attendees": 2,
            "waitlisted": 0,
            "cancelled": 1,
            "to_cancelled_events": 0,
        }
        assert data["breakdowns"]["qpv"]["yes"] == {"registrants": 1, "attendees": 1}
        assert any("un événement à deux thèmes compte dans chacun" in n for n in data["notes"])

    def test_csv_is_long_and_french(self) -> None:
        rows = read_csv(report_csv(self.result(), network_names={"participation": "Réseau PC"}))
        assert rows[0] == ["Rubrique", "Clé", "Libellé", "Événements", "Inscrits", "Présents"]
        assert ["Total", "total", "Ensemble", "3", "3", "2"] in rows
        assert ["Événements par type", "webinar", "Webinaire", "2", "1", "1"] in rows
        assert ["Événements par thème", NONE, "Sans thème", "1", "2", "1"] in rows
        assert ["Événements par thème", EDUCATION, "Éducation", "2", "1", "1"] in rows
        assert ["Inscrits par type de structure", "epci", "EPCI", "", "1", "1"] in rows
        assert ["Inscrits par collège", "elus", "Élus", "", "1", "1"] in rows
        assert ["Inscrits par département", "35", "Ille-et-Vilaine", "", "1", "1"] in rows
        assert ["Inscrits par département", UNKNOWN, "Non renseigné", "", "1", "1"] in rows
        assert ["Inscrits par réseau", "participation", "Réseau PC", "", "1", "1"] in rows
        assert [
            "Inscrits par réseau",
            "reussite-educative",
            "reussite-educative",
            "",
            "1",
            "1",
        ] in rows
        assert ["Inscrits travaillant en QPV", "yes", "Oui", "", "1", "1"] in rows
        assert [
            "Hors effectifs",
            "cancelled_registrations",
            "Inscriptions annulées",
            "",
            "1",
            "",
        ] in rows
        assert all(len(row) == 6 for row in rows)
        assert [row[0] for row in rows].count("Notes") == len(self.result().notes)

    def test_every_type_and_theme_has_a_french_label(self) -> None:
        assert set(EVENT_TYPE_LABELS) == set(EventType)
        assert set(THEME_LABELS) == set(Theme)


# --- Figures reconcile with the raw records -----------------------------------------------------

_kinds = st.sampled_from([None, *(kind.value for kind in OrganisationKind)])
_colleges = st.sampled_from([None, *(college.value for college in College)])
_departments = st.sampled_from([None, "35", "44", "53", "2A", "971"])
_networks = st.lists(st.sampled_from(["pc", "re", "gusp", "sante"]), max_size=3)
_statuses: st.SearchStrategy[RegistrationStatus] = st.sampled_from(
    ["confirmed", "waitlisted", "offered", "cancelled"]
)
_event_statuses: st.SearchStrategy[EventStatus] = st.sampled_from(
    ["draft", "published", "cancelled", "completed"]
)
_themes = st.lists(st.sampled_from([theme.value for theme in Theme]), max_size=3)
_starts = st.datetimes(
    min_value=datetime(2026, 12, 30), max_value=datetime(2028, 1, 2), timezones=st.just(PARIS)
)


@st.composite
def records(draw: st.DrawFn) -> tuple[list[EventRecord], list[RegistrationRecord]]:
    count = draw(st.integers(min_value=0, max_value=8))
    events = [
        EventRecord(
            f"e{index}",
            draw(st.sampled_from([t.value for t in EventType])),
            tuple(draw(_themes)),
            draw(_starts),
            draw(_event_statuses),
        )
        for index in range(count)
    ]
    ids = [e.id for e in events] + ["unknown-event"]
    registrations = [
        RegistrationRecord(
            event_id=draw(st.sampled_from(ids)),
            status=draw(_statuses),
            attended=draw(st.booleans()),
            organisation_kind=draw(_kinds),
            college=draw(_colleges),
            department=draw(_departments),
            networks=tuple(draw(_networks)),
            works_in_qpv=draw(st.sampled_from([True, False, None])),
        )
        for _ in range(draw(st.integers(min_value=0, max_value=40)))
    ]
    return events, registrations


def _in_year(moment: datetime) -> bool:
    return date(2027, 1, 1) <= moment.astimezone(PARIS).date() <= date(2027, 12, 31)


@settings(max_examples=150, deadline=None, database=None)
@given(records())
def test_figures_reconcile_with_the_raw_records(
    data: tuple[list[EventRecord], list[RegistrationRecord]],
) -> None:
    events, registrations = data
    result = report(events, registrations)

    # Totals recounted from the records, independently of the report's code.
    held = {
        e.id for e in events if _in_year(e.starts_at) and e.status in ("published", "completed")
    }
    off = {e.id for e in events if _in_year(e.starts_at) and e.status == "cancelled"}
    mine = [r for r in registrations if r.event_id in held]
    registrants = [r for r in mine if r.status == "confirmed" or r.attended]
    assert result.events == len(held)
    assert result.cancelled_events == len(off)
    assert result.totals == Figures(len(registrants), sum(r.attended for r in registrants))
    assert result.registrations == len(mine)
    assert result.registrations_to_cancelled_events == sum(r.event_id in off for r in registrations)

    # Single-valued breakdowns add up to the totals, and attendees never exceed registrants.
    for breakdown in (
        result.by_organisation_kind,
        result.by_college,
        result.by_department,
        result.by_qpv,
    ):
        assert sum(f.registrants for f in breakdown.values()) == result.totals.registrants
        assert sum(f.attendees for f in breakdown.values()) == result.totals.attendees
        assert all(f.attendees <= f.registrants for f in breakdown.values())
    by_type = result.events_by_type.values()
    assert sum(f.events for f in by_type) == result.events
    assert sum(f.registrants for f in by_type) == result.totals.registrants
    assert sum(f.attendees for f in by_type) == result.totals.attendees

    # Multi-valued ones (documented): each count is exact, the sum is at least the total.
    for theme, figures in result.events_by_theme.items():
        assert figures.events == sum(
            1
            for e in events
            if e.id in held and (theme in e.themes or (theme == NONE and not e.themes))
        )
    assert sum(f.events for f in result.events_by_theme.values()) >= result.events
    for network, counts in result.by_network.items():
        assert counts.registrants == sum(
            1 for r in registrants if network in r.networks or (network == NONE and not r.networks)
        )
    assert sum(f.registrants for f in result.by_network.values()) >= result.totals.registrants

    # The files say the same.
    data_json = report_json(result)
    assert data_json["registrations"]["registrants"] == result.totals.registrants
    rows = read_csv(report_csv(result))
    total = next(row for row in rows if row[0] == "Total")
    assert total[3:] == [
        str(result.events),
        *map(str, (result.totals.registrants, result.totals.attendees)),
    ]
    department_rows = [row for row in rows if row[0] == "Inscrits par département"]
    assert sum(int(row[4]) for row in department_rows) == result.totals.registrants
