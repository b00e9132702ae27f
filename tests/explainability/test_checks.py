"""The five explainability checks: measured values, evidence, and the ways they refuse."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pydantic
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import governance.evaluators.explainability as explainability
from governance.checks.explainability import (
    AvailableParams,
    ProxyParams,
    SensitiveShareParams,
    StabilityParams,
    TopFeaturesParams,
)
from governance.config import load_settings
from governance.evaluators.context import EvaluationContext
from governance.evaluators.explain_budget import DEFAULT_ROWS
from governance.policy.model import Measurement
from governance.record import FindingRecord
from governance.reporting.charts import finding_charts
from tests.explainability.helpers import column_context, model_context, planted_proxy


def charts_of(check: str, measurement: Measurement) -> list[dict[str, str]]:
    """The charts a report draws for a finding with this measurement's evidence."""
    finding = FindingRecord.model_validate(
        {
            "rule_id": "rule",
            "policy": "p",
            "title": "t",
            "severity": "high",
            "check": f"explainability.{check}",
            "params": {},
            "threshold": None,
            "outcome": "pass",
            "blocking": False,
            "measured": measurement.value,
            "message": "",
            "evidence": measurement.evidence,
        }
    )
    charts = finding_charts(finding, fail_on="high", strict=False)
    return [{"title": chart.title, "svg": chart.draw()} for chart in charts]


PROXY_INPUTS = ["zip", "skill", "noise"]


def _pipeline(categorical: list[str], numeric: list[str]) -> Pipeline:
    return Pipeline(
        [
            (
                "features",
                ColumnTransformer(
                    [("cat", OneHotEncoder(), categorical), ("num", StandardScaler(), numeric)]
                ),
            ),
            ("logistic", LogisticRegression()),
        ]
    )


@pytest.fixture(autouse=True)
def _no_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("ROWS", "BACKGROUND", "MAX_SECONDS"):
        monkeypatch.delenv(f"GOVERNANCE_EXPLAIN_{name}", raising=False)


def proxy_context() -> EvaluationContext:
    """The model never sees sex, but zip stands in for it."""
    frame = planted_proxy()
    model = _pipeline(["zip"], ["skill", "noise"]).fit(frame[PROXY_INPUTS], frame["y"])
    return model_context(model, frame, PROXY_INPUTS, ["sex"])


def direct_context() -> EvaluationContext:
    """The model takes sex itself."""
    frame = planted_proxy()
    inputs = ["sex", "skill", "noise"]
    model = _pipeline(["sex"], ["skill", "noise"]).fit(frame[inputs], frame["y"])
    return model_context(model, frame, inputs, ["sex"])


def test_a_planted_proxy_is_found_and_an_unrelated_feature_is_not() -> None:
    measurement = explainability.proxy_features(proxy_context(), ProxyParams())
    assert measurement.error is None and measurement.insufficient is None
    assert measurement.value == 1
    evidence = measurement.evidence
    assert evidence["proxies"] == ["zip"]
    rows = {row["feature"]: row for row in evidence["features"]}
    assert rows["zip"]["proxy_of"] == ["sex"]
    assert rows["zip"]["association"]["sex"]["measure"] == "cramers_v"
    assert rows["zip"]["association"]["sex"]["value"] > 0.7
    assert rows["skill"]["share"] > 0.3 and not rows["skill"]["potential_proxy"]
    assert rows["noise"]["association"]["sex"]["measure"] == "correlation_ratio"
    assert not rows["noise"]["potential_proxy"]
    assert charts_of("proxy_features", measurement)[0]["svg"].startswith("<?xml")


def test_proxy_thresholds_are_params() -> None:
    context = proxy_context()
    strict = explainability.proxy_features(context, ProxyParams(min_association=0.95))
    assert strict.value == 0 and strict.evidence["proxies"] == []
    top_one = explainability.proxy_features(context, ProxyParams(top_k=1))
    ranks = {row["feature"]: row["rank"] for row in top_one.evidence["features"]}
    assert top_one.value == (1 if ranks["zip"] == 1 else 0)


def test_a_sensitive_feature_the_model_does_not_take_carries_no_attribution_and_says_so() -> None:
    measurement = explainability.sensitive_attribution_share(
        proxy_context(), SensitiveShareParams()
    )
    assert measurement.value == 0.0
    assert measurement.evidence["sensitive"] == [
        {"feature": "sex", "status": "not a model input", "share": 0.0}
    ]
    assert "sex is not an input of the model" in measurement.evidence["notes"][0]
    groups = measurement.evidence["by_group"][0]
    assert groups["sensitive_feature"] == "sex"
    assert [g["group"] for g in groups["groups"]] == ["female", "male"]
    assert sum(g["count"] for g in groups["groups"]) == 500


