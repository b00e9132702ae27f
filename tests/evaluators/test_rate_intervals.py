"""Honest intervals: Wilson for per-group rates, one resampling per evaluation, nothing compared."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from governance.checks import default_registry
from governance.checks.params import DisparityParams, MetricDisparityParams, PerformanceParams
from governance.cli import main
from governance.errors import PolicyError
from governance.evaluators import fairness
from governance.evaluators.performance import performance_metric
from governance.evaluators.rate_intervals import wilson
from governance.policy.loader import load_policy
from tests.evaluators.helpers import make_context

REPO = Path(__file__).resolve().parents[2]
GERMAN = REPO / "samples" / "german-credit"


@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_wilson_equals_scipys_wilson_interval(confidence: float) -> None:
    cases = [(0, 1), (1, 1), (3, 3), (0, 17), (17, 17), (5, 12), (40, 91), (166, 209), (1, 1000)]
    low, high = wilson(
        np.array([x for x, _ in cases], dtype=float),
        np.array([n for _, n in cases], dtype=float),
        confidence,
    )
    for index, (x, n) in enumerate(cases):
        theirs = binomtest(x, n).proportion_ci(confidence_level=confidence, method="wilson")
        assert low[index] == pytest.approx(theirs.low, abs=1e-12)
        assert high[index] == pytest.approx(theirs.high, abs=1e-12)
    assert high[2] == 1.0 and low[0] == 0.0  # exactly, where all or none are successes


def test_a_group_of_three_all_positive_is_far_from_certain() -> None:
    # published value (Brown, Cai, DasGupta 2001; statsmodels proportion_confint wilson): 0.4385
    frame = pd.DataFrame({"s": ["a"] * 3 + ["b"] * 60})
    y_true = np.array([1] * 3 + [1, 0] * 30, dtype=np.int8)
    y_pred = np.array([1] * 3 + [1, 0, 0] * 20, dtype=np.int8)
    context = make_context(frame, y_true, y_pred, ["s"])
    result = fairness.demographic_parity_difference(context, DisparityParams(min_group_size=1))
    small = result.evidence["tables"][0]["groups"][0]
    assert small["label"] == "a" and small["metrics"]["selection_rate"] == 1.0
    low, high = small["intervals"]["selection_rate"]
    assert low == pytest.approx(0.4385, abs=1e-4) and high == 1.0


def test_a_rate_has_one_interval_in_every_rule() -> None:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"s": rng.choice(["a", "b", "c"], size=700)})
    y_true = (rng.random(700) < 0.5).astype(np.int8)
    y_pred = (rng.random(700) < 0.6).astype(np.int8)
    context = make_context(frame, y_true, y_pred, ["s"])
    parity = fairness.demographic_parity_difference(context, DisparityParams())
    ratio = fairness.metric_ratio(context, MetricDisparityParams(metric="selection_rate"))
    worst = performance_metric(
        context, PerformanceParams(metric="selection_rate", aggregate="min_over_groups")
    )
    overall = performance_metric(context, PerformanceParams(metric="selection_rate"))
    tables = [r.evidence["tables"][0] for r in (parity, ratio, worst)]
    for index in range(3):
        seen = {json.dumps(t["groups"][index]["intervals"]["selection_rate"]) for t in tables}
        assert len(seen) == 1
    assert overall.evidence["interval"] == tables[0]["overall"]["intervals"]["selection_rate"]


def test_a_rule_may_not_pick_its_own_seed_resamples_or_confidence(tmp_path: Path) -> None:
    text = (GERMAN / "policy.yaml").read_text(encoding="utf-8")
    changed = text.replace("gate_on: ci_lower\n", "gate_on: ci_lower\n      seed: 7\n", 1)
    assert changed != text
    path = tmp_path / "policy.yaml"
    path.write_text(changed, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path, default_registry())
    assert "seed 7 differs from the evaluation's (0): intervals are set once per evaluation" in str(
        caught.value
    )
    assert caught.value.exit_code == 2


def three_groups() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    frame = pd.DataFrame({"s": ["a"] * 200 + ["b"] * 150 + ["c"] * 20})
    y_true = np.zeros(370, dtype=np.int8)
    y_pred = np.array([1] * 100 + [0] * 100 + [1] * 60 + [0] * 90 + [0] * 20, dtype=np.int8)
    return frame, y_true, y_pred


def test_an_insufficient_rule_measures_only_the_groups_that_qualify() -> None:
    context = make_context(*three_groups(), ["s"])
    result = fairness.demographic_parity_ratio(context, DisparityParams(min_group_size=100))
    assert result.insufficient == "group c has 20 rows; below min_group_size 100"
    assert result.value == pytest.approx(0.4 / 0.5)  # b against a; c (rate 0) left out
    assert result.evidence["left_out"] == [
        {
            "grouping": ["s"],
            "group": "c",
            "count": 20,
            "reason": "20 rows, below min_group_size 100",
        }
    ]


def test_leaving_small_groups_out_compares_the_others() -> None:
    context = make_context(*three_groups(), ["s"])
    params = DisparityParams(min_group_size=100, small_groups="leave_out")
    result = fairness.demographic_parity_ratio(context, params)
    assert result.insufficient is None
    assert result.value == pytest.approx(0.8)
    assert [entry["group"] for entry in result.evidence["left_out"]] == ["c"]


def test_a_rule_that_compares_nothing_is_insufficient_not_a_pass() -> None:
    context = make_context(*three_groups(), ["s"])
    params = DisparityParams(min_group_size=160, small_groups="leave_out")
    result = fairness.demographic_parity_ratio(context, params)
    assert result.value is None
    assert result.insufficient == "s: nothing compared, 1 of 3 groups reach min_group_size 160"
    assert [entry["group"] for entry in result.evidence["left_out"]] == ["b", "c"]


def test_german_credit_large_groups_screen_is_insufficient(tmp_path: Path) -> None:
    output = tmp_path / "record.json"
    args = [
        "check",
        str(GERMAN / "credit-model.yaml"),
        "-p",
        str(REPO / "policies/fair-lending.yaml"),
    ]
    with pytest.raises(SystemExit):
        main([*args, "--dry-run", "--format", "json", "--output", str(output)])
    record = json.loads(output.read_text(encoding="utf-8"))
    assert record["intervals"] == {
        "method": "wilson score for per-group rates; bootstrap of the counts otherwise",
        "seed": 0,
        "resamples": 1000,
        "confidence": 0.95,
    }
    [finding] = [
        f
        for f in record["findings"]
        if f["rule_id"] == "fair-lending.approval-rate-ratio-large-groups"
    ]
    assert finding["outcome"] == "insufficient"  # was PASS 0.7111: no two groups reach 100 rows
    assert finding["measured"] is None
    left_out = {(tuple(e["grouping"]), e["group"]) for e in finding["evidence"]["left_out"]}
    assert (("sex",), "female") in left_out and (("sex",), "male") not in left_out
    # female x 60+ (n=3, all approved) no longer shows [1, 1]
    records = [f for f in record["findings"] if f["check"].startswith("fairness.")]
    for f in records:
        for table in f["evidence"].get("tables", []):
            for group in table["groups"]:
                interval = (group.get("intervals") or {}).get("selection_rate")
                if interval and group["count"] <= 17 and group["metrics"]["selection_rate"] == 1:
                    assert interval[0] < 0.9
