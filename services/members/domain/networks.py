"""Thematic networks: the seeded reference list, joining (at once for an open network, on request
approved by staff for a closed one), leaving, rosters and local correspondents per territory.

One ``NetworkMembership`` per (network slug, person); leaving and joining again reuses it and
appends to its history. The handler checks who may approve or refuse (staff); the domain checks
the state. Correspondents are looked up with the territorial reference shipped in ``reference``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Literal, get_args

from reference import TerritoryError, territories
from services.runtime.errors import Conflict, InvalidInput, NotFound

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Network:
    """A thematic network. ``territory_epci`` (a SIREN) is informational: staff check it when
    they approve a request; joining does not."""

    slug: str
    name: str
    description: str
    open: bool
    territory_epci: str | None = None

    def __post_init__(self) -> None:
        if not _SLUG.match(self.slug):
            raise InvalidInput(f"Identifiant de réseau invalide : {self.slug!r}.", field="slug")


SEEDED_NETWORKS: tuple[Network, ...] = (
    Network(
        "chefs-de-projet-politique-de-la-ville",
        "Chef·fe·s de projet politique de la ville",
        "Les chef·fe·s de projet des contrats de ville échangent pratiques et outils.",
        open=True,
    ),
    Network(
        "agents-de-l-etat-delegues-du-prefet",
        "Agents de l'État / délégués du préfet",
        "Réseau réservé aux agents de l'État et aux délégués du préfet dans les quartiers.",
        open=False,
    ),
    Network(
        "programmes-de-reussite-educative",
        "Programmes de Réussite Éducative",
        "Coordonnateurs et référents de parcours des Programmes de Réussite Éducative.",
        open=True,
    ),
    Network(
        "cites-educatives",
        "Cités éducatives",
        "Chefs de projet et partenaires des Cités éducatives du territoire.",
        open=True,
    ),
    Network(
        "mediateurs-sante",
        "Médiateurs santé",
        "Médiateurs et médiatrices en santé intervenant dans les quartiers prioritaires.",
        open=True,
    ),
    Network(
        "acteurs-culturels-des-quartiers",
        "Acteurs culturels des quartiers",
        "Structures et artistes qui mènent des projets culturels dans les quartiers.",
        open=True,
    ),
    Network(
        "gusp",
        "GUSP (gestion urbaine et sociale de proximité)",
        "Les acteurs de la gestion urbaine et sociale de proximité partagent leurs démarches.",
        open=True,
    ),
    Network(
        "conseils-citoyens-de-la-metropole-nantaise",
        "Conseils citoyens de la métropole nantaise",
        "Membres des conseils citoyens des quartiers prioritaires de Nantes Métropole.",
        open=False,
        territory_epci="244400404",  # Nantes Métropole
    ),
)


def seeded_network(slug: str) -> Network:
    """The seeded network with this slug; NotFound otherwise."""
    for network in SEEDED_NETWORKS:
        if network.slug == slug:
            return network
    raise NotFound(f"Réseau inconnu : {slug}.", network=slug)


# --- Membership of a network -----------------------------------------------------------------


class NetworkMembershipStatus(StrEnum):
    REQUESTED = "requested"  # asked to join a closed network, awaiting staff
    MEMBER = "member"
    LEFT = "left"  # left the network, or withdrew a request
    REFUSED = "refused"  # staff refused the request


_IN_PROGRESS = frozenset({NetworkMembershipStatus.REQUESTED, NetworkMembershipStatus.MEMBER})


@dataclass(frozen=True)
class NetworkStatusChange:
    """One line of the history; ``by`` is None when the person acted for themself."""

    at: datetime
    from_status: NetworkMembershipStatus | None
    to_status: NetworkMembershipStatus
    by: str | None
    reason: str | None = None


@dataclass(frozen=True)
class NetworkEvent:
    """Domain event about a person in a network (the subclass names what happened)."""

    network_slug: str
    person_id: uuid.UUID
    occurred_at: datetime


class NetworkJoined(NetworkEvent):
    """Became a member: joined an open network or was approved (→ network.joined.v1)."""


class NetworkLeft(NetworkEvent):
    """A member left (→ network.left.v1). Not emitted when a pending request is withdrawn."""


class JoinRequested(NetworkEvent):
    """Asked to join a closed network; staff decide. No contract yet."""


class JoinRefused(NetworkEvent):
    """Staff refused a request. No contract yet."""


@dataclass
class NetworkMembership:
    """A person's place in one network, across successive cycles of joining and leaving."""

    network_slug: str
    person_id: uuid.UUID
    status: NetworkMembershipStatus
    history: list[NetworkStatusChange] = field(default_factory=list)

    @property
    def since(self) -> datetime:
        """When the current status began (for a member: when they joined, this cycle)."""
        return self.history[-1].at

    def approve(self, by: str, now: datetime) -> NetworkJoined:
        """Staff accept a pending request."""
        self._expect_request("accepter")
        self._change(NetworkMembershipStatus.MEMBER, now, by)
        return NetworkJoined(self.network_slug, self.person_id, now)

    def refuse(self, by: str, reason: str, now: datetime) -> JoinRefused:
        """Staff turn down a pending request, with a reason (kept in the history)."""
        if not reason.strip():
            raise InvalidInput("Un motif de refus est obligatoire.", field="reason")
        self._expect_request("refuser")
        self._change(NetworkMembershipStatus.REFUSED, now, by, reason.strip())
        return JoinRefused(self.network_slug, self.person_id, now)

    def leave(self, now: datetime, by: str | None = None) -> NetworkLeft | None:
        """Leave the network or withdraw a pending request (then no event: the person never
        joined). None too when already out (left or refused): nothing changes."""
        if self.status not in _IN_PROGRESS:
            return None
        was_member = self.status is NetworkMembershipStatus.MEMBER
        self._change(NetworkMembershipStatus.LEFT, now, by)
        return NetworkLeft(self.network_slug, self.person_id, now) if was_member else None

    def _expect_request(self, verb: str) -> None:
        if self.status is not NetworkMembershipStatus.REQUESTED:
            raise Conflict(
                f"Impossible de {verb} : il n'y a pas de demande d'adhésion en attente "
                f"(statut « {self.status.value} »).",
                network=self.network_slug,
                person_id=str(self.person_id),
                status=self.status.value,
            )

    def _change(
        self, to: NetworkMembershipStatus, now: datetime, by: str | None, reason: str | None = None
    ) -> None:
        self.history.append(NetworkStatusChange(now, self.status, to, by, reason))
        self.status = to


