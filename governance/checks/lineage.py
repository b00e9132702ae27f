"""Lineage-completeness check types (computed by governance.evaluators.lineage).

Each measures a count of gaps in the model's recorded lineage, so rules use ``threshold: {max:
0}``. The gate loads the lineage from the audit store before evaluation (see
``governance.lineage.snapshot``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from governance.checks.params import CheckParams
from governance.checks.registry import CheckType

_LINEAGE = "governance.evaluators.lineage"
DEFAULT_MAX_HOPS = 10
MAX_HOPS_LIMIT = 100

FacetName = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Deliverer = Annotated[str, StringConstraints(pattern=r"^(cli|api|api-key:[0-9a-f]{8})$")]
Producer = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
NO_SOURCE_RULE = "sources needs delivered_by, producers or max_delay_hours"


class EventSources(CheckParams):
    """Which recorded events count; the others are left out, as if they had not been recorded.

    ``delivered_by``: who must have delivered an event (``cli`` for ``governance lineage
    ingest``, ``api`` for a server without keys, ``api-key:<id>`` for one API key; exact
    values). ``producers``: the exact ``producer`` URIs an event may name. ``max_delay_hours``:
    an event appended to the log more than this long after its ``eventTime`` does not count.
    """

    delivered_by: Annotated[list[Deliverer], Field(min_length=1)] | None = None
    producers: Annotated[list[Producer], Field(min_length=1)] | None = None
    max_delay_hours: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None

    @model_validator(mode="after")
    def _something(self) -> EventSources:
        if self.delivered_by is None and self.producers is None and self.max_delay_hours is None:
            raise ValueError(NO_SOURCE_RULE)
        return self

    @property
    def key(self) -> str:
        """The same text for equal filters (one snapshot is loaded per filter)."""
        return self.model_dump_json()


class LineageParams(CheckParams):
    """How far back from the model the chain is followed, and which events count.

    The training job is hop 1. ``sources`` limits the events counted (by default, all).
    """

    max_hops: Annotated[int, Field(ge=1, le=MAX_HOPS_LIMIT)] = DEFAULT_MAX_HOPS
    sources: EventSources | None = None


class TracedParams(LineageParams):
    """Whether the manifest's declared training datasets must be in the chain."""

    require_declared: bool = True


class FacetsParams(LineageParams):
    """Which dataset facets every dataset of the chain must carry."""

    facets: Annotated[list[FacetName], Field(min_length=1)] = Field(
        default_factory=lambda: ["schema", "ownership"]
    )


class CodeVersionParams(LineageParams):
    """Whose code version must be recorded: the training job's, or every job's in the chain."""

    scope: Literal["training_run", "chain"] = "training_run"


class FailedRunsParams(LineageParams):
    """Whether a run that has not finished also counts."""

    require_complete: bool = False


CHECKS = (
    CheckType(
        name="lineage.training_data_traced",
        summary="The model artifact's training run is recorded, with its inputs, back to source "
        "datasets within max_hops jobs; counts the gaps.",
        params=TracedParams,
        runner=f"{_LINEAGE}:training_data_traced",
        measures="lineage gaps",
    ),
    CheckType(
        name="lineage.facets_present",
        summary="Every dataset in the model's lineage has the required facets (schema and "
        "ownership by default); counts the datasets missing one.",
        params=FacetsParams,
        runner=f"{_LINEAGE}:facets_present",
        measures="datasets missing facets",
    ),
    CheckType(
        name="lineage.code_version_recorded",
        summary="The training job records its code (sourceCodeLocation with a commit); counts "
        "the jobs that do not.",
        params=CodeVersionParams,
        runner=f"{_LINEAGE}:code_version_recorded",
        measures="jobs without a recorded commit",
    ),
    CheckType(
        name="lineage.no_failed_runs",
        summary="Neither the training run nor the runs that wrote its data (as used) failed or "
        "aborted; counts those runs.",
        params=FailedRunsParams,
        runner=f"{_LINEAGE}:no_failed_runs",
        measures="failed runs",
    ),
)
