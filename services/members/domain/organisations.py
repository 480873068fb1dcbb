"""Organisations: kind, SIREN, address, territory (checked against the reference data), college."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reference import territories
from services.runtime.errors import Conflict, InvalidInput

LOCAL_AUTHORITIES = frozenset({"commune", "epci", "departement", "region"})


@dataclass(frozen=True)
class TerritoryCodes:
    region: str | None = None
    department: str | None = None
    commune: str | None = None
    epci: str | None = None
    qpvs: tuple[str, ...] = ()


@dataclass(frozen=True)
class PostalAddress:
    street: str = ""
    postcode: str = ""
    city: str = ""


@dataclass
class Organisation:
    id: uuid.UUID
    kind: str
    name: str
    siren: str | None
    address: PostalAddress
    territory: TerritoryCodes
    college: str
    created_at: datetime
    created_by: str
    archived_at: datetime | None = field(default=None)
    email: str = ""
    phone: str = ""
    updated_at: datetime | None = None

    def snapshot(self) -> dict[str, Any]:
        """What the audit log compares before and after a change."""
        territory, address = self.territory, self.address
        return {
            "kind": self.kind,
            "name": self.name,
            "siren": self.siren,
            "street": address.street,
            "postcode": address.postcode,
            "city": address.city,
            "region": territory.region,
            "department": territory.department,
            "commune": territory.commune,
            "epci": territory.epci,
            "qpvs": list(territory.qpvs),
            "college": self.college,
            "email": self.email,
            "phone": self.phone,
            "archived": self.archived_at is not None,
        }

    def change(self, changes: OrganisationChanges, now: datetime) -> OrganisationChanged | None:
        """Apply the given fields, checked; None when nothing actually changes."""
        before = self.snapshot()
        if changes.name is not None:
            if not changes.name.strip():
                raise InvalidInput("Le nom ne peut pas être vide.", field="name")
            self.name = " ".join(changes.name.split())
        if changes.territory is not None:
            check_territory(changes.territory)
            self.territory = complete_territory(changes.territory)
        for name in ("kind", "siren", "address", "college", "email", "phone"):
            value = getattr(changes, name)
            if value is not None:
                setattr(self, name, value)
        if self.snapshot() == before:
            return None
        self.updated_at = now
        return OrganisationChanged(self, now)

    def archive(self, now: datetime) -> OrganisationChanged:
        if self.archived_at is not None:
            raise Conflict("Cette organisation est déjà archivée.", organisation_id=str(self.id))
        self.archived_at = now
        self.updated_at = now
        return OrganisationChanged(self, now)

    def restore(self, now: datetime) -> OrganisationChanged:
        if self.archived_at is None:
            raise Conflict("Cette organisation n'est pas archivée.", organisation_id=str(self.id))
        self.archived_at = None
        self.updated_at = now
        return OrganisationChanged(self, now)


@dataclass(frozen=True)
class OrganisationChanges:
    """What can be changed about an organisation; a None field is left as it is. ``phone`` comes
    normalised (see ``people.normalise_phone``)."""

    kind: str | None = None
    name: str | None = None
    siren: str | None = None
    address: PostalAddress | None = None
    territory: TerritoryCodes | None = None
    college: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class OrganisationCreated:
    """Domain event: an organisation joined the register."""

    organisation: Organisation


@dataclass(frozen=True)
class OrganisationChanged:
    """Domain event: an organisation's record changed (→ organisation.updated.v1)."""

    organisation: Organisation
    occurred_at: datetime


def default_college(kind: str) -> str:
    """Local authorities sit in the college of elected officials; everyone else in the other."""
    return "elus" if kind in LOCAL_AUTHORITIES else "acteurs_territoriaux"


def check_territory(territory: TerritoryCodes) -> None:
    """Raise ``InvalidInput`` listing, in French, every unknown or inconsistent code."""
    problems: Sequence[str] = territories().validate_territory(
        region=territory.region,
        department=territory.department,
        commune=territory.commune,
        epci=territory.epci,
        qpvs=territory.qpvs,
    )
    if problems:
        raise InvalidInput("Territoire invalide : " + " ; ".join(problems), problems=list(problems))


def complete_territory(territory: TerritoryCodes) -> TerritoryCodes:
    """The territory with the enclosing levels the reference implies filled in (a commune gives
    its department, region and EPCI; a department its region; an EPCI or QPVs within a single
    department give that department), so filters at any level find it. Codes must be valid
    (:func:`check_territory`)."""
    ref = territories()
    region, department, commune, epci = (
        territory.region,
        territory.department,
        territory.commune,
        territory.epci,
    )
    if commune and (found := ref.commune(commune)):
        commune = found.code
        department = department or found.department_code
        region = region or found.region_code
        epci = epci or found.epci_siren
    if department is None:
        candidates: set[str] = set()
        if epci and (group := ref.epci(epci)):
            candidates = {_department_of(code) for code in group.member_codes}
        elif territory.qpvs:
            candidates = {q.department_code for c in territory.qpvs if (q := ref.qpv(c))}
        if len(candidates) == 1:
            department = candidates.pop()
    if department and region is None and (dep := ref.department(department)):
        region = dep.region_code
    return TerritoryCodes(region, department, commune, epci, territory.qpvs)


def population_of(kind: str, territory: TerritoryCodes) -> int | None:
    """The population the reference gives for a local authority's own territory: its commune's,
    or the sum of its communes' for an EPCI, a département or a région, when the reference holds
    every one of them (Bretagne and Pays de la Loire); None when it cannot tell."""
    ref = territories()
    if kind == "commune" or (kind not in LOCAL_AUTHORITIES and territory.commune):
        commune = ref.commune(territory.commune) if territory.commune else None
        return commune.population if commune else None
    if kind == "epci" and territory.epci and (epci := ref.epci(territory.epci)):
        members = [ref.commune(code) for code in epci.member_codes]
        if members and all(members):
            return sum(c.population for c in members if c)
        return None
    if kind == "departement" and territory.department:
        if territory.department not in {c.department_code for c in ref.communes.values()}:
            return None
        return sum(
            c.population for c in ref.communes.values() if c.department_code == territory.department
        )
    if kind == "region" and territory.region:
        if territory.region not in {c.region_code for c in ref.communes.values()}:
            return None
        return sum(c.population for c in ref.communes.values() if c.region_code == territory.region)
    return None


def _department_of(commune_code: str) -> str:
    return commune_code[:3] if commune_code[:2] in ("97", "98") else commune_code[:2]


def create(
    *,
    kind: str,
    name: str,
    siren: str | None,
    address: PostalAddress,
    territory: TerritoryCodes,
    college: str | None,
    now: datetime,
    by: str,
    email: str = "",
    phone: str = "",
) -> tuple[Organisation, OrganisationCreated]:
    check_territory(territory)
    territory = complete_territory(territory)
    organisation = Organisation(
        id=uuid.uuid4(),
        kind=kind,
        name=name.strip(),
        siren=siren,
        address=address,
        territory=territory,
        college=college or default_college(kind),
        created_at=now,
        created_by=by,
        email=email,
        phone=phone,
        updated_at=now,
    )
    return organisation, OrganisationCreated(organisation)
