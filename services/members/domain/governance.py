"""Governance: the association's bodies, who sits in them (mandates), and for one meeting who is
present or represented and whether the quorum set by the bylaws is reached, college by college.

A mandate is in force from its start to its end date, both included. One person has one voice in a
body: two deliberative mandates of one person in one body on one day are a conflict. Personnes
qualifiées sit with a consultative voice: they may sign in, never count. The comité des financeurs
meets but does not deliberate, so it has no quorum rule.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field, fields
from datetime import date
from enum import StrEnum
from fractions import Fraction
from typing import Any

from contracts.members import College
from services.runtime.errors import Conflict, InvalidInput


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


@dataclass(frozen=True)
class Mandate:
    person_id: uuid.UUID
    body: BodyKind
    college: College | None
    seat: str
    voice: Voice
    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if not self.seat.strip():
            raise InvalidInput("Un mandat doit préciser le siège occupé.", field="seat")
        if self.end is not None and self.end < self.start:
            raise InvalidInput("Un mandat ne peut pas finir avant de commencer.", field="end")
        if self.body == BodyKind.AG and self.voice == Voice.DELIBERATIVE and self.college is None:
            raise InvalidInput(
                "À l'AG, une voix délibérative siège dans un collège.", field="college"
            )

    def is_active(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


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


def quorum_rules(data: Mapping[str, Any]) -> dict[BodyKind, QuorumRule]:
    """Read ``{body: rule}`` for the deciding bodies (``ag``, ``ca``, ``bureau``)."""
    rules = {}
    for key, rule in data.items():
        if key not in {BodyKind.AG, BodyKind.CA, BodyKind.BUREAU}:
            raise InvalidInput(f"Règles de quorum : « {key} » n'est pas une instance délibérante.")
        try:
            rules[BodyKind(key)] = QuorumRule.from_mapping(rule)
        except InvalidInput as error:
            where = f"Règle de quorum ({BODY_LABELS[BodyKind(key)]})"
            message = error.message.replace("Règle de quorum", where)
            raise InvalidInput(message, **error.details) from None
    return rules


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
        rule: QuorumRule,
    ) -> None:
        if self.proxies.get(from_person_id, to_person_id) != to_person_id:
            raise Conflict("Ce membre a déjà donné procuration à quelqu'un d'autre.")
        after = {**self.proxies, from_person_id: to_person_id}
        _check_proxy(from_person_id, _seats(meeting, mandates), self.present, after, rule)
        self.proxies = after

    def withdraw_proxy(self, from_person_id: uuid.UUID) -> None:
        self.proxies.pop(from_person_id, None)


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
    seats = _seats(meeting, mandates)
    for person_id in attendance.present:
        _check_presence(person_id, seats, attendance.proxies)
    for giver in attendance.proxies:
        _check_proxy(giver, seats, attendance.present, attendance.proxies, rule)
    voters = [m for m in seats.values() if m.voice == Voice.DELIBERATIVE]
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
        m.voice == Voice.CONSULTATIVE and m.person_id in attendance.present for m in seats.values()
    )
    return QuorumResult(meeting, total, colleges, consultative, not reasons, tuple(reasons))
