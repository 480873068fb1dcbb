"""Governance: the association's bodies, who sits in them (mandates), and for one meeting who is
present or represented and whether the quorum set by the bylaws is reached, college by college.

A mandate is in force from its start to its end date, both included. One person has one voice in a
body: two deliberative mandates of one person in one body on one day are a conflict, refused when
the second mandate is created (:func:`check_no_overlap`) and again when a meeting is counted.
Personnes qualifiées are co-opted: their seat kind says so and they sit with a consultative voice
only, so they may sign in and never count. Seats of the comité des financeurs represent a funder
organisation; the comité meets but does not deliberate, so it has no quorum rule and no proxies.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field, fields
from datetime import date
from enum import StrEnum
from fractions import Fraction
from typing import Any, Literal

from contracts.members import College
from services.runtime.errors import Conflict, DomainError, InvalidInput


class BodyKind(StrEnum):
    AG = "ag"
    CA = "ca"
    BUREAU = "bureau"
    COMITE_FINANCEURS = "comite_financeurs"


BODY_LABELS = {
    BodyKind.AG: "assemblée générale",
    BodyKind.CA: "conseil d'administration",
    BodyKind.BUREAU: "bureau",
    BodyKind.COMITE_FINANCEURS: "comité des financeurs",
}
COLLEGE_LABELS = {
    College.ELUS: "collège des élus",
    College.ACTEURS_TERRITORIAUX: "collège des acteurs territoriaux",
}


class Voice(StrEnum):
    """Deliberative: counts for quorum and votes. Consultative (personnes qualifiées): never."""

    DELIBERATIVE = "deliberative"
    CONSULTATIVE = "consultative"


class SeatKind(StrEnum):
    """A member's seat, or a personne qualifiée co-opted for their expertise (consultative only)."""

    MEMBER = "member"
    PERSONNE_QUALIFIEE = "personne_qualifiee"


def voice_for(kind: SeatKind, voice: Voice | None = None) -> Voice:
    """The voice asked for, else the seat kind's: deliberative for a member, consultative for a
    personne qualifiée."""
    if voice is not None:
        return voice
    return Voice.CONSULTATIVE if kind == SeatKind.PERSONNE_QUALIFIEE else Voice.DELIBERATIVE


@dataclass(frozen=True)
class Mandate:
    person_id: uuid.UUID
    body: BodyKind
    college: College | None
    seat: str
    voice: Voice
    start: date
    end: date | None = None
    _: KW_ONLY
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    kind: SeatKind = SeatKind.MEMBER
    organisation_id: uuid.UUID | None = None  # the organisation the person represents, if any

    def __post_init__(self) -> None:
        if not self.seat.strip():
            raise InvalidInput("Un mandat doit préciser le siège occupé.", field="seat")
        if self.end is not None and self.end < self.start:
            raise InvalidInput("Un mandat ne peut pas finir avant de commencer.", field="end")
        if self.body == BodyKind.AG and self.voice == Voice.DELIBERATIVE and self.college is None:
            raise InvalidInput(
                "À l'AG, une voix délibérative siège dans un collège.", field="college"
            )
        if self.kind == SeatKind.PERSONNE_QUALIFIEE and self.voice != Voice.CONSULTATIVE:
            raise InvalidInput(
                "Une personne qualifiée siège avec voix consultative seulement.", field="voice"
            )
        if self.body == BodyKind.COMITE_FINANCEURS and self.organisation_id is None:
            raise InvalidInput(
                "Un siège au comité des financeurs représente une organisation financeuse : "
                "précisez laquelle.",
                field="organisation_id",
            )

    def is_active(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)

    def ending(self, on: date) -> Mandate:
        """The same mandate with ``on`` as its last day (refused before its first day)."""
        return dataclasses.replace(self, end=on)

    def overlaps(self, other: Mandate) -> bool:
        """Whether the two mandates are both in force on at least one day."""
        return (other.end is None or self.start <= other.end) and (
            self.end is None or other.start <= self.end
        )

    @property
    def period(self) -> str:
        """``du 01/09/2024 au 31/08/2027``, or ``depuis le 01/09/2024`` (French)."""
        if self.end is None:
            return f"depuis le {_day(self.start)}"
        return f"du {_day(self.start)} au {_day(self.end)}"


