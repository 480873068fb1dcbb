"""Messages of the dataquartiers use cases: runs whose results become draft datasets.

A run computes its results and keeps them as a **draft dataset**, like an upload; publishing it
(``rpc.dataquartiers.dataset.publish.v1``, or ``publish=True`` here) applies statistical secrecy
like any other dataset; its values are then read with ``rpc.dataquartiers.indicator.values.v1``.
No reply carries a result value. Method notes (French): ``docs/usecases/``.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import Field

from contracts.base import Command, Reply
from contracts.dataquartiers import DatasetStatus, ProblemV1

_FILE = (
    "Name of the uploaded input file in the JetStream object store bucket RESO_FILES; "
    "dataquartiers deletes it once read."
)
_PUBLISH = "Publish the results at once (through secrecy) instead of leaving a draft."
_BY = "E-mail of the staff account that asked."


class RunHeatwaveIndexV1(Command):
    """Compute the heatwave vulnerability index per QPV (``data`` staff).

    Inputs are the **published** values of ``part_surface_vegetalisee``, ``part_75_ans_plus``,
    ``part_moins_3_ans``, ``taux_pauvrete`` and ``taux_suroccupation``, for each QPV the latest
    vintage not after ``vintage``; a value hidden by secrecy (``"s"``) is a missing component.
    Min-max normalisation across the QPV compared, weights renormalised over the components a
    QPV has, no index below ``min_components``. Results (indicators ``ivc_*``, vintage
    ``vintage``) are kept as a draft dataset."""

    subject: ClassVar[str] = "rpc.dataquartiers.heatwave_index.run.v1"

    vintage: int = Field(ge=1960, le=2100, description="Vintage of the results.")
    weights: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "Weight per component (vegetation, 75_ans_plus, moins_3_ans, pauvrete, "
            "suroccupation); empty for the defaults 0.25/0.25/0.10/0.20/0.20."
        ),
    )
    min_components: int = Field(default=3, ge=1, le=5)
    territories: tuple[str, ...] = Field(
        default=(),
        max_length=2000,
        description="QPV compared (``qpv:QN…``); () for every QPV with a published input.",
    )
    name: str = Field(default="Indice de vulnérabilité aux canicules", min_length=1, max_length=200)
    publish: bool = Field(default=False, description=_PUBLISH)
    by: str = Field(description=_BY)


class RunResidentialFlowsV1(Command):
    """Compute « quartiers en flux » (entrants, leavers, stayers per QPV and their profiles by
    age band and activity) from a file of residential paths (``data`` staff). Refused rows are
    reported with their line; results (indicators ``flux_*``, vintage = the file's year) are
    kept as a draft dataset. Profiles are protected within themselves before publication."""

    subject: ClassVar[str] = "rpc.dataquartiers.residential_flows.run.v1"

    file: str = Field(min_length=1, max_length=255, description=_FILE)
    name: str = Field(default="Quartiers en flux", min_length=1, max_length=200)
    provenance: str = Field(default="", max_length=2000)
    publish: bool = Field(default=False, description=_PUBLISH)
    by: str = Field(description=_BY)


class RunEmploymentMobilityV1(Command):
    """Compute « emploi et mobilité » (people aged 15-64, employment rate, share of jobseekers,
    commuting distance bands, per QPV and per commune) from a file of people (``data`` staff).
    Results (indicators ``em_*``) are kept as a draft dataset."""

    subject: ClassVar[str] = "rpc.dataquartiers.employment_mobility.run.v1"

    file: str = Field(min_length=1, max_length=255, description=_FILE)
    name: str = Field(default="Emploi et mobilité", min_length=1, max_length=200)
    provenance: str = Field(default="", max_length=2000)
    publish: bool = Field(default=False, description=_PUBLISH)
    by: str = Field(description=_BY)


class UseCaseRunV1(Reply):
    """What a use-case run computed and kept: the dataset (draft, or published when asked),
    French notes (missing or hidden inputs, renormalised weights), refused input rows. Never a
    result value: read them, secrecy applied, with ``rpc.dataquartiers.indicator.values.v1``."""

    subject: ClassVar[str] = "rpc.dataquartiers.heatwave_index.run.v1"

    use_case: str = Field(description="heatwave_index, residential_flows or employment_mobility.")
    dataset_id: uuid.UUID | None = Field(description="None when nothing could be computed.")
    status: DatasetStatus | None = None
    summary: str = Field(description="One French sentence.")
    refused: bool = False
    read: int = Field(default=0, description="Input rows (or QPV) read.")
    values: int = Field(default=0, description="Result values kept.")
    indicators: tuple[str, ...] = ()
    vintages: tuple[int, ...] = ()
    territories: int = 0
    notes: tuple[str, ...] = ()
    notes_not_listed: int = 0
    errors: tuple[ProblemV1, ...] = ()
    errors_not_listed: int = 0
