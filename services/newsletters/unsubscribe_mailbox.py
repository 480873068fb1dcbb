"""Reading the mails people sent to the ``List-Unsubscribe`` mailto address, from the mailbox
the mail server delivers them to: an mbox file or a Maildir directory (stdlib ``mailbox``).

``reso newsletters unsubscribes --mbox PATH`` hands each message to newsletters
(``UnsubscribeByMailV1``), which acts only on a valid signed token. Reading a mailbox twice is
harmless (a subscription ends once), so by default the mailbox is left as it is; with
``remove`` the messages newsletters acted on (a valid token) are taken out, and those without a
valid token stay for a person to read.
"""

from __future__ import annotations

import asyncio
import mailbox
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

Outcome = TypeVar("Outcome")


async def read_unsubscribe_mailbox(
    path: str | Path,
    handle: Callable[[bytes], Awaitable[Outcome]],
    *,
    remove: Callable[[Outcome], bool] | None = None,
) -> list[Outcome]:
    """Hand every message of the mailbox to ``handle``, in order; what each gave. With
    ``remove``, a message for whose outcome it answers True is then taken out of the mailbox.
    A mailbox that does not exist raises ``FileNotFoundError``."""
    box = await asyncio.to_thread(_open, Path(path))
    outcomes: list[Outcome] = []
    try:
        for key in await asyncio.to_thread(box.keys):
            raw = await asyncio.to_thread(box.get_bytes, key)
            outcome = await handle(raw)
            outcomes.append(outcome)
            if remove is not None and remove(outcome):
                await asyncio.to_thread(_remove, box, key)
    finally:
        await asyncio.to_thread(box.close)
    return outcomes


def _open(where: Path) -> mailbox.Mailbox[Any]:
    if where.is_dir():
        return mailbox.Maildir(str(where), create=False)
    if not where.is_file():
        raise FileNotFoundError(f"no mbox file nor Maildir directory at {where}")
    return mailbox.mbox(str(where), create=False)


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
