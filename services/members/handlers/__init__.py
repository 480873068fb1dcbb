"""Use cases of the members service: plain async functions over a unit of work, one module per
area; every use case is re-exported here."""

from __future__ import annotations

from services.members.handlers.correspondents import (
    appoint_correspondent,
    end_correspondent,
    find_correspondents,
    list_correspondents,
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
    renew_memberships,
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
    create_organisation,
    get_organisation,
    organisation_reply,
)
from services.members.handlers.people import (
    erase_person,
    get_person,
    register_person,
)
from services.members.store import UowFactory

__all__ = [
    "FileSource",
    "MembershipRules",
    "UowFactory",
    "add_affiliation",
    "advance_memberships",
    "appoint_correspondent",
    "check_access",
    "create_organisation",
    "decide_network_request",
    "end_correspondent",
    "erase_person",
    "find_correspondents",
    "get_membership",
    "get_organisation",
    "get_person",
    "import_organisations",
    "import_people",
    "join_network",
    "leave_network",
    "list_correspondents",
    "list_networks",
    "membership_reply",
    "network_roster",
    "open_membership",
    "organisation_reply",
    "override_membership",
    "record_payment",
    "register_person",
    "renew_memberships",
    "waive_membership",
]
