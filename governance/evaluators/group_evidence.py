"""Evidence tables of per-group metrics and how their intervals were computed.

Shared by the fairness and performance checks: each group's counts, metric values and intervals
(Wilson score intervals for rates, :mod:`governance.evaluators.rate_intervals`; the evaluation's
bootstrap for the other metrics, :mod:`governance.evaluators.bootstrap`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from governance.checks.params import IntervalParams
from governance.evaluators.bootstrap import BootstrapSpec, evaluation_spec, interval
from governance.evaluators.counts import GroupCounts
from governance.evaluators.metrics import Array
from governance.evaluators.rate_intervals import METHOD as RATE_METHOD
from governance.evaluators.rate_intervals import is_rate, rate_interval
from governance.evaluators.regression import INTERVAL_METHOD as REGRESSION_SCHEME
from governance.evaluators.regression import histogram_entries

SCHEME = "multinomial resampling of each group's counts, group sizes fixed"


def finite(value: float | None) -> float | None:
    """``value`` as a JSON number, None for NaN and infinities."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def pair(low: float, high: float) -> list[float | None] | None:
    """An interval as stored, None when neither end is finite."""
    ends = [finite(low), finite(high)]
    return None if ends[0] is None and ends[1] is None else ends


def bootstrap_spec(params: IntervalParams) -> BootstrapSpec:
    """The evaluation's resampling, or none where the rule turned intervals off."""
    return evaluation_spec(params.n_boot)


def bootstrap_evidence(params: IntervalParams, task: str = "binary") -> dict[str, Any]:
    """``{"bootstrap": ...}``, how the intervals were computed, for evidence; ``{}`` without.

    A regression task's intervals are normal draws from its sums, not resampled counts.
    """
    spec = bootstrap_spec(params)
    if not spec.n_boot:
        return {}
    found: dict[str, Any] = {
        "n_boot": spec.n_boot,
        "confidence": spec.confidence,
        "seed": spec.seed,
        "scheme": REGRESSION_SCHEME if task == "regression" else SCHEME,
    }
    if task == "binary":
        found["rates"] = RATE_METHOD
    return {"bootstrap": found}


def metric_intervals(
    counts: GroupCounts, metric: str, spec: BootstrapSpec, samples: tuple[Array, Array]
) -> tuple[tuple[Array, Array], tuple[float, float]]:
    """A metric's interval per group and overall: Wilson for a rate, else the bootstrap's."""
    if is_rate(metric) and counts.task == "binary":
        by_group = rate_interval(metric, counts.confusion, spec.confidence)
        low, high = rate_interval(metric, counts.confusion.sum(axis=0), spec.confidence)
    else:
        by_group = interval(samples[0], spec)
        low, high = interval(samples[1], spec)
    return by_group, (float(low), float(high))


def evidence_table(
    counts: GroupCounts,
    metrics: Sequence[str],
    values: dict[str, tuple[Array, float]],
    group_intervals: dict[str, tuple[Array, Array]],
    overall_intervals: dict[str, tuple[float, float]],
    *,
    min_size: int | None,
) -> dict[str, Any]:
    """Per-group counts, metric values and intervals, as stored with the finding."""
    overall: dict[str, Any] = {"count": counts.rows}
    for metric in metrics:
        overall[metric] = finite(values[metric][1])
    if overall_intervals:
        overall["intervals"] = {m: pair(*ends) for m, ends in overall_intervals.items()}
    groups = []
    sizes = counts.sizes
    for index, (group, label) in enumerate(zip(counts.groups, counts.labels, strict=True)):
        entry: dict[str, Any] = {
            "group": {name: value for name, value in zip(counts.features, group, strict=True)},
            "label": label,
            "count": int(sizes[index]),
            **_cells(counts, index),
            "metrics": {m: finite(values[m][0][index]) for m in metrics},
        }
        if group_intervals:
            entry["intervals"] = {
                m: pair(low[index], high[index]) for m, (low, high) in group_intervals.items()
            }
        if min_size is not None and sizes[index] < min_size:
            entry["insufficient"] = f"{int(sizes[index])} rows, below min_group_size {min_size}"
        groups.append(entry)
    table: dict[str, Any] = {
        **({"classes": list(counts.classes)} if counts.classes else {}),
        "sensitive_features": list(counts.features),
        "overall": overall,
        "groups": groups,
    }
    if counts.empty_intersections:
        table["empty_intersections"] = list(counts.empty_intersections)
        if counts.more_empty_intersections:
            table["more_empty_intersections"] = counts.more_empty_intersections
    return table


def _cells(counts: GroupCounts, index: int) -> dict[str, Any]:
    """A group's counts as evidence: confusion cells, K×K matrix, or residual histogram.

    The residual histogram lists its non-empty bins as ``[low, high, rows]``.
    """
    if counts.residuals is not None:
        return {"residuals": histogram_entries(counts.residuals[index])}
    if counts.classes:
        k = len(counts.classes)
        return {"matrix": counts.confusion[index].reshape(k, k).tolist()}
    tn, fp, fn, tp = (int(c) for c in counts.confusion[index])
    return {"counts": {"tn": tn, "fp": fp, "fn": fn, "tp": tp}}


def small_groups(counts: GroupCounts, minimum: int) -> list[str]:
    """Descriptions of groups with fewer than ``minimum`` rows."""
    return [
        f"group {label} has {int(size)} rows"
        for label, size in zip(counts.labels, counts.sizes, strict=True)
        if size < minimum
    ]
