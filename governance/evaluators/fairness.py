"""Fairness evidence with fairlearn's definitions, from per-group counts.

Every metric comes from the counts engine (:mod:`governance.evaluators.counts`); disparities are
derived exactly as fairlearn derives them (``MetricFrame.difference`` / ``.ratio`` with
``between_groups`` or ``to_overall``; for equalized odds the worst or mean of the TPR and FPR
disparities), so they equal fairlearn's own functions. ``to_reference`` compares every group
with a named reference group: the largest ``|v_g - v_ref|``, or the smallest ``v_g / v_ref``
taken below 1 (as fairlearn's ``to_overall`` ratio).

Intervals come from :mod:`governance.evaluators.bootstrap`; ``gate_on`` picks the point value or
a bound of the interval for the threshold.

Where fairlearn silently returns a number for an undefined rate (a TPR in a group with no
positive labels), the finding is ``insufficient`` with the reason.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from governance.checks.params import (
    CalibrationParams,
    DisparityParams,
    EqualizedOddsParams,
    GroupSizeParams,
    IntervalParams,
    MetricDisparityParams,
)
from governance.errors import DataError
from governance.evaluators.bootstrap import BootstrapSpec, interval, resample_confusion
from governance.evaluators.bootstrap import resampled_metric as _resampled_metric
from governance.evaluators.context import EvaluationContext
from governance.evaluators.counts import (
    INTERSECTION,
    GroupCounts,
    ScoresUnavailable,
    auc_error_bound,
    label_of,
)
from governance.evaluators.metrics import METRICS, Array
from governance.policy.model import Measurement

How = Literal["difference", "ratio"]
EO_METRICS = ("true_positive_rate", "false_positive_rate")
SCHEME = "multinomial resampling of each group's counts, group sizes fixed"

__all__ = [
    "INTERSECTION",
    "calibration_gap",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "metric_difference",
    "metric_ratio",
    "min_group_size",
    "predictive_parity_difference",
    "predictive_parity_ratio",
]


@dataclass(frozen=True)
class Disparity:
    """How a rule turns per-group metric values into one number."""

    metrics: tuple[str, ...]
    how: How
    method: str
    agg: str = "worst_case"
    n_bins: int = 10

    @property
    def worst(self) -> Callable[[Sequence[float]], float]:
        """Largest difference, smallest ratio."""
        return max if self.how == "difference" else min


def _ratio_below_one(ratios: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ratios > 1, 1.0 / ratios, ratios)


def disparity_of(
    by_group: Array, overall: Array, how: How, method: str, reference: int | None
) -> Array:
    """One metric's disparity over the last axis (groups), as fairlearn's aggregates.

    NaN group values are skipped (pandas' ``max``/``min``), so an all-NaN row gives NaN.
    """
    with (
        np.errstate(divide="ignore", invalid="ignore"),
        warnings.catch_warnings(action="ignore", category=RuntimeWarning),
    ):
        if method == "between_groups":
            high = np.nanmax(by_group, axis=-1)
            low = np.nanmin(by_group, axis=-1)
            result: Array = high - low if how == "difference" else low / high
            return result
        if method == "to_overall":
            base = overall[..., None]
        else:
            base = by_group[..., [0 if reference is None else reference]]
        if how == "difference":
            return np.asarray(np.nanmax(np.abs(by_group - base), axis=-1))
        return np.asarray(np.nanmin(_ratio_below_one(by_group / base), axis=-1))


def combine(values: list[Array], how: How, agg: str) -> Array:
    """Several metrics' disparities as one, as fairlearn's equalized odds.

    ``worst_case`` uses Python's ``max``/``min`` semantics (the first value wins ties and NaN
    comparisons), ``mean`` skips NaN like pandas.
    """
    if len(values) == 1:
        return values[0]
    if agg == "mean":
        with warnings.catch_warnings(action="ignore", category=RuntimeWarning):
            return np.asarray(np.nanmean(np.stack(values), axis=0))
    result = values[0]
    for value in values[1:]:
        better = value > result if how == "difference" else value < result
        result = np.where(better, value, result)
    return result


def resolve_reference(counts: GroupCounts, reference: Any, path: Any) -> int:
    """Index of the reference group in ``counts``; a DataError naming the groups if absent."""
    if isinstance(reference, dict):
        missing = [f for f in counts.features if f not in reference]
        if missing:
            raise DataError(
                f"reference_group names no value for {', '.join(map(repr, missing))} "
                f"(grouping {' × '.join(counts.features)})",
                path=path,
                field="params.reference_group",
            )
        wanted = label_of(tuple(reference[f] for f in counts.features))
    else:
        wanted = str(reference)
    labels = counts.labels
    for index, label in enumerate(labels):
        if label == wanted:
            return index
    shown = ", ".join(repr(label) for label in labels[:12])
    raise DataError(
        f"reference_group {wanted!r} is not a group of {' × '.join(counts.features)} "
        f"(groups: {shown})",
        path=path,
        field="params.reference_group",
    )


def group_counts(
    context: EvaluationContext, features: tuple[str, ...], n_bins: int = 10
) -> GroupCounts:
    """The shared counts for ``features`` (computed once per evaluation)."""
    return context.group_counts(features, ece_bins=(n_bins,))


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _pair(low: float, high: float) -> list[float | None] | None:
    pair = [_finite(low), _finite(high)]
    return None if pair[0] is None and pair[1] is None else pair


def bootstrap_spec(params: IntervalParams) -> BootstrapSpec:
    """The resampling a rule's interval parameters ask for."""
    return BootstrapSpec(n_boot=params.n_boot, confidence=params.confidence, seed=params.seed)


