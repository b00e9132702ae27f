"""The rule engine: every rule becomes a Finding, and the findings a Verdict.

One code path judges every rule, whether its evidence comes from a real check run or from a
policy test's fixture: :func:`evaluate_rule` takes a function that measures, the facts the
rule's ``when`` and ``assert`` may read, and the gate settings.

The gate fails closed: a rule that could not be evaluated (``error``) or lacked evidence
(``insufficient``) blocks like a failure when its severity is at or above ``fail_on``, unless the
rule says ``on_error: warn`` / ``on_insufficient: warn``. With ``strict``, every failing finding
blocks. A waiver turns a failing finding into ``waived``; an expired waiver leaves it failing and
makes it block whatever its severity (see :mod:`governance.policy.waivers`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from governance.checks.registry import CheckRegistry
from governance.errors import EXIT_GATE_FAILED, EXIT_OK, GovernanceError, InternalError
from governance.extras import missing_extra
from governance.policy.budget import DEFAULT_SECONDS
from governance.policy.cel_words import fill_template, in_words
from governance.policy.expr import ExpressionError
from governance.policy.messages import gated_interval, number, subject
from governance.policy.model import (
    FAILING_OUTCOMES,
    Finding,
    GatedBound,
    Measurement,
    Outcome,
    Policy,
    Rule,
    Severity,
    Waiver,
)

if TYPE_CHECKING:
    from governance.evaluators.context import EvaluationContext

OUTCOME_ORDER = tuple(Outcome)
MODEL_FIELDS = ("name", "version", "owner", "risk_tier", "intended_use", "description")


@dataclass(frozen=True)
class GateSettings:
    """Which failing findings block: severity at or above ``fail_on``, or all with ``strict``.

    ``cel_seconds`` is the time budget of each evaluation of a ``when`` or ``assert``: a spent
    budget makes the finding an ``error`` (see :mod:`governance.policy.budget`).
    """

    fail_on: Severity = Severity.HIGH
    strict: bool = False
    cel_seconds: float = DEFAULT_SECONDS

    def blocks(self, rule: Rule, outcome: Outcome) -> bool:
        """Whether a finding of ``rule`` with ``outcome`` fails the gate."""
        if outcome not in FAILING_OUTCOMES:
            return False
        if self.strict:
            return True
        action = {
            Outcome.ERROR: rule.spec.on_error,
            Outcome.INSUFFICIENT: rule.spec.on_insufficient,
        }.get(outcome, "block")
        return action == "block" and rule.severity >= self.fail_on


@dataclass(frozen=True)
class Facts:
    """What ``when`` and ``assert`` may read besides the evidence: ``model`` and ``data``."""

    model: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_context(cls, context: EvaluationContext) -> Facts:
        """The manifest's metadata and data description (and the row count) of an evaluation."""
        spec = context.manifest.spec
        model = spec.metadata.model_dump(mode="json")
        data = spec.data.model_dump(mode="json", exclude={"path", "format"})
        data["rows"] = context.data.rows
        return cls(model=model, data=data)


@dataclass(frozen=True)
class Judgement:
    """Outcome, measured value and message of one rule."""

    outcome: Outcome
    measured: float | None
    message: str
    skip_reason: str | None = None
    bound: GatedBound | None = None


def judge(
    rule: Rule,
    measurement: Measurement,
    facts: Facts | None = None,
    *,
    cel_seconds: float = DEFAULT_SECONDS,
) -> Judgement:
    """Judge one rule's measurement: by its threshold, or by its ``assert`` expression.

    ``cel_seconds`` is the time budget of the ``assert`` expression.
    """
    value = measurement.value
    if value is not None and (math.isnan(value) or math.isinf(value)):
        value = None
    if measurement.error is not None:
        return Judgement(Outcome.ERROR, value, measurement.error)
    if measurement.insufficient is not None:
        return Judgement(
            Outcome.INSUFFICIENT, value, f"insufficient evidence: {measurement.insufficient}"
        )
    if rule.assertion is not None:
        judgement = _judge_assertion(rule, value, measurement, facts or Facts(), cel_seconds)
        return _templated(rule, judgement, measurement, facts or Facts())
    threshold = rule.spec.threshold
    if value is None or threshold is None:
        return Judgement(Outcome.ERROR, None, "the check measured no value")
    detail = f" ({measurement.detail})" if measurement.detail else ""
    bound = gated_interval(rule.params, measurement.evidence)
    what = subject(rule.spec.check, rule.params, measurement.evidence, value)
    if threshold.admits(value):
        message = f"{what} is {threshold.describe()}{detail}"
        return Judgement(Outcome.PASS, value, message, bound=bound)
    if threshold.min is not None and value < threshold.min:
        message = f"{what} is below the minimum {threshold.min:g}{detail}"
    else:
        message = f"{what} is above the maximum {threshold.max:g}{detail}"
    judgement = Judgement(Outcome.FAIL, value, message, bound=bound)
    return _templated(rule, judgement, measurement, facts or Facts())


def _templated(
    rule: Rule, judgement: Judgement, measurement: Measurement, facts: Facts
) -> Judgement:
    """A failing judgement with the rule's own ``message:`` template filled in, if it has one."""
    template = rule.spec.message
    if template is None or judgement.outcome is not Outcome.FAIL:
        return judgement
    threshold = rule.spec.threshold
    values = {
        "measured": judgement.measured,
        "threshold": threshold.as_dict() if threshold else {},
        "evidence": measurement.evidence,
        "model": dict(facts.model),
        "data": dict(facts.data),
    }
    message = fill_template(template, values)
    return Judgement(judgement.outcome, judgement.measured, message, bound=judgement.bound)


