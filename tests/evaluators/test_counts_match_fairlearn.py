"""Every per-group metric and disparity of the counts engine equals fairlearn's MetricFrame.

fairlearn (with scikit-learn's metric functions) is the oracle, to 1e-9: by group, overall, and
``MetricFrame.difference`` / ``.ratio`` (``between_groups``, ``to_overall``); ``to_reference``
from ``by_group`` as documented.  the expected calibration error,
which neither library has, is checked against a plain-Python implementation of its definition.
"""

from __future__ import annotations

import itertools
import math
import warnings
from functools import partial
from typing import Any

import fairlearn.metrics as fm
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn import metrics as sk
from sklearn.calibration import calibration_curve

from governance.checks.params import MetricDisparityParams
from governance.evaluators import fairness
from governance.evaluators.counts import (
    FINE_BINS,
    CountsAccumulator,
    count_groups,
    histogram_auc,
)
from governance.evaluators.metrics import METRICS
from tests.evaluators.helpers import make_context
from tests.evaluators.strategies import BOUNDED, Dataset, datasets


def _roc_auc(y_true: Any, scores: Any) -> float:
    if len(np.unique(y_true)) < 2:
        return math.nan  # scikit-learn raises; the engine reports NaN (and `insufficient`)
    return float(sk.roc_auc_score(y_true, scores))


