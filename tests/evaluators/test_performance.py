from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

from governance.checks.params import PerformanceParams
from governance.evaluators.performance import performance_metric
from tests.evaluators.helpers import make_context


def _context(scores: bool = True):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    rows = 1000
    frame = pd.DataFrame({"s": rng.choice(["a", "b"], size=rows, p=[0.7, 0.3])})
    y_true = (rng.random(rows) < 0.4).astype(np.int8)
    score = np.clip(y_true * 0.35 + rng.random(rows) * 0.65, 0, 1)
    # the model is worse for group b: its predictions are noisier there
    noise = np.where(frame["s"] == "b", rng.random(rows) * 0.5, 0)
    y_pred = ((score + noise) > 0.5).astype(np.int8)
    context = make_context(frame, y_true, y_pred, ["s"], scores=score if scores else None)
    return context, frame, y_true, y_pred, score


def test_overall_accuracy_and_roc_auc_equal_scikit_learn() -> None:
    context, _, y_true, y_pred, score = _context()
    accuracy = performance_metric(context, PerformanceParams(metric="accuracy"))
    assert accuracy.value == pytest.approx(accuracy_score(y_true, y_pred), abs=1e-12)
    auc = performance_metric(context, PerformanceParams(metric="roc_auc"))
    assert auc.value == pytest.approx(roc_auc_score(y_true, score), abs=1e-12)


def test_min_over_groups_is_the_worst_group() -> None:
    context, frame, y_true, y_pred, _ = _context()
    result = performance_metric(
        context, PerformanceParams(metric="accuracy", aggregate="min_over_groups")
    )
    per_group = {
        g: accuracy_score(y_true[frame["s"] == g], y_pred[frame["s"] == g]) for g in ("a", "b")
    }
    assert result.value == pytest.approx(min(per_group.values()), abs=1e-12)
    assert per_group["b"] < per_group["a"]
    groups = {g["label"]: g["metrics"]["accuracy"] for g in result.evidence["tables"][0]["groups"]}
    assert groups == pytest.approx(per_group)


def test_roc_auc_without_scores_is_an_error_finding() -> None:
    context, *_ = _context(scores=False)
    result = performance_metric(context, PerformanceParams(metric="roc_auc"))
    assert result.error is not None and "needs scores" in result.error