def _day(on: date) -> str:
    return on.strftime("%d/%m/%Y")


def check_no_overlap(mandate: Mandate, others: Iterable[Mandate]) -> None:
    """Refuse a deliberative mandate that overlaps another deliberative mandate of the same person
    in the same body (one person, one voice)."""
    if mandate.voice != Voice.DELIBERATIVE:
        return
    for other in others:
        if (
            other.id != mandate.id
            and other.person_id == mandate.person_id
            and other.body == mandate.body
            and other.voice == Voice.DELIBERATIVE
            and other.overlaps(mandate)
        ):
            raise Conflict(
                f"Cette personne a déjà un mandat délibératif ({BODY_LABELS[mandate.body]}, "
                f"{other.period}) : deux mandats délibératifs d'une personne dans une même "
                "instance ne peuvent pas se chevaucher.",
                mandate_id=str(other.id),
            )


@dataclass(frozen=True)
class QuorumRule:
    """One body's quorum as its bylaws word it; build it from settings with :meth:`from_mapping`.

    ``quorum`` (and ``college_quorum``, for each college that has members) is the share of the
    deliberative members that must be present, or represented when ``proxies_count``: "au moins"
    that share rounded up, or "plus de" it when ``strictly_more``.
    """

    quorum: Fraction
    _: KW_ONLY
    college_quorum: Fraction | None = None
    strictly_more: bool = False
    proxies_count: bool = True
    max_proxies: int = 1
    proxies_within_college: bool = False
    second_convocation_without_quorum: bool = False

    def __post_init__(self) -> None:
        # Annotations are strings here (``from __future__ import annotations``).
        for flag in (f.name for f in fields(self) if f.type == "bool"):
            if not isinstance(getattr(self, flag), bool):
                raise _rule_error(flag, "vaut true ou false")
        top = None if self.strictly_more else 1  # "plus de 100 %" can never be reached
        for name, share in (("quorum", self.quorum), ("college_quorum", self.college_quorum)):
            if share is None and name == "college_quorum":
                continue
            if not isinstance(share, Fraction) or not (0 < share < 1 or share == top):
                raise _rule_error(
                    name, f"doit être une fraction entre 0 exclu et {top or '1 exclu'}"
                )
        if type(self.max_proxies) is not int or self.max_proxies < 0:
            raise _rule_error("max_proxies", "doit être un entier positif ou nul")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> QuorumRule:
        """Read ``{"quorum": "1/4", "college_quorum": "1/3", "max_proxies": 2, …}`` (the field
        names; only ``quorum`` is required). Shares are written "1/4", "0.25" or 1."""
        if not isinstance(data, Mapping) or "quorum" not in data:
            raise InvalidInput("Règle de quorum : une table avec au moins « quorum » est attendue.")
        if unknown := sorted(set(data) - {f.name for f in fields(cls)}):
            raise _rule_error(unknown[0], "n'est pas une clé connue")
        shares = {k: _share(data[k], k) for k in ("quorum", "college_quorum") if k in data}
        return cls(**{**data, **shares})

    def required(self, members: int, share: Fraction) -> int:
        return math.floor(share * members) + 1 if self.strictly_more else math.ceil(share * members)


def _rule_error(name: str, problem: str) -> InvalidInput:
    return InvalidInput(f"Règle de quorum : « {name} » {problem}.", field=name)


def _share(value: object, name: str) -> Fraction | None:
    try:
        if value is None or (isinstance(value, str | int | float) and not isinstance(value, bool)):
            return None if value is None else Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        pass
    raise _rule_error(name, f"n'est pas une fraction ({value!r})")


