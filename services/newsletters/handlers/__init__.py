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
from services.newsletters.handlers.letters import (
    create_letter,
    letter_view,
    list_letters,
    update_letter,
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
from services.newsletters.handlers.subscriptions import (
    confirm_subscription,
    describe_unsubscribe,
    erase_subscriber,
    flag_inactive_subscribers,
    get_preferences,
    import_subscribers,
    purge_never_confirmed,
    request_preferences_link,
    request_subscription,
    search_subscribers,
    unsubscribe,
    update_preferences,
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
    "confirm_subscription",
    "create_letter",
    "describe_unsubscribe",
    "erase_subscriber",
    "export_person_data",
    "flag_inactive_subscribers",
    "get_preferences",
    "import_subscribers",
    "letter_view",
    "list_letters",
    "mails_for",
    "on_access_link_requested",
    "on_events_fact",
    "on_member_registered",
    "on_membership_renewed",
    "on_person_erased",
    "owe",
    "purge_never_confirmed",
    "request_preferences_link",
    "request_subscription",
    "search_subscribers",
    "send_next_mail",
    "unsubscribe",
    "update_letter",
    "update_preferences",
]
