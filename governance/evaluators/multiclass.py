"""Multiclass counts: each group's K×K confusion matrix, its one-vs-rest cells and averages.

One ``numpy.bincount`` of ``group * K * K + y_true * K + y_pred`` gives every group's confusion
matrix (rows: true class, columns: predicted class), flattened on the last axis of
:attr:`GroupCounts.confusion <governance.evaluators.counts.GroupCounts>`. For a class ``c`` the
one-vs-rest cells are ``tp = M[c, c]``, ``fn = Σ M[c, :] - tp``, ``fp = Σ M[:, c] - tp`` and
``tn = n - tp - fn - fp``, so every binary metric of :mod:`governance.evaluators.metrics` has a
value per class. ``macro`` is the mean of the per-class values over the chosen classes (as
scikit-learn's ``average="macro"`` with ``labels=classes``), ``micro`` the metric of the
one-vs-rest cells added up over them (``average="micro"``). ``accuracy``, ``error_rate`` and
``balanced_accuracy`` are the multiclass metrics themselves (``accuracy_score``,
``balanced_accuracy_score``); ``average`` does not apply to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from governance.evaluators.metrics import (
    CONDITION_REASON,
    Array,
    condition_rows,
    confusion_metric,
)

AVERAGES = ("per_class", "macro", "micro")
TASK_METRICS = ("count", "accuracy", "error_rate", "balanced_accuracy")
"""Multiclass metrics of the whole confusion matrix: no class, no average."""
CLASS_METRICS = (
    "selection_rate",
    "true_positive_rate",
    "recall",
    "false_negative_rate",
    "false_positive_rate",
    "true_negative_rate",
    "precision",
    "negative_predictive_value",
    "f1",
)
"""Metrics with one value per class (one-vs-rest), averaged as a rule's ``average`` says."""
MULTICLASS_METRICS = TASK_METRICS + CLASS_METRICS


def classes_of(confusion: NDArray[Any]) -> int:
    """K, from a last axis of K * K cells."""
    return round(float(np.sqrt(confusion.shape[-1])))


def one_vs_rest(confusion: NDArray[Any]) -> Array:
    """``(..., K, 4)`` cells ``(tn, fp, fn, tp)`` of every class against the rest."""
    k = classes_of(confusion)
    matrix = np.asarray(confusion, dtype=np.float64).reshape(*confusion.shape[:-1], k, k)
    tp = np.diagonal(matrix, axis1=-2, axis2=-1)
    fn = matrix.sum(axis=-1) - tp
    fp = matrix.sum(axis=-2) - tp
    n = matrix.sum(axis=(-2, -1))[..., None]
    return np.stack([n - tp - fn - fp, fp, fn, tp], axis=-1)


def _task_metric(name: str, confusion: NDArray[Any]) -> Array:
    k = classes_of(confusion)
    matrix = np.asarray(confusion, dtype=np.float64).reshape(*confusion.shape[:-1], k, k)
    n: Array = matrix.sum(axis=(-2, -1))
    if name == "count":
        return n
    correct = np.trace(matrix, axis1=-2, axis2=-1)
    if name == "balanced_accuracy":
        positives = matrix.sum(axis=-1)
        present = positives > 0
        recall = np.divide(
            np.diagonal(matrix, axis1=-2, axis2=-1),
            positives,
            out=np.zeros_like(positives),
            where=present,
        )
        classes = present.sum(axis=-1)
        total = recall.sum(axis=-1)
        return np.asarray(np.divide(total, classes, out=np.zeros_like(total), where=classes > 0))
    accuracy: Array = np.divide(correct, n, out=np.zeros_like(n), where=n > 0)
    if name == "accuracy":
        return accuracy
    return np.asarray(np.where(n > 0, 1.0 - accuracy, 0.0))


