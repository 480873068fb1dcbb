"""Memberships: yearly dues from a fee schedule, payments and receipts, the status lifecycle
(pending → active → grace → lapsed, with staff overrides and history) and who a membership
covers for member-only access.

One membership per member and calendar year; the store enforces that uniqueness and supplies the
receipt sequence. Dates are compared in UTC (``now.date()``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from services.members.domain.fees import (
    ZERO,
    FeeSchedule,
    MemberType,
    money,
)
from services.runtime.errors import Conflict, InvalidInput


class MembershipStatus(StrEnum):
    PENDING = "pending"  # opened, dues not yet paid in full
    ACTIVE = "active"  # paid, waived, free of charge or activated by staff
    GRACE = "grace"  # its year is over: still covered until the grace end
    LAPSED = "lapsed"  # not covered any more


COVERING = frozenset({MembershipStatus.ACTIVE, MembershipStatus.GRACE})
_UNSETTLED = frozenset({MembershipStatus.PENDING, MembershipStatus.LAPSED})


class PaymentMethod(StrEnum):
    TRANSFER = "transfer"
    CHEQUE = "cheque"
    CARD = "card"
    CASH = "cash"
    ADMINISTRATIVE_MANDATE = "administrative_mandate"  # mandat administratif of a public body


@dataclass(frozen=True)
class MemberRef:
    """Who holds a membership: an organisation or a person."""

    kind: MemberType
    id: uuid.UUID


@dataclass(frozen=True)
class Payment:
    amount: Decimal
    paid_on: date
    method: PaymentMethod
    reference: str
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class StatusChange:
    """One line of a membership's history; ``by`` is None for the calendar (:meth:`advance`)."""

    at: datetime
    from_status: MembershipStatus | None
    to_status: MembershipStatus
    reason: str
    by: str | None


@dataclass(frozen=True)
class MembershipStatusChanged:
    """Domain event: a membership changed status (the subclass names the new status)."""

    membership_id: uuid.UUID
    member: MemberRef
    year: int
    status: MembershipStatus
    previous_status: MembershipStatus | None
    occurred_at: datetime


class MembershipActivated(MembershipStatusChanged):
    """Paid in full, waived, free of charge or activated by staff (→ membership.activated.v1)."""


class MembershipEnteredGrace(MembershipStatusChanged):
    """Its year is over; still covered until the grace end. No contract yet."""


class MembershipLapsed(MembershipStatusChanged):
    """Grace over, never paid, or staff decision (→ membership.lapsed.v1)."""


@dataclass(frozen=True)
class Recipient:
    """Someone a membership's mail goes to; ``person_id`` None for an organisation's address."""

    person_id: uuid.UUID | None
    name: str
    email: str


@dataclass(frozen=True)
class MembershipRenewed:
    """Domain event: next year's membership was opened for a member of this year; its dues are
    now expected (→ membership.renewed.v1, the renewal mail to ``recipients``)."""

    membership_id: uuid.UUID
    previous_membership_id: uuid.UUID
    member: MemberRef
    year: int
    dues: Decimal
    status: MembershipStatus
    occurred_at: datetime
    member_name: str | None = None
    recipients: tuple[Recipient, ...] = ()


MembershipEvent = MembershipStatusChanged | MembershipRenewed
_EVENTS: dict[MembershipStatus, type[MembershipStatusChanged]] = {
    MembershipStatus.ACTIVE: MembershipActivated,
    MembershipStatus.GRACE: MembershipEnteredGrace,
    MembershipStatus.LAPSED: MembershipLapsed,
}


def _reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidInput("Un motif est obligatoire.", field="reason")
    return reason.strip()


