"""The rule engine: every rule becomes a Finding, and the findings a Verdict.

The gate fails closed: a rule that could not be evaluated (``error``) or lacked evidence
(``insufficient``) blocks like a failure when its severity is at or above ``fail_on``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from governance.checks.registry import CheckRegistry
from governance.errors import EXIT_GATE_FAILED, EXIT_OK, GovernanceError, InternalError
from governance.evaluators.context import EvaluationContext
from governance.policy.model import (
    FAILING_OUTCOMES,
    Finding,
    Measurement,
    Outcome,
    Policy,
    Rule,
    Severity,
)

OUTCOME_ORDER = tuple(Outcome)


def _number(value: float) -> str:
    return f"{value:.4g}"


def judge(rule: Rule, measurement: Measurement) -> tuple[Outcome, float | None, str]:
    """Outcome, measured value and message of one rule's measurement."""
    value = measurement.value
    if value is not None and math.isnan(value):
        value = None
    if measurement.error is not None:
        return Outcome.ERROR, value, measurement.error
    if measurement.insufficient is not None:
        return Outcome.INSUFFICIENT, value, f"insufficient evidence: {measurement.insufficient}"
    threshold = rule.spec.threshold
    if value is None or threshold is None:
        return Outcome.ERROR, None, "the check measured no value"
    if threshold.admits(value):
        return Outcome.PASS, value, f"{_number(value)} is {threshold.describe()}"
    if threshold.min is not None and value < threshold.min:
        return Outcome.FAIL, value, f"{_number(value)} is below the minimum {threshold.min:g}"
    return Outcome.FAIL, value, f"{_number(value)} is above the maximum {threshold.max:g}"


def evaluate_rule(
    rule: Rule, context: EvaluationContext, registry: CheckRegistry, fail_on: Severity
) -> Finding:
    """Run the rule's check and judge the result."""
    check = registry.get(rule.spec.check)
    if check is None:  # the loader refuses unknown checks; this is a bug
        raise InternalError(f"rule {rule.id} names unregistered check {rule.spec.check}")
    try:
        measurement = check.run(context, rule.params)
    except GovernanceError:
        raise
    except Exception as exc:  # a crashing check is an `error` finding: the gate fails closed
        measurement = Measurement(error=f"the check crashed: {type(exc).__name__}: {exc}")
    outcome, value, message = judge(rule, measurement)
    blocking = outcome in FAILING_OUTCOMES and rule.severity >= fail_on
    return Finding(
        rule=rule,
        outcome=outcome,
        measured=value,
        message=message,
        blocking=blocking,
        evidence=measurement.evidence,
        charts=measurement.charts,
    )


@dataclass(frozen=True)
class Verdict:
    """All findings and whether the gate passed."""

    findings: tuple[Finding, ...]
    fail_on: Severity

    @property
    def passed(self) -> bool:
        """True when no finding blocks."""
        return not any(finding.blocking for finding in self.findings)

    @property
    def exit_code(self) -> int:
        """0 when passed, 1 when the gate failed."""
        return EXIT_OK if self.passed else EXIT_GATE_FAILED

    def summary(self) -> dict[str, int]:
        """Counts by outcome, the total, and how many findings block."""
        counts = Counter(finding.outcome for finding in self.findings)
        return {
            "rules": len(self.findings),
            **{outcome.value: counts.get(outcome, 0) for outcome in OUTCOME_ORDER},
            "blocking": sum(finding.blocking for finding in self.findings),
        }

    def as_dict(self) -> dict[str, Any]:
        """Verdict fields of the evaluation record."""
        return {
            "verdict": "passed" if self.passed else "failed",
            "exit_code": self.exit_code,
            "fail_on": self.fail_on.label,
            "summary": self.summary(),
            "findings": [finding.as_dict() for finding in self.findings],
        }


def evaluate_policies(
    context: EvaluationContext,
    policies: Sequence[Policy],
    registry: CheckRegistry,
    *,
    fail_on: Severity = Severity.HIGH,
) -> Verdict:
    """Evaluate every rule of every policy, in file order."""
    findings = tuple(
        evaluate_rule(rule, context, registry, fail_on)
        for policy in policies
        for rule in policy.rules
    )
    return Verdict(findings=findings, fail_on=fail_on)
