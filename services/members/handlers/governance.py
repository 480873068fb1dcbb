"""Use cases about governance: mandates in the association's bodies, meetings, their sign-in
sheets, and the quorum counted with the centre's bylaws."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from contracts.members import (
    College,
    CreateMandateV1,
    CreateMeetingV1,
    EndMandateV1,
    GetMeetingV1,
    ListMandatesV1,
    ListPersonMandatesV1,
    MandatesV1,
    MandateV1,
    MeetingV1,
    QuorumV1,
    RecordPresenceV1,
    RecordProxyV1,
    RemovePresenceV1,
    SheetLineV1,
    TallyV1,
    WithdrawProxyV1,
)
from services.members.domain import audit
from services.members.domain.governance import (
    Attendance,
    BodyKind,
    Mandate,
    Meeting,
    QuorumRule,
    SeatKind,
    Tally,
    Voice,
    check_no_overlap,
    check_sheet,
    check_sheets_still_hold,
    quorum,
    rule_for,
    voice_for,
)
from services.members.store import MembersUnitOfWork, UowFactory
from services.members.store.governance import HeldMandate
from services.runtime.errors import DomainError, NotFound

QuorumRules = Mapping[BodyKind, QuorumRule]
"""The centre's bylaws: one quorum rule for each deliberating body (AG, CA, bureau)."""

_BODY_ORDER = list(BodyKind)
_COLLEGE_ORDER = [*College, None]


async def create_mandate(command: CreateMandateV1, uow: UowFactory) -> MandateV1:
    kind = SeatKind(command.seat_kind)
    mandate = Mandate(
        command.person_id,
        BodyKind(command.body),
        command.college,
        command.seat,
        voice_for(kind, Voice(command.voice) if command.voice else None),
        command.start,
        command.end,
        kind=kind,
        organisation_id=command.organisation_id,
    )
    async with uow() as work:
        await work.governance.lock_people([command.person_id])
        await _living_person(work, command.person_id)
        organisation = command.organisation_id
        if organisation is not None and await work.organisations.get(organisation) is None:
            raise NotFound("Organisation introuvable.", organisation_id=str(organisation))
        check_no_overlap(
            mandate, await work.governance.mandates_of(mandate.person_id, mandate.body)
        )
        now = datetime.now(UTC)
        await work.governance.add_mandate(mandate, now, command.by)
        await work.audit.add(
            audit.entry(
                "mandate", mandate.id, "created", at=now, by=command.by, after=_view(mandate)
            )
        )
        [held] = await work.governance.held(mandate_id=mandate.id)
        await work.commit()
    return mandate_reply(held)


async def end_mandate(command: EndMandateV1, uow: UowFactory, rules: QuorumRules) -> MandateV1:
    """Set a mandate's last day, unless it would then overlap another deliberative mandate of the
    person or leave them on the sheet of a later meeting they no longer sit in."""
    async with uow() as work:
        mandate = await work.governance.get_mandate(command.mandate_id)
        if mandate is None:
            raise NotFound("Mandat introuvable.", mandate_id=str(command.mandate_id))
        await work.governance.lock_people([mandate.person_id])
        ended = mandate.ending(command.end)
        check_no_overlap(ended, await work.governance.mandates_of(mandate.person_id, mandate.body))
        sheets = []
        for meeting in await work.governance.meetings_with(
            mandate.person_id, mandate.body, after=command.end
        ):
            in_force = await work.governance.held(body=meeting.body, on=meeting.held_on)
            attendance = await work.governance.attendance(meeting.id)
            sheets.append((meeting, attendance, [h.mandate for h in in_force]))
        check_sheets_still_hold(ended, sheets, rules)
        await work.governance.save_end(ended)
        await work.audit.add(
            audit.entry(
                "mandate",
                mandate.id,
                "ended",
                at=datetime.now(UTC),
                by=command.by,
                before=_view(mandate),
                after=_view(ended),
            )
        )
        [held] = await work.governance.held(mandate_id=mandate.id)
        await work.commit()
    return mandate_reply(held)


async def list_mandates(query: ListMandatesV1, uow: UowFactory) -> MandatesV1:
    on = query.on or datetime.now(UTC).date()
    async with uow() as work:
        held = await work.governance.held(body=BodyKind(query.body), on=on)
    return MandatesV1(mandates=tuple(mandate_reply(h) for h in _ordered(held)))


async def list_person_mandates(query: ListPersonMandatesV1, uow: UowFactory) -> MandatesV1:
    async with uow() as work:
        await _living_person(work, query.person_id)
        held = await work.governance.held(person_id=query.person_id)
    return MandatesV1(mandates=tuple(mandate_reply(h) for h in _ordered(held)))


