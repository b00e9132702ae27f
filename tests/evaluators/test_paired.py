"""Challenger against champion: the paired difference equals fairlearn / scikit-learn on both
models' predictions, its paired interval is no wider than independent resamples give when the
models mostly agree, and the same seed gives the same interval."""

from __future__ import annotations

import fairlearn.metrics as fm
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, recall_score

from governance.checks.params import ComparisonDisparityParams, PerformanceDropParams
from governance.evaluators import paired
from governance.evaluators.bootstrap import EVALUATION_SPEC, interval, resample_confusion
from governance.evaluators.context import EvaluationContext
from governance.evaluators.counts import count_groups
from governance.evaluators.paired import Champion
from tests.evaluators.helpers import make_context

ROWS = 4000


def _models(
    seed: int = 7, flip: float = 0.05
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Labels, a champion and a challenger that agrees with it except on ``flip`` of the rows."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m"], size=ROWS, p=[0.4, 0.6])
    y = (rng.random(ROWS) < np.where(sex == "f", 0.3, 0.45)).astype(np.int8)
    champion = np.where(rng.random(ROWS) < 0.8, y, 1 - y).astype(np.int8)
    flipped = rng.random(ROWS) < flip
    challenger = np.where(flipped & (sex == "f"), 0, champion).astype(np.int8)
    challenger = np.where(flipped & (sex == "m"), 1 - champion, challenger).astype(np.int8)
    return pd.DataFrame({"sex": sex}), y, challenger, champion


def _context(flip: float = 0.05) -> tuple[EvaluationContext, np.ndarray, np.ndarray, np.ndarray]:
    frame, y, challenger, champion = _models(flip=flip)
    context = make_context(frame, y, challenger, ["sex"])
    context.baseline = Champion(y_pred=champion, name="m", version="1.0.0", source="test")
    return context, y, challenger, champion


@pytest.mark.parametrize(
    ("disparity", "fairlearn_metric"),
    [
        ("demographic_parity_difference", fm.demographic_parity_difference),
        ("equalized_odds_difference", fm.equalized_odds_difference),
    ],
)
def test_point_difference_equals_fairlearn_on_both_models(
    disparity: str, fairlearn_metric: object
) -> None:
    context, y, challenger, champion = _context()
    params = ComparisonDisparityParams(disparity=disparity, min_group_size=1)
    measured = paired.disparity_increase(context, params)
    sex = context.data.frame["sex"]
    theirs = fairlearn_metric(y, challenger, sensitive_features=sex) - fairlearn_metric(  # type: ignore[operator]
        y, champion, sensitive_features=sex
    )
    assert measured.value == pytest.approx(theirs, abs=1e-12)
    table = measured.evidence["groupings"][0]
    assert table["challenger"] == pytest.approx(
        fairlearn_metric(y, challenger, sensitive_features=sex),
        abs=1e-12,  # type: ignore[operator]
    )
    low, high = measured.evidence["interval"]
    assert low <= measured.value <= high


@pytest.mark.parametrize("metric", ["accuracy", "recall", "error_rate"])
def test_performance_drop_equals_sklearn(metric: str) -> None:
    context, y, challenger, champion = _context()
    measured = paired.performance_drop(context, PerformanceDropParams(metric=metric))
    if metric == "recall":
        drop = recall_score(y, champion) - recall_score(y, challenger)
    elif metric == "accuracy":
        drop = accuracy_score(y, champion) - accuracy_score(y, challenger)
    else:  # lower is better: the drop is the challenger's error rate above the champion's
        drop = (1 - accuracy_score(y, challenger)) - (1 - accuracy_score(y, champion))
    assert measured.value == pytest.approx(drop, abs=1e-12)
    assert measured.evidence["champion_value"] != measured.evidence["challenger"]


def _unpaired_interval(y: np.ndarray, challenger: np.ndarray, champion: np.ndarray) -> float:
    """Width of the interval of the accuracy difference from two independent resamples."""
    ones = [np.zeros(ROWS, dtype=object)]
    theirs = count_groups(ones, ("all",), y, champion)
    mine = count_groups(ones, ("all",), y, challenger)
    spec = EVALUATION_SPEC
    draws_theirs = resample_confusion(theirs, spec)[:, 0, :]
    rng = np.random.default_rng(12345)  # an independent stream for the challenger
    shares = mine.confusion[0] / mine.confusion[0].sum()
    draws_mine = rng.multinomial(int(mine.confusion[0].sum()), shares, size=spec.n_boot)

    def accuracy(cells: np.ndarray) -> np.ndarray:
        return (cells[:, 0] + cells[:, 3]) / cells.sum(axis=1)

    low, high = interval(accuracy(draws_theirs) - accuracy(draws_mine), spec)
    return float(high - low)


def test_paired_interval_is_narrower_when_the_models_mostly_agree() -> None:
    context, y, challenger, champion = _context(flip=0.05)
    measured = paired.performance_drop(context, PerformanceDropParams(metric="accuracy"))
    low, high = measured.evidence["interval"]
    assert measured.evidence["rows_agreeing"] > 0.9 * ROWS
    assert high - low <= _unpaired_interval(y, challenger, champion) / 2


def test_same_seed_same_interval() -> None:
    params = ComparisonDisparityParams(disparity="equalized_odds_difference", gate_on="ci_upper")
    first = paired.disparity_increase(_context()[0], params)
    second = paired.disparity_increase(_context()[0], params)
    assert first.evidence["interval"] == second.evidence["interval"]
    assert first.value == first.evidence["interval"][1]


def test_without_a_baseline_the_rule_is_an_error() -> None:
    context, *_ = _context()
    context.baseline = None
    measured = paired.performance_drop(context, PerformanceDropParams(metric="accuracy"))
    assert measured.value is None
    assert measured.error is not None and "no baseline was given" in measured.error
