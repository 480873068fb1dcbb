"""Use-case runs: compute, keep the results as a draft dataset, publish it if asked.

The heatwave index reads published (secrecy-applied) values only; the flows and employment
runs read an uploaded file (taken from the object store, then deleted) and parse it in a worker
thread. Results go through :func:`.datasets.publish_dataset` like any upload: nothing computed
here leaves the service before secrecy.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from contracts.dataquartiers import DatasetStatus, PublishDatasetV1
from contracts.dataquartiers_usecases import (
    RunEmploymentMobilityV1,
    RunHeatwaveIndexV1,
    RunResidentialFlowsV1,
    UseCaseRunV1,
)
from services.dataquartiers.domain import datasets
from services.dataquartiers.domain.datasets import Dataset
from services.dataquartiers.domain.territories import Level, TerritoryRef
from services.dataquartiers.domain.usecases import UseCaseResult, employment, flows, heatwave
from services.dataquartiers.handlers.datasets import (
    FileSource,
    Reference,
    publish_dataset,
)
from services.dataquartiers.handlers.datasets import (
    _listed as listed_problems,
)
from services.dataquartiers.store import UowFactory
from services.runtime.errors import Conflict, InvalidInput
from services.runtime.logging import get_logger

log = get_logger("reso.dataquartiers")

NOTES_LISTED = 300
"""Notes returned in the reply (one NATS message); the others are counted."""

HEATWAVE, FLOWS, EMPLOYMENT = "heatwave_index", "residential_flows", "employment_mobility"


async def run_heatwave_index(
    command: RunHeatwaveIndexV1, uow: UowFactory, reference: Reference
) -> UseCaseRunV1:
    heatwave.check_weights(command.weights)
    wanted: list[TerritoryRef] = []
    for key in command.territories:
        try:
            territory = TerritoryRef.from_key(key)
        except ValueError:
            territory = None
        if territory is None or territory.level is not Level.QPV:
            raise InvalidInput(f"QPV mal écrit : « {key} » (attendu qpv:QN…).")
        wanted.append(territory)
    observed: dict[str, dict[str, heatwave.Observed]] = {}
    used: list[str] = []
    async with uow() as work:
        for component in heatwave.COMPONENTS:
            rows = await work.datasets.published(component.indicator, None, wanted)
            latest: dict[str, heatwave.Observed] = {}
            for row in rows:  # ordered by vintage: the latest not after the run's wins
                if row.level == Level.QPV and row.vintage <= command.vintage:
                    latest[row.code] = heatwave.Observed(row.value, row.vintage, row.reason)
            observed[component.id] = latest
            vintages = sorted({item.vintage for item in latest.values()})
            used.append(f"{component.indicator} ({', '.join(map(str, vintages)) or 'absent'})")
    qpvs = (
        [territory.code for territory in wanted]
        if wanted
        else sorted({code for by_qpv in observed.values() for code in by_qpv})
    )
    result = heatwave.heatwave_index(
        observed,
        qpvs,
        command.vintage,
        weights=command.weights or None,
        min_components=command.min_components,
    )
    async with uow() as work:
        earlier = await work.datasets.published(heatwave.INDEX, command.vintage)
    stale = sorted({row.code for row in earlier} - {v.territory.code for v in result.values})
    if stale and result.values:
        raise Conflict(
            f"Un indice canicule {command.vintage} est déjà publié pour d'autres QPV "
            f"({', '.join(stale[:5])}{'…' if len(stale) > 5 else ''}) : l'indice est relatif aux "
            "QPV comparés, les deux calculs se mélangeraient. Choisissez un autre millésime ou "
            "comparez au moins les mêmes QPV.",
            vintage=command.vintage,
        )
    weights = heatwave.check_weights(command.weights)
    provenance = (
        "Calcul Data & Quartiers à partir des valeurs publiées de : "
        + "; ".join(used)
        + ". Poids : "
        + ", ".join(f"{name} {weight:g}" for name, weight in weights.items())
        + f". Au moins {command.min_components} composantes. Méthode : "
        "docs/usecases/vulnerabilite_canicule.md."
    )
    return await _keep(
        HEATWAVE, result, command.name, provenance, command.by, command.publish, uow, reference
    )


async def run_residential_flows(
    command: RunResidentialFlowsV1, uow: UowFactory, files: FileSource, reference: Reference
) -> UseCaseRunV1:
    data = await files.take(command.file)
    result = await asyncio.to_thread(flows.residential_flows, data, reference.territories)
    provenance = command.provenance or "Fichier de parcours résidentiels (« quartiers en flux »)"
    return await _keep(
        FLOWS, result, command.name, provenance, command.by, command.publish, uow, reference
    )


async def run_employment_mobility(
    command: RunEmploymentMobilityV1, uow: UowFactory, files: FileSource, reference: Reference
) -> UseCaseRunV1:
    data = await files.take(command.file)
    result = await asyncio.to_thread(employment.employment_mobility, data, reference.territories)
    provenance = command.provenance or "Fichier individuel (« emploi et mobilité »)"
    return await _keep(
        EMPLOYMENT, result, command.name, provenance, command.by, command.publish, uow, reference
    )


async def _keep(
    use_case: str,
    result: UseCaseResult,
    name: str,
    provenance: str,
    by: str,
    publish: bool,
    uow: UowFactory,
    reference: Reference,
) -> UseCaseRunV1:
    """Keep the results as a draft dataset (and publish it when asked)."""
    summary = _summary(use_case, result)
    dataset_id: uuid.UUID | None = None
    status: DatasetStatus | None = None
    if result.values and not result.refused:
        dataset_id = uuid.uuid4()
        async with uow() as work:
            await work.datasets.add(
                Dataset(
                    id=dataset_id,
                    name=name,
                    provenance=provenance,
                    status=datasets.DRAFT,
                    indicators=tuple(result.indicators),
                    vintages=tuple(result.vintages),
                    values=len(result.values),
                    summary=summary,
                    created_at=datetime.now(UTC),
                    created_by=by,
                )
            )
            await work.datasets.add_values(dataset_id, result.values)
            await work.commit()
        status = DatasetStatus.DRAFT
        log.info("use case run", use_case=use_case, dataset=str(dataset_id), by=by)
        if publish:
            published = await publish_dataset(
                PublishDatasetV1(dataset_id=dataset_id, by=by), uow, reference
            )
            status = published.status
    errors, errors_not_listed = listed_problems(result.errors)
    notes, notes_not_listed = _notes(result.notes)
    return UseCaseRunV1(
        use_case=use_case,
        dataset_id=dataset_id,
        status=status,
        summary=summary,
        refused=result.refused,
        read=result.read,
        values=len(result.values),
        indicators=tuple(result.indicators),
        vintages=tuple(result.vintages),
        territories=result.territories,
        notes=notes,
        notes_not_listed=notes_not_listed,
        errors=errors,
        errors_not_listed=errors_not_listed,
    )


def _notes(notes: Sequence[str]) -> tuple[tuple[str, ...], int]:
    return tuple(notes[:NOTES_LISTED]), max(0, len(notes) - NOTES_LISTED)


def _summary(use_case: str, result: UseCaseResult) -> str:
    """One French sentence, e.g. "12 lignes lues, 40 valeurs calculées, 2 territoires, 0 erreur"."""
    if result.refused and result.errors and not result.read:
        return "fichier refusé : " + " ; ".join(error.reason for error in result.errors)
    parts = [
        f"{result.read} QPV comparés" if use_case == HEATWAVE else f"{result.read} lignes lues",
        f"{len(result.values)} valeurs calculées",
        f"{result.territories} territoires",
        f"{len(result.errors)} erreurs",
    ]
    return ", ".join(parts)
