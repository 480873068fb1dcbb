"""Organisations: kind, SIREN, address, territory (checked against the reference data), college."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from reference import territories
from services.runtime.errors import InvalidInput

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


@dataclass(frozen=True)
class OrganisationCreated:
    """Domain event: an organisation joined the register."""

    organisation: Organisation


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
) -> tuple[Organisation, OrganisationCreated]:
    check_territory(territory)
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
    )
    return organisation, OrganisationCreated(organisation)
