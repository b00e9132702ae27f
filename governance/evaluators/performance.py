"""Performance evidence: a metric overall, or its smallest / largest / worst value over groups.

Every value comes from the per-group counts of :mod:`governance.evaluators.counts` (the overall
value from the sum of any grouping's counts), with scikit-learn's definitions; intervals and
``gate_on`` work as for the fairness checks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from governance.checks.params import PerformanceParams
from governance.evaluators.bootstrap import BootstrapSpec, interval
from governance.evaluators.context import EvaluationContext
from governance.evaluators.counts import GroupCounts, ScoresUnavailable
from governance.evaluators.fairness import (
    _check_probabilities,
    group_counts,
    resampled,
    scores_missing,
)
from governance.evaluators.group_evidence import (
    bootstrap_evidence,
    bootstrap_spec,
    evidence_table,
    metric_intervals,
    small_groups,
)
from governance.evaluators.group_evidence import finite as _finite
from governance.evaluators.metrics import CONDITION_REASON, METRICS, Array, condition_rows
from governance.evaluators.multiclass import TASK_METRICS, undefined_classes
from governance.evaluators.tasks import DEFAULT_AVERAGE, task_views
from governance.policy.model import Measurement

NEEDS_SCORES = frozenset(name for name, m in METRICS.items() if m.kind != "confusion")


def _pick(params: PerformanceParams) -> str:
    """``min`` or ``max``: which group value the aggregate takes."""
    if params.aggregate == "worst_group":
        return "max" if METRICS[params.metric].higher_is_better is False else "min"
    return "max" if params.aggregate == "max_over_groups" else "min"


def _over_groups(values: Array, pick: str) -> Array:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(
            np.nanmax(values, axis=-1) if pick == "max" else np.nanmin(values, axis=-1)
        )


def _overall_undefined(counts: GroupCounts, metric: str) -> str | None:
    condition = METRICS[metric].condition
    if counts.regression is not None:
        if metric == "r2" and counts.rows < 2:
            return "r2 is undefined: the data has fewer than two rows"
        return None
    if condition is None:
        return None
    if counts.classes:
        selected = counts.selected or tuple(range(len(counts.classes)))
        whole = counts.confusion.sum(axis=0)[None]
        reason = undefined_classes(
            metric, condition, whole, counts.average, selected, counts.classes
        )[0]
        return None if reason is None else f"{metric} is undefined: the data has {reason}"
    if condition_rows(condition, counts.confusion.sum(axis=0)) > 0:
        return None
    if condition == "both_classes":
        return f"{metric} is undefined: the data holds a single class"
    return f"{metric} is undefined: the data has {CONDITION_REASON[condition]}"


def _judge(point: float, low: float | None, high: float | None, gate_on: str) -> float | None:
    if gate_on == "ci_lower":
        return low
    if gate_on == "ci_upper":
        return high
    return point


View = Callable[[GroupCounts], GroupCounts]


def performance_metric(context: EvaluationContext, params: PerformanceParams) -> Measurement:
    """``params.metric`` over all rows, or its smallest / largest value over the groups.

    A multiclass rule with ``average: per_class`` measures each class against the rest and
    keeps the worst class (``per_class`` in the evidence lists every class's value).
    """
    metric = params.metric
    if context.task != "multiclass" or metric in TASK_METRICS:
        return _measure(context, params, lambda counts: counts)
    average = params.average or DEFAULT_AVERAGE["performance"]
    if average != "per_class":
        return _measure(
            context, params, lambda counts: task_views(counts, params, [metric], "performance")[0]
        )
    whole = group_counts(context, context.feature_sets(None)[0], params.n_bins)
    measured: list[tuple[str, Measurement]] = []
    for index in range(len(task_views(whole, params, [metric], "performance"))):
        view = _class_view(params, index)
        measured.append((view(whole).view, _measure(context, params, view)))
    return _worst_class(params, measured)


def _class_view(params: PerformanceParams, index: int) -> View:
    def view(counts: GroupCounts) -> GroupCounts:
        return task_views(counts, params, [params.metric], "performance")[index]

    return view


def _worst_class(params: PerformanceParams, measured: list[tuple[str, Measurement]]) -> Measurement:
    """The worst class's measurement, with every class's value in ``per_class``."""
    pick = max if _pick(params) == "max" else min
    for _, found in measured:
        if found.error or found.insufficient or found.value is None:
            break
    else:
        worst = pick(measured, key=lambda item: float(item[1].value or 0.0))
        evidence = dict(worst[1].evidence or {})
        evidence["class"] = worst[0]
        evidence["per_class"] = {name: found.value for name, found in measured}
        return Measurement(value=worst[1].value, evidence=evidence)
    name, found = next((n, f) for n, f in measured if f.error or f.insufficient or f.value is None)
    evidence = dict(found.evidence or {})
    evidence["class"] = name
    return replace(found, evidence=evidence)


def _measure(context: EvaluationContext, params: PerformanceParams, view: View) -> Measurement:
    """``performance_metric`` of the counts as ``view`` shows them."""
    metric = params.metric
    missing = scores_missing(context, [metric])
    if missing:
        return Measurement(error=missing)
    spec = bootstrap_spec(params)
    try:
        first = view(group_counts(context, context.feature_sets(None)[0], params.n_bins))
        _check_probabilities(context, first, metric)
        undefined = _overall_undefined(first, metric)
        if undefined:
            return Measurement(error=undefined)
        overall = float(first.metric(metric, n_bins=params.n_bins)[1])
        evidence: dict[str, Any] = {
            "metric": metric,
            "aggregate": params.aggregate,
            "overall": overall,
            "gate_on": params.gate_on,
            **bootstrap_evidence(params, context.task),
        }
        if params.aggregate == "overall":
            low = high = None
            if params.n_boot:
                both = resampled(context, first, metric, spec, params.n_bins)
                _, (lows, highs) = metric_intervals(first, metric, spec, both)
                low, high = _finite(lows), _finite(highs)
                evidence["interval"] = [low, high]
            evidence["point"] = overall
            value = _judge(overall, low, high, params.gate_on)
            if value is None:
                return Measurement(evidence=evidence, error="the interval bound is undefined")
            return Measurement(value=value, evidence=evidence)
        return _over_group_measurement(context, params, spec, evidence, view)
    except ScoresUnavailable as exc:
        return Measurement(error=str(exc))


def _over_group_measurement(
    context: EvaluationContext,
    params: PerformanceParams,
    spec: BootstrapSpec,
    evidence: dict[str, Any],
    view: View,
) -> Measurement:
    metric = params.metric
    pick = _pick(params)
    tables = []
    judged: list[float | None] = []
    problems: list[str] = []
    points: list[float] = []
    intervals: list[list[float | None] | None] = []
    for features in context.feature_sets(params.sensitive_features):
        counts = view(group_counts(context, features, params.n_bins))
        by_group, overall = counts.metric(metric, n_bins=params.n_bins)
        point = float(_over_groups(by_group, pick))
        group_intervals: dict[str, tuple[Array, Array]] = {}
        overall_intervals: dict[str, tuple[float, float]] = {}
        low = high = None
        if params.n_boot:
            samples, overall_samples = resampled(context, counts, metric, spec, params.n_bins)
            group_intervals[metric], overall_intervals[metric] = metric_intervals(
                counts, metric, spec, (samples, overall_samples)
            )
            lows, highs = interval(_over_groups(samples, pick), spec)
            low, high = _finite(float(lows)), _finite(float(highs))
        table = evidence_table(
            counts,
            [metric],
            {metric: (by_group, overall)},
            group_intervals,
            overall_intervals,
            min_size=params.min_group_size,
        )
        table["point"] = _finite(point)
        if params.n_boot:
            table["interval"] = [low, high]
        value = _judge(point, low, high, params.gate_on)
        table["measured"] = _finite(value) if value is not None else None
        tables.append(table)
        judged.append(table["measured"])
        points.append(point)
        intervals.append(table.get("interval"))
        problems.extend(small_groups(counts, params.min_group_size))
        problems.extend(counts.undefined(metric))
    evidence["tables"] = tables
    defined = [v for v in judged if v is not None]
    measured = None
    if len(defined) == len(judged):
        measured = max(defined) if pick == "max" else min(defined)
        worst = judged.index(measured)
        evidence["point"] = _finite(points[worst])
        if intervals[worst] is not None:
            evidence["interval"] = intervals[worst]
    if problems:
        return Measurement(value=measured, evidence=evidence, insufficient="; ".join(problems))
    if measured is None or math.isnan(measured):
        return Measurement(evidence=evidence, error=f"{metric} is undefined in every group")
    return Measurement(value=measured, evidence=evidence)
