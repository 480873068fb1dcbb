"""Use cases about the audit log."""

from __future__ import annotations

from contracts.members import AuditEntryV1, AuditLogV1, FieldChangeV1, GetAuditLogV1
from services.members.store import UowFactory


async def get_audit_log(query: GetAuditLogV1, uow: UowFactory) -> AuditLogV1:
    async with uow() as work:
        entries = await work.audit.for_record(query.record_type, query.record_id)
    return AuditLogV1(
        record_type=query.record_type,
        record_id=query.record_id,
        entries=tuple(
            AuditEntryV1(
                at=entry.at,
                by=entry.by,
                action=entry.action,
                changes=tuple(
                    FieldChangeV1(field=name, before=before, after=after)
                    for name, (before, after) in entry.changes.items()
                ),
            )
            for entry in entries
        ),
    )