def test_a_sensitive_feature_the_model_takes_has_its_share_and_rank() -> None:
    measurement = explainability.sensitive_attribution_share(
        direct_context(), SensitiveShareParams()
    )
    assert measurement.value is not None and measurement.value > 0.1
    (entry,) = measurement.evidence["sensitive"]
    assert entry["status"] == "used" and entry["share"] == measurement.value
    shares = sum(row["share"] for row in measurement.evidence["importance"])
    assert shares == pytest.approx(1.0, abs=1e-4)
    charts = charts_of("sensitive_attribution_share", measurement)
    assert [chart["title"] for chart in charts] == ["Feature importance by sex"]


def test_top_features_against_a_denylist_and_an_allowlist() -> None:
    context = proxy_context()
    denied = explainability.top_features(context, TopFeaturesParams(top_k=2, deny=["zip", "sex"]))
    assert denied.value == 1
    assert denied.evidence["violations"] == [
        {"feature": "zip", "rank": denied.evidence["top"].index("zip") + 1, "reason": "denied"}
    ]
    assert denied.evidence["unknown_features"] == ["sex"]
    allowed = explainability.top_features(
        context, TopFeaturesParams(top_k=2, allow=["zip", "skill"])
    )
    assert allowed.value == 0
    narrow = explainability.top_features(context, TopFeaturesParams(top_k=3, allow=["skill"]))
    assert narrow.value == 2


def test_top_features_needs_a_list() -> None:
    with pytest.raises(pydantic.ValidationError, match="give allow, deny or both"):
        TopFeaturesParams(top_k=3)


def test_stability_of_a_clear_ranking_is_high_and_reproducible() -> None:
    context = proxy_context()
    first = explainability.stability(context, StabilityParams(top_k=2, resamples=100))
    again = explainability.stability(context, StabilityParams(top_k=2, resamples=100))
    assert first.value == again.value
    assert first.value is not None and first.value >= 0.95
    evidence = first.evidence
    assert set(evidence["reference_top"]) == {"zip", "skill"}
    assert evidence["features"][0]["in_top_k_share"] >= 0.95
    # asking for more features than have attribution compares what there is
    wide = explainability.stability(context, StabilityParams(top_k=10, resamples=50))
    assert wide.evidence["k"] == 3 and wide.value == 1.0
    assert wide.evidence["notes"] == ["only 3 features have a non-zero attribution"]


def test_stability_counted_in_blocks_of_resamples_equals_counted_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    params = StabilityParams(top_k=1, resamples=103)

    def measured() -> dict[str, Any]:
        evidence = explainability.stability(proxy_context(), params).evidence
        return {key: value for key, value in evidence.items() if key != "explanation"}

    at_once = measured()
    assert at_once["identical_share"] < 1  # the resamples differ: their order shows
    monkeypatch.setattr(explainability, "STABILITY_BLOCK_DRAWS", 1)  # one resample per block
    assert measured() == at_once
    monkeypatch.setattr(explainability, "STABILITY_BLOCK_DRAWS", 7 * 500)  # uneven last block
    assert measured() == at_once


def test_available_is_one_with_importance_and_a_chart() -> None:
    measurement = explainability.available(proxy_context(), AvailableParams())
    assert measurement.value == 1.0
    summary = measurement.evidence["explanation"]
    assert summary["explainer"] == "linear"
    assert summary["feature_space"] == "original"
    assert summary["additivity"]["passed"] is True
    assert measurement.evidence["importance"][0]["feature"] in {"zip", "skill"}
    title = charts_of("available", measurement)[0]["title"]
    assert title == "Global feature importance (mean |SHAP|)"


def test_every_check_needs_a_model() -> None:
    frame = planted_proxy(50)
    frame["p"] = frame["y"]
    context = column_context(frame, ["sex"])
    for runner, params in _all_checks():
        measurement = runner(context, params)
        assert measurement.insufficient is not None
        assert "no model to explain" in measurement.insufficient, runner


def _all_checks(**budget: Any) -> list[tuple[Any, Any]]:
    return [
        (explainability.available, AvailableParams(**budget)),
        (explainability.sensitive_attribution_share, SensitiveShareParams(**budget)),
        (explainability.proxy_features, ProxyParams(**budget)),
        (explainability.top_features, TopFeaturesParams(deny=["x"], **budget)),
        (explainability.stability, StabilityParams(**budget)),
    ]


def test_a_failed_additivity_check_is_an_error_of_every_check() -> None:
    context = proxy_context()
    for runner, params in _all_checks(additivity_tolerance=1e-300):
        measurement = runner(context, params)
        assert measurement.error is not None
        assert measurement.error.startswith("additivity check failed: SHAP values plus the base")
        assert "log_odds" in measurement.error
        assert measurement.evidence["explanation"]["additivity"]["passed"] is False


