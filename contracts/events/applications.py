"""Messages about calls for applications."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from contracts.base import Email, Event


class ApplicationSubmittedV1(Event):
    """An application to a call was submitted before the deadline: the applicant gets the
    acknowledgement ``reference``.

    Emitted by events once per application, in the transaction that submits it. Carries
    personal data (the applicant's name and address).
    """

    subject: ClassVar[str] = "reso.events.application.submitted.v1"

    application_id: uuid.UUID
    call_id: uuid.UUID
    call_title: str
    reference: str = Field(description="Acknowledgement number, e.g. 'LQT-2027-0007'.")
    organisation_id: uuid.UUID | None = None
    organisation_name: str = ""
    person_id: uuid.UUID | None = None
    email: Email
    first_name: str
    last_name: str
    submitted_at: AwareDatetime


class ApplicationDecidedV1(Event):
    """Staff decided an application: selected, on the waiting list, or not retained; the
    applicant is told.

    Emitted by events once per decision that staff make known, in its transaction. Carries
    personal data (the applicant's name and address).
    """

    subject: ClassVar[str] = "reso.events.application.decided.v1"

    application_id: uuid.UUID
    call_id: uuid.UUID
    call_title: str
    reference: str
    decision: Literal["selected", "waiting", "rejected"]
    message: str = Field(default="", description="What staff wrote to the applicant (French).")
    organisation_name: str = ""
    person_id: uuid.UUID | None = None
    email: Email
    first_name: str
    last_name: str