DELIBERATING_BODIES = (BodyKind.AG, BodyKind.CA, BodyKind.BUREAU)


def quorum_rules(data: Mapping[str, Any]) -> dict[BodyKind, QuorumRule]:
    """Read ``{body: rule}`` for the deciding bodies (``ag``, ``ca``, ``bureau``), one rule each."""
    rules = {}
    for key, rule in data.items():
        if key not in DELIBERATING_BODIES:
            raise InvalidInput(f"Règles de quorum : « {key} » n'est pas une instance délibérante.")
        try:
            rules[BodyKind(key)] = QuorumRule.from_mapping(rule)
        except InvalidInput as error:
            where = f"Règle de quorum ({BODY_LABELS[BodyKind(key)]})"
            message = error.message.replace("Règle de quorum", where)
            raise InvalidInput(message, **error.details) from None
    for body in DELIBERATING_BODIES:
        if body not in rules:
            raise InvalidInput(
                f"Règles de quorum : « {body.value} » manque ; chaque instance délibérante "
                f"(ag, ca, bureau) a sa règle.",
                field=body.value,
            )
    return rules


NO_PROXIES_AT_THE_COMITE = (
    "Le comité des financeurs ne délibère pas : on n'y donne pas procuration."
)


def rule_for(body: BodyKind, rules: Mapping[BodyKind, QuorumRule]) -> QuorumRule | None:
    """The body's quorum rule; None for the comité des financeurs, which does not deliberate."""
    return None if body == BodyKind.COMITE_FINANCEURS else rules[body]


# Plausible bylaws for demos and tests. Each centre sets its own in its statuts and configures them.
DEFAULT_QUORUM_RULES = quorum_rules(
    {
        "ag": {
            "quorum": "1/4",
            "college_quorum": "1/4",
            "max_proxies": 2,
            "proxies_within_college": True,
            "second_convocation_without_quorum": True,
        },
        "ca": {"quorum": "1/2", "max_proxies": 1},
        "bureau": {"quorum": "1/2", "max_proxies": 0, "proxies_count": False},
    }
)


@dataclass(frozen=True)
class Meeting:
    body: BodyKind
    held_on: date
    second_convocation: bool = False
    _: KW_ONLY
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    title: str = ""


def seats(meeting: Meeting, mandates: Iterable[Mandate]) -> dict[uuid.UUID, Mandate]:
    """Who sits in the meeting's body that day, each with the mandate that gives their voice."""
    return _seats(meeting, mandates)


def _seats(meeting: Meeting, mandates: Iterable[Mandate]) -> dict[uuid.UUID, Mandate]:
    """Each person's mandate in force in the meeting's body that day, a deliberative one first."""
    seats: dict[uuid.UUID, Mandate] = {}
    for m in mandates:
        if m.body != meeting.body or not m.is_active(meeting.held_on):
            continue
        held = seats.get(m.person_id)
        if held and held.voice == m.voice == Voice.DELIBERATIVE:
            message = "Cette personne a deux mandats délibératifs dans l'instance ce jour-là."
            raise Conflict(message, person_id=m.person_id)
        if held is None or m.voice == Voice.DELIBERATIVE:
            seats[m.person_id] = m
    return seats