def test_the_explanation_is_computed_once_for_all_rules_with_the_same_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    real = explainability.explain

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[3])
        return real(*args, **kwargs)

    monkeypatch.setattr(explainability, "explain", counting)
    context = proxy_context()
    for runner, params in _all_checks():
        runner(context, params)
    assert len(calls) == 1
    explainability.available(context, AvailableParams(rows=40))
    assert len(calls) == 2  # another budget, another explanation


def test_running_out_of_time_makes_findings_insufficient_with_their_value() -> None:
    context = proxy_context()
    measurement = explainability.available(context, AvailableParams(max_seconds=1e-9))
    assert measurement.value == 0.0
    assert measurement.insufficient is not None
    assert measurement.insufficient.startswith("the time budget of 1e-09 s ran out: 0 of 500")
    assert measurement.evidence["explanation"]["partial"] is True


def test_nothing_explained_measures_nothing_and_draws_no_chart() -> None:
    context = proxy_context()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "No artists with labels" among them
        measurements = [runner(context, params) for runner, params in _all_checks(max_seconds=1e-9)]
    available, *others = measurements
    assert available.value == 0.0  # the fraction of the rows explained is a true 0
    for measurement in others:
        # a share of 0 or 0 proxies over no explained row would read like a pass
        assert measurement.value is None
        assert measurement.insufficient is not None
        assert measurement.insufficient.startswith("the time budget of 1e-09 s ran out: 0 of 500")
    checks = [runner.__name__ for runner, _ in _all_checks(max_seconds=1e-9)]
    assert all(charts_of(c, m) == [] for c, m in zip(checks, measurements, strict=True))
    share = measurements[1].evidence
    assert share["share"] is None
    assert share["sensitive"][0]["status"] == "not a model input"
    direct = explainability.sensitive_attribution_share(
        direct_context(), SensitiveShareParams(max_seconds=1e-9)
    )
    assert direct.value is None
    assert direct.evidence["sensitive"][0]["status"] == "not explained"
    assert not any("receives no attribution" in note for note in direct.evidence["notes"])


def test_a_group_chart_without_groups_has_no_legend_and_no_warning() -> None:
    from governance.reporting.charts.explainability import group_chart

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svg = group_chart([], ["zip"], "log-odds")
    assert svg.startswith("<?xml") and 'id="legend' not in svg


class _RuleBook:
    """A classifier with neither probabilities nor a decision function."""

    classes_ = np.array([0, 1])

    def predict(self, X: Any) -> Any:
        return (X["skill"] > 0).astype(int).to_numpy()


def test_a_model_without_probabilities_or_decision_function_is_an_error_finding() -> None:
    frame = planted_proxy(200)
    context = model_context(_RuleBook(), frame, ["skill", "noise"], ["sex"])
    measurement = explainability.available(context, AvailableParams())
    assert measurement.error == (
        "cannot explain _RuleBook: _RuleBook has neither predict_proba nor a binary "
        "decision_function to explain"
    )


def test_evidence_is_plain_json_and_charts_are_deterministic() -> None:
    first = [runner(proxy_context(), params) for runner, params in _all_checks()]
    again = [runner(proxy_context(), params) for runner, params in _all_checks()]
    checks = [runner.__name__ for runner, _ in _all_checks()]
    for check, one, other in zip(checks, first, again, strict=True):
        text = json.dumps(one.evidence, allow_nan=False, sort_keys=True)
        for measurement in (one, other):
            measurement.evidence["explanation"].pop("seconds")
        assert json.dumps(one.evidence, sort_keys=True) == json.dumps(
            other.evidence, sort_keys=True
        )
        assert text
        drawn = charts_of(check, one)
        assert [c["svg"] for c in drawn] == [c["svg"] for c in charts_of(check, other)]
        for chart in drawn:
            assert "<dc:date>" not in chart["svg"]


def test_the_settings_of_the_context_set_the_budget_and_the_environment_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # settings are resolved once by the command and reach evaluators through their context
    monkeypatch.setenv("GOVERNANCE_EXPLAIN_ROWS", "99")
    monkeypatch.setenv("GOVERNANCE_EXPLAIN_MAX_SECONDS", "soon")
    context = proxy_context()
    context.settings = load_settings(env={"GOVERNANCE_EXPLAIN_ROWS": "37"})
    measurement = explainability.available(context, AvailableParams())
    assert measurement.evidence["explanation"]["rows_requested"] == 37
    ruled = explainability.available(context, AvailableParams(rows=12))
    assert ruled.evidence["explanation"]["rows_requested"] == 12  # the rule's param wins
    defaults = explainability.available(proxy_context(), AvailableParams())
    assert defaults.evidence["explanation"]["rows_requested"] == DEFAULT_ROWS["linear"]
