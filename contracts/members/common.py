"""Value types shared by the members service's messages."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.base import (
    InseeCommuneCode,
    QpvCode,
    Siren,
)


class OrganisationKind(StrEnum):
    """What kind of organisation a member is. Extensible: new kinds are additive."""

    COMMUNE = "commune"
    EPCI = "epci"
    DEPARTEMENT = "departement"
    REGION = "region"
    STATE_SERVICE = "state_service"
    SOCIAL_LANDLORD = "social_landlord"
    ASSOCIATION = "association"
    SOCIAL_CENTRE = "social_centre"
    OTHER = "other"


class PersonKind(StrEnum):
    """What a person does, as the register files them. Extensible: new kinds are additive."""

    ELECTED_OFFICIAL = "elected_official"  # élu·e
    PROJECT_LEADER = "project_leader"  # chef·fe de projet politique de la ville
    STATE_AGENT = "state_agent"  # agent de l'État, délégué·e du préfet
    PROFESSIONAL = "professional"  # professionnel·le (association, bailleur, centre social…)
    RESEARCHER = "researcher"
    INHABITANT = "inhabitant"  # habitant·e, membre d'un conseil citoyen
    OTHER = "other"


class College(StrEnum):
    """The two colleges of the general assembly."""

    ELUS = "elus"
    ACTEURS_TERRITORIAUX = "acteurs_territoriaux"


class Territory(BaseModel):
    """Where a member works, checked against the reference data reso ships."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    region: str | None = Field(default=None, description="INSEE region code, e.g. '53'.")
    department: str | None = Field(default=None, description="Department code, e.g. '35'.")
    commune: InseeCommuneCode | None = None
    epci: Siren | None = Field(default=None, description="SIREN of the EPCI.")
    qpvs: tuple[QpvCode, ...] = Field(default=(), description="2024 QPV codes it works in.")


class Address(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    street: str = Field(default="", max_length=200)
    postcode: str = Field(default="", max_length=10)
    city: str = Field(default="", max_length=100)


MemberType = Literal["organisation", "person"]