async def create_meeting(
    command: CreateMeetingV1, uow: UowFactory, rules: QuorumRules
) -> MeetingV1:
    meeting = Meeting(
        BodyKind(command.body),
        command.held_on,
        command.second_convocation,
        title=command.title,
    )
    async with uow() as work:
        now = datetime.now(UTC)
        await work.governance.add_meeting(meeting, now, command.by)
        await work.audit.add(
            audit.entry(
                "meeting",
                meeting.id,
                "created",
                at=now,
                by=command.by,
                after={
                    "body": meeting.body,
                    "held_on": meeting.held_on,
                    "title": meeting.title,
                    "second_convocation": meeting.second_convocation,
                },
            )
        )
        held = await work.governance.held(body=meeting.body, on=meeting.held_on)
        await work.commit()
    return meeting_reply(meeting, held, Attendance(), rules)


async def get_meeting(query: GetMeetingV1, uow: UowFactory, rules: QuorumRules) -> MeetingV1:
    async with uow() as work:
        meeting = await _meeting(work, query.meeting_id)
        attendance = await work.governance.attendance(meeting.id)
        held = await work.governance.held(body=meeting.body, on=meeting.held_on)
    return meeting_reply(meeting, held, attendance, rules)


async def record_presence(
    command: RecordPresenceV1, uow: UowFactory, rules: QuorumRules
) -> MeetingV1:
    async with uow() as work:
        meeting, attendance, held = await _sheet(work, command.meeting_id, [command.person_id])
        before = _sheet_view(attendance)
        attendance.record_presence(command.person_id, meeting, [h.mandate for h in held])
        await _save(work, meeting, attendance, command.by, before, "presence_recorded")
    return meeting_reply(meeting, held, attendance, rules)


async def remove_presence(
    command: RemovePresenceV1, uow: UowFactory, rules: QuorumRules
) -> MeetingV1:
    async with uow() as work:
        meeting, attendance, held = await _sheet(work, command.meeting_id, [command.person_id])
        before = _sheet_view(attendance)
        attendance.remove_presence(command.person_id)
        await _save(work, meeting, attendance, command.by, before, "presence_removed")
    return meeting_reply(meeting, held, attendance, rules)


async def record_proxy(command: RecordProxyV1, uow: UowFactory, rules: QuorumRules) -> MeetingV1:
    async with uow() as work:
        meeting, attendance, held = await _sheet(
            work, command.meeting_id, [command.giver_id, command.holder_id]
        )
        before = _sheet_view(attendance)
        attendance.record_proxy(
            command.giver_id,
            command.holder_id,
            meeting,
            [h.mandate for h in held],
            rule_for(meeting.body, rules),
        )
        await _save(work, meeting, attendance, command.by, before, "proxy_recorded")
    return meeting_reply(meeting, held, attendance, rules)


async def withdraw_proxy(
    command: WithdrawProxyV1, uow: UowFactory, rules: QuorumRules
) -> MeetingV1:
    async with uow() as work:
        meeting, attendance, held = await _sheet(work, command.meeting_id, [command.giver_id])
        before = _sheet_view(attendance)
        attendance.withdraw_proxy(command.giver_id)
        await _save(work, meeting, attendance, command.by, before, "proxy_withdrawn")
    return meeting_reply(meeting, held, attendance, rules)


async def _sheet(
    work: MembersUnitOfWork, meeting_id: uuid.UUID, people: Iterable[uuid.UUID]
) -> tuple[Meeting, Attendance, list[HeldMandate]]:
    """The meeting, locked so changes to its sheet are serialised (concurrent proxies cannot
    exceed the bylaws' maximum), with its sheet and the mandates in force that day. The people
    named are locked too, so their mandates do not change meanwhile."""
    meeting = await _meeting(work, meeting_id, lock=True)
    await work.governance.lock_people(people)
    attendance = await work.governance.attendance(meeting.id)
    held = await work.governance.held(body=meeting.body, on=meeting.held_on)
    return meeting, attendance, held


async def _save(
    work: MembersUnitOfWork,
    meeting: Meeting,
    attendance: Attendance,
    by: str,
    before: dict[str, object],
    action: str,
) -> None:
    """Write the sheet's changes and their audit line (only when something changed)."""
    after = _sheet_view(attendance)
    if after == before:
        return
    now = datetime.now(UTC)
    await work.governance.save_attendance(meeting.id, attendance, now, by)
    await work.audit.add(
        audit.entry("meeting", meeting.id, action, at=now, by=by, before=before, after=after)
    )
    await work.commit()


