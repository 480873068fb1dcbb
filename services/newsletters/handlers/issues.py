"""Issues of letters: staff compose, preview, test, schedule and cancel them; the public reads
the sent ones (the coming events and new data their blocks show: ``handlers.projections``).

For the sending engine: ``issue_audience`` (who receives an issue, its filter applied) and
``render_issue`` (``domain.issues``: one recipient's message); ``begin_sending`` freezes the
issue's content and moves it to ``sending``, then calls ``start_send``, the engine's entry.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from contracts.newsletters import (
    ArchivedIssuePageV1,
    ArchivedIssueV1,
    ArchiveV1,
    CancelIssueV1,
    CreateIssueV1,
    GetArchivedIssueV1,
    GetIssueV1,
    IssueAudience,
    IssuePreviewV1,
    IssueReplyV1,
    IssueStatus,
    IssuesV1,
    IssueTestSentV1,
    IssueV1,
    ListArchiveV1,
    ListIssuesV1,
    PreviewIssueV1,
    ScheduleIssueV1,
    SendIssueNowV1,
    SendTestIssueV1,
    UpdateIssueV1,
)
from reference.territory import territories
from services.newsletters.domain import Letter, MailKind, SubscriptionLinks, TransactionalMail
from services.newsletters.domain.issues import (
    BlockContent,
    Issue,
    Recipient,
    render_issue,
    territory_filter,
)
from services.newsletters.handlers.common import UowFactory, log
from services.newsletters.store import NewslettersUnitOfWork
from services.runtime.errors import Conflict, InvalidInput, NotFound
from services.runtime.settings import CentreSettings

PARIS = ZoneInfo("Europe/Paris")

SAMPLE_FIRST_NAME = "Camille"
"""The greeting of a preview: a sample recipient."""

StartSend = Callable[[NewslettersUnitOfWork, uuid.UUID, str], Awaitable[None]]
"""The sending engine's entry (``handlers.sending.issue_starter``): freeze the audience of the
issue into deliveries, in ``work``'s transaction, as started by the staff member given (the
send's ``started_by``). ``begin_sending`` has already moved the issue to ``sending`` and frozen
its content in the same transaction; raising rolls both back."""

SCHEDULER = "programmation"
"""Who started the send of a scheduled issue whose scheduler is not known (scheduled before
newsletters kept who scheduled it)."""


# --- views ------------------------------------------------------------------------------------


def issue_view(issue: Issue) -> IssueV1:
    assert issue.created_at is not None and issue.updated_at is not None
    return IssueV1.model_validate(
        {
            "id": issue.id,
            "letter": issue.letter,
            "number": issue.number,
            "subject": issue.subject,
            "preheader": issue.preheader,
            "status": issue.status,
            "blocks": issue.blocks,
            "audience": issue.audience,
            "scheduled_at": issue.scheduled_at,
            "sent_at": issue.sent_at,
            "created_at": issue.created_at,
            "updated_at": issue.updated_at,
        }
    )


def _audience_json(audience: IssueAudience) -> dict[str, Any]:
    """The audience as stored, once its departments and QPV are found in the reference."""
    reference = territories()
    for department in audience.departments:
        if reference.department(department) is None:
            raise InvalidInput(f"Département inconnu : {department}.")
    for qpv in audience.qpvs:
        if reference.qpv(qpv) is None:
            raise InvalidInput(f"QPV inconnu : {qpv}.")
    return audience.model_dump(mode="json")


def _blocks_json(blocks: Any) -> list[dict[str, Any]]:
    return [block.model_dump(mode="json") for block in blocks]


async def _letter(work: NewslettersUnitOfWork, slug: str) -> Letter:
    letter = await work.letters.get(slug)
    if letter is None:
        raise NotFound(f"Aucune lettre « {slug} ».")
    return letter


async def _issue(work: NewslettersUnitOfWork, issue_id: uuid.UUID, *, lock: bool = False) -> Issue:
    issue = await work.issues.get(issue_id, lock=lock)
    if issue is None:
        raise NotFound("Aucun numéro avec cet identifiant.")
    return issue


# --- staff ------------------------------------------------------------------------------------


async def create_issue(command: CreateIssueV1, uow: UowFactory) -> IssueReplyV1:
    async with uow() as work:
        await _letter(work, command.letter)
        issue = Issue(
            id=uuid.uuid4(),
            letter=command.letter,
            number=await work.issues.next_number(command.letter),
            subject=command.subject_line,
            preheader=command.preheader,
            blocks=_blocks_json(command.blocks),
            audience=_audience_json(command.audience),
        )
        await work.issues.add(issue, command.by)
        try:
            await work.commit()
        except IntegrityError as error:  # another numéro took this number meanwhile
            raise Conflict("Un autre numéro vient d'être créé : réessayez.") from error
    log.info("issue created", letter=issue.letter, number=issue.number, by=command.by)
    return IssueReplyV1(issue=issue_view(issue))


async def update_issue(command: UpdateIssueV1, uow: UowFactory) -> IssueReplyV1:
    async with uow() as work:
        issue = await _issue(work, command.issue_id, lock=True)
        issue.change(
            subject=command.subject_line,
            preheader=command.preheader,
            blocks=_blocks_json(command.blocks) if command.blocks is not None else None,
            audience=_audience_json(command.audience) if command.audience else None,
        )
        await work.issues.save(issue)
        await work.commit()
    log.info("issue updated", issue=str(issue.id), by=command.by)
    return IssueReplyV1(issue=issue_view(issue))


async def get_issue(query: GetIssueV1, uow: UowFactory) -> IssueReplyV1:
    async with uow() as work:
        issue = await _issue(work, query.issue_id)
    return IssueReplyV1(issue=issue_view(issue))


async def list_issues(query: ListIssuesV1, uow: UowFactory) -> IssuesV1:
    async with uow() as work:
        await _letter(work, query.letter)
        found = await work.issues.of_letter(query.letter)
    return IssuesV1(issues=tuple(issue_view(issue) for issue in found))


async def live_content(
    work: NewslettersUnitOfWork, issue: Issue, letter: Letter, now: datetime
) -> BlockContent:
    """What the coming-events and new-data blocks of ``issue`` show at ``now``."""
    themes = frozenset(letter.themes)
    events_limit = max((b["limit"] for b in issue.blocks if b["type"] == "events"), default=0)
    data_limit = max((b["limit"] for b in issue.blocks if b["type"] == "data"), default=0)
    events = await work.agenda.coming(themes, now, events_limit) if events_limit else []
    data = await work.data.latest(themes, data_limit) if data_limit else []
    return BlockContent(
        events=tuple(e.as_json() for e in events), data=tuple(d.as_json() for d in data)
    )


async def _content(
    work: NewslettersUnitOfWork, issue: Issue, letter: Letter, now: datetime
) -> BlockContent:
    if issue.frozen is not None:
        return BlockContent.from_json(issue.frozen)
    return await live_content(work, issue, letter, now)


def _sample(issue: Issue, email: str, first_name: str | None) -> Recipient:
    """A recipient who is no subscriber: their personal links lead nowhere (the pages answer
    as for any unknown link). The same for an issue and address, so previews are stable."""
    sample = uuid.uuid5(issue.id, email.casefold())
    return Recipient(sample, email, first_name, None, sample, issue.letter)


async def preview_issue(
    query: PreviewIssueV1,
    uow: UowFactory,
    links: SubscriptionLinks,
    centre: CentreSettings,
    now: datetime,
) -> IssuePreviewV1:
    async with uow() as work:
        issue = await _issue(work, query.issue_id)
        letter = await _letter(work, issue.letter)
        content = await _content(work, issue, letter, now)
        size = len(await issue_audience(work, issue))
    sample = _sample(issue, "destinataire@exemple.fr", SAMPLE_FIRST_NAME)
    message = render_issue(issue, letter, sample, links, centre, content=content)
    return IssuePreviewV1(
        subject_line=message.subject, html=message.html, text=message.text, audience_size=size
    )


async def send_test_issue(
    command: SendTestIssueV1,
    uow: UowFactory,
    links: SubscriptionLinks,
    centre: CentreSettings,
    now: datetime,
) -> IssueTestSentV1:
    """Owe each address the issue as a transactional mail, subject prefixed « [TEST] »."""
    addresses = list(dict.fromkeys(str(a).strip() for a in command.recipients))
    async with uow() as work:
        issue = await _issue(work, command.issue_id)
        letter = await _letter(work, issue.letter)
        content = await _content(work, issue, letter, now)
        for address in addresses:
            message = render_issue(
                issue, letter, _sample(issue, address, None), links, centre, content=content
            )
            await work.mails.add(
                TransactionalMail(
                    id=uuid.uuid4(),
                    kind=MailKind.ISSUE_TEST,
                    dedupe_key=f"issue_test:{issue.id}:{uuid.uuid4()}",
                    email=address,
                    name="",
                    person_id=None,
                    data={
                        "issue_id": str(issue.id),
                        "subject": f"[TEST] {message.subject}",
                        "html": message.html,
                        "text": message.text,
                    },
                    next_attempt_at=now,
                )
            )
        await work.commit()
    log.info("issue test sent", issue=str(issue.id), recipients=len(addresses), by=command.by)
    return IssueTestSentV1(queued=len(addresses))


def paris_to_utc(at: datetime) -> datetime:
    """A time staff typed: without an offset it is Paris time; stored in UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=PARIS)
    return at.astimezone(ZoneInfo("UTC"))


