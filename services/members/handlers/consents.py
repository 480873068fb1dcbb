"""Use cases about consents members hears of from other services (newsletters' subscriptions)."""

from __future__ import annotations

from contracts.newsletters import SubscriptionCancelledV1, SubscriptionConfirmedV1
from services.members.domain.consents import Consent
from services.members.store import UowFactory

CONSUMER_SUBSCRIPTIONS = "members.subscriptions"

WITHDRAWN = {
    "unsubscribed": "Désabonnement.",
    "one_click": "Désabonnement en un clic.",
    "mail": "Désabonnement par e-mail (adresse de désabonnement de la lettre).",
    "bounced": "Adresse devenue invalide : abonnement arrêté.",
    "staff": "Abonnement retiré par l'équipe du centre.",
    "erased": "Effacement des données.",
}


async def on_subscription_changed(
    event: SubscriptionConfirmedV1 | SubscriptionCancelledV1, uow: UowFactory
) -> bool:
    """Record the subscriber's decision as a consent of the person with that address (or that
    id), once per event; nothing for an address members does not know. True if recorded."""
    async with uow() as work:
        if not await work.claim(CONSUMER_SUBSCRIPTIONS, str(event.event_id)):
            return False
        person = await work.people.get(event.person_id) if event.person_id else None
        if person is None:
            person = await work.people.get_by_email(str(event.email))
        if person is None or person.erased_at is not None:
            await work.commit()  # the claim: a redelivery is recognised
            return False
        granted = isinstance(event, SubscriptionConfirmedV1)
        await work.consents.add(
            Consent(
                person_id=person.id,
                purpose=f"newsletter:{event.letter}",
                granted=granted,
                at=event.occurred_at,
                wording=event.wording
                if isinstance(event, SubscriptionConfirmedV1)
                else f"{event.letter_name} : {WITHDRAWN.get(event.reason, event.reason)}",
                version=event.wording_version if isinstance(event, SubscriptionConfirmedV1) else "",
                source="newsletters",
            )
        )
        await work.commit()
    return True