def join(
    network: Network,
    person_id: uuid.UUID,
    now: datetime,
    *,
    current: NetworkMembership | None = None,
    by: str | None = None,
) -> tuple[NetworkMembership, NetworkEvent | None]:
    """Join an open network (member at once) or ask to join a closed one (requested).

    ``current`` is the person's existing membership of that network, if any. While it is
    requested or member, joining again is a no-op: the same membership, no event (a retried
    message or a double click). After leaving or a refusal, a new cycle starts on it, history
    kept; a closed network asks for approval again.
    """
    to = NetworkMembershipStatus.MEMBER if network.open else NetworkMembershipStatus.REQUESTED
    event_type = NetworkJoined if network.open else JoinRequested
    if current is None:
        current = NetworkMembership(network.slug, person_id, to)
        current.history.append(NetworkStatusChange(now, None, to, by))
        return current, event_type(network.slug, person_id, now)
    if (current.network_slug, current.person_id) != (network.slug, person_id):
        raise ValueError("the membership belongs to another network or person")
    if current.status in _IN_PROGRESS:
        return current, None
    current._change(to, now, by)
    return current, event_type(network.slug, person_id, now)


def roster(memberships: Iterable[NetworkMembership]) -> list[NetworkMembership]:
    """Current members (of one network, as the store loads them), earliest joined first."""
    members = [m for m in memberships if m.status is NetworkMembershipStatus.MEMBER]
    return sorted(members, key=lambda m: (m.since, str(m.person_id)))


# --- Local correspondents --------------------------------------------------------------------

TerritoryKind = Literal["department", "epci", "commune"]


@dataclass(frozen=True)
class Correspondent:
    """A member appointed local correspondent of a network for a territory; ``since`` and
    ``until`` are both included. Several may share a territory."""

    network_slug: str
    person_id: uuid.UUID
    territory_kind: TerritoryKind
    territory_code: str
    since: date
    until: date | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4, compare=False)

    def __post_init__(self) -> None:
        if self.territory_kind not in get_args(TerritoryKind):
            raise InvalidInput(
                f"Niveau de territoire inconnu : {self.territory_kind!r}.", field="territory_kind"
            )
        if self.until is not None and self.until < self.since:
            raise InvalidInput("Une nomination ne finit pas avant de commencer.", field="until")

    def holds_on(self, on: date) -> bool:
        return self.since <= on and (self.until is None or on <= self.until)

    def overlaps(self, other: Correspondent) -> bool:
        """Whether the two periods share a day."""
        return (other.until is None or self.since <= other.until) and (
            self.until is None or other.since <= self.until
        )

    def ending(self, on: date) -> Correspondent | None:
        """This appointment ending on ``on`` (included) at the latest; None when it already ends
        by then, so ending it again changes nothing. ``on`` before ``since`` is refused."""
        if self.until is not None and self.until <= on:
            return None
        return replace(self, until=on)


