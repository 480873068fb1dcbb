"""Reading delivery status notifications from the mailbox the mail server drops them in: an
mbox file or a Maildir directory (stdlib ``mailbox``)."""

from __future__ import annotations

import asyncio
import mailbox
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any


async def read_bounce_mailbox(path: str, report: Callable[[bytes], Awaitable[Any]]) -> int:
    """Hand every message of the mailbox to ``report``, then remove it from the mailbox; how
    many were read. A message is removed only once reported (and its effect committed); one
    reported twice after a crash counts once (the report's Message-ID is remembered)."""
    box = await asyncio.to_thread(_open, Path(path))
    if box is None:
        return 0
    keys = await asyncio.to_thread(box.keys)
    read = 0
    for key in keys:
        raw = await asyncio.to_thread(box.get_bytes, key)
        await report(raw)
        await asyncio.to_thread(_remove, box, key)
        read += 1
    await asyncio.to_thread(box.close)
    return read


def _open(where: Path) -> mailbox.Mailbox[Any] | None:
    if not where.exists():
        return None
    if where.is_dir():
        return mailbox.Maildir(str(where), create=False)
    return mailbox.mbox(str(where))


def _remove(box: mailbox.Mailbox[Any], key: str) -> None:
    if isinstance(box, mailbox.mbox):
        box.lock()
        try:
            box.discard(key)
            box.flush()
        finally:
            box.unlock()
    else:
        box.discard(key)
