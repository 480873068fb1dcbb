"""Use cases about imports of people and organisations from CSV files.

The file is not in the command: the gateway streamed it into the object store and the command
names it. A handler takes it from there (reads, then deletes it), parses it in a worker thread so
the service keeps answering meanwhile, and, unless it is a dry run, applies the valid rows in one
transaction (all or nothing).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from contracts.members import (
    ImportOrganisationsV1,
    ImportPeopleV2,
    ImportProblemV1,
    ImportReportV1,
)
from services.members.domain import audit, imports, organisations, people
from services.members.domain.memberships import Affiliation, AffiliationChanged
from services.members.domain.organisations import TerritoryCodes
from services.members.store import UowFactory
from services.runtime.logging import get_logger

log = get_logger("reso.members")

# The report goes back in one NATS message (1 MB by default): problems are listed up to these
# sizes (JSON), the rest only counted.
ERRORS_LISTED_BYTES = 512 * 1024
WARNINGS_LISTED_BYTES = 256 * 1024


class FileSource(Protocol):
    """Where uploaded files wait (``services.runtime.files.Files``)."""

    async def take(self, name: str) -> bytes:
        """The file's bytes; it is deleted once read."""
        ...


async def import_people(
    command: ImportPeopleV2, uow: UowFactory, files: FileSource
) -> ImportReportV1:
    """Add the people not known yet (matched on their e-mail), with their phone, title and
    commune; a person whose structure's SIREN is in the register is tied to it (verified: staff
    vouch for the file). Each one gets an audit line and a ``person.updated`` event; none gets
    a welcome e-mail (they did not sign up themselves)."""
    data = await files.take(command.file)
    report = await asyncio.to_thread(imports.parse_people, data)
    created = already_known = 0
    if not command.dry_run and not report.refused and report.rows:
        now = datetime.now(UTC)
        async with uow() as work:
            known = await work.people.known_email_keys([row.key for row in report.rows])
            rows = [row for row in report.rows if row.key not in known]
            employers = await work.organisations.ids_by_siren(
                sorted({row.organisation_siren for row in rows if row.organisation_siren})
            )
            new, ties = [], []
            for row in rows:
                person, changed = people.create(
                    first_name=row.first_name,
                    last_name=row.last_name,
                    email=row.email,
                    now=now,
                    source="import",
                    phone=row.phone,
                    phone_normalised=True,
                    title=row.title,
                    territory=TerritoryCodes(commune=row.commune) if row.commune else None,
                )
                new.append(person)
                work.record(changed)
                employer = employers.get(row.organisation_siren or "")
                if employer is not None:
                    ties.append(Affiliation(person.id, employer, row.title or "membre", now.date()))
            await work.people.add_many(new)
            await work.audit.add(
                *(
                    audit.entry(
                        "person", p.id, "imported", at=now, by=command.by, after=p.snapshot()
                    )
                    for p in new
                )
            )
            for tie in ties:
                stored = await work.affiliations.add(tie)
                work.record(AffiliationChanged(stored, now))
            await work.commit()
        created, already_known = len(new), len(report.rows) - len(new)
        log.info("people imported", created=created, already_known=already_known, by=command.by)
    return _reply(report, command.dry_run, created, already_known)


async def import_organisations(
    command: ImportOrganisationsV1, uow: UowFactory, files: FileSource
) -> ImportReportV1:
    """Add the organisations not known yet (matched on SIREN, else on name and commune), each
    with the default college of its kind and its ``organisation.created`` event."""
    data = await files.take(command.file)
    report = await asyncio.to_thread(imports.parse_organisations, data)
    created = already_known = 0
    if not command.dry_run and not report.refused and report.rows:
        now = datetime.now(UTC)
        async with uow() as work:
            await work.organisations.lock_for_import()
            sirens = [row.key for row in report.rows if row.key]
            known_sirens = await work.organisations.known_sirens(sirens)
            known_names = {
                imports.name_key(name, commune, city)
                for name, commune, city in await work.organisations.names_and_places()
            }
            new = []
            for row in report.rows:
                known = row.key in known_sirens if row.key else row.name_key in known_names
                if known:
                    continue
                organisation, event = organisations.create(
                    kind=row.kind,
                    name=row.name,
                    siren=row.siren,
                    address=row.address,
                    territory=row.territory,
                    college=None,
                    now=now,
                    by=command.by,
                )
                new.append(organisation)
                work.record(event)
            await work.organisations.add_many(new)
            await work.audit.add(
                *(
                    audit.entry(
                        "organisation",
                        o.id,
                        "imported",
                        at=now,
                        by=command.by,
                        after=o.snapshot(),
                    )
                    for o in new
                )
            )
            await work.commit()
        created, already_known = len(new), len(report.rows) - len(new)
        log.info(
            "organisations imported", created=created, already_known=already_known, by=command.by
        )
    return _reply(report, command.dry_run, created, already_known)


def _reply(
    report: imports.ImportReport[Any], dry_run: bool, created: int, already_known: int
) -> ImportReportV1:
    errors, errors_not_listed = _listed(report.errors, ERRORS_LISTED_BYTES)
    warnings, warnings_not_listed = _listed(report.warnings, WARNINGS_LISTED_BYTES)
    return ImportReportV1(
        summary=report.summary(),
        encoding=report.encoding,
        delimiter=report.delimiter,
        read=report.read,
        valid=len(report.rows),
        refused=report.refused,
        errors=errors,
        warnings=warnings,
        notices=tuple(report.notices),
        dry_run=dry_run,
        created=created,
        already_known=already_known,
        errors_not_listed=errors_not_listed,
        warnings_not_listed=warnings_not_listed,
    )


def _listed(
    problems: Sequence[imports.RowError], budget: int
) -> tuple[tuple[ImportProblemV1, ...], int]:
    """The first problems whose JSON fits in ``budget`` bytes, and how many are left out."""
    listed: list[ImportProblemV1] = []
    for problem in problems:
        budget -= len(json.dumps(problem.reason)) + 32  # the line, the keys, the punctuation
        if budget < 0:
            break
        listed.append(ImportProblemV1(line=problem.line, reason=problem.reason))
    return tuple(listed), len(problems) - len(listed)
