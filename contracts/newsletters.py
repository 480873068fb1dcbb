"""Messages owned by the newsletters service."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import Field

from contracts.base import Email, Event


class WelcomeMailSentV1(Event):
    """The welcome e-mail to a newly registered person was accepted by the SMTP server.

    Emitted by newsletters once per person, after the SMTP server accepted the message. Not emitted
    while sending fails (the delivery is retried), when it failed for good, when the confirmation
    link it carried expired before it could be sent, or for a repeated registration event. The
    other mails newsletters sends (personal links, renewal calls, mails about events and
    applications) emit no event.
    """

    subject: ClassVar[str] = "reso.newsletters.welcome.sent.v1"

    person_id: uuid.UUID = Field(description="Id of the person in the members service.")
    message_id: str = Field(description="The Message-ID header of the e-mail sent.")


class SubscriptionConfirmedV1(Event):
    """Someone's subscription to a letter is confirmed (double opt-in done, or imported with the
    provenance of their consent): the consent record the subscriber agreed to.

    Emitted by newsletters once per subscription and confirmation, in the transaction that
    records it. members keeps it as a consent of the person with that address, if it knows them.
    Carries personal data (the address): it lives in the NEWSLETTERS stream for its bounded max
    age only.
    """

    subject: ClassVar[str] = "reso.newsletters.subscription.confirmed.v1"

    subscription_id: uuid.UUID
    letter: str = Field(description="Slug of the letter, e.g. 'la-minute-pop'.")
    letter_name: str = Field(description="The letter's name as subscribers see it.")
    email: Email
    person_id: uuid.UUID | None = Field(
        default=None, description="The person in members, when newsletters knows them."
    )
    wording: str = Field(description="The consent text the subscriber agreed to (French).")
    wording_version: str = Field(default="", description="Version of that text.")
    source: str = Field(
        default="form", description="How consent was given: form, import, preferences, staff."
    )


class SubscriptionCancelledV1(Event):
    """Someone's subscription to a letter ended: they unsubscribed (link, one-click, preferences),
    their address bounced for good, staff removed it, or they were erased.

    Emitted by newsletters once per subscription and cancellation, in the transaction that
    records it. members records the withdrawal as a consent decision of the person with that
    address, if it knows them. Carries personal data (the address).
    """

    subject: ClassVar[str] = "reso.newsletters.subscription.cancelled.v1"

    subscription_id: uuid.UUID
    letter: str
    letter_name: str
    email: Email
    person_id: uuid.UUID | None = None
    reason: str = Field(
        default="unsubscribed", description="unsubscribed, one_click, bounced, staff, erased."
    )
