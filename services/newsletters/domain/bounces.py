"""Delivery status notifications (RFC 3464) read back: which addresses bounced, hard or soft.

A hard bounce (``Action: failed`` with a permanent ``5.x.x`` status, RFC 3463) makes the address
undeliverable; a soft one (a ``4.x.x`` failure, ``Action: delayed``, or a full mailbox, 5.2.2)
counts towards a threshold. Parsed with the stdlib ``email`` package: the
``message/delivery-status`` part is a list of header blocks, the first about the message, then
one per recipient.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
from dataclasses import dataclass
from email.message import Message

SOFT_PERMANENT = frozenset({"5.2.2"})
"""Permanent codes that still mean « try again later » in practice: a full mailbox."""


@dataclass(frozen=True)
class Bounce:
    email: str
    hard: bool
    status: str
    diagnostic: str


@dataclass(frozen=True)
class BounceNotice:
    report_id: str  # the DSN's own Message-ID, or a digest of its bytes
    bounces: tuple[Bounce, ...]


def read_dsn(raw: bytes) -> BounceNotice | None:
    """The bounces a DSN reports, or None when the message is not a delivery status report."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report":
        return None
    bounces: list[Bounce] = []
    found = False
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        found = True
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for block in blocks[1:]:
            bounce = _bounce(block) if isinstance(block, Message) else None
            if bounce is not None:
                bounces.append(bounce)
    if not found:
        return None
    report_id = str(message.get("Message-ID") or "").strip()
    if not report_id:
        report_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    return BounceNotice(report_id, tuple(bounces))


def _bounce(block: Message) -> Bounce | None:
    recipient = _address(block.get("Final-Recipient") or block.get("Original-Recipient"))
    action = str(block.get("Action") or "").strip().lower()
    status = str(block.get("Status") or "").strip().split(" ")[0]
    if recipient is None or action not in ("failed", "delayed"):
        return None  # delivered, relayed, expanded: nothing wrong
    diagnostic = " ".join(str(block.get("Diagnostic-Code") or "").split())
    hard = action == "failed" and status.startswith("5") and status not in SOFT_PERMANENT
    return Bounce(
        recipient, hard, status or ("5.0.0" if action == "failed" else "4.0.0"), diagnostic
    )


def _address(field: object) -> str | None:
    """``rfc822; jean@exemple.fr`` → ``jean@exemple.fr``."""
    if not field:
        return None
    _, _, value = str(field).partition(";")
    value = value.strip().strip("<>").strip()
    return value if "@" in value else None
