"""Multiclass and regression metrics and disparities equal fairlearn's MetricFrame, to 1e-9.

fairlearn with the matching scikit-learn metric is the oracle: per group and overall, for every
class (one against the rest), for the macro and micro averages (``labels`` set to every class, as
a rule averages over the task's classes), and for regression (MAE, RMSE, R², mean prediction,
mean residual). Counting in chunks gives what counting at once gives.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import fairlearn.metrics as fm
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn import metrics as sk

from governance.checks.params import MetricDisparityParams, PerformanceParams
from governance.data import EvaluationData
from governance.evaluators import fairness
from governance.evaluators.context import EvaluationContext
from governance.evaluators.counts import CountsAccumulator, GroupCounts, count_groups
from governance.evaluators.multiclass import CLASS_METRICS
from governance.evaluators.performance import performance_metric
from governance.evaluators.regression import RESIDUAL_BINS, residual_bins
from governance.evaluators.tasks import class_view, task_views
from governance.manifest import Manifest, ManifestSpec
from governance.model_artifact import Predictions
from governance.yaml_source import LocatedDict
from tests.evaluators.strategies import BOUNDED

CLOSE = {"rtol": 1e-9, "atol": 1e-9}


@st.composite
def tasks_data(draw: Any, task: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Random groups (one or two features), labels and predictions of ``task``.

    Multiclass: 2-5 classes, some missing from a group or never predicted. Regression: targets
    and predictions on a grid of quarters (exact sums) or continuous, with constant-target
    groups and single-row groups now and then.
    """
    rows = draw(st.integers(min_value=2, max_value=300))
    rng = np.random.default_rng(draw(st.integers(min_value=0, max_value=2**32 - 1)))
    columns = {}
    for index in range(draw(st.integers(min_value=1, max_value=2))):
        groups = draw(st.integers(min_value=1, max_value=4))
        shares = rng.dirichlet(np.ones(groups))
        columns[f"g{index}"] = rng.choice([f"v{i}" for i in range(groups)], rows, p=shares)
    frame = pd.DataFrame(columns)
    if task == "multiclass":
        k = draw(st.integers(min_value=2, max_value=5))
        labels = np.asarray(["ant", "bee", "cat", "dog", "eel"][:k])
        truth = rng.choice(labels, rows, p=rng.dirichlet(np.ones(k)))
        keep = rng.random(rows) < draw(st.floats(0.0, 1.0))
        guess = np.where(keep, truth, rng.choice(labels, rows))
        return frame, truth, guess
    grid = draw(st.booleans())
    scale = draw(st.sampled_from([0.01, 1.0, 100.0]))
    truth = rng.normal(0, scale, rows)
    guess = truth + rng.normal(draw(st.floats(-1, 1)), scale, rows)
    if grid:
        truth, guess = np.round(truth * 4) / 4, np.round(guess * 4) / 4
    if draw(st.booleans()):
        truth[: rows // 2] = truth[0]  # a block of equal targets (a constant-target group)
    return frame, truth, guess


def _class_ids(truth: np.ndarray, guess: np.ndarray) -> tuple[Any, Any, list[Any]]:
    values = sorted(set(truth) | set(guess))
    ids = {v: i for i, v in enumerate(values)}
    return (
        np.asarray([ids[v] for v in truth]),
        np.asarray([ids[v] for v in guess]),
        values,
    )


def _multiclass_counts(frame: pd.DataFrame, truth: Any, guess: Any) -> GroupCounts:
    t, p, values = _class_ids(truth, guess)
    features = list(frame.columns)
    return count_groups(
        [frame[f] for f in features],
        features,
        t,
        p,
        task="multiclass",
        class_values=values,
    )


def _frame_of(metric: Any, frame: pd.DataFrame, truth: Any, guess: Any) -> fm.MetricFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fm.MetricFrame(
            metrics=metric,
            y_true=truth,
            y_pred=guess,
            sensitive_features=frame[list(frame.columns)],
        )


def _by_group(mf: fm.MetricFrame, counts: GroupCounts) -> np.ndarray:
    by_group = mf.by_group
    keys = [g if len(g) > 1 else g[0] for g in counts.groups]
    return np.asarray([by_group.loc[k] for k in keys], dtype=np.float64)


def _assert_matches(counts: GroupCounts, name: str, oracle: Any, frame, truth, guess) -> None:
    mf = _frame_of(oracle, frame, truth, guess)
    mine, overall = counts.metric(name)
    np.testing.assert_allclose(mine, _by_group(mf, counts), **CLOSE, err_msg=name)
    np.testing.assert_allclose(overall, float(mf.overall), **CLOSE, err_msg=name)


def _binary_oracle(name: str, label: Any) -> Any:
    """scikit-learn's binary metric of class ``label`` against the rest."""

    def measure(y: Any, p: Any) -> float:
        yb, pb = (np.asarray(y) == label).astype(int), (np.asarray(p) == label).astype(int)
        fairlearn = {
            "selection_rate": fm.selection_rate,
            "false_positive_rate": fm.false_positive_rate,
            "false_negative_rate": fm.false_negative_rate,
            "true_negative_rate": fm.true_negative_rate,
            "true_positive_rate": fm.true_positive_rate,
        }
        if name in fairlearn:
            return float(fairlearn[name](yb, pb))
        if name == "negative_predictive_value":
            return float(sk.precision_score(1 - yb, 1 - pb, zero_division=0))
        function = {"recall": sk.recall_score, "precision": sk.precision_score, "f1": sk.f1_score}
        return float(function[name](yb, pb, zero_division=0))

    return measure


@BOUNDED
@given(tasks_data("multiclass"))
def test_multiclass_metrics_equal_sklearn(data: Any) -> None:
    frame, truth, guess = data
    counts = _multiclass_counts(frame, truth, guess)
    labels = list(counts.classes)
    _assert_matches(counts, "accuracy", sk.accuracy_score, frame, truth, guess)
    _assert_matches(counts, "balanced_accuracy", sk.balanced_accuracy_score, frame, truth, guess)
    error_rate = lambda y, p: 1.0 - sk.accuracy_score(y, p)  # noqa: E731
    _assert_matches(counts, "error_rate", error_rate, frame, truth, guess)
    _assert_matches(counts, "count", lambda y, p: float(len(y)), frame, truth, guess)
    for index, label in enumerate(labels):
        view = class_view(counts, index)
        for name in CLASS_METRICS:
            _assert_matches(view, name, _binary_oracle(name, label), frame, truth, guess)
    for average in ("macro", "micro"):
        params = MetricDisparityParams(metric="recall", average=average)
        (view,) = task_views(counts, params, ["recall"], "fairness")
        for name, function in (
            ("recall", sk.recall_score),
            ("precision", sk.precision_score),
            ("f1", sk.f1_score),
        ):

            def oracle(y: Any, p: Any, function: Any = function, how: str = average) -> float:
                return float(function(y, p, labels=labels, average=how, zero_division=0))

            _assert_matches(view, name, oracle, frame, truth, guess)


@BOUNDED
@given(tasks_data("regression"))
def test_regression_metrics_equal_sklearn(data: Any) -> None:
    frame, truth, guess = data
    features = list(frame.columns)
    counts = count_groups([frame[f] for f in features], features, truth, guess, task="regression")
    oracles = {
        "mean_absolute_error": sk.mean_absolute_error,
        "root_mean_squared_error": sk.root_mean_squared_error,
        "mean_prediction": lambda y, p: float(np.mean(p)),
        "mean_residual": lambda y, p: float(np.mean(np.asarray(p) - np.asarray(y))),
        "count": lambda y, p: float(len(y)),
    }
    for name, oracle in oracles.items():
        _assert_matches(counts, name, oracle, frame, truth, guess)
    grid = np.allclose(truth * 4, np.round(truth * 4)) and np.allclose(
        guess * 4, np.round(guess * 4)
    )
    if grid:  # Σ(y - ȳ)² from Σy² and Σy is exact on a grid; within rounding otherwise
        _assert_matches(counts, "r2", sk.r2_score, frame, truth, guess)
    else:
        mf = _frame_of(sk.r2_score, frame, truth, guess)
        np.testing.assert_allclose(
            counts.metric("r2")[0], _by_group(mf, counts), rtol=1e-6, atol=1e-6
        )
    histogram = counts.residuals
    assert histogram is not None and histogram.shape[1] == RESIDUAL_BINS
    np.testing.assert_array_equal(histogram.sum(axis=1), counts.sizes)
    expected = np.bincount(residual_bins(guess - truth), minlength=RESIDUAL_BINS)
    np.testing.assert_array_equal(histogram.sum(axis=0), expected)


def _context(frame: pd.DataFrame, truth: Any, guess: Any, task: str) -> EvaluationContext:
    data: dict[str, Any] = {
        "path": "data.csv",
        "task": task,
        "target": "y",
        "prediction": "p",
        "sensitive_features": list(frame.columns),
    }
    spec = ManifestSpec.model_validate(
        {
            "apiVersion": "governance/v1",
            "kind": "Model",
            "metadata": {
                "name": "m",
                "version": "1.0.0",
                "owner": "o",
                "risk_tier": "high",
                "intended_use": "tests",
            },
            "data": data,
        }
    )
    manifest = Manifest(path=Path("m.yaml"), spec=spec, digest="", document=LocatedDict())
    values: tuple[Any, ...] = ()
    if task == "multiclass":
        truth, guess, listed = _class_ids(truth, guess)
        values = tuple(listed)
    evaluation = EvaluationData(
        frame=frame, y_true=truth, path=Path("data.csv"), format="csv", class_values=values
    )
    predictions = Predictions(y_pred=guess, scores=None, source="test")
    return EvaluationContext(manifest=manifest, data=evaluation, predictions=predictions)


@BOUNDED
@given(tasks_data("multiclass"))
def test_per_class_disparity_is_the_worst_class_of_fairlearn(data: Any) -> None:
    frame, truth, guess = data
    frame = frame[["g0"]]
    context = _context(frame, truth, guess, "multiclass")
    params = MetricDisparityParams(metric="selection_rate", min_group_size=1, n_boot=0)
    found = fairness.metric_difference(context, params)
    expected = []
    for label in sorted(set(truth) | set(guess)):
        expected.append(
            fm.demographic_parity_difference(
                (truth == label).astype(int),
                (guess == label).astype(int),
                sensitive_features=frame["g0"],
            )
        )
    tables = found.evidence["tables"]
    assert [t["view"] for t in tables] == [f"class {c}" for c in sorted(set(truth) | set(guess))]
    if frame["g0"].nunique() < 2:
        assert found.value is None and found.insufficient
        return
    assert found.value == pytest.approx(max(expected), abs=1e-9)
    for table, value in zip(tables, expected, strict=True):
        assert table["point"] == pytest.approx(value, abs=1e-9)


@BOUNDED
@given(tasks_data("regression"))
def test_regression_difference_and_worst_group_equal_fairlearn(data: Any) -> None:
    frame, truth, guess = data
    frame = frame[["g0"]]
    context = _context(frame, truth, guess, "regression")
    mf = _frame_of(sk.mean_absolute_error, frame, truth, guess)
    params = MetricDisparityParams(metric="mean_absolute_error", min_group_size=1, n_boot=0)
    found = fairness.metric_difference(context, params)
    if frame["g0"].nunique() < 2:
        assert found.value is None
    else:
        assert found.value == pytest.approx(float(mf.difference()), abs=1e-9)
    worst = performance_metric(
        context,
        PerformanceParams(
            metric="mean_absolute_error", aggregate="worst_group", min_group_size=1, n_boot=0
        ),
    )
    assert worst.value == pytest.approx(float(mf.group_max()), abs=1e-9)


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_counting_in_chunks_equals_counting_at_once(task: str) -> None:
    rng = np.random.default_rng(3)
    rows = 5000
    group = rng.choice(["a", "b", "c"], rows)
    if task == "multiclass":
        truth = rng.integers(0, 4, rows)
        guess = np.where(rng.random(rows) < 0.5, truth, rng.integers(0, 4, rows))
        values: list[Any] = [0, 1, 2, 3]
    else:
        truth = rng.normal(size=rows)
        guess = truth + rng.normal(size=rows)
        values = []
    whole = count_groups([group], ["g"], truth, guess, task=task, class_values=values)
    accumulator = CountsAccumulator(["g"], task=task)
    for start in range(0, rows, 700):
        part = slice(start, start + 700)
        accumulator.add([group[part]], truth[part], guess[part])
    chunked = accumulator.result(class_values=values)
    assert chunked.groups == whole.groups and chunked.classes == whole.classes
    np.testing.assert_array_equal(chunked.confusion, whole.confusion)
    if task == "regression":
        assert chunked.regression is not None and whole.regression is not None
        np.testing.assert_allclose(chunked.regression, whole.regression, rtol=1e-12)
        np.testing.assert_array_equal(chunked.residuals, whole.residuals)