@dataclass
class Membership:
    """A member's membership for one calendar year."""

    id: uuid.UUID
    member: MemberRef
    year: int
    dues: Decimal
    status: MembershipStatus = MembershipStatus.PENDING
    waived: bool = False
    receipt_number: str | None = None
    payments: list[Payment] = field(default_factory=list)
    history: list[StatusChange] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        *,
        member: MemberRef,
        member_kind: str,
        population: int | None,
        year: int,
        schedule: FeeSchedule,
        now: datetime,
        by: str | None = None,
    ) -> tuple[Membership, list[MembershipEvent]]:
        """Open a pending membership with its dues from the schedule. Free of charge (zero dues),
        it is active at once, neither waived nor receipted, and the activation is returned."""
        dues = schedule.fee_for(member.kind, member_kind, population)
        membership = cls(uuid.uuid4(), member, year, dues)
        membership.history.append(
            StatusChange(now, None, MembershipStatus.PENDING, "adhésion ouverte", by)
        )
        if dues:
            return membership, []
        return membership, [
            membership._change(MembershipStatus.ACTIVE, "cotisation nulle", now, by)
        ]

    def snapshot(self) -> dict[str, object]:
        """What the audit log compares before and after a change."""
        return {
            "member_type": self.member.kind,
            "member_id": self.member.id,
            "year": self.year,
            "dues": self.dues,
            "paid": self.paid,
            "status": self.status,
            "waived": self.waived,
            "receipt_number": self.receipt_number,
        }

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), ZERO)

    @property
    def outstanding(self) -> Decimal:
        return max(self.dues - self.paid, ZERO)

    def record_payment(
        self,
        *,
        amount: Decimal,
        paid_on: date,
        method: PaymentMethod,
        reference: str,
        receipt_sequence: int,
        now: datetime,
        by: str,
    ) -> MembershipStatusChanged | None:
        """Record a payment. The one that brings the total to the dues earns the receipt
        ``{year}-{receipt_sequence:06d}`` (the store passes the next free number; it is used only
        then) and activates a pending or lapsed membership (reactivation: a lapsed membership paid
        late counts again, for its own year and the grace of the next). Overpayments are kept."""
        amount = money(amount, "Montant du paiement")
        if amount <= 0:
            raise InvalidInput("Le montant d'un paiement doit être positif.", field="amount")
        if paid_on > now.date():
            raise InvalidInput("La date de paiement est dans le futur.", field="paid_on")
        if receipt_sequence < 1:
            raise InvalidInput("Numéro de reçu invalide.", field="receipt_sequence")
        if self.waived:
            raise Conflict(
                "Cette adhésion est exonérée : aucun paiement n'est attendu.",
                membership_id=str(self.id),
            )
        before = self.paid
        self.payments.append(Payment(amount, paid_on, method, reference.strip(), now, by))
        if not before < self.dues <= self.paid:
            return None
        self.receipt_number = f"{self.year}-{receipt_sequence:06d}"
        if self.status in _UNSETTLED:
            return self._change(MembershipStatus.ACTIVE, "cotisation réglée", now, by)
        return None

    def waive(self, reason: str, now: datetime, by: str) -> MembershipStatusChanged:
        """Exempt from dues: active without payment nor receipt. Only before any payment, on a
        pending or lapsed membership."""
        reason = _reason(reason)
        if (
            self.waived
            or self.payments
            or self.status
            not in (
                MembershipStatus.PENDING,
                MembershipStatus.LAPSED,
            )
        ):
            raise Conflict(
                "Seule une adhésion en attente ou échue, sans paiement, peut être exonérée.",
                membership_id=str(self.id),
                status=self.status.value,
            )
        self.waived = True
        return self._change(MembershipStatus.ACTIVE, reason, now, by)

    def advance(self, now: datetime, grace_until: date) -> MembershipStatusChanged | None:
        """Apply the calendar; idempotent. Year Y is covered until Dec 31 of Y; an active
        membership enters grace on Jan 1 of Y+1; after ``grace_until`` (a date of Y+1) anything
        not yet lapsed lapses, including a membership never paid (pending does not go through
        grace: it gave no access) and one staff had overridden before that date. A membership
        reactivated after ``grace_until`` (a late payment, a waiver, a staff decision) is a later
        decision the calendar respects: it is not lapsed again. None when nothing changes."""
        if grace_until.year != self.year + 1:
            message = f"La période de grâce de l'adhésion {self.year} finit en {self.year + 1}."
            raise InvalidInput(message, field="grace_until")
        today = now.date()
        if self.history and self.history[-1].at.date() > grace_until:
            return None  # decided after the grace period: the calendar has nothing more to say
        if today > grace_until and self.status is not MembershipStatus.LAPSED:
            return self._change(MembershipStatus.LAPSED, "fin de la période de grâce", now, None)
        if today.year > self.year and self.status is MembershipStatus.ACTIVE:
            return self._change(MembershipStatus.GRACE, f"fin de l'année {self.year}", now, None)
        return None

    def override(
        self, to_status: MembershipStatus, reason: str, now: datetime, by: str
    ) -> MembershipStatusChanged:
        """Staff set any status, with a reason. Back to pending lifts a waiver (dues are expected
        again). The calendar still applies afterwards (:meth:`advance`)."""
        reason = _reason(reason)
        if to_status is self.status:
            raise Conflict(f"L'adhésion est déjà au statut « {to_status.value} ».")
        if to_status is MembershipStatus.PENDING:
            self.waived = False
        return self._change(to_status, reason, now, by)

    def covers(self, on: date) -> bool:
        """Member-only access on ``on``, as the membership stands: active or in grace, for a date
        of its year or of the next (the grace window, closed by :meth:`advance`)."""
        return self.status in COVERING and on.year in (self.year, self.year + 1)

    def _change(
        self, to: MembershipStatus, reason: str, now: datetime, by: str | None
    ) -> MembershipStatusChanged:
        change = StatusChange(now, self.status, to, reason, by)
        self.history.append(change)
        self.status = to
        event = _EVENTS.get(to, MembershipStatusChanged)
        return event(self.id, self.member, self.year, to, change.from_status, now)