def _ece(y_true: Any, scores: Any, n_bins: int = 10) -> float:
    """Expected calibration error, by its definition, one row at a time."""
    inner = [i / n_bins for i in range(1, n_bins)]
    edges = list(np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
    assert np.allclose(inner, edges)
    rows = [0] * n_bins
    score_sum = [0.0] * n_bins
    label_sum = [0.0] * n_bins
    for y, s in zip(y_true, scores, strict=True):
        index = sum(1 for edge in edges if edge < s)  # bins (lo, hi], the first from 0
        rows[index] += 1
        score_sum[index] += float(s)
        label_sum[index] += float(y)
    return sum(abs(label_sum[b] - score_sum[b]) for b in range(n_bins)) / len(y_true)


ON_PREDICTIONS = {
    "count": fm.count,
    "selection_rate": fm.selection_rate,
    "true_positive_rate": fm.true_positive_rate,
    "recall": partial(sk.recall_score, zero_division=0),
    "false_negative_rate": fm.false_negative_rate,
    "false_positive_rate": fm.false_positive_rate,
    "true_negative_rate": fm.true_negative_rate,
    "precision": partial(sk.precision_score, zero_division=0),
    "negative_predictive_value": partial(sk.precision_score, pos_label=0, zero_division=0),
    "accuracy": sk.accuracy_score,
    "error_rate": lambda y, p: 1.0 - sk.accuracy_score(y, p),
    "balanced_accuracy": sk.balanced_accuracy_score,
    "f1": partial(sk.f1_score, zero_division=0),
}
ON_SCORES = {
    "roc_auc": _roc_auc,
    "brier_score": partial(sk.brier_score_loss, labels=[0, 1]),
    "expected_calibration_error": _ece,
    "mean_prediction": fm.mean_prediction,
    "mean_absolute_error": sk.mean_absolute_error,
    "root_mean_squared_error": sk.root_mean_squared_error,
    "r2": sk.r2_score,
    "mean_residual": lambda y, s: float(np.mean(np.asarray(s) - np.asarray(y))),
}


def test_the_oracles_cover_every_metric() -> None:
    assert set(ON_PREDICTIONS) | set(ON_SCORES) == set(METRICS)


def metric_frame(data: Dataset, functions: dict[str, Any], on_scores: bool) -> fm.MetricFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fm.MetricFrame(
            metrics=functions,
            y_true=data.y_true,
            y_pred=data.scores if on_scores else data.y_pred,
            sensitive_features=data.frame[data.features],
        )


def assert_close(ours: float | None, theirs: float, what: Any) -> None:
    if ours is None or math.isnan(theirs):
        assert ours is None or math.isnan(ours), (what, ours, theirs)
        assert math.isnan(theirs), (what, ours, theirs)
    else:
        assert ours == theirs or abs(ours - theirs) <= 1e-9, (what, ours, theirs)


def _below_one(x: float) -> float:
    return 1 / x if x > 1 else x


def reference_disparity(by_group: pd.Series, reference: Any, how: str) -> float:
    """``to_reference`` as documented: largest |v - v_ref|, smallest v / v_ref below 1."""
    base = by_group.loc[reference]
    if how == "difference":
        return float((by_group - base).abs().max())
    return float((by_group / base).transform(_below_one).min())


# MetricFrame evaluates every metric function per group in Python: a few metrics per example
# keeps the property fast; over the examples every metric is drawn many times.
@BOUNDED
@given(
    data=datasets(),
    names=st.lists(st.sampled_from(sorted(METRICS)), min_size=4, max_size=6, unique=True),
    pick=st.integers(min_value=0, max_value=15),
)
def test_every_metric_and_disparity_equals_metricframe(
    data: Dataset, names: list[str], pick: int
) -> None:
    counts = count_groups(
        [data.frame[f] for f in data.features], data.features, data.y_true, data.y_pred, data.scores
    )
    context = make_context(data.frame, data.y_true, data.y_pred, data.features, data.scores)
    for on_scores, catalogue in ((False, ON_PREDICTIONS), (True, ON_SCORES)):
        functions = {name: catalogue[name] for name in names if name in catalogue}
        if not functions:
            continue
        frame = metric_frame(data, functions, on_scores)
        # fairlearn lists empty intersections too (as NaN rows); keep the groups that have rows
        # (not dropna: a metric can be NaN for a real group, e.g. r2 of a one-row group)
        present = set(zip(*(data.frame[f] for f in data.features), strict=True))
        occurs = [(k if isinstance(k, tuple) else (k,)) in present for k in frame.by_group.index]
        by_group = frame.by_group[occurs]
        keys = [k if isinstance(k, tuple) else (k,) for k in by_group.index]
        assert [tuple(map(str, k)) for k in keys] == [tuple(map(str, g)) for g in counts.groups]
        reference = by_group.index[pick % len(by_group)]
        label = " × ".join(map(str, keys[pick % len(by_group)]))
        for name in functions:
            values, overall = counts.metric(name)
            assert_close(overall, float(frame.overall[name]), (name, "overall"))
            for index, theirs in enumerate(by_group[name]):
                assert_close(float(values[index]), float(theirs), (name, keys[index]))
            for method in ("between_groups", "to_overall", "to_reference"):
                params = MetricDisparityParams(
                    sensitive_features=data.features,
                    min_group_size=1,
                    n_boot=0,
                    metric=name,
                    method=method,
                    reference_group=label if method == "to_reference" else None,
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if method == "to_reference":
                        want_d = reference_disparity(by_group[name], reference, "difference")
                        want_r = reference_disparity(by_group[name], reference, "ratio")
                    else:
                        want_d = float(frame.difference(method=method)[name])
                        want_r = float(frame.ratio(method=method)[name])
                got_d = fairness.metric_difference(context, params).value
                got_r = fairness.metric_ratio(context, params).value
                assert_close(got_d, want_d, (name, method, "difference"))
                assert_close(got_r, want_r, (name, method, "ratio"))


@BOUNDED
@given(data=datasets())
def test_chunked_accumulation_equals_one_pass(data: Dataset) -> None:
    whole = count_groups(
        [data.frame[f] for f in data.features], data.features, data.y_true, data.y_pred, data.scores
    )
    accumulator = CountsAccumulator(data.features)
    rows = len(data.y_true)
    cuts = sorted({0, rows, *np.random.default_rng(rows).integers(0, rows, size=3).tolist()})
    for start, stop in itertools.pairwise(cuts):
        part = slice(start, stop)
        accumulator.add(
            [data.frame[f].iloc[part] for f in data.features],
            data.y_true[part],
            data.y_pred[part],
            data.scores[part],
        )
    streamed = accumulator.result()
    assert streamed.groups == whole.groups
    assert np.array_equal(streamed.confusion, whole.confusion)
    assert streamed.empty_intersections == whole.empty_intersections
    for name in METRICS:
        ours, overall = streamed.metric(name)
        theirs, theirs_overall = whole.metric(name)
        if name == "roc_auc":  # streamed: from the fine histogram, within its error bound
            stats = streamed.scores
            assert stats is not None and stats.cells is not None
            _, bounds = histogram_auc(stats.cells[:, 0, :, 0], stats.cells[:, 1, :, 0])
            ok = np.isnan(theirs) | (np.abs(ours - theirs) <= bounds + 1e-12)
            assert ok.all(), (ours, theirs, bounds)
            continue
        assert np.allclose(ours, theirs, rtol=1e-9, atol=1e-12, equal_nan=True), name
        assert math.isclose(overall, theirs_overall, rel_tol=1e-9, abs_tol=1e-12) or (
            math.isnan(overall) and math.isnan(theirs_overall)
        ), name


def test_calibration_bins_are_scikit_learns() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(500) < 0.4).astype(np.int8)
    s = np.round(rng.random(500), 1)  # many scores exactly on bin edges
    counts = count_groups([pd.Series(["a"] * 500)], ["g"], y, y, s)
    assert counts.scores is not None
    bins = counts.scores.ece[10][0]
    prob_true, prob_pred = calibration_curve(y, s, n_bins=10)
    filled = bins[:, 0] > 0
    assert np.allclose(bins[filled, 2] / bins[filled, 0], prob_true)
    assert np.allclose(bins[filled, 1] / bins[filled, 0], prob_pred)


def test_histogram_auc_is_exact_when_no_bin_is_shared() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(300) < 0.5).astype(np.int8)
    s = (rng.permutation(FINE_BINS)[:300] + 0.5) / FINE_BINS  # one score per fine bin
    accumulator = CountsAccumulator(["g"])
    accumulator.add([pd.Series(["a"] * 300)], y, y, s)
    auc, _overall = accumulator.result().metric("roc_auc")
    assert auc[0] == pytest.approx(sk.roc_auc_score(y, s), abs=1e-12)


def test_groups_of_numbers_and_text_sort_like_fairlearn() -> None:
    frame = pd.DataFrame({"age": [30, 4, 100, 4, 30], "sex": ["m", "f", "f", "m", "m"]})
    y = np.array([1, 0, 1, 0, 1], dtype=np.int8)
    counts = count_groups([frame.age, frame.sex], ["age", "sex"], y, y)
    assert counts.labels == ["4 × f", "4 × m", "30 × m", "100 × f"]
    assert counts.empty_intersections == ("30 × f", "100 × m")
