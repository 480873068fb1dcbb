"""« Emploi et mobilité »: employment, jobseekers and commuting distance, QPV beside commune.

Input schema (French note: ``docs/usecases/emploi_mobilite.md``), one row per person and year,
CSV (``;`` or ``,``, UTF-8 or Windows-1252, lines starting with ``#`` ignored):

================================  ==============================================================
``id_personne``                   pseudonymous identifier, unique per year
``annee``                         year of observation (the vintage of the results)
``qpv``                           the QPV of residence (QN…), empty outside QPV
``commune``                       the commune of residence (INSEE code), always given
``age``                           age in years (only 15 to 64 are counted)
``statut_activite``               ``emploi``, ``chomage``, ``etudes``, ``retraite``,
                                  ``autre_inactif``
``demandeur_emploi``              ``oui`` / ``non``: registered as a jobseeker
``distance_domicile_travail_km``  home-work distance for people in work; empty if unknown
================================  ==============================================================

Per year, for each QPV and each commune (all its residents, QPV included): people aged 15-64,
employment rate, share of jobseekers, and among people in work whose distance is known the
shares commuting less than 5 km, 5 to 20 km, 20 km or more; shares protected within their
partition by :func:`.profile_shares`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from reference import Territories
from services.dataquartiers.domain.ingest import RowError, Value, number
from services.dataquartiers.domain.territories import Level, TerritoryRef
from services.dataquartiers.domain.usecases import (
    UseCaseResult,
    missing_columns,
    profile_shares,
    records,
)

COLUMNS = (
    "id_personne",
    "annee",
    "qpv",
    "commune",
    "age",
    "statut_activite",
    "demandeur_emploi",
    "distance_domicile_travail_km",
)
STATUSES = ("emploi", "chomage", "etudes", "retraite", "autre_inactif")
BANDS = ("moins_5km", "5_20km", "20km_plus")


def band(km: float) -> str:
    if km < 5:
        return "moins_5km"
    return "5_20km" if km < 20 else "20km_plus"


@dataclass
class Tally:
    people: int = 0
    employed: int = 0
    jobseekers: int = 0
    bands: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BANDS, 0))


def tally(data: bytes, ref: Territories) -> tuple[dict[tuple[int, TerritoryRef], Tally],
                                                  list[RowError], int, int] | str:  # fmt: skip
    """Counts per (year, territory), refused rows, rows read, people outside 15-64; or why the
    whole file is refused."""
    table = records(data)
    if isinstance(table, str):
        return table
    header, rows, _ = table
    absent = missing_columns(header, COLUMNS)
    if absent:
        return absent
    at = {name: header.index(name) for name in COLUMNS}
    tallies: dict[tuple[int, TerritoryRef], Tally] = defaultdict(Tally)
    errors: list[RowError] = []
    seen: dict[tuple[str, int], int] = {}
    read = out_of_range = 0
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
        commune_code = cell["commune"].zfill(5) if cell["commune"] else ""
        if ref.commune(commune_code) is None:
            problems.append(f"commune inconnue : « {cell['commune']} »")
        qpv_code = cell["qpv"].upper()
        if qpv_code:
            qpv = ref.qpv(qpv_code)
            if qpv is None:
                problems.append(f"QPV inconnu : « {cell['qpv']} » (code QN… de 2024 attendu)")
            elif commune_code not in qpv.commune_codes:
                problems.append(f"le QPV {qpv_code} n'est pas dans la commune {commune_code}")
        age = int(cell["age"]) if cell["age"].isdigit() else -1
        if not 0 <= age <= 120:
            problems.append(f"âge invalide : « {cell['age']} »")
        status = cell["statut_activite"].lower()
        if status not in STATUSES:
            problems.append(f"statut d'activité inconnu : « {cell['statut_activite']} »")
        seeker = cell["demandeur_emploi"].lower()
        if seeker not in ("oui", "non"):
            problems.append(f"demandeur d'emploi : « oui » ou « non », pas « {seeker} »")
        km = (
            number(cell["distance_domicile_travail_km"])
            if cell["distance_domicile_travail_km"]
            else None
        )
        if cell["distance_domicile_travail_km"] and (km is None or km < 0):
            problems.append(
                f"distance invalide : « {cell['distance_domicile_travail_km']} » (en km)"
            )
        first = seen.get((person, year))
        if first is not None and person:
            problems.append(f"doublon : la personne {person} figure déjà ligne {first} pour {year}")
        if problems:
            errors.extend(RowError(line, problem) for problem in problems)
            continue
        seen[(person, year)] = line
        if not 15 <= age <= 64:
            out_of_range += 1
            continue
        places = [TerritoryRef(Level.COMMUNE, commune_code)]
        if qpv_code:
            places.append(TerritoryRef(Level.QPV, qpv_code))
        for territory in places:
            counts = tallies[(year, territory)]
            counts.people += 1
            counts.jobseekers += seeker == "oui"
            if status == "emploi":
                counts.employed += 1
                if km is not None:
                    counts.bands[band(km)] += 1
    return dict(tallies), errors, read, out_of_range


def employment_mobility(data: bytes, ref: Territories) -> UseCaseResult:
    """Read a person file and compute the results as values (vintage = the year)."""
    found = tally(data, ref)
    if isinstance(found, str):
        return UseCaseResult(errors=[RowError(1, found)], refused=True)
    tallies, errors, read, out_of_range = found
    result = UseCaseResult(errors=errors, read=read)
    if out_of_range:
        result.notes.append(f"{out_of_range} personne(s) hors des 15-64 ans, non comptées")
    for (year, territory), counts in sorted(tallies.items()):

        def add(
            indicator: str,
            value: float,
            base: float | None,
            territory: TerritoryRef = territory,
            year: int = year,
        ) -> None:
            result.values.append(Value(0, territory, indicator, year, value, base))

        add("em_population_15_64", counts.people, counts.people)
        shares = profile_shares(
            counts.people,
            [
                {"emploi": counts.employed, "sans_emploi": counts.people - counts.employed},
                {
                    "demandeur": counts.jobseekers,
                    "non_demandeur": counts.people - counts.jobseekers,
                },
            ],
        )
        add("em_taux_emploi", shares["emploi"].percent, shares["emploi"].base)
        add("em_part_demandeurs_emploi", shares["demandeur"].percent, shares["demandeur"].base)
        known = sum(counts.bands.values())
        if known:
            for category, share in profile_shares(known, [counts.bands]).items():
                add(f"em_part_trajet_{category}", share.percent, share.base)
    if not result.values:
        result.refused = True
        result.notes.append("aucune personne de 15 à 64 ans valide : aucun résultat calculé")
    return result
