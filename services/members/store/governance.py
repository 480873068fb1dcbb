"""Repository of governance: mandates (with the names staff read), meetings and their sheets."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.members import College
from services.members.domain.governance import (
    Attendance,
    BodyKind,
    Mandate,
    Meeting,
    SeatKind,
    Voice,
)
from services.members.store.schema import (
    mandates,
    meeting_presence,
    meeting_proxies,
    meetings,
    organisations,
    people,
)


@dataclass(frozen=True)
class HeldMandate:
    """A mandate with its holder's names and the name of the organisation they represent."""

    mandate: Mandate
    first_name: str
    last_name: str
    organisation_name: str | None


def _mandate(row: Any) -> Mandate:
    return Mandate(
        uuid.UUID(row.person_id),
        BodyKind(row.body),
        College(row.college) if row.college else None,
        row.seat,
        Voice(row.voice),
        row.start,
        row.end,
        id=uuid.UUID(row.id),
        kind=SeatKind(row.seat_kind),
        organisation_id=uuid.UUID(row.organisation_id) if row.organisation_id else None,
    )


def _meeting(row: Any) -> Meeting:
    return Meeting(
        BodyKind(row.body),
        row.held_on,
        row.second_convocation,
        id=uuid.UUID(row.id),
        title=row.title,
    )


class GovernanceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._sheets: dict[uuid.UUID, Attendance] = {}

    @property
    def _postgresql(self) -> bool:
        return self._session.get_bind().dialect.name == "postgresql"

    # --- mandates ------------------------------------------------------------------------------

    async def lock_people(self, person_ids: Iterable[uuid.UUID]) -> None:
        """Serialise what touches these people's mandates (creating or ending one, signing them
        in), so an overlap or a sheet check always sees the other's outcome. PostgreSQL only:
        SQLite serialises units of work anyway. The rows are locked in id order, so two
        transactions never wait for each other in a cycle. ``FOR NO KEY UPDATE`` does not block
        inserts that merely reference these people (a sign-in to another meeting)."""
        if self._postgresql:
            for person_id in sorted({str(person_id) for person_id in person_ids}):
                await self._session.execute(
                    select(people.c.id)
                    .where(people.c.id == person_id)
                    .with_for_update(key_share=True)
                )

    async def add_mandate(self, mandate: Mandate, at: datetime, by: str) -> None:
        await self._session.execute(
            insert(mandates).values(
                id=str(mandate.id),
                person_id=str(mandate.person_id),
                body=mandate.body.value,
                college=mandate.college.value if mandate.college else None,
                seat=mandate.seat,
                seat_kind=mandate.kind.value,
                voice=mandate.voice.value,
                organisation_id=str(mandate.organisation_id) if mandate.organisation_id else None,
                start=mandate.start,
                end=mandate.end,
                created_at=at,
                created_by=by,
            )
        )

    async def save_end(self, mandate: Mandate) -> None:
        await self._session.execute(
            update(mandates).where(mandates.c.id == str(mandate.id)).values(end=mandate.end)
        )

    async def end_all(self, person_id: uuid.UUID, on: date) -> tuple[list[Mandate], list[Mandate]]:
        """End every mandate of the person still running on ``on`` that day, and delete those
        not started yet (erasure: they no longer sit anywhere). Returns the mandates as they were
        before: those ended, those deleted."""
        rows = await self._session.execute(
            select(mandates).where(
                mandates.c.person_id == str(person_id),
                or_(mandates.c.end.is_(None), mandates.c.end > on),
            )
        )
        running = [_mandate(row) for row in rows]
        ended = [m for m in running if m.start <= on]
        future = [m for m in running if m.start > on]
        if ended:
            await self._session.execute(
                update(mandates).where(mandates.c.id.in_([str(m.id) for m in ended])).values(end=on)
            )
        if future:
            await self._session.execute(
                delete(mandates).where(mandates.c.id.in_([str(m.id) for m in future]))
            )
        return ended, future

    async def get_mandate(self, mandate_id: uuid.UUID) -> Mandate | None:
        row = (
            await self._session.execute(select(mandates).where(mandates.c.id == str(mandate_id)))
        ).first()
        return _mandate(row) if row else None

    async def mandates_of(self, person_id: uuid.UUID, body: BodyKind) -> list[Mandate]:
        """Every mandate of the person in the body, whatever its dates."""
        rows = await self._session.execute(
            select(mandates).where(
                mandates.c.person_id == str(person_id), mandates.c.body == body.value
            )
        )
        return [_mandate(row) for row in rows]

    async def held(
        self,
        *,
        body: BodyKind | None = None,
        on: date | None = None,
        person_id: uuid.UUID | None = None,
        mandate_id: uuid.UUID | None = None,
    ) -> list[HeldMandate]:
        """Mandates with names: of a body, in force on a day, of a person, or one by id."""
        statement = (
            select(
                mandates,
                people.c.first_name,
                people.c.last_name,
                organisations.c.name.label("organisation_name"),
            )
            .join(people, people.c.id == mandates.c.person_id)
            .outerjoin(organisations, organisations.c.id == mandates.c.organisation_id)
        )
        if body is not None:
            statement = statement.where(mandates.c.body == body.value)
        if on is not None:
            statement = statement.where(
                mandates.c.start <= on, or_(mandates.c.end.is_(None), mandates.c.end >= on)
            )
        if person_id is not None:
            statement = statement.where(mandates.c.person_id == str(person_id))
        if mandate_id is not None:
            statement = statement.where(mandates.c.id == str(mandate_id))
        rows = await self._session.execute(statement)
        return [
            HeldMandate(_mandate(row), row.first_name, row.last_name, row.organisation_name)
            for row in rows
        ]

    # --- meetings ------------------------------------------------------------------------------

    async def add_meeting(self, meeting: Meeting, at: datetime, by: str) -> None:
        await self._session.execute(
            insert(meetings).values(
                id=str(meeting.id),
                body=meeting.body.value,
                held_on=meeting.held_on,
                title=meeting.title,
                second_convocation=meeting.second_convocation,
                created_at=at,
                created_by=by,
            )
        )
        self._sheets[meeting.id] = Attendance()

    async def get_meeting(self, meeting_id: uuid.UUID, *, lock: bool = False) -> Meeting | None:
        """The meeting; with ``lock``, its row is locked for this transaction on PostgreSQL so
        changes to its sheet are serialised (SQLite serialises units of work anyway)."""
        statement = select(meetings).where(meetings.c.id == str(meeting_id))
        if lock and self._postgresql:
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        return _meeting(row) if row else None

    async def meetings_with(
        self, person_id: uuid.UUID, body: BodyKind, after: date
    ) -> list[Meeting]:
        """Meetings of the body held after ``after`` where the person is on the sheet."""
        who = str(person_id)
        present = select(meeting_presence.c.meeting_id).where(meeting_presence.c.person_id == who)
        proxies = select(meeting_proxies.c.meeting_id).where(
            or_(meeting_proxies.c.giver_id == who, meeting_proxies.c.holder_id == who)
        )
        rows = await self._session.execute(
            select(meetings)
            .where(
                and_(meetings.c.body == body.value, meetings.c.held_on > after),
                or_(meetings.c.id.in_(present), meetings.c.id.in_(proxies)),
            )
            .order_by(meetings.c.held_on)
        )
        return [_meeting(row) for row in rows]

    async def attendance(self, meeting_id: uuid.UUID) -> Attendance:
        key = str(meeting_id)
        present = await self._session.execute(
            select(meeting_presence.c.person_id).where(meeting_presence.c.meeting_id == key)
        )
        proxies = await self._session.execute(
            select(meeting_proxies.c.giver_id, meeting_proxies.c.holder_id).where(
                meeting_proxies.c.meeting_id == key
            )
        )
        attendance = Attendance(
            present={uuid.UUID(person_id) for person_id in present.scalars()},
            proxies={uuid.UUID(giver): uuid.UUID(holder) for giver, holder in proxies.all()},
        )
        self._sheets[meeting_id] = Attendance(set(attendance.present), dict(attendance.proxies))
        return attendance

    async def save_attendance(
        self, meeting_id: uuid.UUID, attendance: Attendance, at: datetime, by: str
    ) -> None:
        """Write what changed on the sheet since :meth:`attendance` loaded it."""
        before = self._sheets.get(meeting_id, Attendance())
        key = str(meeting_id)
        gone = before.present - attendance.present
        if gone:
            await self._session.execute(
                delete(meeting_presence).where(
                    meeting_presence.c.meeting_id == key,
                    meeting_presence.c.person_id.in_([str(p) for p in gone]),
                )
            )
        changed = {g for g, h in before.proxies.items() if attendance.proxies.get(g) != h}
        if changed:
            await self._session.execute(
                delete(meeting_proxies).where(
                    meeting_proxies.c.meeting_id == key,
                    meeting_proxies.c.giver_id.in_([str(g) for g in changed]),
                )
            )
        arrived = attendance.present - before.present
        if arrived:
            await self._session.execute(
                insert(meeting_presence),
                [
                    {"meeting_id": key, "person_id": str(p), "recorded_at": at, "recorded_by": by}
                    for p in arrived
                ],
            )
        given = {g: h for g, h in attendance.proxies.items() if before.proxies.get(g) != h}
        if given:
            await self._session.execute(
                insert(meeting_proxies),
                [
                    {
                        "meeting_id": key,
                        "giver_id": str(giver),
                        "holder_id": str(holder),
                        "recorded_at": at,
                        "recorded_by": by,
                    }
                    for giver, holder in given.items()
                ],
            )
        self._sheets[meeting_id] = Attendance(set(attendance.present), dict(attendance.proxies))