def _sheet_view(attendance: Attendance) -> dict[str, object]:
    return {
        "present": sorted(str(p) for p in attendance.present),
        "proxies": {str(g): str(h) for g, h in sorted(attendance.proxies.items())},
    }


def _view(mandate: Mandate) -> dict[str, object]:
    return {
        "person_id": mandate.person_id,
        "body": mandate.body,
        "college": mandate.college,
        "seat": mandate.seat,
        "seat_kind": mandate.kind,
        "voice": mandate.voice,
        "organisation_id": mandate.organisation_id,
        "start": mandate.start,
        "end": mandate.end,
    }


async def _meeting(
    work: MembersUnitOfWork, meeting_id: uuid.UUID, *, lock: bool = False
) -> Meeting:
    meeting = await work.governance.get_meeting(meeting_id, lock=lock)
    if meeting is None:
        raise NotFound("Réunion introuvable.", meeting_id=str(meeting_id))
    return meeting


async def _living_person(work: MembersUnitOfWork, person_id: uuid.UUID) -> None:
    person = await work.people.get(person_id)
    if person is None or person.erased_at is not None:
        raise NotFound("Personne introuvable.", person_id=str(person_id))


def _ordered(held: Iterable[HeldMandate]) -> list[HeldMandate]:
    return sorted(
        held,
        key=lambda h: (
            _BODY_ORDER.index(h.mandate.body),
            _COLLEGE_ORDER.index(h.mandate.college),
            list(SeatKind).index(h.mandate.kind),
            h.last_name.casefold(),
            h.first_name.casefold(),
            h.mandate.start,
        ),
    )


def mandate_reply(held: HeldMandate) -> MandateV1:
    mandate = held.mandate
    return MandateV1(
        mandate_id=mandate.id,
        person_id=mandate.person_id,
        first_name=held.first_name,
        last_name=held.last_name,
        body=mandate.body.value,
        college=mandate.college,
        seat=mandate.seat,
        seat_kind=mandate.kind.value,
        voice=mandate.voice.value,
        organisation_id=mandate.organisation_id,
        organisation_name=held.organisation_name,
        start=mandate.start,
        end=mandate.end,
    )


def meeting_reply(
    meeting: Meeting, held: list[HeldMandate], attendance: Attendance, rules: QuorumRules
) -> MeetingV1:
    """The meeting with its sheet (one line per person, the deliberative seat first) and its
    quorum. A sheet that no longer agrees with the mandates or the bylaws (the bylaws changed
    since it was recorded) is still shown; the quorum is then not counted and the reply says
    why, so staff can correct the sheet."""
    lines: dict[uuid.UUID, HeldMandate] = {}
    for h in sorted(held, key=lambda h: h.mandate.voice != Voice.DELIBERATIVE):
        lines.setdefault(h.mandate.person_id, h)
    rule = rule_for(meeting.body, rules)
    mandates = [h.mandate for h in held]
    result, problem = None, None
    try:
        check_sheet(meeting, mandates, attendance, rule)
        result = quorum(meeting, mandates, attendance, rule) if rule is not None else None
    except DomainError as error:
        problem = f"La feuille de présence ne respecte plus les statuts : {error.message}"
    return MeetingV1(
        meeting_id=meeting.id,
        body=meeting.body.value,
        held_on=meeting.held_on,
        title=meeting.title,
        second_convocation=meeting.second_convocation,
        sheet=tuple(_sheet_line(h, attendance) for h in _ordered(lines.values())),
        quorum_applies=rule is not None,
        quorum=None
        if result is None
        else QuorumV1(
            total=_tally(result.total),
            colleges={college: _tally(t) for college, t in result.colleges.items()},
            consultative_present=result.consultative_present,
            reached=result.reached,
            reasons=result.reasons,
        ),
        quorum_problem=problem,
    )


def _sheet_line(held: HeldMandate, attendance: Attendance) -> SheetLineV1:
    mandate = held.mandate
    return SheetLineV1(
        person_id=mandate.person_id,
        first_name=held.first_name,
        last_name=held.last_name,
        mandate_id=mandate.id,
        college=mandate.college,
        seat=mandate.seat,
        seat_kind=mandate.kind.value,
        voice=mandate.voice.value,
        organisation_id=mandate.organisation_id,
        organisation_name=held.organisation_name,
        attendance=attendance.status(mandate.person_id),
        proxy_holder_id=attendance.proxies.get(mandate.person_id),
    )


def _tally(tally: Tally) -> TallyV1:
    return TallyV1(
        members=tally.members,
        present=tally.present,
        represented=tally.represented,
        counted=tally.counted,
        required=tally.required,
        votes=tally.votes,
    )
