"""Performance evidence: a metric overall, or its minimum over groups."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

from governance.checks.params import PerformanceParams
from governance.evaluators.context import EvaluationContext
from governance.evaluators.fairness import group_stats
from governance.policy.model import Measurement

NEEDS_SCORES = frozenset({"roc_auc"})


def _metric_function(metric: str) -> Callable[..., float]:
    from sklearn import metrics as sk

    functions: dict[str, Callable[..., float]] = {
        "accuracy": sk.accuracy_score,
        "balanced_accuracy": sk.balanced_accuracy_score,
        "precision": partial(sk.precision_score, zero_division=0),
        "recall": partial(sk.recall_score, zero_division=0),
        "f1": partial(sk.f1_score, zero_division=0),
        "roc_auc": sk.roc_auc_score,
    }
    return functions[metric]


def _score(metric: str, y_true: Any, y_pred: Any, scores: Any) -> float:
    import numpy as np

    if metric in NEEDS_SCORES and len(np.unique(y_true)) < 2:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predicted = scores if metric in NEEDS_SCORES else y_pred
        return float(_metric_function(metric)(y_true, predicted))


def performance_metric(context: EvaluationContext, params: PerformanceParams) -> Measurement:
    """``params.metric`` over all rows, or its smallest value over the groups."""
    metric = params.metric
    scores = context.predictions.scores
    if metric in NEEDS_SCORES and scores is None:
        return Measurement(
            error=f"{metric} needs scores: the model has no predict_proba and the manifest "
            "sets no data.score column"
        )
    overall = _score(metric, context.y_true, context.y_pred, scores)
    if math.isnan(overall):
        return Measurement(error=f"{metric} is undefined: the data holds a single class")
    evidence: dict[str, Any] = {"metric": metric, "overall": overall}
    if params.aggregate == "overall":
        return Measurement(value=overall, evidence=evidence)

    frame = context.data.frame
    tables = []
    worst = math.inf
    problems: list[str] = []
    for features in context.feature_sets(params.sensitive_features):
        stats = group_stats(context, features)
        groups = []
        keys = frame[list(features)].astype(str).agg(" × ".join, axis=1).to_numpy()
        for _, label, values in stats.groups():
            count = int(values["count"])
            mask = keys == label
            value = _score(
                metric,
                context.y_true[mask],
                context.y_pred[mask],
                scores[mask] if scores is not None else None,
            )
            shown = None if math.isnan(value) else value
            groups.append({"label": label, "count": count, "metrics": {metric: shown}})
            if count < params.min_group_size:
                problems.append(f"group {label} has {count} rows")
            if math.isnan(value):
                problems.append(f"{metric} is undefined for {label} (a single class)")
            else:
                worst = min(worst, value)
        tables.append({"sensitive_features": list(features), "groups": groups})
    evidence["tables"] = tables
    measured = None if math.isinf(worst) else worst
    if problems:
        return Measurement(value=measured, evidence=evidence, insufficient="; ".join(problems))
    return Measurement(value=measured, evidence=evidence)
