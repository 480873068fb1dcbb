"""Mails sent to the ``List-Unsubscribe`` mailto address (RFC 2369), read back: which signed
unsubscribe tokens they carry.

Every letter's ``List-Unsubscribe`` header carries
``mailto:<mailbox>?subject=désabonnement <token>`` (``SubscriptionLinks.unsubscribe_mailto``):
a mail client that uses it sends a mail whose subject holds the token, the same one as the
https one-click URL (one subscriber, one letter, signed, never expiring). Some clients leave the
subject percent-encoded, some people paste the token in the body: both are looked at. Only a
token whose signature holds ever unsubscribes anyone (the caller checks them); anything else in
the mailbox (replies, auto-replies, spam) is reported, never acted on.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote

MAX_CANDIDATES = 20
"""Words tried as tokens, at most, in one mail."""

_TOKEN = re.compile(r"\.?[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
"""What an itsdangerous URL-safe token looks like: payload, a dot, the signature (a leading dot
when the payload is compressed)."""


@dataclass(frozen=True)
class UnsubscribeRequest:
    message_id: str  # the mail's Message-ID, or a digest of its bytes
    sender: str  # its From, for the report
    candidates: tuple[str, ...]  # words that look like tokens, subject first


def read_unsubscribe_request(raw: bytes) -> UnsubscribeRequest:
    """The words of a mail that may be unsubscribe tokens (subject first, then the plain-text
    body), percent-encoded or not."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    texts = [str(message.get("Subject", ""))]
    if isinstance(message, EmailMessage):
        try:
            body = message.get_body(("plain",))
            if body is not None:
                texts.append(str(body.get_content())[:20_000])  # type: ignore[attr-defined]
        except (LookupError, UnicodeError, AttributeError):  # an odd charset or structure
            pass
    candidates: list[str] = []
    for text in texts:
        for variant in (text, unquote(text)):
            for word in _TOKEN.findall(variant):
                if word not in candidates:
                    candidates.append(word)
    message_id = str(message.get("Message-ID", "")).strip()
    return UnsubscribeRequest(
        message_id=message_id or "sha256:" + hashlib.sha256(raw).hexdigest()[:32],
        sender=str(message.get("From", "")).strip(),
        candidates=tuple(candidates[:MAX_CANDIDATES]),
    )
