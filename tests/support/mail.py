"""Reading what the SMTP sink received."""

from __future__ import annotations

import email
import email.policy
import time
from collections import Counter
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path


def read_mails(directory: Path) -> list[EmailMessage]:
    messages = []
    for path in sorted(directory.glob("*.eml"), key=lambda p: int(p.stem)):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        messages.append(parsed)
    return messages


def mails_when(
    directory: Path,
    ready: Callable[[list[EmailMessage]], bool],
    *,
    timeout: float = 30.0,
) -> list[EmailMessage]:
    """The sink's messages once ``ready(messages)`` holds, or as they are when the time is up
    (for synchronous tests: the sink is another process, polled on a short interval)."""
    deadline = time.monotonic() + timeout
    while True:
        messages = read_mails(directory)
        if ready(messages) or time.monotonic() > deadline:
            return messages
        time.sleep(0.1)


def recipients(directory: Path) -> Counter[str]:
    """How many messages each address received."""
    counts: Counter[str] = Counter()
    for message in read_mails(directory):
        # getaddresses, not the header's .addresses: it also reads UTF-8 local parts (RFC 6531).
        for _, address in getaddresses([str(message["To"])]):
            counts[address.lower()] += 1
    return counts


def wait_for_mail(
    directory: Path, addresses: list[str], *, timeout: float = 30.0, settle: float = 1.0
) -> Counter[str]:
    """Wait until every address got at least one message, then a little more for duplicates."""
    wanted = {address.lower() for address in addresses}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = recipients(directory)
        if wanted <= set(counts):
            time.sleep(settle)
            return recipients(directory)
        time.sleep(0.1)
    return recipients(directory)


async def await_mail(
    directory: Path, addresses: list[str], *, timeout: float = 30.0, settle: float = 1.0
) -> Counter[str]:
    """:func:`wait_for_mail` for async tests whose services run in the same event loop."""
    import asyncio

    wanted = {address.lower() for address in addresses}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if wanted <= set(recipients(directory)):
            await asyncio.sleep(settle)
            break
        await asyncio.sleep(0.1)
    return recipients(directory)
