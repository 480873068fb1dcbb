"""Messages about subscribers and their subscriptions: double opt-in, preferences by signed
link, one-click unsubscribe (RFC 8058), imports with the provenance of consent, erasure."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.base import Command, Email, Event, InseeCommuneCode, Query, Reply
from contracts.members import ImportReportV1

_TOKEN = "The `jeton` of the link mailed to the subscriber."


class SubscriptionStatus(StrEnum):
    PENDING = "pending"  # asked for, waiting for the confirmation link to be followed
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"


class ConsentSource(StrEnum):
    """How a consent was given (or withdrawn)."""

    FORM = "form"  # the public subscription form, confirmed by the mailed link
    PREFERENCES = "preferences"  # the preferences page, opened by a mailed link
    IMPORT = "import"  # an imported list, with the provenance staff gave
    STAFF = "staff"
    MAIL = "mail"  # a mail to the List-Unsubscribe mailto address, with the signed token


class SubscriptionConfirmedV1(Event):
    """Someone's subscription to a letter is confirmed (double opt-in done, or imported with the
    provenance of their consent): the consent record the subscriber agreed to.

    Emitted by newsletters once per subscription and confirmation, in the transaction that
    records it. members keeps it as a consent of the person with that address, if it knows them.
    Carries personal data (the address): it lives in the NEWSLETTERS stream for its bounded max
    age only.
    """

    subject: ClassVar[str] = "reso.newsletters.subscription.confirmed.v1"

    subscription_id: uuid.UUID
    letter: str = Field(description="Slug of the letter, e.g. 'la-minute-pop'.")
    letter_name: str = Field(description="The letter's name as subscribers see it.")
    email: Email
    person_id: uuid.UUID | None = Field(
        default=None, description="The person in members, when newsletters knows them."
    )
    wording: str = Field(description="The consent text the subscriber agreed to (French).")
    wording_version: str = Field(default="", description="Version of that text.")
    source: str = Field(
        default="form", description="How consent was given: form, import, preferences, staff."
    )


class SubscriptionCancelledV1(Event):
    """Someone's subscription to a letter ended: they unsubscribed (link, one-click, preferences),
    their address bounced for good, staff removed it, or they were erased.

    Emitted by newsletters once per subscription and cancellation, in the transaction that
    records it. members records the withdrawal as a consent decision of the person with that
    address, if it knows them. Carries personal data (the address).
    """

    subject: ClassVar[str] = "reso.newsletters.subscription.cancelled.v1"

    subscription_id: uuid.UUID
    letter: str
    letter_name: str
    email: Email
    person_id: uuid.UUID | None = None
    reason: str = Field(
        default="unsubscribed",
        description="unsubscribed, one_click, mail (to the List-Unsubscribe mailto), bounced, "
        "staff, erased.",
    )


class SubscriberProfile(BaseModel):
    """What a subscriber may tell about themself, all optional: nothing more is asked."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    organisation: str | None = Field(default=None, min_length=1, max_length=200)
    department: str | None = Field(
        default=None, max_length=3, description="Department code, e.g. '35' (reference data)."
    )
    commune: InseeCommuneCode | None = Field(default=None, description="INSEE commune code.")


class AcceptedV1(Reply):
    """The same answer whether the address is known or not: it tells nobody who subscribes."""

    subject: ClassVar[str] = "rpc.newsletters.subscription.request.v1"

    message: str = Field(description="What happens next, in French.")


class RequestSubscriptionV1(Command):
    """Someone asks, on the public form, to receive letters: each letter not already active
    becomes pending and one confirmation e-mail (double opt-in) carries a signed link that
    expires. The answer never says whether the address was known."""

    subject: ClassVar[str] = "rpc.newsletters.subscription.request.v1"

    email: Email
    letters: tuple[str, ...] = Field(min_length=1, max_length=20, description="Letter slugs.")
    consent_wording_version: str = Field(
        description="Version of the consent wording the form showed (from the letters list)."
    )
    profile: SubscriberProfile = SubscriberProfile()


