"""Fairness evidence with fairlearn's definitions.

For each grouping of sensitive features one :class:`fairlearn.metrics.MetricFrame` of every base
metric is computed per evaluation and shared by all rules. Measured values are derived exactly as
fairlearn derives them (``MetricFrame.difference`` / ``.ratio`` and, for equalized odds, the worst
or mean of the TPR and FPR disparities), so they equal fairlearn's own functions.

Where fairlearn silently returns a number for an undefined rate (a TPR in a group with no
positive labels), the finding is ``insufficient`` with the reason.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from governance.checks.params import (
    DisparityParams,
    EqualizedOddsParams,
    GroupParams,
    GroupSizeParams,
    MetricDisparityParams,
)
from governance.evaluators.context import EvaluationContext
from governance.policy.model import Measurement

INTERSECTION = " × "

# Which rows a rate is conditioned on: a rate over an empty condition is undefined.
CONDITIONED_ON = {
    "true_positive_rate": "positives",
    "false_negative_rate": "positives",
    "recall": "positives",
    "false_positive_rate": "negatives",
    "true_negative_rate": "negatives",
    "precision": "predicted_positives",
}


def _base_metrics() -> dict[str, Callable[..., float]]:
    import fairlearn.metrics as fm
    import numpy as np
    from sklearn import metrics as sk

    def positives(y_true: Any, y_pred: Any) -> float:
        return float(np.sum(y_true))

    def negatives(y_true: Any, y_pred: Any) -> float:
        return float(len(y_true) - np.sum(y_true))

    def predicted_positives(y_true: Any, y_pred: Any) -> float:
        return float(np.sum(y_pred))

    return {
        "count": fm.count,
        "positives": positives,
        "negatives": negatives,
        "predicted_positives": predicted_positives,
        "selection_rate": fm.selection_rate,
        "true_positive_rate": fm.true_positive_rate,
        "false_positive_rate": fm.false_positive_rate,
        "false_negative_rate": fm.false_negative_rate,
        "true_negative_rate": fm.true_negative_rate,
        "accuracy": sk.accuracy_score,
        "balanced_accuracy": sk.balanced_accuracy_score,
        "precision": partial(sk.precision_score, zero_division=0),
        "recall": partial(sk.recall_score, zero_division=0),
        "f1": partial(sk.f1_score, zero_division=0),
    }


@dataclass(frozen=True)
class GroupStats:
    """Every base metric, overall and per group, for one grouping of sensitive features."""

    features: tuple[str, ...]
    frame: Any  # fairlearn.metrics.MetricFrame

    def _all_groups(self) -> list[tuple[dict[str, Any], str, dict[str, float]]]:
        rows = []
        for key, values in self.frame.by_group.iterrows():
            parts = key if isinstance(key, tuple) else (key,)
            group = {name: _plain(part) for name, part in zip(self.features, parts, strict=True)}
            label = INTERSECTION.join(str(part) for part in group.values())
            rows.append((group, label, {k: float(v) for k, v in values.items()}))
        return rows

    def groups(self) -> list[tuple[dict[str, Any], str, dict[str, float]]]:
        """(group as {feature: value}, label, metric values) for every group with rows."""
        return [row for row in self._all_groups() if not math.isnan(row[2]["count"])]

    def empty_intersections(self) -> list[str]:
        """Combinations of feature values that no row has (fairlearn lists them as NaN)."""
        return [label for _, label, values in self._all_groups() if math.isnan(values["count"])]

    def small_groups(self, minimum: int) -> list[str]:
        """Descriptions of groups with fewer than ``minimum`` rows."""
        return [
            f"group {label} has {int(metrics['count'])} rows"
            for _, label, metrics in self.groups()
            if metrics["count"] < minimum
        ]

    def undefined(self, metric: str) -> list[str]:
        """Groups where ``metric`` is undefined because its condition matched no row."""
        condition = CONDITIONED_ON.get(metric)
        if condition is None:
            return []
        readable = condition.replace("_", " ")
        return [
            f"{metric} is undefined for {label} (no {readable})"
            for _, label, metrics in self.groups()
            if metrics[condition] == 0
        ]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def group_stats(context: EvaluationContext, features: tuple[str, ...]) -> GroupStats:
    """The shared MetricFrame for ``features`` (computed once per evaluation)."""

    def compute() -> GroupStats:
        from fairlearn.metrics import MetricFrame

        sensitive = context.data.frame[list(features)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = MetricFrame(
                metrics=_base_metrics(),
                y_true=context.y_true,
                y_pred=context.y_pred,
                sensitive_features=sensitive,
            )
        return GroupStats(features=features, frame=frame)

    return context.cached(("fairness.group_stats", features), compute)


def evidence_table(
    stats: GroupStats, metrics: Sequence[str], measured: float | None
) -> dict[str, Any]:
    """Per-group counts and metric values, as stored with the finding."""
    overall = stats.frame.overall
    table: dict[str, Any] = {
        "sensitive_features": list(stats.features),
        "measured": _finite(measured),
        "overall": {
            "count": int(overall["count"]),
            **{name: _finite(float(overall[name])) for name in metrics},
        },
        "groups": [
            {
                "group": group,
                "label": label,
                "count": int(values["count"]),
                "metrics": {name: _finite(values[name]) for name in metrics},
            }
            for group, label, values in stats.groups()
        ],
    }
    empty = stats.empty_intersections()
    if empty:
        table["empty_intersections"] = empty
    return table


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


Aggregate = Callable[[GroupStats], float]


def _measure(
    context: EvaluationContext,
    params: GroupParams,
    metrics: Sequence[str],
    aggregate: Aggregate,
    *,
    worst: Callable[[Sequence[float]], float],
) -> Measurement:
    """Aggregate each grouping, keep the worst, and flag small groups or undefined rates."""
    tables = []
    values = []
    small: list[str] = []
    undefined: list[str] = []
    for features in context.feature_sets(params.sensitive_features):
        stats = group_stats(context, features)
        value = float(aggregate(stats))
        tables.append(evidence_table(stats, metrics, value))
        values.append(value)
        small.extend(stats.small_groups(params.min_group_size))
        for metric in metrics:
            undefined.extend(stats.undefined(metric))
    evidence = {"metrics": list(metrics), "min_group_size": params.min_group_size, "tables": tables}
    defined = [v for v in values if not math.isnan(v)]
    measured = worst(defined) if len(defined) == len(values) else None
    if small:
        small.append(f"below min_group_size {params.min_group_size}")
    if small or undefined:
        reason = "; ".join(small + undefined)
        return Measurement(value=measured, evidence=evidence, insufficient=reason)
    if measured is None:
        return Measurement(
            evidence=evidence, insufficient="the disparity is undefined (a group rate is zero)"
        )
    return Measurement(value=measured, evidence=evidence)


def _difference(metric: str, method: str) -> Aggregate:
    return lambda stats: float(stats.frame.difference(method=method)[metric])


def _ratio(metric: str, method: str) -> Aggregate:
    return lambda stats: float(stats.frame.ratio(method=method)[metric])


EO_METRICS = ("true_positive_rate", "false_positive_rate")


def _equalized_odds(params: EqualizedOddsParams, how: str) -> Aggregate:
    def aggregate(stats: GroupStats) -> float:
        frame = stats.frame
        disparity = (
            frame.difference(method=params.method)
            if how == "difference"
            else frame.ratio(method=params.method)
        )
        if params.agg == "mean":  # pandas' mean skips NaN, as in fairlearn
            return float(disparity[list(EO_METRICS)].mean())
        pair = [float(disparity[name]) for name in EO_METRICS]
        # Same order and builtin as fairlearn, so NaN handling is identical too.
        return max(pair) if how == "difference" else min(pair)

    return aggregate


def demographic_parity_difference(
    context: EvaluationContext, params: DisparityParams
) -> Measurement:
    """Largest difference of selection rates."""
    return _measure(
        context,
        params,
        ["selection_rate"],
        _difference("selection_rate", params.method),
        worst=max,
    )


def demographic_parity_ratio(context: EvaluationContext, params: DisparityParams) -> Measurement:
    """Smallest ratio of selection rates."""
    return _measure(
        context, params, ["selection_rate"], _ratio("selection_rate", params.method), worst=min
    )


def equalized_odds_difference(
    context: EvaluationContext, params: EqualizedOddsParams
) -> Measurement:
    """Worst (or mean) of the TPR and FPR differences."""
    return _measure(context, params, EO_METRICS, _equalized_odds(params, "difference"), worst=max)


def equalized_odds_ratio(context: EvaluationContext, params: EqualizedOddsParams) -> Measurement:
    """Worst (or mean) of the TPR and FPR ratios."""
    return _measure(context, params, EO_METRICS, _equalized_odds(params, "ratio"), worst=min)


def equal_opportunity_difference(
    context: EvaluationContext, params: DisparityParams
) -> Measurement:
    """Difference of true positive rates."""
    return _measure(
        context,
        params,
        ["true_positive_rate"],
        _difference("true_positive_rate", params.method),
        worst=max,
    )


def metric_difference(context: EvaluationContext, params: MetricDisparityParams) -> Measurement:
    """Difference of ``params.metric``."""
    return _measure(
        context, params, [params.metric], _difference(params.metric, params.method), worst=max
    )


def metric_ratio(context: EvaluationContext, params: MetricDisparityParams) -> Measurement:
    """Ratio of ``params.metric``."""
    return _measure(
        context, params, [params.metric], _ratio(params.metric, params.method), worst=min
    )


def min_group_size(context: EvaluationContext, params: GroupSizeParams) -> Measurement:
    """Rows in the smallest group."""
    tables = []
    sizes = []
    for features in context.feature_sets(params.sensitive_features):
        stats = group_stats(context, features)
        smallest = float(min(values["count"] for _, _, values in stats.groups()))
        sizes.append(smallest)
        tables.append(evidence_table(stats, [], smallest))
    return Measurement(value=min(sizes), evidence={"metrics": [], "tables": tables})