def appoint_correspondent(
    membership: NetworkMembership,
    territory_kind: TerritoryKind,
    territory_code: str,
    since: date,
    until: date | None = None,
) -> Correspondent:
    """Appoint a current member of the network for a territory known to the reference (the
    code is stored in its reference form). Leaving the network later does not end the
    appointment: the handler sets ``until``."""
    if membership.status is not NetworkMembershipStatus.MEMBER:
        raise Conflict(
            "Seul un membre du réseau peut en être nommé correspondant local.",
            network=membership.network_slug,
            person_id=str(membership.person_id),
            status=membership.status.value,
        )
    code = _levels(territory_kind, territory_code)[0][1][0]
    return Correspondent(
        membership.network_slug, membership.person_id, territory_kind, code, since, until
    )


def repeated_appointment(
    appointment: Correspondent, existing: Iterable[Correspondent]
) -> Correspondent | None:
    """The same appointment made before (a repeated request), to answer with instead of adding
    one; None when there is none. Another appointment of that person for that territory in that
    network that overlaps the new one is a conflict: end it first."""
    for other in existing:
        same_place = (other.network_slug, other.person_id, other.territory_kind) == (
            appointment.network_slug,
            appointment.person_id,
            appointment.territory_kind,
        )
        if not same_place or other.territory_code != appointment.territory_code:
            continue
        if (other.since, other.until) == (appointment.since, appointment.until):
            return other
        if other.overlaps(appointment):
            raise Conflict(
                "Cette personne est déjà correspondante locale pour ce territoire sur cette "
                "période : mettez fin à sa nomination d'abord.",
                appointment_id=str(other.id),
            )
    return None


def end_appointments(
    appointments: Iterable[Correspondent], on: date
) -> tuple[list[Correspondent], list[Correspondent]]:
    """What leaving a network, or being erased, does to a person's appointments: those under way
    on ``on`` end that day, those not started yet are withdrawn. Returns (ended, withdrawn)."""
    ended: list[Correspondent] = []
    withdrawn: list[Correspondent] = []
    for appointment in appointments:
        if appointment.since > on:
            withdrawn.append(appointment)
        elif (shortened := appointment.ending(on)) is not None:
            ended.append(shortened)
    return ended, withdrawn


def correspondents_for(
    network_slug: str,
    territory: tuple[TerritoryKind, str],
    on: date,
    correspondents: Iterable[Correspondent],
) -> list[Correspondent]:
    """Who answers for ``territory`` (e.g. ``("commune", "35238")``) in a network on ``on``: the
    correspondents of that very territory or, when there are none, of the nearest enclosing
    level that has some: commune → its EPCI → its department; EPCI → its department(s)."""
    current = [c for c in correspondents if c.network_slug == network_slug and c.holds_on(on)]
    for kind, codes in _levels(*territory):
        found = [c for c in current if c.territory_kind == kind and c.territory_code in codes]
        if found:
            return sorted(found, key=lambda c: (c.since, str(c.person_id)))
    return []


def reference_territory(kind: TerritoryKind, code: str) -> tuple[TerritoryKind, str]:
    """The territory with its code in reference form; InvalidInput when it is unknown."""
    return kind, _levels(kind, code)[0][1][0]


def _levels(kind: str, code: str) -> list[tuple[TerritoryKind, tuple[str, ...]]]:
    """The territory then its enclosing levels, nearest first, as reference codes."""
    ref = territories()
    try:
        if kind == "department":
            return [("department", (ref.check_department(code).code,))]
        if kind == "epci":
            epci = ref.check_epci(code)
            departments = sorted({c.department_code for c in ref.communes_in_epci(epci.siren)})
            return [("epci", (epci.siren,)), ("department", tuple(departments))]
        if kind == "commune":
            commune = ref.check_commune(code)
            epcis = (commune.epci_siren,) if commune.epci_siren else ()
            return [
                ("commune", (commune.code,)),
                ("epci", epcis),
                ("department", (commune.department_code,)),
            ]
    except TerritoryError as error:
        raise InvalidInput(str(error), field="territory_code") from error
    raise InvalidInput(f"Niveau de territoire inconnu : {kind!r}.", field="territory_kind")