class ConfirmSubscriptionV1(Command):
    """Someone follows the confirmation link: the letters it names become active, with a
    consent record (when, how, the wording shown) and ``subscription.confirmed.v1`` each.
    Following it again changes nothing."""

    subject: ClassVar[str] = "rpc.newsletters.subscription.confirm.v1"

    token: str = Field(min_length=10, max_length=2000, description=_TOKEN)


class SubscriptionV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    letter: str
    letter_name: str
    status: SubscriptionStatus
    since: AwareDatetime | None = Field(description="When it became active (or ended).")


class PreferencesV1(Reply):
    """What a subscriber sees on their preferences page: their details and every active
    letter with where they stand with it."""

    subject: ClassVar[str] = "rpc.newsletters.preferences.get.v1"

    email: str
    profile: SubscriberProfile
    subscriptions: tuple[SubscriptionV1, ...]
    consent_wording_version: str


class GetPreferencesV1(Query):
    """The preferences page of the subscriber a signed link names (no account needed)."""

    subject: ClassVar[str] = "rpc.newsletters.preferences.get.v1"

    token: str = Field(min_length=10, max_length=2000, description=_TOKEN)


class UpdatePreferencesV1(Command):
    """The subscriber changes their preferences through a signed link: ``letters`` is the full
    set they want (the others end, with ``subscription.cancelled.v1``; new ones are active at
    once, the link having proven the address, with a consent record). ``profile`` replaces
    what they told about themself when given."""

    subject: ClassVar[str] = "rpc.newsletters.preferences.update.v1"

    token: str = Field(min_length=10, max_length=2000, description=_TOKEN)
    letters: tuple[str, ...] = Field(max_length=50)
    consent_wording_version: str
    profile: SubscriberProfile | None = None


class RequestPreferencesLinkV1(Command):
    """Someone asks for the link to their preferences page by e-mail. Mailed only when the
    address subscribes to something; the answer is the same either way."""

    subject: ClassVar[str] = "rpc.newsletters.preferences.link.v1"

    email: Email


class UnsubscribeV1(Command):
    """Leave one letter through the link of a mail (RFC 8058 one-click POST, or the visible
    link's form). Leaving again, or a link whose subscriber was erased, changes nothing and
    answers the same."""

    subject: ClassVar[str] = "rpc.newsletters.subscription.unsubscribe.v1"

    token: str = Field(min_length=10, max_length=2000, description="The token of the URL.")
    one_click: bool = Field(description="True for the RFC 8058 POST of a mail client.")


class UnsubscribeByMailV1(Command):
    """A mail someone sent to the ``List-Unsubscribe`` mailto address of a letter (RFC 2369), as
    raw bytes in base64: the signed token its subject (or body) carries ends that subscriber's
    subscription to that letter, as the one-click link does (``SubscriptionCancelledV1``, reason
    ``mail``, and a withdrawal in the consent record). A mail without a valid token changes
    nothing and is answered as such; one read again changes nothing more."""

    subject: ClassVar[str] = "rpc.newsletters.subscription.unsubscribe_by_mail.v1"

    message: str = Field(max_length=2_000_000, description="The mail, base64 of its raw bytes.")


class MailUnsubscribeV1(Reply):
    """What an unsubscribe mail did."""

    subject: ClassVar[str] = "rpc.newsletters.subscription.unsubscribe_by_mail.v1"

    message_id: str = Field(description="The mail's Message-ID (or a digest of it).")
    valid: bool = Field(description="It carried a valid unsubscribe token.")
    unsubscribed: bool = Field(
        description="A subscription ended now (False: already ended, or nothing to end)."
    )
    letter: str | None = None
    letter_name: str | None = None
    problem: str | None = Field(default=None, description="Why nothing was done (French).")