def _judge_assertion(
    rule: Rule, value: float | None, measurement: Measurement, facts: Facts, seconds: float
) -> Judgement:
    assertion = rule.assertion
    if assertion is None:  # callers check; keeps mypy honest
        raise InternalError(f"rule {rule.id} has no assertion")
    variables = {
        "measured": value,
        "evidence": measurement.evidence,
        "model": dict(facts.model),
        "data": dict(facts.data),
    }
    try:
        holds = assertion.evaluate(variables, seconds=seconds)
    except ExpressionError as exc:
        return Judgement(Outcome.ERROR, value, f"assert could not be evaluated: {exc}")
    shown = f" (measured {number(value)})" if value is not None else ""
    detail = f" ({measurement.detail})" if measurement.detail else ""
    words = in_words(assertion.ast)
    if holds:
        return Judgement(Outcome.PASS, value, f"assertion holds: {words or assertion.one_line()}")
    if words is None:
        message = f"assertion failed: {assertion.one_line()}{shown}{detail}"
    else:
        message = f"assertion failed: {words}{shown}{detail}"
    return Judgement(Outcome.FAIL, value, message)


def condition(
    rule: Rule, facts: Facts, *, cel_seconds: float = DEFAULT_SECONDS
) -> Judgement | None:
    """A ``skipped`` (or ``error``) judgement when the rule's ``when`` does not hold, else None.

    ``cel_seconds`` is the time budget of the ``when`` expression.
    """
    if rule.condition is None:
        return None
    variables = {"model": dict(facts.model), "data": dict(facts.data)}
    try:
        holds = rule.condition.evaluate(variables, seconds=cel_seconds)
    except ExpressionError as exc:
        return Judgement(Outcome.ERROR, None, f"when could not be evaluated: {exc}")
    if holds:
        return None
    reason = f"when is false: {rule.condition.one_line()}"
    return Judgement(Outcome.SKIPPED, None, f"skipped: {reason}", skip_reason=reason)


def evaluate_rule(
    rule: Rule,
    measure: Callable[[], Measurement],
    facts: Facts,
    gate: GateSettings,
) -> Finding:
    """Check the rule's ``when``, measure, and judge; ``measure`` runs only when needed."""
    judgement = condition(rule, facts, cel_seconds=gate.cel_seconds)
    measurement = Measurement()
    if judgement is None:
        measurement = measure()
        judgement = judge(rule, measurement, facts, cel_seconds=gate.cel_seconds)
    return Finding(
        rule=rule,
        outcome=judgement.outcome,
        measured=judgement.measured,
        message=judgement.message,
        blocking=gate.blocks(rule, judgement.outcome),
        evidence=measurement.evidence,
        skip_reason=judgement.skip_reason,
        bound=judgement.bound,
    )


def run_check(rule: Rule, context: EvaluationContext, registry: CheckRegistry) -> Measurement:
    """Run the rule's check on an evaluation context; a crash is an ``error`` measurement."""
    check = registry.get(rule.spec.check)
    if check is None:  # the loader refuses unknown checks; this is a bug
        raise InternalError(f"rule {rule.id} names unregistered check {rule.spec.check}")
    try:
        return check.run(context, rule.params)
    except GovernanceError:
        raise
    except Exception as exc:  # a crashing check is an `error` finding: the gate fails closed
        missing = missing_extra(exc)
        if missing is not None:  # not the model's fault: the install lacks an extra
            raise missing from None
        return Measurement(error=f"the check crashed: {type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class Verdict:
    """All findings, the waivers considered, and whether the gate passed."""

    findings: tuple[Finding, ...]
    fail_on: Severity
    strict: bool = False
    waivers: tuple[dict[str, Any], ...] = ()

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
            "strict": self.strict,
            "summary": self.summary(),
            "findings": [finding.as_dict() for finding in self.findings],
            "waivers": list(self.waivers),
        }


def all_waivers(policies: Sequence[Policy], extra: Sequence[Waiver] = ()) -> list[Waiver]:
    """The waivers written in the policies, then those from waiver files."""
    return [waiver for policy in policies for waiver in policy.waivers] + list(extra)


def evaluate_policies(
    context: EvaluationContext,
    policies: Sequence[Policy],
    registry: CheckRegistry,
    *,
    fail_on: Severity = Severity.HIGH,
    strict: bool = False,
    waivers: Sequence[Waiver] = (),
    now: datetime | None = None,
    cel_seconds: float = DEFAULT_SECONDS,
) -> Verdict:
    """Evaluate every rule of every policy, in load order, and apply the waivers.

    ``waivers`` come from waiver files; the policies' own waivers are added. ``now`` (default:
    the current time) decides which waivers have expired. ``cel_seconds`` is the time budget
    of each CEL evaluation (``when`` and ``assert``).
    """
    from governance.policy.waivers import apply_waivers

    gate = GateSettings(fail_on=fail_on, strict=strict, cel_seconds=cel_seconds)
    facts = Facts.from_context(context)
    findings = [
        evaluate_rule(rule, partial(run_check, rule, context, registry), facts, gate)
        for policy in policies
        for rule in policy.rules
    ]
    meta = context.manifest.spec.metadata
    waived, reports = apply_waivers(
        findings,
        all_waivers(policies, waivers),
        model=meta.name,
        version=meta.version,
        now=now or datetime.now(UTC),
        approved=context.approved_waivers,
    )
    return Verdict(findings=tuple(waived), fail_on=fail_on, strict=strict, waivers=tuple(reports))
