"""Messages name what failed: groups, features, datasets, fields; bounds with their point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from governance.errors import PolicyError
from governance.policy.engine import judge
from governance.policy.model import Measurement, Outcome
from tests.policy.helpers import load, policy_text, rule_from


def _group(label: str, count: int, **metrics: float) -> dict[str, Any]:
    return {"group": {"sex": label}, "label": label, "count": count, "metrics": metrics}


FAIRNESS = {
    "metrics": ["selection_rate"],
    "method": "between_groups",
    "min_group_size": 30,
    "tables": [
        {
            "sensitive_features": ["sex"],
            "groups": [
                _group("female", 400, selection_rate=0.11),
                _group("male", 600, selection_rate=0.48),
                _group("other", 5, selection_rate=0.01),  # too small: not the worst pair
            ],
            "measured": 0.2292,
        }
    ],
}
RATIO_RULE = """
- id: loan.dp-ratio
  title: four-fifths
  severity: high
  check: fairness.demographic_parity_ratio
  threshold: {min: 0.8}
"""
EO_CI_RULE = """
- id: loan.eo-diff-ci
  title: equalized odds, upper bound
  severity: high
  check: fairness.equalized_odds_difference
  params: {gate_on: ci_upper}
  threshold: {max: 0.15}
"""
EO_EVIDENCE = {
    "metrics": ["true_positive_rate", "false_positive_rate"],
    "method": "between_groups",
    "min_group_size": 30,
    "gate_on": "ci_upper",
    "bootstrap": {"n_boot": 1000, "confidence": 0.95, "seed": 0},
    "tables": [
        {
            "sensitive_features": ["sex"],
            "groups": [
                _group("female", 400, true_positive_rate=0.61, false_positive_rate=0.05),
                _group("male", 600, true_positive_rate=0.6985, false_positive_rate=0.06),
            ],
            "point": 0.0885,
            "interval": [0.0476, 0.2167],
            "measured": 0.2167,
        }
    ],
    "point": 0.0885,
    "interval": [0.0476, 0.2167],
}


def test_a_failing_disparity_names_the_grouping_and_the_worst_pair(tmp_path: Path) -> None:
    judgement = judge(rule_from(tmp_path, RATIO_RULE), Measurement(0.2292, FAIRNESS))
    assert judgement.outcome == Outcome.FAIL
    assert judgement.message == (
        "selection-rate ratio by sex (female 0.11 vs male 0.48): 0.2292 is below the minimum 0.8"
    )


def test_a_rule_on_a_bound_shows_the_bound_the_point_and_the_interval(tmp_path: Path) -> None:
    judgement = judge(rule_from(tmp_path, EO_CI_RULE), Measurement(0.2167, EO_EVIDENCE))
    assert judgement.outcome == Outcome.FAIL
    assert judgement.measured == 0.2167  # the gated value stays the measured one
    assert judgement.message.endswith(
        "upper 95% bound 0.2167 (point 0.0885, interval [0.0476, 0.2167]) is above the maximum 0.15"
    )
    assert "true-positive-rate: female 0.61 vs male 0.699" in judgement.message
    assert judgement.bound is not None
    assert judgement.bound.as_dict() == {
        "bound": "ci_upper",
        "confidence": 0.95,
        "point": 0.0885,
        "interval": [0.0476, 0.2167],
    }


def _rule(check: str, params: str = "{}", threshold: str = "{max: 0}") -> str:
    return (
        f"- id: r\n  title: t\n  severity: high\n  check: {check}\n  params: {params}\n"
        f"  threshold: {threshold}\n"
    )


CASES = [
    (
        _rule("explainability.proxy_features"),
        1,
        {
            "top_k": 10,
            "proxies": ["zip_code"],
            "features": [
                {"feature": "zip_code", "potential_proxy": True, "proxy_of": ["race"]},
                {"feature": "income", "potential_proxy": False, "proxy_of": []},
            ],
        },
        ["zip_code stands for race", "potential proxies among the top 10 features"],
    ),
    (
        _rule("lineage.facets_present"),
        1,
        {
            "model_dataset": "dataset:file:models/m.skops",
            "missing": [{"dataset": "dataset:s3://bucket:loans.csv", "facets": ["ownership"]}],
        },
        ["dataset:s3://bucket:loans.csv lacks ownership", "of dataset:file:models/m.skops"],
    ),
    (
        _rule("lineage.no_failed_runs"),
        1,
        {"failed": [{"job": "job:ns:train", "run_id": "r-1", "state": "FAIL"}]},
        ["job:ns:train run r-1 fail"],
    ),
    (
        _rule("lineage.code_version_recorded"),
        1,
        {"missing": ["job:ns:prepare"]},
        ["jobs without a recorded commit", "job:ns:prepare"],
    ),
    (
        _rule("documentation.field_present", "{fields: [card.owner]}"),
        1,
        {"fields": ["card.owner"], "missing": ["card.owner"]},
        ["documentation fields missing"],
    ),
    (
        _rule("performance.metric", "{metric: accuracy, aggregate: min_over_groups}", "{min: 0.7}"),
        0.64,
        {
            "metric": "accuracy",
            "aggregate": "min_over_groups",
            "point": 0.64,
            "tables": [
                {
                    "sensitive_features": ["age_band"],
                    "groups": [
                        _group("<25", 45, accuracy=0.64),
                        _group("25-59", 238, accuracy=0.75),
                    ],
                    "measured": 0.64,
                }
            ],
        },
        ["smallest group accuracy (<25 by age_band, 45 rows)"],
    ),
]


@pytest.mark.parametrize(("rule", "value", "evidence", "named"), CASES)
def test_every_check_type_names_what_failed(
    tmp_path: Path, rule: str, value: float, evidence: dict[str, Any], named: list[str]
) -> None:
    judgement = judge(rule_from(tmp_path, rule), Measurement(value, evidence))
    assert judgement.outcome == Outcome.FAIL
    for text in named:
        assert text in judgement.message


CEL_RULE = """
- id: sensitive-not-top
  title: no sensitive feature in the top 5
  severity: medium
  check: explainability.sensitive_attribution_share
  assert: evidence.sensitive.all(s, s.share == 0.0 || s.rank > 5)
"""
SENSITIVE = {"sensitive": [{"feature": "sex", "share": 0.09, "rank": 2}]}


def test_a_cel_failure_says_in_words_what_was_asserted(tmp_path: Path) -> None:
    judgement = judge(rule_from(tmp_path, CEL_RULE), Measurement(0.09, SENSITIVE))
    assert judgement.message == (
        "assertion failed: every item of evidence.sensitive has share == 0.0 or rank > 5 "
        "(measured 0.09)"
    )


def test_a_rule_with_a_message_template_says_it_with_the_evidence(tmp_path: Path) -> None:
    rule = CEL_RULE + (
        "  message: '{evidence.sensitive.0.feature} is ranked {evidence.sensitive.0.rank} "
        "(share {measured}); {evidence.nothing}'\n"
    )
    judgement = judge(rule_from(tmp_path, rule), Measurement(0.09, SENSITIVE))
    assert judgement.outcome == Outcome.FAIL
    assert judgement.message == "sex is ranked 2 (share 0.09); ?"


def test_an_unknown_placeholder_is_a_policy_error_naming_the_line(tmp_path: Path) -> None:
    text = policy_text(CEL_RULE + "  message: 'ranked {rank}'\n")
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, text)
    assert "unknown placeholder {rank}" in str(caught.value)
    assert f"{tmp_path / 'policy.yaml'}:11:" in str(caught.value)
