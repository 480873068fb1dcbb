"""Letters: list them (public), create and change them (staff)."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from contracts.newsletters import (
    CreateLetterV1,
    LetterReplyV1,
    LettersV1,
    LetterV1,
    ListLettersV1,
    UpdateLetterV1,
)
from services.newsletters.domain import CONSENT_WORDING_VERSION, Letter
from services.newsletters.handlers.common import UowFactory, log
from services.runtime.errors import Conflict, NotFound


def letter_view(letter: Letter) -> LetterV1:
    return LetterV1(
        slug=letter.slug,
        name=letter.name,
        description=letter.description,
        themes=letter.themes,
        cadence=letter.cadence,
        sender_name=letter.sender_name,
        sender_email=letter.sender_email,
        template_set=letter.template_set,
        active=letter.active,
        consent_wording=letter.consent_wording(),
        consent_wording_version=CONSENT_WORDING_VERSION,
    )


async def list_letters(query: ListLettersV1, uow: UowFactory) -> LettersV1:
    async with uow() as work:
        found = await work.letters.all(include_inactive=query.include_inactive)
    return LettersV1(letters=tuple(letter_view(letter) for letter in found))


async def create_letter(command: CreateLetterV1, uow: UowFactory) -> LetterReplyV1:
    letter = Letter(
        id=uuid.uuid4(),
        slug=command.slug,
        name=command.name,
        description=command.description,
        themes=tuple(dict.fromkeys(command.themes)),
        cadence=command.cadence,
        sender_name=command.sender_name,
        sender_email=str(command.sender_email),
        template_set=command.template_set,
        active=command.active,
    )
    taken = Conflict(f"Une lettre porte déjà l'identifiant « {command.slug} ».")
    async with uow() as work:
        if await work.letters.get(command.slug) is not None:
            raise taken
        await work.letters.add(letter)
        try:
            await work.commit()
        except IntegrityError as error:  # created meanwhile by another request
            raise taken from error
    log.info("letter created", letter=letter.slug, by=command.by)
    return LetterReplyV1(letter=letter_view(letter))


async def update_letter(command: UpdateLetterV1, uow: UowFactory) -> LetterReplyV1:
    async with uow() as work:
        letter = await work.letters.get(command.slug)
        if letter is None:
            raise NotFound(f"Aucune lettre « {command.slug} ».")
        changes = command.model_dump(exclude_unset=True, exclude={"slug", "by"})
        for name, value in changes.items():
            if value is None:
                continue
            if name == "themes":
                value = tuple(dict.fromkeys(value))
            elif name == "sender_email":
                value = str(value)
            setattr(letter, name, value)
        await work.letters.save(letter)
        await work.commit()
    log.info("letter updated", letter=letter.slug, by=command.by, fields=sorted(changes))
    return LetterReplyV1(letter=letter_view(letter))
