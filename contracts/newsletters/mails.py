"""Facts about the mails newsletters sends."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import Field

from contracts.base import Event


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
