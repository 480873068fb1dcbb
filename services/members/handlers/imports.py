"""Use cases about imports."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from contracts.members import (
    ImportPeopleV1,
    ImportProblemV1,
    ImportReportV1,
)
from services.members import domain
from services.members.domain import imports
from services.members.store import UowFactory
from services.runtime.errors import InvalidInput
from services.runtime.logging import get_logger

log = get_logger("reso.members")


async def import_people(command: ImportPeopleV1, uow: UowFactory) -> ImportReportV1:
    """Parse and check the file; unless it is a dry run, add the people not known yet, in one
    transaction (all or nothing)."""
    try:
        data = base64.b64decode(command.csv_base64, validate=True)
    except binascii.Error as error:
        raise InvalidInput("Le fichier n'est pas encodé en base64.") from error
    report = imports.parse_people(data)
    created = already_known = 0
    if not command.dry_run and not report.refused and report.rows:
        now = datetime.now(UTC)
        async with uow() as work:
            known = await work.people.known_email_keys([row.key for row in report.rows])
            new = [
                domain.register(row.first_name, row.last_name, row.email, now)
                for row in report.rows
                if row.key not in known
            ]
            await work.people.add_many(new)
            await work.commit()
        created, already_known = len(new), len(report.rows) - len(new)
        log.info("people imported", created=created, already_known=already_known, by=command.by)
    return ImportReportV1(
        summary=report.summary(),
        encoding=report.encoding,
        delimiter=report.delimiter,
        read=report.read,
        valid=len(report.rows),
        refused=report.refused,
        errors=tuple(ImportProblemV1(line=e.line, reason=e.reason) for e in report.errors),
        warnings=tuple(ImportProblemV1(line=w.line, reason=w.reason) for w in report.warnings),
        notices=tuple(report.notices),
        dry_run=command.dry_run,
        created=created,
        already_known=already_known,
    )
