"""Resync: members publishes its current state again as facts (``reso members republish``).

The facts are the usual ones (person updated or erased, organisation updated, affiliation
changed, membership activated or lapsed, network joined or left), each with a new ``event_id`` and
the ``occurred_at`` of the record's last change, so consumers' inboxes take them and their "the
latest fact wins" rule keeps anything newer. Facts that call for a mail (member registered,
membership renewed, access link requested) are never republished.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from contracts.base import Command, Reply

RepublishedRecords = Literal["people", "organisations", "affiliations", "memberships", "networks"]
"""What a page of a resync covers, in the order ``reso members republish`` goes through them."""


class RepublishFactsV1(Command):
    """Write the facts of one page of current records to members' outbox (one transaction).

    Records come in a stable order; ``after`` is the ``next_after`` of the previous page (None
    for the first). Answered with :class:`RepublishedFactsV1`. Staff tooling only (the CLI).
    """

    subject: ClassVar[str] = "rpc.members.facts.republish.v1"

    records: RepublishedRecords
    after: str | None = Field(
        default=None, description="Cursor: the last record of the page before."
    )
    limit: int = Field(default=500, ge=1, le=5000, description="Records per page (transaction).")
    by: str = Field(description="Who asked (for the logs).")


class RepublishedFactsV1(Reply):
    subject: ClassVar[str] = "rpc.members.facts.republish.v1"

    records: RepublishedRecords
    read: int = Field(description="Records in this page.")
    facts: int = Field(description="Facts written to the outbox for this page.")
    next_after: str | None = Field(description="Cursor of the next page; None when done.")