async def schedule_issue(command: ScheduleIssueV1, uow: UowFactory, now: datetime) -> IssueReplyV1:
    async with uow() as work:
        issue = await _issue(work, command.issue_id, lock=True)
        issue.schedule(paris_to_utc(command.at), now, command.by)
        await work.issues.save(issue)
        await work.commit()
    log.info("issue scheduled", issue=str(issue.id), at=str(issue.scheduled_at), by=command.by)
    return IssueReplyV1(issue=issue_view(issue))


async def cancel_issue(command: CancelIssueV1, uow: UowFactory) -> IssueReplyV1:
    async with uow() as work:
        issue = await _issue(work, command.issue_id, lock=True)
        issue.cancel()
        await work.issues.save(issue)
        await work.commit()
    log.info("issue cancelled", issue=str(issue.id), by=command.by)
    return IssueReplyV1(issue=issue_view(issue))


# --- sending: the engine's side -----------------------------------------------------------------


async def issue_audience(work: NewslettersUnitOfWork, issue: Issue) -> list[Recipient]:
    """The letter's active subscribers, narrowed by the issue's audience filter (department,
    commune, QPV: the subscribers of the QPV's communes; network: the subscribers whose address
    is that of a current member of the network, as members last announced it). Filters add up."""
    audience = IssueAudience.model_validate(issue.audience)
    reference = territories()
    qpv_communes = {}
    for code in audience.qpvs:
        qpv = reference.qpv(code)
        if qpv is None:
            raise InvalidInput(f"QPV inconnu : {code}.")
        qpv_communes[code] = qpv.commune_codes
    narrowed = territory_filter(issue.audience, qpv_communes)
    return await work.issues.audience(
        issue.letter, narrowed.departments, narrowed.communes, audience.networks
    )