@dataclass
class Attendance:
    """One meeting's sign-in sheet: who is present and who gave a proxy to whom (giver → holder).
    The record methods check the bylaws line by line; :func:`quorum` checks them all again."""

    present: set[uuid.UUID] = field(default_factory=set)
    proxies: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)

    def record_presence(
        self, person_id: uuid.UUID, meeting: Meeting, mandates: Iterable[Mandate]
    ) -> None:
        _check_presence(person_id, _seats(meeting, mandates), self.proxies)
        self.present.add(person_id)

    def record_proxy(
        self,
        from_person_id: uuid.UUID,
        to_person_id: uuid.UUID,
        meeting: Meeting,
        mandates: Iterable[Mandate],
        rule: QuorumRule | None,
    ) -> None:
        """Record ``from_person_id``'s proxy to ``to_person_id`` (``rule`` None: the body takes
        no proxies). Repeating it changes nothing."""
        if rule is None:
            raise InvalidInput(NO_PROXIES_AT_THE_COMITE)
        if self.proxies.get(from_person_id, to_person_id) != to_person_id:
            raise Conflict("Ce membre a déjà donné procuration à quelqu'un d'autre.")
        after = {**self.proxies, from_person_id: to_person_id}
        _check_proxy(from_person_id, _seats(meeting, mandates), self.present, after, rule)
        self.proxies = after

    def withdraw_proxy(self, from_person_id: uuid.UUID) -> None:
        self.proxies.pop(from_person_id, None)

    def remove_presence(self, person_id: uuid.UUID) -> None:
        """Strike someone off the sheet; refused while they hold proxies."""
        if person_id in self.proxies.values():
            message = "Ce membre détient des procurations : retirez-les avant de le désinscrire."
            raise Conflict(message, person_id=person_id)
        self.present.discard(person_id)

    def status(self, person_id: uuid.UUID) -> Literal["present", "represented", "absent"]:
        if person_id in self.present:
            return "present"
        return "represented" if person_id in self.proxies else "absent"

    def involves(self, person_id: uuid.UUID) -> bool:
        """Whether the person is on the sheet: present, giving or holding a proxy."""
        return (
            person_id in self.present
            or person_id in self.proxies
            or person_id in self.proxies.values()
        )


def check_sheet(
    meeting: Meeting,
    mandates: Iterable[Mandate],
    attendance: Attendance,
    rule: QuorumRule | None,
) -> None:
    """Check the whole sheet against the mandates and the bylaws (None: no proxies allowed)."""
    seated = _seats(meeting, mandates)
    for person_id in attendance.present:
        _check_presence(person_id, seated, attendance.proxies)
    for giver in attendance.proxies:
        if rule is None:
            raise InvalidInput(NO_PROXIES_AT_THE_COMITE)
        _check_proxy(giver, seated, attendance.present, attendance.proxies, rule)


def check_sheets_still_hold(
    changed: Mandate,
    sheets: Iterable[tuple[Meeting, Attendance, list[Mandate]]],
    rules: Mapping[BodyKind, QuorumRule],
) -> None:
    """Refuse a change to a mandate that would leave a meeting's sheet against the bylaws (its
    holder signed in, gave or held a proxy on a day the mandate would no longer cover).
    ``sheets`` are the meetings of the mandate's body where its holder is on the sheet, each with
    the body's mandates in force that day."""
    for meeting, attendance, mandates in sheets:
        updated = [m for m in mandates if m.id != changed.id] + [changed]
        try:
            check_sheet(meeting, updated, attendance, rule_for(meeting.body, rules))
        except DomainError:
            raise Conflict(
                f"Cette personne figure sur la feuille de présence de la réunion du "
                f"{_day(meeting.held_on)} ({meeting.title}) : retirez-la de cette feuille "
                "avant de changer son mandat.",
                meeting_id=str(meeting.id),
            ) from None


def _check_presence(
    person: uuid.UUID, seats: Mapping[uuid.UUID, Mandate], proxies: Mapping[uuid.UUID, uuid.UUID]
) -> None:
    if person not in seats:
        message = "Cette personne n'a pas de mandat en cours dans l'instance ce jour-là."
        raise InvalidInput(message, person_id=person)
    if person in proxies:
        message = "Cette personne a donné procuration : retirez-la avant de l'inscrire présente."
        raise Conflict(message, person_id=person)


