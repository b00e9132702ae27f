"""Multiclass and regression data streamed in chunks give the evidence of the data held whole,
and the regression intervals (normal approximation from sums) cover as a 95% interval should."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from governance.checks.params import (
    DisparityParams,
    EqualizedOddsParams,
    MetricDisparityParams,
    PerformanceParams,
)
from governance.data import open_table
from governance.data import source as data_source
from governance.evaluators import fairness
from governance.evaluators.bootstrap import BootstrapSpec, interval
from governance.evaluators.counts import count_groups
from governance.evaluators.performance import performance_metric
from governance.evaluators.regression import resampled_regression
from governance.evaluators.stream import StreamLimits, load_inputs, requirements
from governance.manifest import load_manifest
from tests.cli.test_check_tasks import MANIFEST, multiclass_frame, regression_frame
from tests.evaluators.test_stream import assert_same

CHECKS: dict[str, list[tuple[Any, Any]]] = {
    "multiclass": [
        (fairness.demographic_parity_difference, DisparityParams()),
        (fairness.equalized_odds_difference, EqualizedOddsParams(average="macro")),
        (fairness.metric_ratio, MetricDisparityParams(metric="recall", average="micro")),
        (performance_metric, PerformanceParams(metric="f1", average="per_class")),
        (performance_metric, PerformanceParams(metric="accuracy", aggregate="worst_group")),
    ],
    "regression": [
        (fairness.metric_difference, MetricDisparityParams(metric="mean_absolute_error")),
        (fairness.metric_ratio, MetricDisparityParams(metric="root_mean_squared_error")),
        (performance_metric, PerformanceParams(metric="r2", aggregate="worst_group")),
        (performance_metric, PerformanceParams(metric="mean_residual")),
    ],
}


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_streamed_evidence_equals_whole_data(
    task: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = (multiclass_frame if task == "multiclass" else regression_frame)(rows=4000, seed=4)
    frame.to_parquet(tmp_path / "data.parquet")
    manifest_path = tmp_path / "manifest.yaml"
    text = MANIFEST.format(extra=f"  task: {task}\n").replace("data.csv", "data.parquet")
    manifest_path.write_text(text, encoding="utf-8")
    manifest = load_manifest(manifest_path)
    checks = CHECKS[task]
    needs = requirements(manifest, [params for _, params in checks])
    whole = load_inputs(manifest, open_table(manifest), needs)
    monkeypatch.setattr(data_source, "PARQUET_BATCH_ROWS", (300, 300))
    limits = StreamLimits(max_rows=1000, sample_rows=700, seed=5)
    streamed = load_inputs(manifest, open_table(manifest), needs, limits=limits)
    assert not whole.data.sampled and streamed.data.sampled
    for check, params in checks:
        held, read = check(whole, params), check(streamed, params)
        assert held.value is not None and not held.error, (check, params, held)
        assert read.value == pytest.approx(held.value, rel=1e-9), (check, params)
        assert_same(read.evidence, held.evidence)


def test_regression_intervals_cover_the_population_value() -> None:
    """Over 300 samples of 400 rows, the 95% interval of a group's MAE holds the population
    MAE (σ√(2/π) for normal residuals) about 95% of the time."""
    rng = np.random.default_rng(11)
    spec = BootstrapSpec()
    truth = 2.0 * np.sqrt(2 / np.pi)
    covered = 0
    for _ in range(300):
        y = rng.normal(size=400)
        counts = count_groups(
            [np.zeros(400, dtype=int)], ["g"], y, y + rng.normal(0, 2.0, 400), task="regression"
        )
        assert counts.regression is not None
        draws, _ = resampled_regression("mean_absolute_error", counts.regression, rng, spec.n_boot)
        low, high = interval(draws, spec)
        covered += bool(low[0] <= truth <= high[0])
    assert 0.91 <= covered / 300 <= 0.99
