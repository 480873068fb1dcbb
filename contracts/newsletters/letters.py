"""Messages about the letters the centre publishes (La Minute Pop, the thematic letters)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from contracts.base import Command, Email, Query, Reply, Theme

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            "identifiant invalide : lettres minuscules, chiffres et tirets (ex. culture)"
        )
    return value


LetterSlug = Annotated[str, Field(min_length=2, max_length=64), AfterValidator(_check_slug)]
"""The stable id of a letter in URLs and events: ``la-minute-pop``."""


class Cadence(StrEnum):
    """How often a letter comes out."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    BIMONTHLY = "bimonthly"
    QUARTERLY = "quarterly"
    IRREGULAR = "irregular"


class LetterV1(BaseModel):
    """A letter people subscribe to, and what its consent wording says."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    slug: str
    name: str = Field(description="The letter's name as subscribers see it (French).")
    description: str
    themes: tuple[Theme, ...] = Field(description="Empty: every theme (a general letter).")
    cadence: Cadence
    sender_name: str
    sender_email: str
    template_set: str = Field(description="The templates its issues are composed with.")
    active: bool = Field(description="Inactive letters take no new subscriptions.")
    consent_wording: str = Field(
        description="The exact text a subscription form shows next to this letter (French)."
    )
    consent_wording_version: str


class ListLettersV1(Query):
    """The letters (public: the active ones; staff may ask for the inactive ones too)."""

    subject: ClassVar[str] = "rpc.newsletters.letter.list.v1"

    include_inactive: bool = False


class LettersV1(Reply):
    subject: ClassVar[str] = "rpc.newsletters.letter.list.v1"

    letters: tuple[LetterV1, ...]


class CreateLetterV1(Command):
    """Staff create a letter. A slug already taken is a conflict."""

    subject: ClassVar[str] = "rpc.newsletters.letter.create.v1"

    slug: LetterSlug
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=2000)
    themes: tuple[Theme, ...] = ()
    cadence: Cadence
    sender_name: str = Field(min_length=1, max_length=120)
    sender_email: Email
    template_set: str = Field(default="default", min_length=1, max_length=64)
    active: bool = True
    by: str = Field(description="E-mail of the staff account that asked.")


class UpdateLetterV1(Command):
    """Staff change a letter; only the fields given change (the slug never does)."""

    subject: ClassVar[str] = "rpc.newsletters.letter.update.v1"

    slug: str
    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    themes: tuple[Theme, ...] | None = None
    cadence: Cadence | None = None
    sender_name: str | None = Field(default=None, min_length=1, max_length=120)
    sender_email: Email | None = None
    template_set: str | None = Field(default=None, min_length=1, max_length=64)
    active: bool | None = None
    by: str = Field(description="E-mail of the staff account that asked.")


class LetterReplyV1(Reply):
    """The letter as stored after a create or an update."""

    subject: ClassVar[str] = "rpc.newsletters.letter.create.v1"

    letter: LetterV1
