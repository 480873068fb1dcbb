"""Tables, repositories and the unit of work of the newsletters service."""

from __future__ import annotations

from typing import Any

from contracts.base import Event
from contracts.newsletters import (
    DeliveryFailedV1,
    IssueSentV1,
    SubscriptionCancelledV1,
    SubscriptionConfirmedV1,
    WelcomeMailSentV1,
)
from services.newsletters.domain import (
    SubscriptionCancelled,
    SubscriptionConfirmed,
    WelcomeMailSent,
)
from services.newsletters.domain.sending import DeliveryFailed, IssueSent
from services.newsletters.store.issues import (
    AgendaRepository,
    DataRepository,
    IssueRepository,
    NetworkRepository,
)
from services.newsletters.store.lists import LetterRepository, SubscriberRepository
from services.newsletters.store.mails import MailRepository
from services.newsletters.store.schema import (
    DUE,
    address_bounces,
    agenda_items,
    bounce_reports,
    consents,
    data_items,
    issue_deliveries,
    issues,
    letters,
    metadata,
    reliability,
    sends,
    subscribers,
    subscriptions,
    transactional_mails,
)
from services.newsletters.store.sending import Counts, SendRepository
from services.runtime.settings import CentreSettings
from services.runtime.store import UnitOfWork

__all__ = [
    "DUE",
    "AgendaRepository",
    "Counts",
    "DataRepository",
    "IssueRepository",
    "LetterRepository",
    "MailRepository",
    "NetworkRepository",
    "NewslettersUnitOfWork",
    "SendRepository",
    "SubscriberRepository",
    "address_bounces",
    "agenda_items",
    "bounce_reports",
    "consents",
    "contract_mapper",
    "data_items",
    "issue_deliveries",
    "issues",
    "letters",
    "metadata",
    "reliability",
    "sends",
    "subscribers",
    "subscriptions",
    "transactional_mails",
]


def contract_mapper(centre: CentreSettings) -> Any:
    def to_contract(domain_event: object) -> Event:
        common: dict[str, Any] = {"producer": "newsletters", "centre": centre.slug}
        if isinstance(domain_event, WelcomeMailSent):
            return WelcomeMailSentV1(
                **common,
                person_id=domain_event.person_id,
                message_id=domain_event.message_id,
            )
        if isinstance(domain_event, SubscriptionConfirmed):
            return SubscriptionConfirmedV1(
                **common,
                occurred_at=domain_event.at,
                subscription_id=domain_event.subscription_id,
                letter=domain_event.letter,
                letter_name=domain_event.letter_name,
                email=domain_event.email,
                person_id=domain_event.person_id,
                wording=domain_event.wording,
                wording_version=domain_event.wording_version,
                source=domain_event.source.value,
            )
        if isinstance(domain_event, SubscriptionCancelled):
            return SubscriptionCancelledV1(
                **common,
                occurred_at=domain_event.at,
                subscription_id=domain_event.subscription_id,
                letter=domain_event.letter,
                letter_name=domain_event.letter_name,
                email=domain_event.email,
                person_id=domain_event.person_id,
                reason=domain_event.reason,
            )
        if isinstance(domain_event, IssueSent):
            return IssueSentV1(
                **common,
                occurred_at=domain_event.at,
                issue_id=domain_event.issue_id,
                send_id=domain_event.send_id,
                letter=domain_event.letter,
                number=domain_event.number,
                subject_line=domain_event.subject,
                recipients=domain_event.recipients,
                sent=domain_event.sent,
                failed=domain_event.failed,
                cancelled=domain_event.cancelled,
            )
        if isinstance(domain_event, DeliveryFailed):
            return DeliveryFailedV1(
                **common,
                delivery_id=domain_event.delivery_id,
                send_id=domain_event.send_id,
                issue_id=domain_event.issue_id,
                subscriber_id=domain_event.subscriber_id,
                email=domain_event.email,
                attempts=domain_event.attempts,
                error=domain_event.error,
                permanent=domain_event.permanent,
            )
        raise TypeError(f"no contract for {type(domain_event).__name__}")

    return to_contract


class NewslettersUnitOfWork(UnitOfWork):
    mails: MailRepository
    letters: LetterRepository
    subscribers: SubscriberRepository
    sends: SendRepository
    issues: IssueRepository
    agenda: AgendaRepository
    data: DataRepository
    networks: NetworkRepository

    def _open(self) -> None:
        self.mails = MailRepository(self.session)
        self.letters = LetterRepository(self.session)
        self.subscribers = SubscriberRepository(self.session, reliability.outbox)
        self.sends = SendRepository(self.session)
        self.issues = IssueRepository(self.session)
        self.agenda = AgendaRepository(self.session)
        self.data = DataRepository(self.session)
        self.networks = NetworkRepository(self.session)
