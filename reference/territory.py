"""Regions, departments, communes, EPCI and QPV from the CSV files in ``reference/data``.

Nothing is read at import time: ``territories()`` loads the files on first call and keeps the
result. Communes and EPCI cover Bretagne (53) and Pays de la Loire (52) only; regions,
departments and QPV cover all of France. Codes are strings and keep their leading zeros.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import ClassVar, TypeVar

LIMITED_SCOPE = "référentiel limité à la Bretagne et aux Pays de la Loire"
"""Why a commune or EPCI outside regions 52 and 53 is unknown."""

_QPV_2015 = re.compile(r"^QP(\d{3}|\d{2}[AB])\d{3}$")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name: str
    region_code: str


@dataclass(frozen=True, slots=True)
class Commune:
    """A current commune (COG 2026); ``epci_siren`` is None for the 4 islands outside any EPCI."""

    code: str
    name: str
    department_code: str
    region_code: str
    epci_siren: str | None
    population: int
    postcodes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Epci:
    """An EPCI with its own tax status; ``member_codes`` includes members outside regions 52/53."""

    siren: str
    name: str
    kind: str
    member_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Qpv:
    """A QPV of the 2024 generation.

    ``region_code`` is None and ``epci_sirens`` empty in the COM (Polynésie, Saint-Martin).
    A QPV that spans communes of two EPCI (17 of them, none in Bretagne or Pays de la Loire)
    lists both SIREN, hence a tuple.
    """

    code: str
    name: str
    region_code: str | None
    department_code: str
    commune_codes: tuple[str, ...]
    epci_sirens: tuple[str, ...]


class TerritoryError(ValueError):
    """A territory code that cannot be used; ``code`` is the stable error code."""

    code: ClassVar[str]

    def __init__(self, kind: str, value: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.value = value


class UnknownTerritory(TerritoryError):
    """The code is not in the reference."""

    code = "unknown_territory"


class SupersededQpvCode(TerritoryError):
    """A 2015-generation QPV code (``QP`` + department on 3 + number on 3), no longer in force."""

    code = "superseded_qpv_code"

    def __init__(self, value: str) -> None:
        super().__init__(
            "qpv",
            value,
            f"code QPV de la génération 2015 ({value}), remplacé par la géographie prioritaire "
            "2024 (codes QN…, décret du 28/12/2023) : indiquez le code QN du quartier",
        )


class Territories:
    """The reference indexed by code. Get the shared instance with ``territories()``."""

    def __init__(
        self,
        *,
        regions: Iterable[Region],
        departments: Iterable[Department],
        communes: Iterable[Commune],
        epcis: Iterable[Epci],
        qpvs: Iterable[Qpv],
    ) -> None:
        self.regions: Mapping[str, Region] = _by_code(regions, lambda r: r.code)
        self.departments: Mapping[str, Department] = _by_code(departments, lambda d: d.code)
        self.communes: Mapping[str, Commune] = _by_code(communes, lambda c: c.code)
        self.epcis: Mapping[str, Epci] = _by_code(epcis, lambda e: e.siren)
        self.qpvs: Mapping[str, Qpv] = _by_code(qpvs, lambda q: q.code)
        self._qpvs_by_commune = _group(self.qpvs.values(), lambda q: q.commune_codes)
        self._qpvs_by_epci = _group(self.qpvs.values(), lambda q: q.epci_sirens)
        self._qpvs_by_department = _group(self.qpvs.values(), lambda q: (q.department_code,))
        self._communes_by_epci = _group(
            self.communes.values(), lambda c: (c.epci_siren,) if c.epci_siren else ()
        )

    @classmethod
    def load(cls) -> Territories:
        """Read the CSV files shipped in ``reference/data``."""
        return cls(
            regions=[Region(r["code"], r["nom"]) for r in _rows("regions.csv")],
            departments=[
                Department(r["code"], r["nom"], r["region"]) for r in _rows("departements.csv")
            ],
            communes=[
                Commune(
                    code=r["code"],
                    name=r["nom"],
                    department_code=r["departement"],
                    region_code=r["region"],
                    epci_siren=r["siren_epci"] or None,
                    population=int(r["population"]),
                    postcodes=_split(r["codesPostaux"], ";"),
                )
                for r in _rows("communes_bretagne_pdl.csv")
            ],
            epcis=[
                Epci(r["code"], r["nom"], r["type"], _split(r["membres"], ";"))
                for r in _rows("epci_bretagne_pdl.csv")
            ],
            qpvs=[
                Qpv(
                    code=r["code_qp"],
                    name=r["lib_qp"],
                    region_code=r["insee_reg"] or None,
                    department_code=r["insee_dep"],
                    commune_codes=_split(r["insee_com"], ","),
                    epci_sirens=() if r["siren_epci"] == "NA" else _split(r["siren_epci"], ","),
                )
                for r in _rows("qpv2024_france_liste.csv")
            ],
        )

    # --- lookups: the object, or None ---------------------------------------------------------

    def region(self, code: str) -> Region | None:
        return self.regions.get(_key(code))

    def department(self, code: str) -> Department | None:
        return self.departments.get(_key(code))

    def commune(self, code: str) -> Commune | None:
        return self.communes.get(_key(code))

    def epci(self, siren: str) -> Epci | None:
        return self.epcis.get(_key(siren))

    def qpv(self, code: str) -> Qpv | None:
        return self.qpvs.get(_key(code))

    def qpvs_in_commune(self, insee: str) -> tuple[Qpv, ...]:
        return self._qpvs_by_commune.get(_key(insee), ())

    def qpvs_in_epci(self, siren: str) -> tuple[Qpv, ...]:
        return self._qpvs_by_epci.get(_key(siren), ())

    def qpvs_in_department(self, code: str) -> tuple[Qpv, ...]:
        return self._qpvs_by_department.get(_key(code), ())

    def communes_in_epci(self, siren: str) -> tuple[Commune, ...]:
        """Member communes in Bretagne and Pays de la Loire (``Epci.member_codes`` has them all)."""
        return self._communes_by_epci.get(_key(siren), ())

    # --- checks: the object, or a TerritoryError with a French message ------------------------

    def check_region(self, code: str) -> Region:
        return _found(self.region(code), "region", code, "région inconnue")

    def check_department(self, code: str) -> Department:
        return _found(self.department(code), "department", code, "département inconnu")

    def check_commune(self, code: str) -> Commune:
        return _found(self.commune(code), "commune", code, f"commune inconnue ({LIMITED_SCOPE})")

    def check_epci(self, siren: str) -> Epci:
        return _found(self.epci(siren), "epci", siren, f"EPCI inconnu ({LIMITED_SCOPE})")

    def check_qpv(self, code: str) -> Qpv:
        """Raises SupersededQpvCode for a 2015 code (QP…), UnknownTerritory for any other miss."""
        if _QPV_2015.match(_key(code)):
            raise SupersededQpvCode(code)
        return _found(self.qpv(code), "qpv", code, "code QPV inconnu")

    def validate_territory(
        self,
        *,
        region: str | None = None,
        department: str | None = None,
        commune: str | None = None,
        epci: str | None = None,
        qpvs: Iterable[str] = (),
    ) -> list[str]:
        """Check that the given codes exist and fit together; return the problems, in French.

        Each unit is checked against the smallest given unit that should contain it (a commune
        against the department, or the region when no department is given; a QPV against the
        commune, department or region, and against the EPCI), so every inconsistency shows once.
        """
        problems: list[str] = []

        def known(check: Callable[[str], T], code: str | None) -> T | None:
            if code is None:
                return None
            try:
                return check(code)
            except TerritoryError as error:
                problems.append(str(error))
                return None

        reg = known(self.check_region, region)
        dep = known(self.check_department, department)
        com = known(self.check_commune, commune)
        grp = known(self.check_epci, epci)

        if dep and reg and dep.region_code != reg.code:
            problems.append(f"{_the_department(dep)} n'est pas dans la région {reg.code}")
        if com and dep and com.department_code != dep.code:
            problems.append(f"{_the_commune(com)} n'est pas dans le département {dep.code}")
        if com and reg and not dep and com.region_code != reg.code:
            problems.append(f"{_the_commune(com)} n'est pas dans la région {reg.code}")
        if com and grp and com.epci_siren != grp.siren:
            problems.append(f"{_the_commune(com)} n'est pas membre de l'EPCI {grp.siren}")
        if grp and not com:
            member_departments = {_department_of(code) for code in grp.member_codes}
            if dep and dep.code not in member_departments:
                problems.append(
                    f"{_the_epci(grp)} n'a aucune commune dans le département {dep.code}"
                )
            member_regions = {self._region_of(code) for code in member_departments}
            if reg and not dep and reg.code not in member_regions:
                problems.append(f"{_the_epci(grp)} n'a aucune commune dans la région {reg.code}")

        for code in qpvs:
            qpv = known(self.check_qpv, code)
            if qpv is None:
                continue
            if com and com.code not in qpv.commune_codes:
                problems.append(f"{_the_qpv(qpv)} n'est pas dans la commune {com.code}")
            elif not com and dep and qpv.department_code != dep.code:
                problems.append(f"{_the_qpv(qpv)} n'est pas dans le département {dep.code}")
            elif not (com or dep) and reg and reg.code != self._region_of(qpv.department_code):
                problems.append(f"{_the_qpv(qpv)} n'est pas dans la région {reg.code}")
            if grp and grp.siren not in qpv.epci_sirens:
                problems.append(f"{_the_qpv(qpv)} n'est pas dans l'EPCI {grp.siren}")
        return problems

    def _region_of(self, department_code: str) -> str | None:
        department = self.departments.get(department_code)
        return department.region_code if department else None


@cache
def territories() -> Territories:
    """The reference, loaded on first call and shared afterwards."""
    return Territories.load()


def _rows(name: str) -> list[dict[str, str]]:
    text = (files("reference") / "data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _split(value: str, separator: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(separator) if part.strip())


def _key(code: str) -> str:
    return code.strip().upper()


def _department_of(commune_code: str) -> str:
    """The department of an INSEE commune code: 3 characters overseas (97x, 98x), else 2."""
    return commune_code[:3] if commune_code[:2] in ("97", "98") else commune_code[:2]


def _by_code(items: Iterable[T], code: Callable[[T], str]) -> Mapping[str, T]:
    return MappingProxyType({code(item): item for item in items})


def _group(items: Iterable[T], codes: Callable[[T], tuple[str, ...]]) -> dict[str, tuple[T, ...]]:
    groups: defaultdict[str, list[T]] = defaultdict(list)
    for item in items:
        for code in codes(item):
            groups[code].append(item)
    return {code: tuple(members) for code, members in groups.items()}


def _found(item: T | None, kind: str, value: str, message: str) -> T:
    if item is None:
        raise UnknownTerritory(kind, value, f"{message} : {value}")
    return item


def _the_department(department: Department) -> str:
    return f"le département {department.code} ({department.name})"


def _the_commune(commune: Commune) -> str:
    return f"la commune {commune.code} ({commune.name})"


def _the_epci(epci: Epci) -> str:
    return f"l'EPCI {epci.siren} ({epci.name})"


def _the_qpv(qpv: Qpv) -> str:
    return f"le QPV {qpv.code} ({qpv.name})"