async def begin_sending(
    uow: UowFactory, issue_id: uuid.UUID, now: datetime, start: StartSend, by: str | None = None
) -> Issue:
    """Freeze the issue's coming events and new data, move it to ``sending`` and hand it to
    the engine (``start``), all in one transaction. ``by``: the staff member who sends it now;
    None for a scheduled issue (its send is then started by whoever scheduled it)."""
    async with uow() as work:
        issue = await _issue(work, issue_id, lock=True)
        letter = await _letter(work, issue.letter)
        starter = by or issue.scheduled_by or SCHEDULER
        issue.start_sending(await live_content(work, issue, letter, now))
        await work.issues.save(issue)
        await start(work, issue.id, starter)
        issue = await _issue(work, issue.id)  # ``sent`` already when the audience was empty
        await work.commit()
    log.info("issue sending", issue=str(issue.id), letter=issue.letter, number=issue.number)
    return issue


async def send_issue_now(
    command: SendIssueNowV1, uow: UowFactory, now: datetime, start: StartSend
) -> IssueReplyV1:
    issue = await begin_sending(uow, command.issue_id, now, start, command.by)
    log.info("issue sent now", issue=str(issue.id), by=command.by)
    return IssueReplyV1(issue=issue_view(issue))


async def send_due_issues(uow: UowFactory, now: datetime, start: StartSend) -> list[uuid.UUID]:
    """Hand every scheduled issue whose time has come to the engine; returns their ids. One
    that fails stays scheduled and is tried again at the next check."""
    async with uow() as work:
        due = await work.issues.due(now)
    started = []
    for issue_id in due:
        try:
            await begin_sending(uow, issue_id, now, start)
        except Exception as error:
            log.warning("scheduled issue not started", issue=str(issue_id), error=repr(error))
        else:
            started.append(issue_id)
    return started


async def end_cancelled_send(work: NewslettersUnitOfWork, issue_id: uuid.UUID) -> None:
    """The engine's send of the issue was cancelled: the issue ends ``cancelled`` (out of the
    archive), in ``work``'s transaction. An issue already ended changes nothing."""
    issue = await work.issues.get(issue_id, lock=True)
    if issue is None or issue.status is not IssueStatus.SENDING:
        return
    issue.send_cancelled()
    await work.issues.save(issue)
    log.info("issue cancelled while sending", issue=str(issue.id))


# --- public archive -----------------------------------------------------------------------------


def _archived(issue: Issue, letter: Letter) -> ArchivedIssueV1:
    assert issue.sent_at is not None
    return ArchivedIssueV1(
        id=issue.id,
        letter=letter.slug,
        letter_name=letter.name,
        number=issue.number,
        subject=issue.subject,
        sent_at=issue.sent_at,
    )


async def list_archive(query: ListArchiveV1, uow: UowFactory) -> ArchiveV1:
    async with uow() as work:
        letter = await _letter(work, query.letter)
        sent = await work.issues.of_letter(letter.slug, status=IssueStatus.SENT)
    return ArchiveV1(
        letter=letter.slug,
        letter_name=letter.name,
        issues=tuple(_archived(issue, letter) for issue in sent),
    )


async def get_archived_issue(
    query: GetArchivedIssueV1, uow: UowFactory, centre: CentreSettings
) -> ArchivedIssuePageV1:
    async with uow() as work:
        letter = await _letter(work, query.letter)
        issue = await work.issues.by_number(letter.slug, query.number)
    if issue is None or issue.status is not IssueStatus.SENT:
        raise NotFound(f"Aucun numéro {query.number} publié de « {letter.name} ».")
    message = render_issue(issue, letter, None, None, centre)
    return ArchivedIssuePageV1(issue=_archived(issue, letter), html=message.html, text=message.text)
