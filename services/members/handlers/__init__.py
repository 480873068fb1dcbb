"""Use cases of the members service: plain async functions over a unit of work, one module per
area; every use case is re-exported here."""

from __future__ import annotations

from services.members.handlers.access import (
    SelfService,
    export_person_data,
    person_space,
    purge_unconfirmed,
    redeem_access_link,
    request_access_link,
    request_email_change,
)
from services.members.handlers.audit import (
    get_audit_log,
)
from services.members.handlers.consents import (
    on_subscription_changed,
)
from services.members.handlers.correspondents import (
    appoint_correspondent,
    end_correspondent,
    find_correspondents,
    list_correspondents,
)
from services.members.handlers.exports import (
    FileSink,
    export_organisations,
    export_people,
)
from services.members.handlers.governance import (
    QuorumRules,
    create_mandate,
    create_meeting,
    end_mandate,
    get_meeting,
    list_mandates,
    list_person_mandates,
    record_presence,
    record_proxy,
    remove_presence,
    withdraw_proxy,
)
from services.members.handlers.imports import (
    FileSource,
    import_organisations,
    import_people,
)
from services.members.handlers.memberships import (
    MembershipRules,
    add_affiliation,
    advance_memberships,
    check_access,
    get_membership,
    membership_reply,
    open_membership,
    override_membership,
    record_payment,
    remove_affiliation,
    renew_memberships,
    update_affiliation,
    waive_membership,
)
from services.members.handlers.networks import (
    decide_network_request,
    join_network,
    leave_network,
    list_networks,
    network_roster,
)
from services.members.handlers.organisations import (
    archive_organisation,
    create_organisation,
    get_organisation,
    organisation_reply,
    restore_organisation,
    search_organisations,
    update_organisation,
)
from services.members.handlers.people import (
    archive_person,
    create_person,
    erase_person,
    get_person,
    register_person,
    restore_person,
    search_people,
    update_person,
)
from services.members.handlers.republish import republish_facts
from services.members.store import UowFactory

__all__ = [
    "FileSink",
    "FileSource",
    "MembershipRules",
    "QuorumRules",
    "SelfService",
    "UowFactory",
    "add_affiliation",
    "advance_memberships",
    "appoint_correspondent",
    "archive_organisation",
    "archive_person",
    "check_access",
    "create_mandate",
    "create_meeting",
    "create_organisation",
    "create_person",
    "decide_network_request",
    "end_correspondent",
    "end_mandate",
    "erase_person",
    "export_organisations",
    "export_people",
    "export_person_data",
    "find_correspondents",
    "get_audit_log",
    "get_meeting",
    "get_membership",
    "get_organisation",
    "get_person",
    "import_organisations",
    "import_people",
    "join_network",
    "leave_network",
    "list_correspondents",
    "list_mandates",
    "list_networks",
    "list_person_mandates",
    "membership_reply",
    "network_roster",
    "on_subscription_changed",
    "open_membership",
    "organisation_reply",
    "override_membership",
    "person_space",
    "purge_unconfirmed",
    "record_payment",
    "record_presence",
    "record_proxy",
    "redeem_access_link",
    "register_person",
    "remove_affiliation",
    "remove_presence",
    "renew_memberships",
    "republish_facts",
    "request_access_link",
    "request_email_change",
    "restore_organisation",
    "restore_person",
    "search_organisations",
    "search_people",
    "update_affiliation",
    "update_organisation",
    "update_person",
    "waive_membership",
    "withdraw_proxy",
]
