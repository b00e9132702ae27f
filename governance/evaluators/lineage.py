"""Lineage evidence: gaps in the model's recorded lineage, read from the context's snapshot.

The snapshot is loaded from the audit store by the gate before evaluation; nothing here touches
the database. Without a snapshot (evaluating outside the gate) the checks cannot tell: ``error``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from governance.checks.lineage import (
    CodeVersionParams,
    FacetsParams,
    FailedRunsParams,
    LineageParams,
    TracedParams,
)
from governance.evaluators.context import EvaluationContext
from governance.lineage.model import RunDetail
from governance.lineage.snapshot import Chain, LineageSnapshot
from governance.policy.model import Measurement

COMMIT = re.compile(r"[0-9a-fA-F]{7,64}")
NO_SNAPSHOT = (
    "no lineage was loaded: lineage checks run in `governance check`, which reads the audit store"
)
NO_RUN = "no recorded run produced the model: looked for {lookup}"
LATE_AFTER_SECONDS = 24 * 3600
"""Runs with an event recorded more than this after its eventTime are listed as recorded late."""
DEEPER = "max_hops {asked} is deeper than the lineage loaded ({loaded}); this is a bug in the gate"


def training_data_traced(context: EvaluationContext, params: TracedParams) -> Measurement:
    """Count the gaps between the model and its source datasets."""
    snapshot, problem = _snapshot(context, params)
    if snapshot is None:
        return problem
    run = snapshot.training_run
    if run is None:
        message = NO_RUN.format(lookup=snapshot.lookup)
        return Measurement(value=1, evidence={**_base(snapshot), "gaps": [message]})
    chain = snapshot.chain(params.max_hops)
    gaps: list[str] = []
    if not run.summary.inputs:
        gaps.append(f"training run {run.summary.run_id} records no input datasets")
    gaps += [
        f"{dataset} is not traced to a source within {params.max_hops} hops"
        for dataset in chain.beyond
    ]
    if params.require_declared:
        gaps += [
            f"declared training dataset {dataset} is not in the recorded lineage"
            for dataset in snapshot.declared
            if dataset not in chain.datasets
        ]
    return Measurement(
        value=len(gaps),
        evidence={
            **_base(snapshot),
            **_chain(chain),
            "declared": list(snapshot.declared),
            "gaps": gaps,
        },
    )


def facets_present(context: EvaluationContext, params: FacetsParams) -> Measurement:
    """Count the datasets of the chain that lack a required facet."""
    traced = _traced(context, params)
    if isinstance(traced, Measurement):
        return traced
    snapshot, _, chain = traced
    missing: dict[str, list[str]] = {}
    for dataset in chain.datasets:
        present = snapshot.facets.get(dataset, {})
        lacking = [name for name in params.facets if name not in present]
        if lacking:
            missing[dataset] = lacking
    return Measurement(
        value=len(missing),
        evidence={
            **_base(snapshot),
            **_chain(chain),
            "required": list(params.facets),
            "missing": [{"dataset": key, "facets": names} for key, names in missing.items()],
        },
    )


def code_version_recorded(context: EvaluationContext, params: CodeVersionParams) -> Measurement:
    """Count the jobs without a ``sourceCodeLocation`` facet that names a commit."""
    traced = _traced(context, params)
    if isinstance(traced, Measurement):
        return traced
    snapshot, run, chain = traced
    jobs = [run.summary.job] if params.scope == "training_run" else sorted(chain.jobs)
    recorded: dict[str, dict[str, Any]] = {}
    lacking: list[str] = []
    for job in jobs:
        facets = run.job_facets if job == run.summary.job else snapshot.facets.get(job, {})
        location = _code_location(facets)
        if location is None:
            lacking.append(job)
        else:
            recorded[job] = location
    return Measurement(
        value=len(lacking),
        evidence={
            **_base(snapshot),
            "scope": params.scope,
            "recorded": recorded,
            "missing": lacking,
        },
    )


def no_failed_runs(context: EvaluationContext, params: FailedRunsParams) -> Measurement:
    """Count the failed (or, if asked, unfinished) runs behind the model."""
    traced = _traced(context, params)
    if isinstance(traced, Measurement):
        return traced
    snapshot, _, chain = traced
    failed, unfinished = snapshot.failed_runs(chain)
    counted = failed + (unfinished if params.require_complete else [])
    return Measurement(
        value=len(counted),
        evidence={
            **_base(snapshot),
            "failed": [_run(run, snapshot) for run in failed],
            "unfinished": [_run(run, snapshot) for run in unfinished],
        },
    )


def _snapshot(
    context: EvaluationContext, params: LineageParams
) -> tuple[LineageSnapshot, Measurement] | tuple[None, Measurement]:
    if params.sources is None:
        snapshot = context.lineage
    else:
        snapshot = context.lineage_by_sources.get(params.sources.key)
    if not isinstance(snapshot, LineageSnapshot):
        return None, Measurement(error=NO_SNAPSHOT)
    if params.max_hops > snapshot.max_hops:
        return None, Measurement(
            error=DEEPER.format(asked=params.max_hops, loaded=snapshot.max_hops)
        )
    return snapshot, Measurement()


def _traced(
    context: EvaluationContext, params: LineageParams
) -> tuple[LineageSnapshot, RunDetail, Chain] | Measurement:
    """The snapshot, its training run and its chain ``params.max_hops`` jobs deep.

    Or the measurement to answer instead: an error without a usable snapshot, insufficient
    evidence when no recorded run produced the model.
    """
    snapshot, problem = _snapshot(context, params)
    if snapshot is None:
        return problem
    run = snapshot.training_run
    if run is None:
        return _untraced(snapshot)
    return snapshot, run, snapshot.chain(params.max_hops)


def _untraced(snapshot: LineageSnapshot) -> Measurement:
    return Measurement(
        evidence=_base(snapshot),
        insufficient=NO_RUN.format(lookup=snapshot.lookup),
    )


def _base(snapshot: LineageSnapshot) -> dict[str, Any]:
    run = snapshot.training_run
    late = [
        {
            **_run_id_job(snapshot, run_id),
            "recorded_after_hours": round(origin.delay_seconds / 3600, 1),
        }
        for run_id, origin in snapshot.origins.items()
        if origin.delay_seconds > LATE_AFTER_SECONDS
    ]
    return {
        "log_size": snapshot.log_size,
        "model_dataset": snapshot.model_dataset,
        "found_by": snapshot.found_by,
        "training_run": None if run is None else _run(run.summary, snapshot),
        "events_left_out": snapshot.left_out,
        "recorded_late": late,
    }


def _run_id_job(snapshot: LineageSnapshot, run_id: str) -> dict[str, Any]:
    runs = [] if snapshot.training_run is None else [snapshot.training_run.summary]
    runs += [run for items in snapshot.writers.values() for run in items]
    job = next((run.job for run in runs if run.run_id == run_id), None)
    return {"run_id": run_id, "job": job}


def _chain(chain: Chain) -> dict[str, Any]:
    return {
        "datasets": [{"dataset": key, "hop": hop} for key, hop in chain.datasets.items()],
        "jobs": [{"job": key, "hop": hop} for key, hop in chain.jobs.items()],
        "sources": list(chain.sources),
    }


def _run(run: Any, snapshot: LineageSnapshot) -> dict[str, Any]:
    origin = snapshot.origins.get(run.run_id)
    return {
        "run_id": run.run_id,
        "job": run.job,
        "state": run.state,
        "delivered_by": None if origin is None else list(origin.delivered_by),
    }


def _code_location(facets: Mapping[str, Any]) -> dict[str, Any] | None:
    facet = facets.get("sourceCodeLocation")
    if not isinstance(facet, Mapping):
        return None
    version = facet.get("version")
    if not isinstance(version, str) or not COMMIT.fullmatch(version):
        return None
    return {
        "url": facet.get("url") or facet.get("repoUrl"),
        "path": facet.get("path"),
        "version": version,
    }
