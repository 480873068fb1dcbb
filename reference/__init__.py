"""Territorial reference data shipped with reso: regions, departments, communes, EPCI and QPV.

The CSV files live in ``reference/data`` (provenance, licences and caveats in its README.md), so
no service reads anything outside the package at run time. The module is pure: nothing is read
at import time, and ``territories()`` loads the files once, on first call.

Coverage: regions (26), departments (109) and QPV of the 2024 generation (1609) for all of
France; communes (2430) and EPCI (130) for Bretagne (53) and Pays de la Loire (52) only, so a
commune or EPCI elsewhere is reported as unknown ("référentiel limité à la Bretagne et aux Pays
de la Loire"). Codes are strings and keep leading zeros (``"01"``, ``"01053"``, ``"2A"``).

API (``from reference import territories``)::

    ref = territories()
    ref.region("53") / .department("35") / .commune("35238") / .epci("243500139")
    ref.qpv("QN03502M")                    # the object, or None
    ref.qpvs_in_commune("35238") / .qpvs_in_epci(siren) / .qpvs_in_department("35")
    ref.communes_in_epci("243500139")      # tuples, empty when nothing matches
    ref.check_qpv(code)                    # Qpv, or SupersededQpvCode (QP…) / UnknownTerritory
    ref.check_region / check_department / check_commune / check_epci   # or UnknownTerritory
    ref.validate_territory(region=, department=, commune=, epci=, qpvs=)  # list of problems

Outlines and the QPV/commune pairs of regions 52 and 53 (``reference.outlines``)::

    qpv_outlines()["QN04405M"]            # GeoJSON MultiPolygon (WGS84, simplified)
    qpv_communes()                        # 81 QpvCommune pairs (QN04405M twice)

``UnknownTerritory`` and ``SupersededQpvCode`` are ``ValueError`` subclasses carrying ``code``
(``"unknown_territory"`` / ``"superseded_qpv_code"``), ``kind`` and the offending ``value``.
"""

from reference.outlines import QpvCommune, qpv_communes, qpv_outlines
from reference.territory import (
    Commune,
    Department,
    Epci,
    Qpv,
    Region,
    SupersededQpvCode,
    Territories,
    TerritoryError,
    UnknownTerritory,
    territories,
)

__all__ = [
    "Commune",
    "Department",
    "Epci",
    "Qpv",
    "QpvCommune",
    "Region",
    "SupersededQpvCode",
    "Territories",
    "TerritoryError",
    "UnknownTerritory",
    "qpv_communes",
    "qpv_outlines",
    "territories",
]
