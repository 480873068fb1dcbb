"""« Quartiers en flux »: who moves into and out of each QPV, from a file of residential paths.

Input schema (French note: ``docs/usecases/quartiers_en_flux.md``), one row per person and year,
CSV (``;`` or ``,``, UTF-8 or Windows-1252, lines starting with ``#`` ignored):

==========================  =====================================================================
``id_personne``             pseudonymous identifier (no name, no NIR), unique per year
``annee``                   year N of the destination; the origin is the residence in N − 1
``territoire_origine``      residence in N − 1: a QPV code (QN…), a commune code, or ``HORS``
``territoire_destination``  residence in N: the same
``tranche_age``             ``moins_25``, ``25_54``, ``55_plus``
``type_menage``             ``personne_seule``, ``couple_sans_enfant``, ``couple_avec_enfants``,
                            ``famille_monoparentale``, ``autre``
``statut_activite``         ``emploi``, ``chomage``, ``etudes``, ``retraite``, ``autre_inactif``
==========================  =====================================================================

For each year N and QPV: entrants (in the QPV in N, elsewhere in N − 1), leavers (the reverse)
and stayers, and the profiles of entrants and leavers by age band and activity (études, retraite
and autre_inactif together as ``inactif``), protected within the profile by
:func:`.profile_shares`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from reference import Territories, TerritoryError
from services.dataquartiers.domain.ingest import RowError, Value
from services.dataquartiers.domain.territories import Level, TerritoryRef, resolve
from services.dataquartiers.domain.usecases import (
    UseCaseResult,
    missing_columns,
    profile_shares,
    records,
)

COLUMNS = (
    "id_personne",
    "annee",
    "territoire_origine",
    "territoire_destination",
    "tranche_age",
    "type_menage",
    "statut_activite",
)
OUTSIDE = "HORS"
AGE_BANDS = ("moins_25", "25_54", "55_plus")
HOUSEHOLDS = (
    "personne_seule",
    "couple_sans_enfant",
    "couple_avec_enfants",
    "famille_monoparentale",
    "autre",
)
ACTIVITIES = {
    "emploi": "emploi",
    "chomage": "chomage",
    "etudes": "inactif",
    "retraite": "inactif",
    "autre_inactif": "inactif",
}
ACTIVITY_GROUPS = ("emploi", "chomage", "inactif")


@dataclass(frozen=True, slots=True)
class Move:
    person: str
    year: int
    origin: str  # a QPV code, a commune code or HORS
    destination: str
    origin_qpv: bool
    destination_qpv: bool
    age: str
    household: str
    activity: str  # emploi, chomage, inactif


@dataclass(frozen=True, slots=True)
class Flows:
    entrants: int
    leavers: int
    stayers: int
    entrant_profile: dict[str, int]
    leaver_profile: dict[str, int]


def read_moves(data: bytes, ref: Territories) -> tuple[list[Move], list[RowError], int] | str:
    """The valid rows of a paths file, the refused ones with their line and French reason, and
    how many rows were read; or why the whole file is refused."""
    table = records(data)
    if isinstance(table, str):
        return table
    header, rows, _ = table
    absent = missing_columns(header, COLUMNS)
    if absent:
        return absent
    at = {name: header.index(name) for name in COLUMNS}
    moves: list[Move] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, int], int] = {}
    places: dict[str, tuple[str, bool] | str] = {}
    read = 0

    def place(code: str) -> tuple[str, bool] | str:
        if code.upper() == OUTSIDE:
            return OUTSIDE, False
        if code not in places:
            try:
                found = resolve(ref, code)
            except TerritoryError as error:
                places[code] = str(error)
            else:
                if found.level not in (Level.QPV, Level.COMMUNE):
                    places[code] = f"territoire « {code} » : attendu un QPV, une commune ou HORS"
                else:
                    places[code] = (found.code, found.level is Level.QPV)
        return places[code]

    for line, record in rows:
        read += 1
        cell = {name: record[i] if i < len(record) else "" for name, i in at.items()}
        problems: list[str] = []
        person = cell["id_personne"]
        if not person or len(person) > 64:
            problems.append("identifiant de personne absent ou trop long (64 caractères au plus)")
        year = int(cell["annee"]) if cell["annee"].isdigit() else 0
        if not 1960 <= year <= 2100:
            problems.append(f"année invalide : « {cell['annee']} »")
        origin = (
            place(cell["territoire_origine"]) if cell["territoire_origine"] else "origine absente"
        )
        destination = (
            place(cell["territoire_destination"])
            if cell["territoire_destination"]
            else "destination absente"
        )
        problems += [found for found in (origin, destination) if isinstance(found, str)]
        age, household = cell["tranche_age"].lower(), cell["type_menage"].lower()
        activity = ACTIVITIES.get(cell["statut_activite"].lower())
        if age not in AGE_BANDS:
            problems.append(f"tranche d'âge inconnue : « {cell['tranche_age']} »")
        if household not in HOUSEHOLDS:
            problems.append(f"type de ménage inconnu : « {cell['type_menage']} »")
        if activity is None:
            problems.append(f"statut d'activité inconnu : « {cell['statut_activite']} »")
        first = seen.get((person, year))
        if first is not None and person:
            problems.append(f"doublon : la personne {person} figure déjà ligne {first} pour {year}")
        if problems:
            errors.extend(RowError(line, problem) for problem in problems)
            continue
        assert isinstance(origin, tuple) and isinstance(destination, tuple) and activity
        seen[(person, year)] = line
        moves.append(
            Move(person, year, origin[0], destination[0], origin[1], destination[1], age,
                 household, activity)
        )  # fmt: skip
    return moves, errors, read


def count_flows(moves: list[Move]) -> dict[tuple[int, str], Flows]:
    """Entrants, leavers, stayers and the entrants' and leavers' profiles per (year, QPV)."""
    entrants: Counter[tuple[int, str]] = Counter()
    leavers: Counter[tuple[int, str]] = Counter()
    stayers: Counter[tuple[int, str]] = Counter()
    profiles: dict[tuple[str, int, str], Counter[str]] = defaultdict(Counter)
    qpvs: set[tuple[int, str]] = set()
    for move in moves:
        if move.origin_qpv and move.origin == move.destination:
            stayers[(move.year, move.origin)] += 1
            qpvs.add((move.year, move.origin))
            continue
        if move.destination_qpv:
            key = (move.year, move.destination)
            entrants[key] += 1
            profiles[("in", *key)].update((move.age, move.activity))
            qpvs.add(key)
        if move.origin_qpv:
            key = (move.year, move.origin)
            leavers[key] += 1
            profiles[("out", *key)].update((move.age, move.activity))
            qpvs.add(key)
    return {
        key: Flows(
            entrants[key],
            leavers[key],
            stayers[key],
            {c: profiles[("in", *key)][c] for c in (*AGE_BANDS, *ACTIVITY_GROUPS)},
            {c: profiles[("out", *key)][c] for c in (*AGE_BANDS, *ACTIVITY_GROUPS)},
        )
        for key in sorted(qpvs)
    }


def residential_flows(data: bytes, ref: Territories) -> UseCaseResult:
    """Read a paths file and compute the flows as result values (vintage = year N)."""
    read = read_moves(data, ref)
    if isinstance(read, str):
        return UseCaseResult(errors=[RowError(1, read)], refused=True)
    moves, errors, count = read
    result = UseCaseResult(errors=errors, read=count)
    for (year, qpv), flows in count_flows(moves).items():
        territory = TerritoryRef(Level.QPV, qpv)

        def add(
            indicator: str,
            value: float,
            base: float | None,
            territory: TerritoryRef = territory,
            year: int = year,
        ) -> None:
            result.values.append(Value(0, territory, indicator, year, value, base))

        add("flux_entrants", flows.entrants, flows.entrants)
        add("flux_sortants", flows.leavers, flows.leavers)
        add("flux_stables", flows.stayers, flows.stayers)
        for way, total, profile in (
            ("entrants", flows.entrants, flows.entrant_profile),
            ("sortants", flows.leavers, flows.leaver_profile),
        ):
            if not total:
                continue
            partitions = [
                {c: profile[c] for c in AGE_BANDS},
                {c: profile[c] for c in ACTIVITY_GROUPS},
            ]
            for category, share in profile_shares(total, partitions).items():
                add(f"flux_{way}_part_{category}", share.percent, share.base)
    if not result.values:
        result.refused = True
        result.notes.append("aucune ligne valide concernant un QPV : aucun flux calculé")
    return result
