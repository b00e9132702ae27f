"""Judging rules: thresholds, assertions, conditions, and which failures block."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.policy.engine import Facts, GateSettings, evaluate_rule, judge
from governance.policy.model import Measurement, Outcome, Severity
from tests.policy.helpers import rule_from

ASSERT_RULE = """
- id: every-group-large
  title: Every group has 30 rows and a selection rate of at least 0.2
  severity: high
  check: fairness.demographic_parity_ratio
  assert: >-
    evidence.tables.all(t, t.groups.all(g, g.count >= 30
      && g.metrics.selection_rate >= 0.2))
"""

EVIDENCE = {
    "tables": [
        {
            "groups": [
                {"label": "f", "count": 120, "metrics": {"selection_rate": 0.25}},
                {"label": "m", "count": 300, "metrics": {"selection_rate": 0.31}},
            ]
        }
    ]
}


def test_an_assertion_passes_or_fails_on_the_evidence(tmp_path: Path) -> None:
    rule = rule_from(tmp_path, ASSERT_RULE)
    passing = judge(rule, Measurement(value=0.8, evidence=EVIDENCE))
    assert passing.outcome == Outcome.PASS
    assert passing.measured == 0.8  # the measured value is kept with an assertion too
    low = {
        "tables": [{"groups": [{"label": "f", "count": 12, "metrics": {"selection_rate": 0.3}}]}]
    }
    failing = judge(rule, Measurement(value=0.8, evidence=low))
    assert failing.outcome == Outcome.FAIL
    assert failing.message.startswith(  # the assertion in words, not raw CEL
        "assertion failed: every item of evidence.tables has (every item of groups has count >= 30"
    )
    assert failing.message.endswith("(measured 0.8)")


def test_an_assertion_that_cannot_be_evaluated_is_an_error_not_a_crash(tmp_path: Path) -> None:
    rule = rule_from(tmp_path, ASSERT_RULE)
    result = judge(rule, Measurement(value=0.8, evidence={"metrics": []}))
    assert result.outcome == Outcome.ERROR
    assert result.message == "assert could not be evaluated: no such key 'tables'"
    finding = evaluate_rule(rule, lambda: Measurement(evidence={}), Facts(), GateSettings())
    assert finding.outcome == Outcome.ERROR and finding.blocking


def test_insufficient_evidence_comes_before_the_assertion(tmp_path: Path) -> None:
    rule = rule_from(tmp_path, ASSERT_RULE)
    result = judge(rule, Measurement(evidence=EVIDENCE, insufficient="group f has 12 rows"))
    assert result.outcome == Outcome.INSUFFICIENT


def test_an_assertion_reads_the_model_and_data_facts(tmp_path: Path) -> None:
    rule = rule_from(
        tmp_path,
        """
        - id: stricter-for-high-risk
          title: High-risk models need 0.9
          severity: high
          check: fairness.demographic_parity_ratio
          assert: "measured >= (model.risk_tier == 'high' ? 0.9 : 0.8)"
        """,
    )
    measurement = Measurement(value=0.85)
    high = Facts(model={"risk_tier": "high"})
    limited = Facts(model={"risk_tier": "limited"})
    assert judge(rule, measurement, high).outcome == Outcome.FAIL
    assert judge(rule, measurement, limited).outcome == Outcome.PASS


WHEN_RULE = """
- id: high-risk-only
  title: Only for high-risk models
  severity: critical
  check: performance.metric
  params: {metric: accuracy}
  threshold: {min: 0.9}
  when: model.risk_tier == "high" && "sex" in data.sensitive_features
"""


def test_a_false_condition_skips_without_measuring_and_never_blocks(tmp_path: Path) -> None:
    rule = rule_from(tmp_path, WHEN_RULE)
    calls = []

    def measure() -> Measurement:
        calls.append(1)
        return Measurement(value=0.1)

    facts = Facts(model={"risk_tier": "limited"}, data={"sensitive_features": ["sex"]})
    finding = evaluate_rule(rule, measure, facts, GateSettings(strict=True))
    assert finding.outcome == Outcome.SKIPPED and not finding.blocking
    assert finding.skip_reason == (
        'when is false: model.risk_tier == "high" && "sex" in data.sensitive_features'
    )
    assert calls == []
    assert finding.as_dict()["skip_reason"] == finding.skip_reason
    assert finding.as_dict()["when"] == rule.spec.when


def test_a_true_condition_evaluates_the_rule(tmp_path: Path) -> None:
    rule = rule_from(tmp_path, WHEN_RULE)
    facts = Facts(model={"risk_tier": "high"}, data={"sensitive_features": ["sex", "race"]})
    finding = evaluate_rule(rule, lambda: Measurement(value=0.5), facts, GateSettings())
    assert (finding.outcome, finding.blocking, finding.skip_reason) == (Outcome.FAIL, True, None)


def test_a_condition_that_cannot_be_evaluated_is_an_error(tmp_path: Path) -> None:
    rule = rule_from(tmp_path, WHEN_RULE)
    finding = evaluate_rule(rule, lambda: Measurement(value=1.0), Facts(), GateSettings())
    assert finding.outcome == Outcome.ERROR
    assert finding.message == "when could not be evaluated: no such key 'risk_tier'"
    assert finding.blocking


def gate_rule(tmp_path: Path, severity: str, extra: str = "") -> object:
    return rule_from(
        tmp_path,
        f"""
        - id: r
          title: t
          severity: {severity}
          check: performance.metric
          params: {{metric: accuracy}}
          threshold: {{min: 0.9}}
        """
        + extra,
    )


@pytest.mark.parametrize(
    ("severity", "extra", "outcome", "gate", "blocks"),
    [
        ("high", "", Outcome.FAIL, GateSettings(), True),
        ("medium", "", Outcome.FAIL, GateSettings(), False),
        ("medium", "", Outcome.FAIL, GateSettings(fail_on=Severity.MEDIUM), True),
        ("medium", "", Outcome.FAIL, GateSettings(strict=True), True),
        ("info", "", Outcome.FAIL, GateSettings(strict=True), True),
        ("high", "", Outcome.ERROR, GateSettings(), True),  # fail closed
        ("high", "", Outcome.INSUFFICIENT, GateSettings(), True),
        ("high", "  on_error: warn\n", Outcome.ERROR, GateSettings(), False),
        ("high", "  on_error: warn\n", Outcome.ERROR, GateSettings(strict=True), True),
        ("high", "  on_insufficient: warn\n", Outcome.INSUFFICIENT, GateSettings(), False),
        ("high", "  on_insufficient: warn\n", Outcome.ERROR, GateSettings(), True),
        ("low", "", Outcome.ERROR, GateSettings(), False),
        ("critical", "", Outcome.PASS, GateSettings(strict=True), False),
        ("critical", "", Outcome.SKIPPED, GateSettings(strict=True), False),
    ],
)
def test_which_findings_block(
    tmp_path: Path, severity: str, extra: str, outcome: Outcome, gate: GateSettings, blocks: bool
) -> None:
    rule = gate_rule(tmp_path, severity, extra)
    assert gate.blocks(rule, outcome) is blocks  # type: ignore[arg-type]


def test_nan_measurements_are_errors_not_passes(tmp_path: Path) -> None:
    rule = gate_rule(tmp_path, "high")
    result = judge(rule, Measurement(value=float("nan")))  # type: ignore[arg-type]
    assert (result.outcome, result.measured) == (Outcome.ERROR, None)