def bootstrap_evidence(params: IntervalParams) -> dict[str, Any]:
    """``{"bootstrap": ...}``, how the intervals were computed, for evidence; ``{}`` without."""
    if not params.n_boot:
        return {}
    return {
        "bootstrap": {
            "n_boot": params.n_boot,
            "confidence": params.confidence,
            "seed": params.seed,
            "scheme": SCHEME,
        }
    }


def resampled(
    context: EvaluationContext, counts: GroupCounts, metric: str, spec: BootstrapSpec, n_bins: int
) -> tuple[Array, Array]:
    """A metric on every bootstrap resample (cached per evaluation)."""

    def compute() -> tuple[Array, Array]:
        confusion = None
        if METRICS[metric].kind == "confusion":
            confusion = context.cached(
                ("fairness.resample", counts.features, spec),
                lambda: resample_confusion(counts, spec),
            )
        return _resampled_metric(counts, metric, spec, confusion, n_bins=n_bins)

    key = ("fairness.resampled", counts.features, metric, spec, n_bins)
    return context.cached(key, compute)


def _check_probabilities(context: EvaluationContext, counts: GroupCounts, metric: str) -> None:
    stats = counts.scores
    if stats is None or not METRICS[metric].probability or stats.in_unit_interval:
        return
    column = context.manifest.spec.data.score
    raise DataError(
        f"{metric} needs probabilities, but the scores range over "
        f"[{stats.lowest:.6g}, {stats.highest:.6g}], outside [0, 1]",
        path=context.data.path if column else context.manifest.model_path,
        field=column or "predict_proba",
    )


def scores_missing(context: EvaluationContext, metrics: Sequence[str]) -> str | None:
    """Why score metrics cannot be measured here, or None."""
    needing = [m for m in metrics if METRICS[m].kind != "confusion"]
    if needing and context.predictions.scores is None:
        return (
            f"{needing[0]} needs scores: the model has no predict_proba and the manifest sets "
            "no data.score column"
        )
    return None


@dataclass
class _Grouping:
    """One grouping's evidence while a rule is measured."""

    counts: GroupCounts
    point: float
    low: float | None
    high: float | None
    table: dict[str, Any]


