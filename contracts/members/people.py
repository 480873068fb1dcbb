"""Messages about people: sign-up, the register staff keep, reading, archiving, erasure."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from contracts.base import (
    Command,
    Email,
    Event,
    PersonName,
    Query,
    Reply,
)
from contracts.members.common import College, PersonKind, Territory
from contracts.members.memberships import AffiliationV1


class RegisterPersonV1(Command):
    """Sign a person up (public sign-up from the gateway).

    Answered with :class:`PersonRegisteredReplyV1`. Signing up again with an address already known
    (compared case-insensitively) answers exactly as the first time and changes nothing, so the
    answer never reveals whether an address was known.
    """

    subject: ClassVar[str] = "rpc.members.person.register.v1"

    first_name: PersonName
    last_name: PersonName
    email: Email


class PersonRegisteredReplyV1(Reply):
    """The id of the person signed up (the same id for a repeated sign-up)."""

    subject: ClassVar[str] = "rpc.members.person.register.v1"

    person_id: uuid.UUID


class GetPersonV1(Query):
    """Read one person's record. Staff only: the gateway checks the caller's role first."""

    subject: ClassVar[str] = "rpc.members.person.get.v1"

    person_id: uuid.UUID


class PersonV1(Reply):
    """A person's record as staff see it. Every command about one person answers with it."""

    subject: ClassVar[str] = "rpc.members.person.get.v1"

    person_id: uuid.UUID
    first_name: str
    last_name: str
    email: Email
    registered_at: str = Field(description="ISO 8601 timestamp (UTC) of the first sign-up.")
    phone: str = Field(default="", description="International form (+33…), or empty.")
    title: str = Field(default="", description="Job title (fonction), free text.")
    kind: PersonKind = PersonKind.OTHER
    college: College = College.ACTEURS_TERRITORIAUX
    territory: Territory = Territory()
    source: Literal["signup", "staff", "import"] = Field(
        default="signup", description="How the person entered the register."
    )
    confirmed_at: AwareDatetime | None = Field(
        default=None, description="When the address was confirmed (staff and imports: at once)."
    )
    archived_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    affiliations: tuple[AffiliationV1, ...] = Field(
        default=(), description="Ties to organisations, current and past."
    )


class CreatePersonV1(Command):
    """Staff add a person to the register. Answered with :class:`PersonV1`.

    The address counts as confirmed (staff vouch for it) and no welcome e-mail is sent. Refused
    with ``conflict`` when the address (compared case-insensitively) is already known, with
    ``invalid`` for an unknown territory code or a phone number that cannot be one.
    """

    subject: ClassVar[str] = "rpc.members.person.create.v1"

    first_name: PersonName
    last_name: PersonName
    email: Email
    phone: str = Field(default="", max_length=40)
    title: str = Field(default="", max_length=200)
    kind: PersonKind = PersonKind.OTHER
    college: College | None = Field(
        default=None, description="Defaults to 'elus' for elected officials, else the other."
    )
    territory: Territory = Territory()
    by: str = Field(description="E-mail of the staff account that asked.")


class UpdatePersonV1(Command):
    """Change a person's record (staff, or the person from their personal space). Fields left
    null stay as they are; an empty ``phone`` or ``title`` clears it; a ``territory`` replaces
    the whole territory. Answered with :class:`PersonV1`; ``conflict`` when the new address
    belongs to someone else or the person was erased."""

    subject: ClassVar[str] = "rpc.members.person.update.v1"

    person_id: uuid.UUID
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    email: Email | None = None
    phone: str | None = Field(default=None, max_length=40)
    title: str | None = Field(default=None, max_length=200)
    kind: PersonKind | None = None
    college: College | None = None
    territory: Territory | None = None
    by: str = Field(description="Staff e-mail, or 'self' when the person changes their own.")


class ArchivePersonV1(Command):
    """Take a person out of the register without erasing them (they left their job, say): they
    no longer appear in lists and searches unless asked for. Answered with :class:`PersonV1`;
    ``conflict`` if already archived."""

    subject: ClassVar[str] = "rpc.members.person.archive.v1"

    person_id: uuid.UUID
    by: str


