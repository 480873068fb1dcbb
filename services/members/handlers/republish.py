"""Resync: members tells its current state again, one page of records per transaction, through
the outbox like every other fact (``reso members republish``; see docs/architecture.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.members import RepublishedFactsV1, RepublishFactsV1
from services.members.domain import republish
from services.members.store import UowFactory
from services.runtime.errors import InvalidInput
from services.runtime.logging import get_logger

log = get_logger("reso.members")


async def republish_facts(command: RepublishFactsV1, uow: UowFactory) -> RepublishedFactsV1:
    """Write the facts of the page of ``command.records`` after ``command.after``: each with a
    new event id and the time its record last changed. Reading and writing share one
    transaction, so a change committed meanwhile is either in the page or told by its own,
    later fact."""
    now = datetime.now(UTC)
    next_after: str | None = None
    facts: list[object] = []
    async with uow() as work:
        repository = work.republish
        if command.records == "people":
            found_people = await repository.people(command.after, command.limit)
            facts = [republish.person_fact(p, at) for p, at in found_people]
            read = len(found_people)
            if found_people:
                next_after = str(found_people[-1][0].id)
        elif command.records == "organisations":
            found_orgs = await repository.organisations(command.after, command.limit)
            facts = [republish.organisation_fact(o, at) for o, at in found_orgs]
            read = len(found_orgs)
            if found_orgs:
                next_after = str(found_orgs[-1][0].id)
        elif command.records == "affiliations":
            found_ties = await repository.affiliations(_int_cursor(command.after), command.limit)
            facts = [republish.affiliation_fact(a, at, now) for a, at in found_ties]
            read = len(found_ties)
            if found_ties:
                next_after = str(found_ties[-1][0].id)
        elif command.records == "memberships":
            found_ms = await repository.memberships(command.after, command.limit)
            facts = [republish.membership_fact(*row, now) for row in found_ms]
            read = len(found_ms)
            if found_ms:
                next_after = str(found_ms[-1][0])
        else:
            found_nets = await repository.networks(_pair_cursor(command.after), command.limit)
            facts = [republish.network_fact(*row, now) for row in found_nets]
            read = len(found_nets)
            if found_nets:
                person_id, slug = found_nets[-1][0], found_nets[-1][1]
                next_after = f"{person_id}/{slug}"
        written = [fact for fact in facts if fact is not None]
        for fact in written:
            work.record(fact)
        await work.commit()
    if read < command.limit:
        next_after = None
    log.info(
        "republished",
        records=command.records,
        read=read,
        facts=len(written),
        by=command.by,
    )
    return RepublishedFactsV1(
        records=command.records, read=read, facts=len(written), next_after=next_after
    )


def _int_cursor(after: str | None) -> int | None:
    if after is None:
        return None
    if not after.isdigit():
        raise InvalidInput("Curseur de reprise invalide.", field="after")
    return int(after)


def _pair_cursor(after: str | None) -> tuple[str, str] | None:
    if after is None:
        return None
    person_id, slash, slug = after.partition("/")
    if not slash:
        raise InvalidInput("Curseur de reprise invalide.", field="after")
    return person_id, slug
