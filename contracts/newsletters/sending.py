"""Messages of the sending engine: sending an issue to its frozen audience, staff's control of a
send (pause, resume, cancel), its progress, deliveries that failed for good, and bounces."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts.base import Command, Email, Event, Query, Reply


class SendStatus(StrEnum):
    SENDING = "sending"  # workers take its deliveries
    PAUSED = "paused"  # by staff, or automatically after too many errors in a row
    CANCELLED = "cancelled"  # by staff: what was not sent never will be
    DONE = "done"  # every delivery is in a final state


class DeliveryFailedV1(Event):
    """A letter could not be delivered to one recipient, for good.

    Emitted by newsletters once per delivery, in the transaction that marks it failed: when the
    SMTP server refused it with a 5xx, or when every retry of a 4xx or of a network error was
    used up. Not emitted while a delivery is retried, for a delivery cancelled (send cancelled,
    address suppressed after a hard bounce) or for a bounce reported later (the SMTP server
    accepted the message). Carries personal data (the address).
    """

    subject: ClassVar[str] = "reso.newsletters.delivery.failed.v1"

    delivery_id: uuid.UUID
    send_id: uuid.UUID
    issue_id: uuid.UUID = Field(description="The issue being sent.")
    subscriber_id: uuid.UUID
    email: Email
    attempts: int = Field(description="SMTP attempts made.")
    error: str = Field(description="The SMTP server's last answer, or the error met.")
    permanent: bool = Field(
        default=True, description="True for a 5xx; False when the retries of a 4xx ran out."
    )


class StartSendV1(Command):
    """Send an issue now, at chosen rates: a draft or scheduled issue is frozen and moves to
    ``sending`` (as by ``SendIssueNowV1``), its audience is frozen (one delivery per recipient,
    enforced by the database) and workers start sending at the send's rate. Starting an issue
    already started answers that send, unchanged."""

    subject: ClassVar[str] = "rpc.newsletters.send.start.v1"

    issue_id: uuid.UUID
    letter: str | None = Field(
        default=None,
        description="Slug of the issue's letter, checked when given (422 if it is another); "
        "the audience is the issue's (the letter's active subscribers, narrowed by territory).",
    )
    rate_per_second: float | None = Field(
        default=None, gt=0, description="Messages a second at most (default: the setting)."
    )
    rate_per_hour: int | None = Field(
        default=None, gt=0, description="Messages an hour at most (default: the setting)."
    )
    by: str = Field(description="Staff e-mail of who started it.")


class ControlSendV1(Command):
    """Staff pause, resume or cancel a send. Pausing stops new deliveries (those in flight
    finish); resuming goes on where it stopped and clears the error count; cancelling ends
    every delivery not sent yet (``cancelled``, final; those in flight settle as they come
    back) and the issue ends ``cancelled``: it is not archived, and the counts of what was
    already sent stay in the send's progress. Resuming a cancelled or finished send is a
    conflict; cancelling a finished one too."""

    subject: ClassVar[str] = "rpc.newsletters.send.control.v1"

    send_id: uuid.UUID
    action: str = Field(pattern="^(pause|resume|cancel)$", description="pause, resume, cancel.")
    by: str = Field(description="Staff e-mail of who asked (or the command line's user).")


class GetSendProgressV1(Query):
    """Where a send stands: counts by status, current rate and estimated time left."""

    subject: ClassVar[str] = "rpc.newsletters.send.progress.v1"

    send_id: uuid.UUID


class SendProgressV1(Reply):
    send_id: uuid.UUID
    issue_id: uuid.UUID
    status: SendStatus
    paused_reason: str | None = Field(default=None, description="Why it paused (French).")
    total: int = Field(description="Deliveries frozen at start.")
    sent: int
    failed: int
    cancelled: int
    pending: int = Field(description="Not sent yet (waiting, being sent, or to retry).")
    rate_per_second: float = Field(description="Messages sent a second over the last minute.")
    eta_seconds: float | None = Field(
        default=None, description="Estimated seconds left at the current (or configured) rate."
    )
    started_at: AwareDatetime
    finished_at: AwareDatetime | None = None
    started_by: str | None = Field(
        default=None,
        description="Who started it: the staff member's e-mail (who sent it now, or who "
        "scheduled it), or ``reso newsletters send (<user>)`` from the command line.",
    )
    cancelled_by: str | None = Field(default=None, description="Who cancelled it, if it was.")


class ReportBounceV1(Command):
    """A delivery status notification (RFC 3464) the mail server received back, as raw bytes in
    base64: a hard bounce makes the address undeliverable (suppressed from later sends), a soft
    one counts towards the threshold. A report already seen (same Message-ID) changes nothing."""

    subject: ClassVar[str] = "rpc.newsletters.bounce.report.v1"

    message: str = Field(description="The DSN message, base64 of its raw bytes.")


class BounceReportV1(Reply):
    hard: list[Email] = Field(default_factory=list, description="Addresses now undeliverable.")
    soft: list[Email] = Field(default_factory=list, description="Addresses that soft-bounced.")
    ignored: bool = Field(default=False, description="Not a DSN, or already seen.")
