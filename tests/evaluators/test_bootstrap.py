"""Bootstrap intervals from resampled counts: seeded, sized right, close to fairlearn's."""

from __future__ import annotations

import math
import warnings

import fairlearn.metrics as fm
import numpy as np
import pandas as pd
import pytest

from governance.checks.params import DisparityParams, MetricDisparityParams, PerformanceParams
from governance.evaluators import bootstrap, fairness
from governance.evaluators.bootstrap import BootstrapSpec, multinomial, resample_confusion
from governance.evaluators.counts import count_groups
from governance.evaluators.group_evidence import SCHEME
from governance.evaluators.performance import performance_metric
from tests.evaluators.helpers import make_context


def biased(rows: int = 4000, seed: int = 11) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"s": rng.choice(["a", "b", "c"], size=rows, p=[0.5, 0.3, 0.2])})
    y_true = (rng.random(rows) < 0.4).astype(np.int8)
    rate = frame.s.map({"a": 0.5, "b": 0.4, "c": 0.35}).to_numpy()
    y_pred = (rng.random(rows) < rate).astype(np.int8)
    return frame, y_true, y_pred


def test_same_seed_same_interval_other_seed_other_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    frame, y_true, y_pred = biased()
    context = make_context(frame, y_true, y_pred, ["s"])
    first = fairness.demographic_parity_difference(context, DisparityParams())
    again = fairness.demographic_parity_difference(
        make_context(frame, y_true, y_pred, ["s"]), DisparityParams()
    )
    monkeypatch.setattr(bootstrap, "EVALUATION_SPEC", BootstrapSpec(seed=4))
    other = fairness.demographic_parity_difference(
        make_context(frame, y_true, y_pred, ["s"]), DisparityParams()
    )
    assert first.evidence["interval"] == again.evidence["interval"]
    assert first.evidence["tables"] == again.evidence["tables"]
    assert first.evidence["interval"] != other.evidence["interval"]
    low, high = first.evidence["interval"]
    assert low < first.value < high
    assert first.evidence["bootstrap"] == {
        "n_boot": 1000,
        "confidence": 0.95,
        "seed": 0,
        "scheme": SCHEME,
        "rates": "wilson",
    }
    assert other.evidence["bootstrap"]["seed"] == 4


def test_resamples_keep_group_sizes_and_centre_on_the_counts() -> None:
    frame, y_true, y_pred = biased()
    counts = count_groups([frame.s], ["s"], y_true, y_pred)
    draws = resample_confusion(counts, BootstrapSpec(n_boot=4000))
    assert draws.shape == (4000, 3, 4)
    assert (draws.sum(axis=2) == counts.sizes).all()
    assert np.allclose(draws.mean(axis=0), counts.confusion, rtol=0.03)


def test_a_rate_interval_has_the_binomial_width() -> None:
    frame, y_true, y_pred = biased(rows=20000)
    context = make_context(frame, y_true, y_pred, ["s"])
    result = fairness.demographic_parity_ratio(context, DisparityParams())
    for group in result.evidence["tables"][0]["groups"]:
        rate, n = group["metrics"]["selection_rate"], group["count"]
        low, high = group["intervals"]["selection_rate"]
        expected = 2 * 1.959964 * math.sqrt(rate * (1 - rate) / n)
        assert high - low == pytest.approx(expected, rel=0.01)


def test_row_by_row_draws_are_multinomial() -> None:
    shares = np.array([0.5, 0.3, 0.15, 0.05] + [0.0] * 60)
    ours = multinomial(np.random.default_rng(1), 3, shares, 40000)[:, :4]
    numpy = np.random.default_rng(2).multinomial(3, shares[:4], size=40000)
    assert (ours.sum(axis=1) == 3).all()
    assert np.allclose(ours.mean(axis=0), numpy.mean(axis=0), atol=0.03)
    assert np.allclose(ours.var(axis=0), numpy.var(axis=0), atol=0.03)


def test_intervals_agree_with_fairlearns_row_bootstrap() -> None:
    frame, y_true, y_pred = biased(rows=3000)
    context = make_context(frame, y_true, y_pred, ["s"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = fm.MetricFrame(
            metrics=fm.selection_rate,
            y_true=y_true,
            y_pred=y_pred,
            sensitive_features=frame.s,
            n_boot=200,
            ci_quantiles=[0.025, 0.975],
            random_state=0,
        )
    ours = fairness.demographic_parity_difference(context, DisparityParams())
    low, high = ours.evidence["interval"]
    their_low, their_high = (float(v) for v in theirs.difference_ci())
    # fairlearn resamples rows (group sizes vary), we resample each group's counts: the same
    # interval up to Monte Carlo error
    assert low == pytest.approx(their_low, abs=0.015)
    assert high == pytest.approx(their_high, abs=0.015)
    groups = ours.evidence["tables"][0]["groups"]
    for index, group in enumerate(groups):
        their = [float(q.iloc[index]) for q in theirs.by_group_ci]
        assert group["intervals"]["selection_rate"] == pytest.approx(their, abs=0.015)


def test_gate_on_a_bound_judges_the_bound() -> None:
    frame, y_true, y_pred = biased()
    context = make_context(frame, y_true, y_pred, ["s"])
    point = fairness.demographic_parity_difference(context, DisparityParams())
    upper = fairness.demographic_parity_difference(context, DisparityParams(gate_on="ci_upper"))
    lower = fairness.demographic_parity_difference(context, DisparityParams(gate_on="ci_lower"))
    low, high = point.evidence["interval"]
    assert upper.value == high and lower.value == low
    assert upper.evidence["point"] == point.value == lower.evidence["point"]
    assert upper.evidence["tables"][0]["measured"] == high
    assert low < point.value < high


def test_score_metric_intervals_centre_on_the_exact_value() -> None:
    rng = np.random.default_rng(2)
    rows = 3000
    frame = pd.DataFrame({"s": rng.choice(["a", "b"], size=rows)})
    y = (rng.random(rows) < 0.4).astype(np.int8)
    scores = np.clip(0.3 * y + rng.random(rows) * 0.7, 0, 1)
    context = make_context(frame, y, (scores > 0.5).astype(np.int8), ["s"], scores=scores)
    for metric in ("roc_auc", "brier_score", "expected_calibration_error", "r2"):
        result = fairness.metric_difference(
            context, MetricDisparityParams(metric=metric, min_group_size=1)
        )
        for group in result.evidence["tables"][0]["groups"]:
            low, high = group["intervals"][metric]
            assert low < group["metrics"][metric] < high, (metric, group)
    auc = performance_metric(context, PerformanceParams(metric="roc_auc"))
    low, high = auc.evidence["interval"]
    assert low < auc.value < high and high - low < 0.06