def renewal_of(
    previous: Membership,
    *,
    member_kind: str,
    population: int | None,
    schedule: FeeSchedule,
    now: datetime,
    by: str | None = None,
) -> tuple[Membership, list[MembershipEvent]]:
    """Open the next year for the member of an active (or in grace) membership, at this year's
    schedule; returns MembershipRenewed first, then the activation when it is free of charge."""
    if previous.status not in COVERING:
        raise Conflict(
            f"Seule une adhésion active ou en période de grâce se renouvelle ({previous.year}).",
            membership_id=str(previous.id),
            status=previous.status.value,
        )
    membership, events = Membership.open(
        member=previous.member,
        member_kind=member_kind,
        population=population,
        year=previous.year + 1,
        schedule=schedule,
        now=now,
        by=by,
    )
    m = membership
    renewed = MembershipRenewed(m.id, previous.id, m.member, m.year, m.dues, m.status, now)
    return membership, [renewed, *events]


# --- Coverage --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Affiliation:
    """A person's tie to an organisation; ``start`` and ``end`` are both included.

    ``verified``: staff checked it (staff ties are; a tie the person declared waits). Only a
    verified tie lets an organisation's membership cover the person. ``contact``: the person
    receives the organisation's calls for dues. ``id`` is given by the store."""

    person_id: uuid.UUID
    organisation_id: uuid.UUID
    role: str
    start: date
    end: date | None = None
    contact: bool = False
    verified: bool = True
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.role.strip():
            raise InvalidInput("Le rôle ne peut pas être vide.", field="role")
        if self.end is not None and self.end < self.start:
            raise InvalidInput("Une affiliation ne peut pas finir avant de commencer.", field="end")

    def holds_on(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)

    def snapshot(self) -> dict[str, object]:
        return {
            "person_id": self.person_id,
            "organisation_id": self.organisation_id,
            "role": self.role,
            "start": self.start,
            "end": self.end,
            "contact": self.contact,
            "verified": self.verified,
        }


@dataclass(frozen=True)
class AffiliationChanged:
    """Domain event: an affiliation was added, changed or removed (→ affiliation.changed.v1)."""

    affiliation: Affiliation
    occurred_at: datetime
    removed: bool = False


def is_covered(
    person_id: uuid.UUID,
    on: date,
    memberships: Iterable[Membership],
    affiliations: Iterable[Affiliation],
) -> bool:
    """Member-only access on ``on``: the person's own membership covers that date, or that of an
    organisation they are affiliated to on that date (grace counts: :meth:`Membership.covers`)."""
    holders = {MemberRef("person", person_id)} | {
        MemberRef("organisation", a.organisation_id)
        for a in affiliations
        if a.person_id == person_id and a.verified and a.holds_on(on)
    }
    return any(m.member in holders and m.covers(on) for m in memberships)
