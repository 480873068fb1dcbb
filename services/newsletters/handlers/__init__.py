"""Use cases of the newsletters service: plain async functions over a unit of work, one module
per producer whose facts call for mails, and the sender; every use case is re-exported here."""

from __future__ import annotations

from services.newsletters.handlers.common import UowFactory, owe
from services.newsletters.handlers.delivery import (
    Composer,
    Send,
    export_person_data,
    send_next_mail,
)
from services.newsletters.handlers.events import (
    CONSUMER_EVENT_MAILS,
    EventsFact,
    mails_for,
    on_events_fact,
)
from services.newsletters.handlers.members import (
    CONSUMER_ACCESS_LINK,
    CONSUMER_ERASURE,
    CONSUMER_RENEWAL,
    CONSUMER_WELCOME,
    on_access_link_requested,
    on_member_registered,
    on_membership_renewed,
    on_person_erased,
)

__all__ = [
    "CONSUMER_ACCESS_LINK",
    "CONSUMER_ERASURE",
    "CONSUMER_EVENT_MAILS",
    "CONSUMER_RENEWAL",
    "CONSUMER_WELCOME",
    "Composer",
    "EventsFact",
    "Send",
    "UowFactory",
    "export_person_data",
    "mails_for",
    "on_access_link_requested",
    "on_events_fact",
    "on_member_registered",
    "on_membership_renewed",
    "on_person_erased",
    "owe",
    "send_next_mail",
]
