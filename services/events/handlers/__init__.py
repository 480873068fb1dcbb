"""Use cases of the events service: plain async functions over a unit of work, one module per
area; every use case is re-exported here."""

from __future__ import annotations

from services.events.handlers.agenda import (
    agenda_calendar,
    cancel_event,
    complete_event,
    create_cycle,
    create_event,
    event_calendar,
    get_cycle,
    get_event,
    publish_event,
    search_agenda,
    update_cycle,
    update_event,
)
from services.events.handlers.attendance import (
    Documents,
    attendance_sheet,
    certificates,
    check_in,
)
from services.events.handlers.common import Agenda
from services.events.handlers.erasure import FORGETTERS, export_person_data, on_person_erased
from services.events.handlers.members import (
    on_affiliation_changed,
    on_membership_changed,
    on_organisation_changed,
    on_person_changed,
)
from services.events.handlers.registrations import (
    MembersOnly,
    accept_offer,
    cancel_registration,
    expire_offers,
    get_registration,
    list_registrants,
    move_registration,
    register,
    register_to_cycle,
)
from services.events.handlers.reminders import send_due_reminders
from services.events.handlers.report import activity_report, on_network_changed
from services.events.store import UowFactory

__all__ = [
    "FORGETTERS",
    "Agenda",
    "Documents",
    "MembersOnly",
    "UowFactory",
    "accept_offer",
    "activity_report",
    "agenda_calendar",
    "attendance_sheet",
    "cancel_event",
    "cancel_registration",
    "certificates",
    "check_in",
    "complete_event",
    "create_cycle",
    "create_event",
    "event_calendar",
    "expire_offers",
    "export_person_data",
    "get_cycle",
    "get_event",
    "get_registration",
    "list_registrants",
    "move_registration",
    "on_affiliation_changed",
    "on_membership_changed",
    "on_network_changed",
    "on_organisation_changed",
    "on_person_changed",
    "on_person_erased",
    "publish_event",
    "register",
    "register_to_cycle",
    "search_agenda",
    "send_due_reminders",
    "update_cycle",
    "update_event",
]
