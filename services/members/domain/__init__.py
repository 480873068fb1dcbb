"""The members model and its rules. Plain Python: no I/O, no framework.

One module per aggregate; this package re-exports what the handlers and the store use.
"""

from services.members.domain.organisations import (
    Organisation,
    OrganisationCreated,
    PostalAddress,
    TerritoryCodes,
)
from services.members.domain.people import (
    MemberRegistered,
    Person,
    PersonErased,
    normalise_email,
    register,
)

__all__ = [
    "MemberRegistered",
    "Organisation",
    "OrganisationCreated",
    "Person",
    "PersonErased",
    "PostalAddress",
    "TerritoryCodes",
    "normalise_email",
    "register",
]
