"""What each task type (``data.task``) can be judged on, and the views of its counts a rule sees.

A rule that asks for something its task does not have (a calibration gap of a regression
model, ``average`` on a binary task, a class the target lacks) is a PolicyError at the rule,
raised before anything is read. A multiclass rule is measured on one view per class
(``per_class``: each class against the rest, a binary view) or on one averaged view
(``macro``, ``micro``) of :mod:`governance.evaluators.multiclass`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from governance.errors import DataError, PolicyError
from governance.evaluators.counts import GroupCounts
from governance.evaluators.multiclass import (
    MULTICLASS_METRICS,
    TASK_METRICS,
    class_indices,
    one_vs_rest,
)
from governance.evaluators.regression import REGRESSION_METRICS

REGRESSION_CHECKS = ("fairness.metric_difference", "fairness.metric_ratio")
MULTICLASS_ONLY = "{what} goes with data.task multiclass (the task is {task})"
NOT_FOR_TASK = "{check} is not defined for a {task} task{hint}"
METRIC_NOT_FOR_TASK = "metric {metric} is not defined for a {task} task (its metrics: {known})"
UNKNOWN_CLASS = "class {value!r} is not a label of the target ({count} labels)"
DEFAULT_AVERAGE = {"fairness": "per_class", "performance": "macro"}


def _check_problem(task: str, check: str) -> str | None:
    """Why a built-in check type cannot judge a non-binary ``task``, or None."""
    if not check.startswith(("fairness.", "performance.", "explainability.")):
        return None  # other families, and plugins, say themselves what they support
    if check.startswith("explainability.") or check == "fairness.calibration_gap":
        return NOT_FOR_TASK.format(check=check, task=task, hint=" (binary tasks only)")
    allowed = (*REGRESSION_CHECKS, "fairness.min_group_size")
    if task == "regression" and not (check in allowed or check.startswith("performance.")):
        hint = ": use fairness.metric_difference or metric_ratio with a regression metric"
        return NOT_FOR_TASK.format(check=check, task=task, hint=hint)
    return None


def _problem(task: str, check: str, params: Any) -> tuple[str, str] | None:
    """What the rule asks that ``task`` lacks, and the field; None when nothing."""
    if task != "binary":
        found = _check_problem(task, check)
        if found is not None:
            return found, "check"
    for name in ("average", "classes"):
        if getattr(params, name, None) is not None and task != "multiclass":
            return MULTICLASS_ONLY.format(what=name, task=task), f"params.{name}"
    metric = getattr(params, "metric", None)
    if metric is None or not check.startswith(("fairness.", "performance.")):
        return None  # a plugin's metric is the plugin's to check
    if task == "binary":
        return None
    known = MULTICLASS_METRICS if task == "multiclass" else REGRESSION_METRICS
    if metric not in known:
        listed = ", ".join(known)
        return METRIC_NOT_FOR_TASK.format(metric=metric, task=task, known=listed), "params.metric"
    return None


def check_rule_tasks(task: str, rules: Sequence[Any]) -> None:
    """Every rule must ask what ``task`` has: a PolicyError at the first rule that does not."""
    for rule in rules:
        found = _problem(task, rule.spec.check, rule.params)
        if found is not None:
            message, field = found
            raise PolicyError(
                f"rule {rule.id}: {message}",
                path=rule.path,
                line=rule.line,
                column=rule.column,
                field=field,
            )


def check_rule_classes(counts: GroupCounts, rules: Sequence[Any]) -> None:
    """A multiclass rule's ``classes`` must be labels of the target (PolicyError at the rule)."""
    if not counts.classes:
        return
    for rule in rules:
        wanted = getattr(rule.params, "classes", None)
        try:
            class_indices(counts.classes, wanted)
        except KeyError as missing:
            raise PolicyError(
                f"rule {rule.id}: "
                + UNKNOWN_CLASS.format(value=missing.args[0], count=len(counts.classes)),
                path=rule.path,
                line=rule.line,
                column=rule.column,
                field="params.classes",
            ) from None


def class_view(counts: GroupCounts, index: int) -> GroupCounts:
    """Class ``index`` against the rest: a binary view (cells ``tn, fp, fn, tp``)."""
    cells = one_vs_rest(counts.confusion)[:, index, :]
    return replace(
        counts,
        confusion=np.rint(cells).astype(np.int64),
        classes=(),
        selected=(),
        view=f"class {counts.classes[index]}",
    )


def task_views(
    counts: GroupCounts, params: Any, metrics: Sequence[str], family: str
) -> list[GroupCounts]:
    """The views of ``counts`` a rule measures (one, except per class)."""
    if not counts.classes or all(m in TASK_METRICS for m in metrics):
        return [counts]
    try:
        selected = class_indices(counts.classes, getattr(params, "classes", None))
    except KeyError as missing:
        raise DataError(
            UNKNOWN_CLASS.format(value=missing.args[0], count=len(counts.classes)),
            field="params.classes",
        ) from None
    average = getattr(params, "average", None) or DEFAULT_AVERAGE[family]
    if average == "per_class":
        return [class_view(counts, index) for index in selected]
    return [replace(counts, average=average, selected=tuple(selected), view=average)]
