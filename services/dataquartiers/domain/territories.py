"""Territories the indicators describe, on top of the shipped reference (``reference``).

A territory is a level and a code: ``qpv:QN04405M``, ``commune:44109``, ``epci:244400404``,
``departement:44``, ``region:52``. Codes are checked against the reference: a 2015-generation
QPV code (``QP…``) is reported as superseded, never accepted. Levels nest: QPV ⊂ commune (a QPV
may span communes: ``QN04405M`` Bellevue lies in Nantes and Saint-Herblain), commune ⊂ EPCI,
commune ⊂ department ⊂ region; :func:`relations` turns a set of territories into the additive
relations statistical secrecy needs (``total = parts + rest``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from reference import Territories, UnknownTerritory
from services.dataquartiers.domain.secrecy import Relation


class Level(StrEnum):
    QPV = "qpv"
    COMMUNE = "commune"
    EPCI = "epci"
    DEPARTMENT = "departement"
    REGION = "region"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Level.QPV: "quartier prioritaire",
    Level.COMMUNE: "commune",
    Level.EPCI: "EPCI",
    Level.DEPARTMENT: "département",
    Level.REGION: "région",
}
_RANK = {Level.QPV: 1, Level.COMMUNE: 2, Level.EPCI: 3, Level.DEPARTMENT: 4, Level.REGION: 5}

LEVEL_ALIASES = {
    "qpv": Level.QPV,
    "qp": Level.QPV,
    "quartier": Level.QPV,
    "com": Level.COMMUNE,
    "commune": Level.COMMUNE,
    "epci": Level.EPCI,
    "dep": Level.DEPARTMENT,
    "departement": Level.DEPARTMENT,
    "département": Level.DEPARTMENT,
    "reg": Level.REGION,
    "region": Level.REGION,
    "région": Level.REGION,
}
"""How files name levels (INSEE's ``COM``, ``DEP``, ``REG``…), lower-cased."""

_QPV_LIKE = re.compile(r"^Q[NP]", re.IGNORECASE)
_COMMUNE_LIKE = re.compile(r"^(\d{4,5}|2[AB]\d{3})$", re.IGNORECASE)
_EPCI_LIKE = re.compile(r"^\d{9}$")
_DEPARTMENT_LIKE = re.compile(r"^(\d{2,3}|2[AB])$", re.IGNORECASE)


@dataclass(frozen=True, slots=True, order=True)
class TerritoryRef:
    level: Level
    code: str

    @property
    def key(self) -> str:
        return f"{self.level}:{self.code}"

    @classmethod
    def from_key(cls, key: str) -> TerritoryRef:
        level, _, code = key.partition(":")
        return cls(Level(level), code)


_THE = {
    Level.QPV: "le QPV",
    Level.COMMUNE: "la commune",
    Level.EPCI: "l'EPCI",
    Level.DEPARTMENT: "le département",
    Level.REGION: "la région",
}


def describe_key(key: str) -> str:
    """A territory key in French: ``qpv:QN04407I`` → "le QPV QN04407I"."""
    level, _, code = key.partition(":")
    try:
        return f"{_THE[Level(level)]} {code}"
    except ValueError:
        return key


def guess_level(code: str) -> Level | None:
    """The level a bare code has: QN…/QP… a QPV, 5 characters a commune (4 digits: one that
    lost its leading zero in a spreadsheet), 9 digits an EPCI, 2 or 3 a department. A region
    needs its level said (``52`` is also Haute-Marne)."""
    code = code.strip()
    if _QPV_LIKE.match(code):
        return Level.QPV
    if _COMMUNE_LIKE.match(code):
        return Level.COMMUNE
    if _EPCI_LIKE.match(code):
        return Level.EPCI
    if _DEPARTMENT_LIKE.match(code):
        return Level.DEPARTMENT
    return None


def resolve(ref: Territories, code: str, level: Level | None = None) -> TerritoryRef:
    """The territory of ``code`` (at ``level``, else guessed from the code), checked against the
    reference; raises ``SupersededQpvCode`` or ``UnknownTerritory`` with a French message."""
    code = code.strip().upper()
    level = level or guess_level(code)
    if level is None:
        raise UnknownTerritory("territory", code, f"code de territoire non reconnu : {code}")
    if level is Level.QPV:
        return TerritoryRef(level, ref.check_qpv(code).code)
    if level is Level.COMMUNE:
        return TerritoryRef(level, ref.check_commune(code.zfill(5)).code)
    if level is Level.EPCI:
        return TerritoryRef(level, ref.check_epci(code).siren)
    if level is Level.DEPARTMENT:
        return TerritoryRef(level, ref.check_department(code.zfill(2)).code)
    return TerritoryRef(level, ref.check_region(code.zfill(2)).code)


def name_of(ref: Territories, territory: TerritoryRef) -> str:
    """The territory's name in the reference (its code when it has none)."""
    unit: object = {
        Level.QPV: ref.qpv,
        Level.COMMUNE: ref.commune,
        Level.EPCI: ref.epci,
        Level.DEPARTMENT: ref.department,
        Level.REGION: ref.region,
    }[territory.level](territory.code)
    return str(getattr(unit, "name", territory.code))


def enclosing(ref: Territories, qpv_code: str) -> list[TerritoryRef]:
    """The territories around a QPV, smallest first: its communes, EPCI, department, region."""
    qpv = ref.check_qpv(qpv_code)
    around = [TerritoryRef(Level.COMMUNE, code) for code in qpv.commune_codes]
    around += [TerritoryRef(Level.EPCI, siren) for siren in qpv.epci_sirens]
    around.append(TerritoryRef(Level.DEPARTMENT, qpv.department_code))
    if qpv.region_code:
        around.append(TerritoryRef(Level.REGION, qpv.region_code))
    return around


# --- additive relations -----------------------------------------------------------------------


class _Geography:
    """Containment and disjointness of territories, from the reference's codes."""

    def __init__(self, ref: Territories) -> None:
        self.ref = ref

    def department_of(self, commune: str) -> str:
        known = self.ref.commune(commune)
        if known is not None:
            return known.department_code
        return commune[:3] if commune[:2] in ("97", "98") else commune[:2]

    def region_of_department(self, department: str) -> str | None:
        known = self.ref.department(department)
        return known.region_code if known else None

    def communes(self, territory: TerritoryRef) -> tuple[str, ...]:
        """Communes of a QPV, commune or EPCI (all members, also outside regions 52/53)."""
        if territory.level is Level.QPV:
            qpv = self.ref.qpv(territory.code)
            return qpv.commune_codes if qpv else ()
        if territory.level is Level.COMMUNE:
            return (territory.code,)
        if territory.level is Level.EPCI:
            epci = self.ref.epci(territory.code)
            return epci.member_codes if epci else ()
        raise ValueError(territory.level)

    def departments(self, territory: TerritoryRef) -> frozenset[str]:
        """The departments a territory touches (a region: all of its departments)."""
        if territory.level is Level.DEPARTMENT:
            return frozenset((territory.code,))
        if territory.level is Level.REGION:
            return frozenset(
                d.code for d in self.ref.departments.values() if d.region_code == territory.code
            )
        return frozenset(self.department_of(c) for c in self.communes(territory))

    def commune_in(self, territory: TerritoryRef, commune: str) -> bool:
        level, code = territory.level, territory.code
        if level is Level.COMMUNE:
            return commune == code
        if level is Level.EPCI:
            return commune in self.communes(territory)
        if level is Level.DEPARTMENT:
            return self.department_of(commune) == code
        if level is Level.REGION:
            return self.region_of_department(self.department_of(commune)) == code
        return False

    def contains(self, total: TerritoryRef, part: TerritoryRef) -> bool:
        if total == part or _RANK[part.level] >= _RANK[total.level]:
            return False
        if part.level is Level.DEPARTMENT:
            return (
                total.level is Level.REGION and self.region_of_department(part.code) == total.code
            )
        if part.level is Level.EPCI and total.level not in (Level.DEPARTMENT, Level.REGION):
            return False
        communes = self.communes(part)
        return bool(communes) and all(self.commune_in(total, c) for c in communes)

    def disjoint(self, a: TerritoryRef, b: TerritoryRef) -> bool:
        if a == b:
            return False
        if a.level is Level.QPV and b.level is Level.QPV:
            return True  # QPV never overlap
        if a.level is b.level:
            return True  # two communes, EPCI, departments or regions: a partition each
        if _RANK[a.level] > _RANK[b.level]:
            a, b = b, a  # a is the finer one
        if a.level is Level.DEPARTMENT:
            return self.region_of_department(a.code) != b.code
        return not any(self.commune_in(b, c) for c in self.communes(a))


def relations(ref: Territories, territories: Iterable[TerritoryRef]) -> list[Relation]:
    """The additive relations between the given territories, one per territory that contains
    others: its parts are the largest given territories inside it that do not overlap (a
    department's communes rather than their QPV; a QPV spanning two communes is a part of
    neither), the rest is what they leave out. ``complete`` when the parts cover it all (an
    EPCI with all its communes, a region with all its departments)."""
    geography = _Geography(ref)
    present = sorted(set(territories), key=lambda t: (-_RANK[t.level], t.code))
    # A territory can only hold those that touch none but its departments: index by department.
    touched = {territory: geography.departments(territory) for territory in present}
    by_department: dict[str, list[TerritoryRef]] = {}
    for territory in present:
        for department in touched[territory]:
            by_department.setdefault(department, []).append(territory)
    order = {territory: index for index, territory in enumerate(present)}
    found: list[Relation] = []
    for total in present:
        if total.level is Level.QPV:
            continue
        nearby = {t for d in touched[total] for t in by_department.get(d, ())}
        parts: list[TerritoryRef] = []
        for candidate in sorted(nearby, key=order.__getitem__):
            if geography.contains(total, candidate) and all(
                geography.disjoint(candidate, part) for part in parts
            ):
                parts.append(candidate)
        if parts:
            found.append(
                Relation(
                    total.key,
                    tuple(part.key for part in parts),
                    complete=_covers(geography, total, parts),
                )
            )
    return found


def _covers(geography: _Geography, total: TerritoryRef, parts: list[TerritoryRef]) -> bool:
    if any(part.level is Level.QPV for part in parts):
        return False
    ref = geography.ref
    if total.level is Level.REGION and all(p.level is Level.DEPARTMENT for p in parts):
        wanted = {d.code for d in ref.departments.values() if d.region_code == total.code}
        return wanted == {part.code for part in parts}
    if total.level is Level.EPCI:
        wanted = set(geography.communes(total))
    else:
        wanted = {
            commune.code
            for commune in ref.communes.values()
            if geography.commune_in(total, commune.code)
        }
        if total.level is Level.DEPARTMENT and not wanted:
            return False  # a department outside regions 52/53: its communes are not known
    covered: set[str] = set()
    for part in parts:
        if part.level is Level.DEPARTMENT:
            covered |= {c.code for c in ref.communes.values() if c.department_code == part.code}
        else:
            covered |= set(geography.communes(part))
    return bool(wanted) and wanted <= covered
