"""Messages owned by the events service: the agenda, registrations with capacity and waiting
lists, reminders, attendance, activity reports and calls for applications.

This module holds the shared value types and the facts the service announces on the bus
(``reso.events.*``); its commands and queries (``rpc.events.*``) live beside them as they are
built. Facts that a mail answers carry what the mail needs (names, addresses, links): they are
personal data and live in the EVENTS stream for its bounded max age only.
"""

from __future__ import annotations

from contracts.events.agenda import EventCancelledV1, EventPublishedV1, EventUpdatedV1
from contracts.events.applications import ApplicationDecidedV1, ApplicationSubmittedV1
from contracts.events.calls import (
    ApplicationReviewV1,
    ApplicationSummaryV1,
    ApplicationsV1,
    ApplicationV1,
    CallDefinition,
    CallSectionV1,
    CallsV1,
    CallV1,
    ChangeCallStatusV1,
    CreateCallV1,
    DecideApplicationV1,
    DecisionsPublishedV1,
    GetApplicationV1,
    GetCallV1,
    GetMyApplicationsV1,
    ListApplicationsV1,
    ListCallsV1,
    MyApplicationsV1,
    PublishDecisionsV1,
    ReviewCriterionV1,
    ReviewV1,
    SaveApplicationDraftV1,
    ScoreApplicationV1,
    SubmitApplicationV1,
    UpdateCallV1,
)
from contracts.events.common import (
    AttendanceMode,
    Audience,
    EventFormat,
    EventSummaryV1,
    EventType,
    RegistrantV1,
    RegistrationStatus,
    Venue,
)
from contracts.events.registrations import (
    RegistrationCancelledV1,
    RegistrationConfirmedV1,
    RegistrationOfferedV1,
    RegistrationPromotedV1,
    RegistrationWaitlistedV1,
    ReminderDueV1,
)

__all__ = [
    "ApplicationDecidedV1",
    "ApplicationReviewV1",
    "ApplicationSubmittedV1",
    "ApplicationSummaryV1",
    "ApplicationV1",
    "ApplicationsV1",
    "AttendanceMode",
    "Audience",
    "CallDefinition",
    "CallSectionV1",
    "CallV1",
    "CallsV1",
    "ChangeCallStatusV1",
    "CreateCallV1",
    "DecideApplicationV1",
    "DecisionsPublishedV1",
    "EventCancelledV1",
    "EventFormat",
    "EventPublishedV1",
    "EventSummaryV1",
    "EventType",
    "EventUpdatedV1",
    "GetApplicationV1",
    "GetCallV1",
    "GetMyApplicationsV1",
    "ListApplicationsV1",
    "ListCallsV1",
    "MyApplicationsV1",
    "PublishDecisionsV1",
    "RegistrantV1",
    "RegistrationCancelledV1",
    "RegistrationConfirmedV1",
    "RegistrationOfferedV1",
    "RegistrationPromotedV1",
    "RegistrationStatus",
    "RegistrationWaitlistedV1",
    "ReminderDueV1",
    "ReviewCriterionV1",
    "ReviewV1",
    "SaveApplicationDraftV1",
    "ScoreApplicationV1",
    "SubmitApplicationV1",
    "UpdateCallV1",
    "Venue",
]
