"""Calls for applications: the call, its form and criteria, applications, reviews, decisions.

Plain Python, no I/O. Times are aware UTC inside; a time staff give without an offset is read in
Europe/Paris, and deadlines are shown there. Every refusal carries a French reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from services.runtime.errors import Conflict, DomainError, InvalidInput
from services.runtime.french import MONTHS as _MONTHS

PARIS = ZoneInfo("Europe/Paris")

Clock = Callable[[], datetime]
"""Gives the current time (aware UTC); injected so tests fix it."""

CallStatus = Literal["draft", "open", "closed", "decided"]
Decision = Literal["selected", "waiting", "rejected"]


def system_clock() -> datetime:
    return datetime.now(UTC)


def paris_to_utc(value: datetime) -> datetime:
    """A time without offset is a Europe/Paris wall-clock time; any time comes back in UTC."""
    if value.tzinfo is None:
        local = value.replace(tzinfo=PARIS)
        if local.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None) != value:
            raise InvalidInput(
                f"{value:%d/%m/%Y %H:%M} n'existe pas à Paris (passage à l'heure d'été) : "
                "choisissez une autre heure."
            )
        value = local
    return value.astimezone(UTC)


def in_paris(value: datetime) -> datetime:
    return value.astimezone(PARIS)


def paris_label(value: datetime) -> str:
    """« 28 mars 2027 à 12 h 00 (heure de Paris) »."""
    local = in_paris(value)
    day = "1er" if local.day == 1 else str(local.day)
    return (
        f"{day} {_MONTHS[local.month - 1]} {local.year} à {local.hour} h {local.minute:02d} "
        "(heure de Paris)"
    )


class NotEligible(DomainError):
    """The organisation or the person may not apply to this call."""


class DeadlinePassed(DomainError):
    """The call no longer accepts applications."""


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    help: str = ""
    min_chars: int = 0
    max_chars: int = 5000
    required: bool = True


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    weight: float = 1.0
    max_score: int = 5


@dataclass(frozen=True)
class CallDefinition:
    title: str
    description: str
    eligible_kinds: tuple[str, ...]
    sections: tuple[Section, ...]
    criteria: tuple[Criterion, ...]
    places: int
    opens_at: datetime | None
    deadline: datetime
    reference_prefix: str

    def checked(self) -> CallDefinition:
        """The definition with its times in UTC, or a French reason why it cannot be."""
        keys = [section.key for section in self.sections]
        if not keys:
            raise InvalidInput("Le formulaire doit compter au moins une rubrique.")
        if len(set(keys)) != len(keys):
            raise InvalidInput("Deux rubriques du formulaire ont la même clé.")
        for section in self.sections:
            if section.min_chars > section.max_chars:
                raise InvalidInput(
                    f"Rubrique « {section.label} » : le minimum de caractères dépasse le maximum."
                )
        criteria = [criterion.key for criterion in self.criteria]
        if len(set(criteria)) != len(criteria):
            raise InvalidInput("Deux critères d'évaluation ont la même clé.")
        if self.places < 1:
            raise InvalidInput("Un appel compte au moins une place.")
        deadline = paris_to_utc(self.deadline)
        opens_at = paris_to_utc(self.opens_at) if self.opens_at is not None else None
        if opens_at is not None and opens_at >= deadline:
            raise InvalidInput("L'ouverture doit précéder la date limite.")
        return replace(self, deadline=deadline, opens_at=opens_at)


@dataclass
class Call:
    id: uuid.UUID
    definition: CallDefinition
    status: CallStatus
    created_at: datetime
    updated_at: datetime
    created_by: str = ""
    last_number: int = 0

    @classmethod
    def create(cls, definition: CallDefinition, *, now: datetime, by: str) -> Call:
        return cls(uuid.uuid4(), definition.checked(), "draft", now, now, by)

    def update(self, definition: CallDefinition, now: datetime) -> None:
        if self.status not in ("draft", "open"):
            raise Conflict("Un appel clos ne se modifie plus.", status=self.status)
        checked = definition.checked()
        if self.status == "open" and checked.reference_prefix != self.reference_prefix:
            raise Conflict("Le préfixe des accusés de réception ne change plus une fois ouvert.")
        self.definition = checked
        self.updated_at = now

    def open(self, now: datetime) -> None:
        if self.status != "draft":
            raise Conflict("Seul un appel en brouillon peut être ouvert.", status=self.status)
        if self.deadline <= now:
            raise InvalidInput(
                f"La date limite ({paris_label(self.deadline)}) est déjà passée : "
                "reportez-la avant d'ouvrir l'appel."
            )
        self.status = "open"
        self.updated_at = now

    def close(self, now: datetime) -> None:
        if self.status != "open":
            raise Conflict("Seul un appel ouvert peut être clos.", status=self.status)
        self.status = "closed"
        self.updated_at = now

    @property
    def title(self) -> str:
        return self.definition.title

    @property
    def deadline(self) -> datetime:
        return self.definition.deadline

    @property
    def places(self) -> int:
        return self.definition.places

    @property
    def reference_prefix(self) -> str:
        return self.definition.reference_prefix

    def accepting(self, now: datetime) -> bool:
        opens_at = self.definition.opens_at
        return (
            self.status == "open" and now < self.deadline and (opens_at is None or opens_at <= now)
        )

    def check_accepting(self, now: datetime) -> None:
        """Refuse, with a French reason, unless the call takes applications now."""
        if self.status == "draft":
            raise NotEligible("Cet appel à candidatures n'est pas encore ouvert.")
        opens_at = self.definition.opens_at
        if self.status == "open" and opens_at is not None and now < opens_at:
            raise NotEligible(
                f"Les candidatures ouvrent le {paris_label(opens_at)}.", reason="not_open_yet"
            )
        if self.status != "open" or now >= self.deadline:
            raise DeadlinePassed(
                f"La date limite de dépôt était le {paris_label(self.deadline)} : "
                "les candidatures ne sont plus acceptées.",
                reason="deadline_passed",
            )

    def next_reference(self) -> tuple[int, str]:
        """The next acknowledgement number (the caller holds the call's row lock)."""
        self.last_number += 1
        return self.last_number, f"{self.reference_prefix}-{self.last_number:04d}"


@dataclass(frozen=True)
class OrganisationCard:
    """What a call needs to know of an organisation."""

    id: uuid.UUID
    name: str
    kind: str
    archived: bool = False


@dataclass(frozen=True)
class ApplicantCard:
    """What a call needs to know of the person who applies."""

    person_id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    organisation_ids: frozenset[uuid.UUID] = frozenset()
    """Organisations the person is currently tied to."""


class OrganisationDirectory(Protocol):
    """Where the events service learns about organisations (today the members service by RPC;
    later perhaps a local projection)."""

    async def organisation(self, organisation_id: uuid.UUID) -> OrganisationCard | None: ...


class ApplicantDirectory(Protocol):
    """Where the events service learns about the person who applies."""

    async def applicant(self, person_id: uuid.UUID) -> ApplicantCard | None: ...


def check_eligible(call: Call, organisation: OrganisationCard, person: ApplicantCard) -> None:
    if organisation.archived:
        raise NotEligible("Cette organisation n'est plus active dans le registre.")
    if organisation.id not in person.organisation_ids:
        raise NotEligible(
            "Vous n'êtes pas rattaché·e à cette organisation : déclarez votre rattachement "
            "dans votre espace avant de candidater en son nom."
        )
    kinds = call.definition.eligible_kinds
    if kinds and organisation.kind not in kinds:
        raise NotEligible(
            f"Cet appel est réservé aux organisations de type : {', '.join(kinds)} ; "
            f"« {organisation.name} » est de type {organisation.kind}.",
            reason="kind",
            kind=organisation.kind,
        )


def check_answers(
    sections: Iterable[Section], answers: Mapping[str, str], *, complete: bool
) -> tuple[str, ...]:
    """Check answers against the form; return the keys of required sections still incomplete.

    Unknown keys and answers above a section's maximum are always refused. With ``complete``,
    an incomplete required section (empty or below its minimum) is refused too.
    """
    by_key = {section.key: section for section in sections}
    unknown = sorted(set(answers) - set(by_key))
    if unknown:
        raise InvalidInput(
            f"Rubrique inconnue dans ce formulaire : {', '.join(unknown)}.", sections=unknown
        )
    missing: list[str] = []
    for key, section in by_key.items():
        text = answers.get(key, "").strip()
        if len(text) > section.max_chars:
            raise InvalidInput(
                f"Rubrique « {section.label} » : {len(text)} caractères, "
                f"{section.max_chars} au plus.",
                section=key,
            )
        if len(text) < section.min_chars or (section.required and not text):
            missing.append(key)
    if complete and missing:
        labels = [f"« {by_key[key].label} »" for key in missing]
        raise InvalidInput(
            "Candidature incomplète : complétez " + ", ".join(labels) + ".",
            sections=missing,
        )
    return tuple(missing)


def _clean(answers: Mapping[str, str]) -> dict[str, str]:
    return {key: text.strip() for key, text in answers.items() if text.strip()}


@dataclass
class Application:
    id: uuid.UUID
    call_id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str
    organisation_kind: str
    person_id: uuid.UUID | None
    first_name: str
    last_name: str
    email: str
    answers: dict[str, str]
    created_at: datetime
    updated_at: datetime
    status: Literal["draft", "submitted"] = "draft"
    number: int | None = None
    reference: str | None = None
    submitted_at: datetime | None = None
    decision: Decision | None = None
    decision_message: str = ""
    decided_by: str = ""
    decided_at: datetime | None = None
    published_decision: Decision | None = None
    published_message: str = ""

    @classmethod
    def start(
        cls, call: Call, organisation: OrganisationCard, person: ApplicantCard, now: datetime
    ) -> Application:
        return cls(
            id=uuid.uuid4(),
            call_id=call.id,
            organisation_id=organisation.id,
            organisation_name=organisation.name,
            organisation_kind=organisation.kind,
            person_id=person.person_id,
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email,
            answers={},
            created_at=now,
            updated_at=now,
        )

    def save(
        self,
        call: Call,
        person: ApplicantCard,
        answers: Mapping[str, str],
        now: datetime,
    ) -> None:
        if self.status == "submitted":
            raise Conflict(
                f"Candidature déjà déposée (accusé {self.reference}) : elle ne se modifie plus."
            )
        call.check_accepting(now)
        check_answers(call.definition.sections, answers, complete=False)
        self.answers = _clean(answers)
        self._by(person)
        self.updated_at = now

    def submit(self, call: Call, person: ApplicantCard, now: datetime) -> ApplicationSubmitted:
        call.check_accepting(now)
        check_answers(call.definition.sections, self.answers, complete=True)
        self._by(person)
        self.number, self.reference = call.next_reference()
        self.status = "submitted"
        self.submitted_at = now
        self.updated_at = now
        return ApplicationSubmitted(self, call.title)

    def missing(self, call: Call) -> tuple[str, ...]:
        return check_answers(call.definition.sections, self.answers, complete=False)

    def decide(
        self, call: Call, decision: Decision, message: str, *, selected: int, by: str, now: datetime
    ) -> None:
        """Record staff's decision; ``selected`` counts the call's other selected applications."""
        if self.status != "submitted":
            raise Conflict("Seule une candidature déposée peut faire l'objet d'une décision.")
        if call.status not in ("closed", "decided"):
            raise Conflict("Clôturez l'appel avant de décider des candidatures.")
        if decision == "selected" and selected >= call.places:
            raise DomainError(
                f"Les {call.places} places de l'appel sont déjà attribuées : retirez une "
                "sélection avant d'en ajouter une.",
                reason="places_full",
                places=call.places,
            )
        self.decision = decision
        self.decision_message = message.strip()
        self.decided_by = by
        self.decided_at = now
        self.updated_at = now

    def publish_decision(self, call: Call) -> ApplicationDecided | None:
        """Make the decision known, unless it already is (same decision, same message)."""
        if self.decision is None:
            return None
        if (self.published_decision, self.published_message) == (
            self.decision,
            self.decision_message,
        ):
            return None
        self.published_decision = self.decision
        self.published_message = self.decision_message
        return ApplicationDecided(self, call.title, self.decision, self.decision_message)

    def forget_person(self) -> None:
        """Erase the applicant's personal data; the organisation's application and its decision
        stay."""
        self.person_id = None
        self.first_name = ""
        self.last_name = ""
        self.email = ""

    def _by(self, person: ApplicantCard) -> None:
        self.person_id = person.person_id
        self.first_name = person.first_name
        self.last_name = person.last_name
        self.email = person.email


@dataclass(frozen=True)
class ApplicationSubmitted:
    application: Application
    call_title: str


@dataclass(frozen=True)
class ApplicationDecided:
    application: Application
    call_title: str
    decision: Decision
    message: str


@dataclass
class Review:
    application_id: uuid.UUID
    reviewer: str
    scores: dict[str, int]
    comment: str
    reviewed_at: datetime

    @classmethod
    def of(
        cls,
        call: Call,
        application: Application,
        reviewer: str,
        scores: Mapping[str, int],
        comment: str,
        now: datetime,
    ) -> Review:
        if application.status != "submitted":
            raise Conflict("Seule une candidature déposée peut être évaluée.")
        criteria = {criterion.key: criterion for criterion in call.definition.criteria}
        if not criteria:
            raise InvalidInput("Cet appel n'a pas de critères d'évaluation.")
        unknown = sorted(set(scores) - set(criteria))
        if unknown:
            raise InvalidInput(f"Critère inconnu : {', '.join(unknown)}.", criteria=unknown)
        for key, score in scores.items():
            criterion = criteria[key]
            if not 0 <= score <= criterion.max_score:
                raise InvalidInput(
                    f"Critère « {criterion.label} » : la note va de 0 à {criterion.max_score}.",
                    criterion=key,
                )
        return cls(application.id, reviewer, dict(scores), comment.strip(), now)

    def total(self, criteria: Iterable[Criterion]) -> float:
        return weighted_score(criteria, self.scores)


def weighted_score(criteria: Iterable[Criterion], scores: Mapping[str, int]) -> float:
    """The weighted score out of 100 (unrounded); a criterion left unscored counts 0."""
    items = list(criteria)
    weights = sum(criterion.weight for criterion in items)
    if not weights:
        return 0.0
    value = sum(
        criterion.weight * scores.get(criterion.key, 0) / criterion.max_score for criterion in items
    )
    return 100 * value / weights


def average(totals: Iterable[float]) -> float | None:
    values = list(totals)
    return sum(values) / len(values) if values else None