class DescribeUnsubscribeV1(Query):
    """What the unsubscribe URL is about (its GET): which letter. Changes nothing."""

    subject: ClassVar[str] = "rpc.newsletters.subscription.describe.v1"

    token: str = Field(min_length=10, max_length=2000, description="The token of the URL.")


class UnsubscribeTargetV1(Reply):
    subject: ClassVar[str] = "rpc.newsletters.subscription.describe.v1"

    letter: str
    letter_name: str
    message: str = Field(description="What the page says, in French.")


class SubscriberV1(BaseModel):
    """A subscriber as staff see them."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: uuid.UUID
    email: str
    profile: SubscriberProfile
    subscriptions: tuple[SubscriptionV1, ...]
    created_at: AwareDatetime
    last_activity_at: AwareDatetime
    flagged_inactive_at: AwareDatetime | None = Field(
        description="Set when no sign of activity for 3 years: staff review them (CNIL)."
    )


class SearchSubscribersV1(Query):
    """Staff list subscribers: of one letter, in one status, whose address contains a text,
    or flagged inactive for review. Every given filter must hold."""

    subject: ClassVar[str] = "rpc.newsletters.subscriber.search.v1"

    letter: str | None = None
    status: SubscriptionStatus | None = None
    email_contains: str | None = Field(default=None, min_length=2, max_length=254)
    flagged_inactive: bool = False
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class SubscribersPageV1(Reply):
    subject: ClassVar[str] = "rpc.newsletters.subscriber.search.v1"

    total: int
    subscribers: tuple[SubscriberV1, ...]


class ImportSubscribersV1(Command):
    """Import existing subscribers of one letter from a CSV file (staff, through the gateway),
    with the provenance of their consent: how it was collected (``source``), the wording they
    agreed to, and per row the date they agreed. Imported subscribers are active at once, with
    a consent record and ``subscription.confirmed.v1`` (source ``import``); they get no
    confirmation e-mail. An address already active for the letter changes nothing.
    ``dry_run`` only reports."""

    subject: ClassVar[str] = "rpc.newsletters.subscriber.import.v1"

    file: str = Field(min_length=1, max_length=255, description="Name in the files bucket.")
    letter: str
    source: str = Field(
        min_length=3,
        max_length=500,
        description="How consent was collected, e.g. 'Formulaire papier, rencontre du 12 mars'.",
    )
    wording: str = Field(min_length=10, max_length=4000, description="The text they agreed to.")
    consented_on: date | None = Field(
        default=None, description="Date of consent for rows that give none."
    )
    dry_run: bool = True
    by: str = Field(description="E-mail of the staff account that asked.")


class SubscribersImportReportV1(ImportReportV1):
    """What an import of subscribers found and did (``created``: new subscriptions)."""

    subject: ClassVar[str] = "rpc.newsletters.subscriber.import.v1"


class FlagInactiveSubscribersV1(Command):
    """Flag for review every subscriber with no sign of activity (confirmation, preference
    change, open or click) for 3 years (CNIL guidance). The daily job does it too."""

    subject: ClassVar[str] = "rpc.newsletters.subscriber.flag_inactive.v1"

    by: str


class FlaggedV1(Reply):
    subject: ClassVar[str] = "rpc.newsletters.subscriber.flag_inactive.v1"

    flagged: int = Field(description="Subscribers newly flagged.")


class EraseSubscriberV1(Command):
    """Staff erase an address from newsletters: the subscriber, their subscriptions, consent
    records and every mail or pending event that carries the address. Nothing stays."""

    subject: ClassVar[str] = "rpc.newsletters.subscriber.erase.v1"

    email: Email
    by: str


class SubscriberErasureV1(Reply):
    subject: ClassVar[str] = "rpc.newsletters.subscriber.erase.v1"

    erased: bool = Field(description="False when newsletters held nothing on the address.")