def multiclass_metric(
    name: str, confusion: NDArray[Any], average: str, selected: Sequence[int]
) -> Array:
    """``name`` from flattened K×K matrices (last axis), averaged over the ``selected`` classes."""
    if name in TASK_METRICS:
        return _task_metric(name, confusion)
    cells = one_vs_rest(confusion)[..., list(selected), :]
    if average == "micro":
        return confusion_metric(name, cells.sum(axis=-2))
    return np.asarray(confusion_metric(name, cells).mean(axis=-1))


def undefined_classes(
    name: str,
    condition: str | None,
    confusion: NDArray[Any],
    average: str,
    selected: Sequence[int],
    classes: Sequence[Any],
) -> list[str | None]:
    """Per group (first axis), why ``name`` is undefined there, or None."""
    if condition is None or name in TASK_METRICS:
        return [None] * len(confusion)
    cells = one_vs_rest(confusion)[:, list(selected), :]
    if average == "micro":
        rows = condition_rows(condition, cells.sum(axis=1))
        return [None if count else CONDITION_REASON[condition] for count in rows]
    rows = condition_rows(condition, cells)
    reasons: list[str | None] = []
    for group in rows:
        empty = [str(classes[selected[i]]) for i, count in enumerate(group) if count == 0]
        reasons.append(
            f"{CONDITION_REASON[condition]} of class {', '.join(empty)}" if empty else None
        )
    return reasons


class MatrixCounter:
    """Per-group K×K confusion matrices accumulated chunk by chunk (K grows as classes appear)."""

    def __init__(self) -> None:
        self.matrix = np.zeros((0, 0, 0), dtype=np.int64)

    def add(self, codes: NDArray[np.int64], groups: int, truth: Any, predicted: Any) -> None:
        """Count one chunk of class ids (target and prediction) by group id."""
        truth = np.asarray(truth, dtype=np.int64)
        predicted = np.asarray(predicted, dtype=np.int64)
        k = self.matrix.shape[1]
        if len(truth):
            k = max(k, int(truth.max()) + 1, int(predicted.max()) + 1)
        self._grow(groups, k)
        index = (codes * k + truth) * k + predicted
        self.matrix += np.bincount(index, minlength=groups * k * k).reshape(groups, k, k)

    def _grow(self, groups: int, k: int) -> None:
        old_groups, old_k, _ = self.matrix.shape
        if groups == old_groups and k == old_k:
            return
        grown = np.zeros((max(groups, old_groups), k, k), dtype=np.int64)
        grown[:old_groups, :old_k, :old_k] = self.matrix
        self.matrix = grown

    def result(self, class_values: Sequence[Any]) -> tuple[tuple[Any, ...], NDArray[np.int64]]:
        """The classes in sorted order and ``(G, K * K)`` matrices in that order."""
        return sorted_classes(self.matrix, class_values)


def sorted_classes(
    matrix: NDArray[np.int64], class_values: Sequence[Any]
) -> tuple[tuple[Any, ...], NDArray[np.int64]]:
    """Classes sorted (as scikit-learn sorts labels) and ``(G, K * K)`` matrices to match."""
    k = len(class_values)
    grown = np.zeros((matrix.shape[0], k, k), dtype=np.int64)
    seen = matrix.shape[1]
    grown[:, :seen, :seen] = matrix
    try:
        order = sorted(range(k), key=lambda i: class_values[i])
    except TypeError:
        order = sorted(range(k), key=lambda i: str(class_values[i]))
    reordered = grown[:, order][:, :, order]
    return tuple(class_values[i] for i in order), reordered.reshape(len(grown), k * k)


def class_indices(classes: Sequence[Any], wanted: Sequence[Any] | None) -> list[int]:
    """Indices of the rule's ``classes`` (compared as text when the types differ); all if None.

    Raises KeyError naming the first class that the task does not have.
    """
    if not wanted:
        return list(range(len(classes)))
    found = []
    for value in wanted:
        for index, label in enumerate(classes):
            if label == value or str(label) == str(value):
                found.append(index)
                break
        else:
            raise KeyError(value)
    return found
