"""What the newsletters use cases share: the unit-of-work factory, and owing mails."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from services.newsletters.domain import TransactionalMail
from services.newsletters.store import NewslettersUnitOfWork
from services.runtime.logging import get_logger

UowFactory = Callable[[], NewslettersUnitOfWork]

log = get_logger("reso.newsletters")


async def owe(
    consumer: str, event_id: uuid.UUID, mails: list[TransactionalMail], uow: UowFactory
) -> int:
    """Record the mails an event owes, with its inbox claim, in one transaction."""
    async with uow() as work:
        if not await work.claim(consumer, str(event_id)):
            return 0
        added = 0
        for mail in mails:
            added += await work.mails.add(mail)
        await work.commit()
    return added