def _measure_grouping(
    context: EvaluationContext,
    counts: GroupCounts,
    disparity: Disparity,
    params: DisparityParams,
) -> _Grouping:
    reference = None
    if params.method == "to_reference":
        reference = resolve_reference(counts, params.reference_group, context.data.path)
    values = {m: counts.metric(m, n_bins=disparity.n_bins) for m in disparity.metrics}
    point = combine(
        [
            disparity_of(v, np.asarray(o), disparity.how, disparity.method, reference)
            for v, o in values.values()
        ],
        disparity.how,
        disparity.agg,
    )
    low = high = None
    group_intervals: dict[str, tuple[Array, Array]] = {}
    overall_intervals: dict[str, tuple[float, float]] = {}
    if params.n_boot:
        spec = bootstrap_spec(params)
        samples = {
            m: resampled(context, counts, m, spec, disparity.n_bins) for m in disparity.metrics
        }
        per_resample = combine(
            [
                disparity_of(b, o, disparity.how, disparity.method, reference)
                for b, o in samples.values()
            ],
            disparity.how,
            disparity.agg,
        )
        lows, highs = interval(per_resample, spec)
        low, high = float(lows), float(highs)
        for metric, (by_group, overall) in samples.items():
            group_intervals[metric] = interval(by_group, spec)
            o_low, o_high = interval(overall, spec)
            overall_intervals[metric] = (float(o_low), float(o_high))
    table = evidence_table(
        counts,
        disparity.metrics,
        values,
        group_intervals,
        overall_intervals,
        min_size=params.min_group_size,
    )
    table["point"] = _finite(float(point))
    if low is not None and high is not None:
        table["interval"] = _pair(low, high)
    if reference is not None:
        table["reference"] = counts.labels[reference]
    if "roc_auc" in disparity.metrics:
        bound = auc_error_bound(counts)
        if bound is not None:
            table["roc_auc_error_bound"] = bound
    return _Grouping(counts=counts, point=float(point), low=low, high=high, table=table)


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
        overall[metric] = _finite(values[metric][1])
    if overall_intervals:
        overall["intervals"] = {m: _pair(*pair) for m, pair in overall_intervals.items()}
    groups = []
    sizes = counts.sizes
    for index, (group, label) in enumerate(zip(counts.groups, counts.labels, strict=True)):
        tn, fp, fn, tp = (int(c) for c in counts.confusion[index])
        entry: dict[str, Any] = {
            "group": {name: value for name, value in zip(counts.features, group, strict=True)},
            "label": label,
            "count": int(sizes[index]),
            "counts": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
            "metrics": {m: _finite(values[m][0][index]) for m in metrics},
        }
        if group_intervals:
            entry["intervals"] = {
                m: _pair(low[index], high[index]) for m, (low, high) in group_intervals.items()
            }
        if min_size is not None and sizes[index] < min_size:
            entry["insufficient"] = f"{int(sizes[index])} rows, below min_group_size {min_size}"
        groups.append(entry)
    table: dict[str, Any] = {
        "sensitive_features": list(counts.features),
        "overall": overall,
        "groups": groups,
    }
    if counts.empty_intersections:
        table["empty_intersections"] = list(counts.empty_intersections)
        if counts.more_empty_intersections:
            table["more_empty_intersections"] = counts.more_empty_intersections
    return table


def small_groups(counts: GroupCounts, minimum: int) -> list[str]:
    """Descriptions of groups with fewer than ``minimum`` rows."""
    return [
        f"group {label} has {int(size)} rows"
        for label, size in zip(counts.labels, counts.sizes, strict=True)
        if size < minimum
    ]


def _judged(grouping: _Grouping, gate_on: str) -> float:
    if gate_on == "ci_lower":
        return math.nan if grouping.low is None else grouping.low
    if gate_on == "ci_upper":
        return math.nan if grouping.high is None else grouping.high
    return grouping.point


def measure_disparity(
    context: EvaluationContext, params: DisparityParams, disparity: Disparity
) -> Measurement:
    """Measure each grouping, keep the worst, and flag small groups or undefined rates."""
    missing_scores = scores_missing(context, disparity.metrics)
    if missing_scores:
        return Measurement(error=missing_scores)
    groupings: list[_Grouping] = []
    small: list[str] = []
    undefined: list[str] = []
    try:
        for features in context.feature_sets(params.sensitive_features):
            counts = group_counts(context, features, disparity.n_bins)
            for metric in disparity.metrics:
                _check_probabilities(context, counts, metric)
            grouping = _measure_grouping(context, counts, disparity, params)
            grouping.table["measured"] = _finite(_judged(grouping, params.gate_on))
            groupings.append(grouping)
            small.extend(small_groups(counts, params.min_group_size))
            for metric in disparity.metrics:
                undefined.extend(counts.undefined(metric))
    except ScoresUnavailable as exc:
        return Measurement(error=str(exc))
    evidence: dict[str, Any] = {
        "metrics": list(disparity.metrics),
        "method": params.method,
        "min_group_size": params.min_group_size,
        "gate_on": params.gate_on,
        **bootstrap_evidence(params),
    }
    evidence["tables"] = [g.table for g in groupings]
    judged = [_judged(g, params.gate_on) for g in groupings]
    defined = [v for v in judged if not math.isnan(v)]
    measured = disparity.worst(defined) if len(defined) == len(judged) else None
    if measured is not None:
        worst = groupings[judged.index(measured)]
        evidence["point"] = _finite(worst.point)
        if worst.low is not None and worst.high is not None:
            evidence["interval"] = _pair(worst.low, worst.high)
    if small:
        small.append(f"below min_group_size {params.min_group_size}")
    if small or undefined:
        reason = "; ".join(small + undefined)
        return Measurement(value=measured, evidence=evidence, insufficient=reason)
    if measured is None:
        what = "interval bound" if params.gate_on != "point" else "disparity"
        return Measurement(
            evidence=evidence, insufficient=f"the {what} is undefined (a group rate is zero)"
        )
    return Measurement(value=measured, evidence=evidence)


