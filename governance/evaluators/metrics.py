"""The per-group metric catalogue: every metric defined from counts, vectorised.

Classification metrics are functions of the confusion counts ``(tn, fp, fn, tp)`` (the last axis
of an array, so one call computes every group and every bootstrap resample at once). Where a
denominator is zero they return what fairlearn / scikit-learn return there (0, the
``zero_division=0`` convention); :data:`CONDITIONS` says which rows each rate is conditioned on,
so callers can flag such a value as undefined instead of judging on it.

Score metrics (ROC AUC, Brier score, expected calibration error) and the value metrics (mean
absolute error, root mean squared error, mean prediction, R²) compare the model's score with the
0/1 target; they are computed from per-group sums, histograms and ranks in
:mod:`governance.evaluators.counts`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Kind = Literal["confusion", "score", "value"]

# Index of each cell on the last axis of a confusion array: 2 * y_true + y_pred.
TN, FP, FN, TP = 0, 1, 2, 3


@dataclass(frozen=True)
class MetricDef:
    """One per-group metric.

    Parameters
    ----------
    name
        The name rules use.
    kind
        ``confusion`` (from predictions), ``score`` or ``value`` (from the model's scores).
    higher_is_better
        Direction, for "worst group" aggregates and charts; None when neither.
    condition
        The rows the metric is conditioned on (``positives``); zero such rows in a group make
        the metric undefined there.
    probability
        Whether the metric needs scores in [0, 1].
    summary
        One line for the docs.
    """

    name: str
    kind: Kind
    higher_is_better: bool | None
    condition: str | None
    probability: bool
    summary: str


def _div(numerator: Array, denominator: Array) -> Array:
    """``numerator / denominator``, 0 where the denominator is 0 (fairlearn's convention)."""
    out = np.zeros(np.broadcast(numerator, denominator).shape, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _cells(counts: NDArray[Any]) -> tuple[Array, Array, Array, Array]:
    c = np.asarray(counts, dtype=np.float64)
    return c[..., TN], c[..., FP], c[..., FN], c[..., TP]


def _balanced_accuracy(counts: NDArray[Any]) -> Array:
    # scikit-learn: the mean recall over the classes present in y_true.
    tn, fp, fn, tp = _cells(counts)
    positives, negatives = tp + fn, tn + fp
    present = (positives > 0).astype(np.float64) + (negatives > 0)
    total = _div(tp, positives) + _div(tn, negatives)
    return _div(total, present)


def _rate(
    numerator: Callable[..., Array], denominator: Callable[..., Array]
) -> Callable[..., Array]:
    def metric(counts: NDArray[Any]) -> Array:
        cells = _cells(counts)
        return _div(numerator(*cells), denominator(*cells))

    return metric


Cells = Callable[[Array, Array, Array, Array], Array]

# The metrics that are proportions: successes / trials of ``(tn, fp, fn, tp)``. Their per-group
# intervals are Wilson score intervals (governance.evaluators.rate_intervals).
RATES: dict[str, tuple[Cells, Cells]] = {
    "selection_rate": (lambda tn, fp, fn, tp: fp + tp, lambda tn, fp, fn, tp: tn + fp + fn + tp),
    "true_positive_rate": (lambda tn, fp, fn, tp: tp, lambda tn, fp, fn, tp: tp + fn),
    "recall": (lambda tn, fp, fn, tp: tp, lambda tn, fp, fn, tp: tp + fn),
    "false_negative_rate": (lambda tn, fp, fn, tp: fn, lambda tn, fp, fn, tp: tp + fn),
    "false_positive_rate": (lambda tn, fp, fn, tp: fp, lambda tn, fp, fn, tp: fp + tn),
    "true_negative_rate": (lambda tn, fp, fn, tp: tn, lambda tn, fp, fn, tp: fp + tn),
    "precision": (lambda tn, fp, fn, tp: tp, lambda tn, fp, fn, tp: tp + fp),
    "negative_predictive_value": (lambda tn, fp, fn, tp: tn, lambda tn, fp, fn, tp: tn + fn),
    "accuracy": (lambda tn, fp, fn, tp: tn + tp, lambda tn, fp, fn, tp: tn + fp + fn + tp),
    "error_rate": (lambda tn, fp, fn, tp: fp + fn, lambda tn, fp, fn, tp: tn + fp + fn + tp),
}


def rate_cells(name: str, counts: NDArray[Any]) -> tuple[Array, Array]:
    """Successes and trials of the proportion ``name`` from confusion counts."""
    numerator, denominator = RATES[name]
    cells = _cells(counts)
    return numerator(*cells), denominator(*cells)


CONFUSION: dict[str, Callable[[NDArray[Any]], Array]] = {
    "count": lambda c: _cells(c)[0] + _cells(c)[1] + _cells(c)[2] + _cells(c)[3],
    **{name: _rate(*cells) for name, cells in RATES.items()},
    "balanced_accuracy": _balanced_accuracy,
    "f1": _rate(lambda tn, fp, fn, tp: 2 * tp, lambda tn, fp, fn, tp: 2 * tp + fp + fn),
}

_DEFS = (
    MetricDef("count", "confusion", None, None, False, "rows in the group"),
    MetricDef("selection_rate", "confusion", None, None, False, "share predicted positive"),
    MetricDef("true_positive_rate", "confusion", True, "positives", False, "TP / (TP + FN)"),
    MetricDef("recall", "confusion", True, "positives", False, "same as true_positive_rate"),
    MetricDef("false_negative_rate", "confusion", False, "positives", False, "FN / (TP + FN)"),
    MetricDef("false_positive_rate", "confusion", False, "negatives", False, "FP / (FP + TN)"),
    MetricDef("true_negative_rate", "confusion", True, "negatives", False, "TN / (FP + TN)"),
    MetricDef(
        "precision", "confusion", True, "predicted_positives", False, "TP / (TP + FP), the PPV"
    ),
    MetricDef(
        "negative_predictive_value",
        "confusion",
        True,
        "predicted_negatives",
        False,
        "TN / (TN + FN), the NPV",
    ),
    MetricDef("accuracy", "confusion", True, None, False, "(TP + TN) / n"),
    MetricDef("error_rate", "confusion", False, None, False, "(FP + FN) / n"),
    MetricDef(
        "balanced_accuracy", "confusion", True, None, False, "mean recall of the classes present"
    ),
    MetricDef(
        "f1", "confusion", True, "positives_or_predicted_positives", False, "2TP / (2TP + FP + FN)"
    ),
    MetricDef("roc_auc", "score", True, "both_classes", False, "area under the ROC curve"),
    MetricDef("brier_score", "score", False, None, True, "mean of (score - y)²"),
    MetricDef(
        "expected_calibration_error",
        "score",
        False,
        None,
        True,
        "Σ over n_bins equal-width bins of (bin rows / n) × |observed rate - mean score|",
    ),
    MetricDef("mean_prediction", "value", None, None, False, "mean score"),
    MetricDef("mean_absolute_error", "value", False, None, False, "mean of |y - score|"),
    MetricDef("root_mean_squared_error", "value", False, None, False, "√(mean of (y - score)²)"),
    MetricDef("r2", "value", True, "both_classes", False, "1 - Σ(y - score)² / Σ(y - ȳ)²"),
    MetricDef("mean_residual", "value", None, None, False, "mean of (score - y)"),
)
METRICS: dict[str, MetricDef] = {m.name: m for m in _DEFS}

# Why a metric is undefined when its condition matches no row, for messages.
CONDITION_REASON = {
    "positives": "no positives",
    "negatives": "no negatives",
    "predicted_positives": "no predicted positives",
    "predicted_negatives": "no predicted negatives",
    "positives_or_predicted_positives": "no positives and no predicted positives",
    "both_classes": "a single class",
}


def condition_rows(condition: str, counts: NDArray[Any]) -> Array:
    """How many rows of each group meet ``condition`` (0 means the metric is undefined)."""
    tn, fp, fn, tp = _cells(counts)
    if condition == "both_classes":
        return np.minimum(tp + fn, tn + fp)
    rows = {
        "positives": tp + fn,
        "negatives": tn + fp,
        "predicted_positives": tp + fp,
        "predicted_negatives": tn + fn,
        "positives_or_predicted_positives": tp + fp + fn,
    }
    return rows[condition]


def confusion_metric(name: str, counts: NDArray[Any]) -> Array:
    """``name`` from confusion counts whose last axis is ``(tn, fp, fn, tp)``."""
    return CONFUSION[name](counts)
