"""Attendance (staff check-in, the attendance list and sign-in sheet, attendance certificates)
and the activity report."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, ClassVar, Literal

from pydantic import Field

from contracts.base import Command, Query, Reply

# --- attendance ---------------------------------------------------------------------------------


class CheckInV1(Command):
    """Staff mark a confirmed registrant present at the event (``present``), or undo it.

    Sets or clears the registration's ``attended_at``; checking in twice keeps the first time.
    Refused for a registration that holds no seat, or an event not published or completed. No
    fact is emitted: the attendance documents and the activity report read it from events.
    """

    subject: ClassVar[str] = "rpc.events.registration.check_in.v1"

    registration_id: uuid.UUID
    present: bool = True
    by: str = Field(min_length=1, description="The staff member's address.")


class GetAttendanceSheetV1(Query):
    """An event's attendance list (``csv``: every confirmed registrant, present or not) or the
    sign-in sheet to print (``pdf``: the people expected on site; for an online event, every
    confirmed registrant), written into the object store."""

    subject: ClassVar[str] = "rpc.events.attendance.sheet.v1"

    event_id: uuid.UUID
    format: Literal["csv", "pdf"] = "csv"
    blank_rows: int = Field(
        default=0, ge=0, le=200, description="Empty lines at the end of the PDF, for walk-ins."
    )


class GetCertificatesV1(Query):
    """Attendance certificates (PDF, French): one registrant's (``registration_id``), or those
    of every registrant checked in at the event (one page each), written into the object store.
    A registrant not checked in gets none (error ``not_attended``)."""

    subject: ClassVar[str] = "rpc.events.attendance.certificates.v1"

    event_id: uuid.UUID | None = Field(
        default=None, description="Every attendee's certificate; or give ``registration_id``."
    )
    registration_id: uuid.UUID | None = None


class EventFileV1(Reply):
    """A document the events service wrote into the object store, for the gateway to send."""

    subject: ClassVar[str] = "rpc.events.attendance.sheet.v1"

    file: str = Field(
        description="Name of the file in the JetStream object store bucket RESO_FILES; the "
        "caller deletes it once read, the bucket's TTL otherwise."
    )
    size: int = Field(ge=0, description="Size of the file in bytes.")
    media_type: str = Field(description="e.g. 'application/pdf', 'text/csv; charset=utf-8'.")
    filename: str = Field(description="The French, ASCII-only name to save it under.")


# --- the activity report ------------------------------------------------------------------------


class GetActivityReportV1(Query):
    """The activity report of a period (see ``services/events/domain/report.py`` for the
    counting rules, also written in the report's ``notes``)."""

    subject: ClassVar[str] = "rpc.events.report.activity.v1"

    start: date = Field(description="First day of the period (Paris dates), included.")
    end: date = Field(description="Last day of the period, included.")
    format: Literal["json", "csv"] = "json"


class ActivityReportV1(Reply):
    """The activity report: always as JSON (``report``), and as a French CSV when asked."""

    subject: ClassVar[str] = "rpc.events.report.activity.v1"

    report: dict[str, Any] = Field(
        description="Period, totals, events by type and theme, registrants and attendees by "
        "organisation kind, college, department, network and QPV, and the counting notes."
    )
    csv: str | None = Field(default=None, description="The same figures as a French CSV.")