class RestorePersonV1(Command):
    """Bring an archived person back into the register. Answered with :class:`PersonV1`."""

    subject: ClassVar[str] = "rpc.members.person.restore.v1"

    person_id: uuid.UUID
    by: str


class PersonUpdatedV1(Event):
    """A person's record as it stands after staff added them, an import brought them, or their
    record changed (profile, archived or restored).

    Emitted by members in the transaction of the change; not emitted when a command changes
    nothing, nor for a self sign-up (see MemberRegisteredV1) or an erasure (see PersonErasedV1).
    Carries personal data: it lives in the MEMBERS stream for its bounded max age only.
    """

    subject: ClassVar[str] = "reso.members.person.updated.v1"

    person_id: uuid.UUID
    first_name: str
    last_name: str
    email: Email
    kind: PersonKind
    college: College
    territory: Territory
    archived: bool = False


class PersonConfirmedV1(Event):
    """A person who signed up confirmed their address by following the mailed link.

    Emitted by members once per person, in the transaction that records it. Carries the id only.
    """

    subject: ClassVar[str] = "reso.members.person.confirmed.v1"

    person_id: uuid.UUID


class MemberRegisteredV1(Event):
    """A person signed up for the first time.

    Emitted by members once per person, in the same transaction that stores the person. Not emitted
    for a repeated sign-up with a known address, nor for people staff add or import. Carries
    personal data (name, e-mail): it lives in the MEMBERS stream for its bounded max age only.

    When ``confirmation_url`` is set the address is not confirmed yet: the welcome e-mail asks the
    person to follow that link before ``confirmation_expires_at`` (double opt-in); members
    deletes sign-ups still unconfirmed some time after that.
    """

    subject: ClassVar[str] = "reso.members.member.registered.v1"

    person_id: uuid.UUID = Field(description="Id of the person in the members service.")
    first_name: str
    last_name: str
    email: Email = Field(description="Address the welcome e-mail goes to.")
    confirmation_url: str | None = Field(
        default=None,
        description="Signed link that confirms the address; absent once nothing is to confirm.",
    )
    confirmation_expires_at: AwareDatetime | None = Field(
        default=None, description="When the confirmation link stops working."
    )


class AccessLinkRequestedV1(Event):
    """Members asks for a personal link to be mailed to a person.

    ``purpose`` says which: ``confirm_signup`` (a repeated sign-up of an address not yet
    confirmed), ``sign_in`` (a magic link to the personal space, single use) or ``confirm_email``
    (the person changed their address: the link goes to the new one). Emitted by members in the
    transaction that records the request; not emitted for an unknown address (the caller gets the
    same answer either way) nor more than once a minute for one person and purpose. The link is a
    credential until ``expires_at``: the event lives in the MEMBERS stream for its bounded max age
    only and carries personal data.
    """

    subject: ClassVar[str] = "reso.members.access_link.requested.v1"

    person_id: uuid.UUID
    email: Email = Field(description="Where the link goes.")
    first_name: str
    last_name: str
    purpose: Literal["confirm_signup", "sign_in", "confirm_email"]
    url: str = Field(description="The signed link to mail.")
    expires_at: AwareDatetime = Field(description="When the link stops working.")


class ErasePersonV1(Command):
    """Erase a person (GDPR right to erasure). Staff only: the gateway checks the role first.

    Answered with :class:`PersonErasureReplyV1`. Erasing an already erased person answers the
    same and emits nothing new.
    """

    subject: ClassVar[str] = "rpc.members.person.erase.v1"

    person_id: uuid.UUID
    requested_by: str = Field(description="Who asked: a staff account's e-mail, or 'self'.")


class PersonErasureReplyV1(Reply):
    """The person is erased in members; other services follow on PersonErasedV1."""

    subject: ClassVar[str] = "rpc.members.person.erase.v1"

    person_id: uuid.UUID


class PersonErasedV1(Event):
    """A person was erased: every service deletes or anonymises what it holds about them.

    Emitted by members once per person, in the same transaction that anonymises the person and
    deletes members' outbox copies of their earlier events. Carries the person's id only, never
    their data. Not emitted again for a repeated erasure request.
    """

    subject: ClassVar[str] = "reso.members.person.erased.v1"

    person_id: uuid.UUID = Field(description="Id of the erased person in the members service.")