def _check_proxy(
    giver: uuid.UUID,
    seats: Mapping[uuid.UUID, Mandate],
    present: set[uuid.UUID],
    proxies: Mapping[uuid.UUID, uuid.UUID],
    rule: QuorumRule,
) -> None:
    holder = proxies[giver]
    if rule.max_proxies == 0:
        raise InvalidInput("Les statuts de cette instance n'autorisent pas les procurations.")
    if giver == holder:
        raise InvalidInput("Un membre ne peut pas se donner procuration à lui-même.")
    for who, role in ((giver, "Le mandant"), (holder, "Le mandataire")):
        seat = seats.get(who)
        if seat is None or seat.voice != Voice.DELIBERATIVE:
            raise InvalidInput(f"{role} n'a pas voix délibérative ce jour-là.", person_id=who)
    if rule.proxies_within_college and seats[giver].college != seats[holder].college:
        raise InvalidInput("Les statuts imposent une procuration à un membre du même collège.")
    if holder not in present:
        raise Conflict("Le mandataire doit être inscrit présent pour recevoir une procuration.")
    if giver in present:
        raise Conflict("Le mandant est inscrit présent : il ne peut pas donner procuration.")
    if (held := sum(h == holder for h in proxies.values())) > rule.max_proxies:
        message = f"Le mandataire détiendrait {held} procurations ; les statuts en permettent"
        raise Conflict(f"{message} {rule.max_proxies} au plus.", person_id=holder)


@dataclass(frozen=True)
class Tally:
    """Deliberative members of a college (or of the whole body) and how many count.

    A proxy's vote belongs to the college of the member who gave it."""

    members: int
    present: int
    represented: int  # absent members who gave a proxy
    counted: int  # toward quorum: present, plus represented when proxies count
    required: int  # 0 when no quorum applies

    @property
    def votes(self) -> int:
        return self.present + self.represented


@dataclass(frozen=True)
class QuorumResult:
    meeting: Meeting
    total: Tally
    colleges: Mapping[College, Tally]  # the colleges that have deliberative members that day
    consultative_present: int
    reached: bool
    reasons: tuple[str, ...]


def quorum(
    meeting: Meeting, mandates: Iterable[Mandate], attendance: Attendance, rule: QuorumRule
) -> QuorumResult:
    """Count the meeting by college and say whether the quorum is reached, and if not, why."""
    if meeting.body == BodyKind.COMITE_FINANCEURS:
        raise InvalidInput("Le comité des financeurs ne délibère pas : il n'a pas de quorum.")
    mandates = list(mandates)
    check_sheet(meeting, mandates, attendance, rule)
    seated = _seats(meeting, mandates)
    voters = [m for m in seated.values() if m.voice == Voice.DELIBERATIVE]
    waived = meeting.second_convocation and rule.second_convocation_without_quorum

    def tally(group: list[Mandate], share: Fraction | None) -> Tally:
        present = sum(m.person_id in attendance.present for m in group)
        represented = sum(m.person_id in attendance.proxies for m in group)
        counted = present + represented if rule.proxies_count else present
        required = 0 if waived or share is None else rule.required(len(group), share)
        return Tally(len(group), present, represented, counted, required)

    total = tally(voters, rule.quorum)
    colleges = {
        c: tally(group, rule.college_quorum)
        for c in College
        if (group := [m for m in voters if m.college == c])
    }
    body = BODY_LABELS[meeting.body]
    reasons = [] if voters else [f"{body} : aucun membre n'a voix délibérative."]
    tallies = [(body, total)]
    tallies += [(COLLEGE_LABELS[c], t) for c, t in colleges.items()]
    for label, t in tallies:
        if t.counted < t.required:
            s = "s" if t.counted > 1 else ""
            how = f"présent{s} ou représenté{s}" if rule.proxies_count else f"présent{s}"
            reasons.append(
                f"{label} : {t.counted} {how} sur {t.members}, il en faut au moins {t.required}."
            )
    consultative = sum(
        m.voice == Voice.CONSULTATIVE and m.person_id in attendance.present for m in seated.values()
    )
    return QuorumResult(meeting, total, colleges, consultative, not reasons, tuple(reasons))
