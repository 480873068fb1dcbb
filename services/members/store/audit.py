"""Repository of the audit log."""

from __future__ import annotations

import json

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.members.domain.audit import AuditEntry, RecordType, redacted
from services.members.store.schema import audit_log


def _changes_json(entry: AuditEntry) -> str:
    return json.dumps(
        {name: [old, new] for name, (old, new) in entry.changes.items()}, ensure_ascii=False
    )


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *entries: AuditEntry) -> None:
        if entries:
            await self._session.execute(
                insert(audit_log),
                [
                    {
                        "record_type": entry.record_type,
                        "record_id": entry.record_id,
                        "action": entry.action,
                        "at": entry.at,
                        "by": entry.by,
                        "changes": _changes_json(entry),
                    }
                    for entry in entries
                ],
            )

    async def for_record(self, record_type: RecordType, record_id: str) -> list[AuditEntry]:
        rows = await self._session.execute(
            select(audit_log)
            .where(audit_log.c.record_type == record_type, audit_log.c.record_id == record_id)
            .order_by(audit_log.c.id)
        )
        return [
            AuditEntry(
                record_type=row.record_type,
                record_id=row.record_id,
                action=row.action,
                at=row.at,
                by=row.by,
                changes={name: (old, new) for name, (old, new) in json.loads(row.changes).items()},
            )
            for row in rows
        ]

    async def redact(self, record_type: RecordType, record_id: str) -> None:
        """Keep who changed what and when; drop the values (erasure)."""
        for entry_row in (
            await self._session.execute(
                select(audit_log.c.id, audit_log.c.changes).where(
                    audit_log.c.record_type == record_type, audit_log.c.record_id == record_id
                )
            )
        ).all():
            changes = {name: tuple(pair) for name, pair in json.loads(entry_row.changes).items()}
            await self._session.execute(
                update(audit_log)
                .where(audit_log.c.id == entry_row.id)
                .values(
                    changes=json.dumps(
                        {k: list(v) for k, v in redacted(changes).items()}, ensure_ascii=False
                    )
                )
            )
