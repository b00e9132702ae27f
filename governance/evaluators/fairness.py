"""Fairness evidence with fairlearn's definitions, from per-group counts.

Every metric comes from the counts engine (:mod:`governance.evaluators.counts`); disparities are
derived exactly as fairlearn derives them (``MetricFrame.difference`` / ``.ratio`` with
``between_groups`` or ``to_overall``; for equalized odds the worst or mean of the TPR and FPR
disparities), so they equal fairlearn's own functions. ``to_reference`` compares every group
with a named reference group: the largest ``|v_g - v_ref|``, or the smallest ``v_g / v_ref``
taken below 1 (as fairlearn's ``to_overall`` ratio).

Per-group rates get Wilson score intervals (:mod:`governance.evaluators.rate_intervals`); the
disparities and the other metrics get intervals from :mod:`governance.evaluators.bootstrap`, with
the evaluation's one seed and resample count. ``gate_on`` picks the point value or a bound of the
interval for the threshold.

Groups below ``min_group_size`` are never compared: the measured value uses only the groups that
qualify, the evidence's ``left_out`` names the others, and a rule where fewer than two groups
qualify compares nothing and is ``insufficient``.

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
    MetricDisparityParams,
)
from governance.errors import DataError
from governance.evaluators.bootstrap import (
    BootstrapSpec,
    interval,
    resample_confusion,
)
from governance.evaluators.bootstrap import resampled_metric as _resampled_metric
from governance.evaluators.context import EvaluationContext
from governance.evaluators.counts import (
    INTERSECTION,
    GroupCounts,
    ScoresUnavailable,
    auc_error_bound,
    label_of,
)
from governance.evaluators.group_evidence import (
    bootstrap_evidence,
    bootstrap_spec,
    evidence_table,
    finite,
    metric_intervals,
    pair,
)
from governance.evaluators.metrics import METRICS, Array
from governance.evaluators.tasks import task_views
from governance.policy.model import Measurement

How = Literal["difference", "ratio"]
EO_METRICS = ("true_positive_rate", "false_positive_rate")
NOTHING_COMPARED = (
    "{grouping}: nothing compared, {qualifying} of {groups} groups reach min_group_size {minimum}"
)
NOTHING_COMPARED_REFERENCE = (
    "{grouping}: nothing compared, the reference group {reference} is below "
    "min_group_size {minimum}"
)

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


def resampled(
    context: EvaluationContext, counts: GroupCounts, metric: str, spec: BootstrapSpec, n_bins: int
) -> tuple[Array, Array]:
    """A metric on every bootstrap resample (cached per evaluation)."""

    def compute() -> tuple[Array, Array]:
        confusion = None
        if METRICS[metric].kind == "confusion" and counts.regression is None:
            confusion = context.cached(
                ("fairness.resample", counts.key, spec),
                lambda: resample_confusion(counts, spec),
            )
        return _resampled_metric(counts, metric, spec, confusion, n_bins=n_bins)

    key = ("fairness.resampled", counts.key, metric, spec, n_bins)
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
    if context.task == "regression":
        return None  # the regression metrics compare the predictions with the target
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
    compared: list[int]
    """The groups that qualified (at least ``min_group_size`` rows), by index."""


def _measure_grouping(
    context: EvaluationContext,
    counts: GroupCounts,
    disparity: Disparity,
    params: DisparityParams,
) -> _Grouping:
    reference = None
    if params.method == "to_reference":
        reference = resolve_reference(counts, params.reference_group, context.data.path)
    keep = [int(i) for i in np.flatnonzero(counts.sizes >= params.min_group_size)]
    comparable = len(keep) >= 2 and (reference is None or reference in keep)
    kept_reference = None if reference is None or not comparable else keep.index(reference)

    def compare(values: dict[str, tuple[Array, Any]]) -> Array:
        if not comparable:
            return np.full(np.shape(next(iter(values.values()))[1]), np.nan)
        return combine(
            [
                disparity_of(
                    v[..., keep], np.asarray(o), disparity.how, disparity.method, kept_reference
                )
                for v, o in values.values()
            ],
            disparity.how,
            disparity.agg,
        )

    values = {m: counts.metric(m, n_bins=disparity.n_bins) for m in disparity.metrics}
    point = compare(values)
    low = high = None
    group_intervals: dict[str, tuple[Array, Array]] = {}
    overall_intervals: dict[str, tuple[float, float]] = {}
    if params.n_boot:
        spec = bootstrap_spec(params)
        samples = {
            m: resampled(context, counts, m, spec, disparity.n_bins) for m in disparity.metrics
        }
        if comparable:
            lows, highs = interval(compare(samples), spec)
            low, high = float(lows), float(highs)
        for metric, both in samples.items():
            group_intervals[metric], overall_intervals[metric] = metric_intervals(
                counts, metric, spec, both
            )
    table = evidence_table(
        counts,
        disparity.metrics,
        values,
        group_intervals,
        overall_intervals,
        min_size=params.min_group_size,
    )
    table["point"] = finite(float(point))
    if low is not None and high is not None:
        table["interval"] = pair(low, high)
    if reference is not None:
        table["reference"] = counts.labels[reference]
    if "roc_auc" in disparity.metrics:
        bound = auc_error_bound(counts)
        if bound is not None:
            table["roc_auc_error_bound"] = bound
    return _Grouping(
        counts=counts, point=float(point), low=low, high=high, table=table, compared=keep
    )


def _judged(grouping: _Grouping, gate_on: str) -> float:
    if gate_on == "ci_lower":
        return math.nan if grouping.low is None else grouping.low
    if gate_on == "ci_upper":
        return math.nan if grouping.high is None else grouping.high
    return grouping.point


def left_out(grouping: _Grouping, minimum: int) -> list[dict[str, Any]]:
    """The groups of a grouping that were not compared, each with why."""
    counts = grouping.counts
    return [
        {
            "grouping": list(counts.features),
            "group": label,
            "count": int(size),
            "reason": f"{int(size)} rows, below min_group_size {minimum}",
        }
        for index, (label, size) in enumerate(zip(counts.labels, counts.sizes, strict=True))
        if index not in grouping.compared
    ]


def measure_disparity(
    context: EvaluationContext, params: DisparityParams, disparity: Disparity
) -> Measurement:
    """Measure each grouping on its qualifying groups, keep the worst, and say what is missing.

    Groups below ``min_group_size`` are left out of the value (and listed in ``left_out``); with
    ``small_groups: insufficient`` their presence makes the finding insufficient. A grouping
    where fewer than two groups qualify (or the reference group does not) compares nothing.
    """
    missing_scores = scores_missing(context, disparity.metrics)
    if missing_scores:
        return Measurement(error=missing_scores)
    groupings: list[_Grouping] = []
    undefined: list[str] = []
    try:
        for features in context.feature_sets(params.sensitive_features):
            whole = group_counts(context, features, disparity.n_bins)
            for counts in task_views(whole, params, disparity.metrics, "fairness"):
                for metric in disparity.metrics:
                    _check_probabilities(context, counts, metric)
                grouping = _measure_grouping(context, counts, disparity, params)
                grouping.table["measured"] = finite(_judged(grouping, params.gate_on))
                if counts.view:
                    grouping.table["view"] = counts.view
                groupings.append(grouping)
                for metric in disparity.metrics:
                    undefined.extend(counts.undefined(metric, only=grouping.compared))
    except ScoresUnavailable as exc:
        return Measurement(error=str(exc))
    minimum = params.min_group_size
    dropped = [entry for g in groupings for entry in left_out(g, minimum)]
    evidence: dict[str, Any] = {
        "metrics": list(disparity.metrics),
        "method": params.method,
        "min_group_size": minimum,
        "small_groups": params.small_groups,
        "gate_on": params.gate_on,
        **bootstrap_evidence(params, context.task),
    }
    evidence["tables"] = [g.table for g in groupings]
    if dropped:
        evidence["left_out"] = dropped
    compares = [_compares(g) for g in groupings]
    comparing = [g for g, ok in zip(groupings, compares, strict=True) if ok]
    judged = [_judged(g, params.gate_on) for g in comparing]
    defined = [v for v in judged if not math.isnan(v)]
    measured = disparity.worst(defined) if defined and len(defined) == len(judged) else None
    if measured is not None:
        worst = comparing[judged.index(measured)]
        evidence["point"] = finite(worst.point)
        if worst.low is not None and worst.high is not None:
            evidence["interval"] = pair(worst.low, worst.high)
    problems = [
        _nothing_compared(g, minimum) for g, ok in zip(groupings, compares, strict=True) if not ok
    ]
    if dropped and params.small_groups == "insufficient":
        problems.extend(f"group {d['group']} has {d['count']} rows" for d in dropped)
        problems.append(f"below min_group_size {minimum}")
    if problems or undefined:
        reason = "; ".join(problems + undefined)
        return Measurement(value=measured, evidence=evidence, insufficient=reason)
    if measured is None:
        what = "interval bound" if params.gate_on != "point" else "disparity"
        return Measurement(
            evidence=evidence, insufficient=f"the {what} is undefined (a group rate is zero)"
        )
    return Measurement(value=measured, evidence=evidence)


def _compares(grouping: _Grouping) -> bool:
    """Whether the grouping had two qualifying groups (and its reference group qualified)."""
    if len(grouping.compared) < 2:
        return False
    reference = grouping.table.get("reference")
    labels = grouping.counts.labels
    return reference is None or labels.index(reference) in grouping.compared


def _nothing_compared(grouping: _Grouping, minimum: int) -> str:
    counts = grouping.counts
    name = INTERSECTION.join(counts.features)
    qualifying = len(grouping.compared)
    if qualifying >= 2:
        return NOTHING_COMPARED_REFERENCE.format(
            grouping=name, reference=grouping.table["reference"], minimum=minimum
        )
    return NOTHING_COMPARED.format(
        grouping=name, qualifying=qualifying, groups=len(counts.groups), minimum=minimum
    )


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