def demographic_parity_difference(
    context: EvaluationContext, params: DisparityParams
) -> Measurement:
    """Largest difference of selection rates."""
    return measure_disparity(
        context, params, Disparity(("selection_rate",), "difference", params.method)
    )


def demographic_parity_ratio(context: EvaluationContext, params: DisparityParams) -> Measurement:
    """Smallest ratio of selection rates."""
    return measure_disparity(
        context, params, Disparity(("selection_rate",), "ratio", params.method)
    )


def equalized_odds_difference(
    context: EvaluationContext, params: EqualizedOddsParams
) -> Measurement:
    """Worst (or mean) of the TPR and FPR differences."""
    return measure_disparity(
        context, params, Disparity(EO_METRICS, "difference", params.method, params.agg)
    )


def equalized_odds_ratio(context: EvaluationContext, params: EqualizedOddsParams) -> Measurement:
    """Worst (or mean) of the TPR and FPR ratios."""
    return measure_disparity(
        context, params, Disparity(EO_METRICS, "ratio", params.method, params.agg)
    )


def equal_opportunity_difference(
    context: EvaluationContext, params: DisparityParams
) -> Measurement:
    """Difference of true positive rates."""
    return measure_disparity(
        context, params, Disparity(("true_positive_rate",), "difference", params.method)
    )


def equal_opportunity_ratio(context: EvaluationContext, params: DisparityParams) -> Measurement:
    """Ratio of true positive rates."""
    return measure_disparity(
        context, params, Disparity(("true_positive_rate",), "ratio", params.method)
    )


def predictive_parity_difference(
    context: EvaluationContext, params: DisparityParams
) -> Measurement:
    """Difference of precision (positive predictive value)."""
    return measure_disparity(
        context, params, Disparity(("precision",), "difference", params.method)
    )


def predictive_parity_ratio(context: EvaluationContext, params: DisparityParams) -> Measurement:
    """Ratio of precision (positive predictive value)."""
    return measure_disparity(context, params, Disparity(("precision",), "ratio", params.method))


def calibration_gap(context: EvaluationContext, params: CalibrationParams) -> Measurement:
    """Difference of expected calibration error."""
    disparity = Disparity(
        ("expected_calibration_error",), "difference", params.method, n_bins=params.n_bins
    )
    return measure_disparity(context, params, disparity)


def metric_difference(context: EvaluationContext, params: MetricDisparityParams) -> Measurement:
    """Difference of ``params.metric``."""
    disparity = Disparity((params.metric,), "difference", params.method, n_bins=params.n_bins)
    return measure_disparity(context, params, disparity)


def metric_ratio(context: EvaluationContext, params: MetricDisparityParams) -> Measurement:
    """Ratio of ``params.metric``."""
    disparity = Disparity((params.metric,), "ratio", params.method, n_bins=params.n_bins)
    return measure_disparity(context, params, disparity)


def min_group_size(context: EvaluationContext, params: GroupSizeParams) -> Measurement:
    """Rows in the smallest group."""
    tables = []
    sizes = []
    for features in context.feature_sets(params.sensitive_features):
        counts = group_counts(context, features)
        smallest = float(counts.sizes.min())
        sizes.append(smallest)
        table = evidence_table(counts, [], {}, {}, {}, min_size=None)
        table["measured"] = smallest
        tables.append(table)
    return Measurement(value=min(sizes), evidence={"metrics": [], "tables": tables})


def check_reference_groups(context: EvaluationContext, rules: Sequence[Any]) -> None:
    """Every ``reference_group`` a rule names must occur in its groupings.

    ``rules`` are loaded policy rules; a missing group is a PolicyError at the rule, raised
    before anything is evaluated or written.
    """
    from governance.errors import PolicyError

    for rule in rules:
        params = rule.params
        if getattr(params, "method", None) != "to_reference":
            continue
        for features in context.feature_sets(params.sensitive_features):
            try:
                resolve_reference(
                    context.group_counts(features), params.reference_group, context.data.path
                )
            except DataError as exc:
                raise PolicyError(
                    f"rule {rule.id}: {exc.message}",
                    path=rule.path,
                    line=rule.line,
                    column=rule.column,
                    field="params.reference_group",
                ) from None
