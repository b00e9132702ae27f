"""Policy unit tests (``kind: PolicyTest``): evidence fixtures in, expected outcomes out.

A test file names the policies it tests and gives cases. Each case supplies, per rule id, what
the rule's check would have measured (``measured``, ``evidence``, or ``insufficient`` /
``error``), the ``model`` and ``data`` facts its ``when`` and ``assert`` read, and the outcome
expected per rule. The rules are judged by the same engine as a real ``governance check``
(:func:`governance.policy.engine.evaluate_rule`), waivers included; no data or model is needed.
See docs/policy-tests.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from governance.checks.registry import CheckRegistry
from governance.errors import PolicyError
from governance.paths import OUTSIDE, confined
from governance.policy.budget import DEFAULT_SECONDS
from governance.policy.document import error_at, read_document
from governance.policy.engine import Facts, GateSettings, all_waivers, evaluate_rule
from governance.policy.loader import load_policies
from governance.policy.model import (
    Finding,
    Finite,
    IsoDate,
    Measurement,
    NonEmpty,
    Policy,
    RuleId,
    Severity,
    SeverityName,
    WaiverSpec,
)
from governance.policy.packs import (
    PACK_PREFIX,
    UNKNOWN_PACK_HINT,
    find_pack,
    is_pack_ref,
    unknown_pack,
)
from governance.policy.waivers import apply_waivers, located_waivers
from governance.validation import DocumentModel, validate_document

OutcomeName = Literal["pass", "fail", "error", "insufficient", "waived", "skipped"]
NO_FIXTURE = "the test gives no evidence for this rule"


class _Strict(DocumentModel):
    """A part of a policy test file: unknown keys are errors, nothing is coerced."""


class Fixture(_Strict):
    """What a rule's check would have measured."""

    measured: Finite | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    insufficient: NonEmpty | None = None
    error: NonEmpty | None = None
    detail: NonEmpty | None = None

    def measurement(self) -> Measurement:
        """As the engine's Measurement."""
        return Measurement(
            value=self.measured,
            evidence=dict(self.evidence),
            insufficient=self.insufficient,
            error=self.error,
            detail=self.detail,
        )


class Expectation(_Strict):
    """The expected finding of one rule."""

    outcome: OutcomeName
    blocking: bool | None = None
    message: NonEmpty | None = None  # a substring of the finding's message


class CaseSpec(_Strict):
    """One test case."""

    name: NonEmpty
    model: dict[str, Any] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)
    evidence: dict[RuleId, Fixture] = Field(default_factory=dict)
    expect: Annotated[dict[RuleId, OutcomeName | Expectation], Field(min_length=1)]
    verdict: Literal["passed", "failed"] | None = None
    now: IsoDate | None = None
    fail_on: SeverityName | None = None
    strict: bool | None = None


class PolicyTestMetadata(_Strict):
    """Name and description of a test file."""

    name: NonEmpty
    description: str | None = None


class PolicyTestSpec(_Strict):
    """A whole ``kind: PolicyTest`` document."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    api_version: Literal["governance/v1"] = Field(alias="apiVersion")
    kind: Literal["PolicyTest"]
    metadata: PolicyTestMetadata | None = None
    policies: Annotated[list[NonEmpty], Field(min_length=1)]
    fail_on: SeverityName = "high"
    strict: bool = False
    now: IsoDate | None = None
    model: dict[str, Any] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)
    waivers: list[WaiverSpec] = Field(default_factory=list)
    tests: Annotated[list[CaseSpec], Field(min_length=1)]


@dataclass(frozen=True)
class CaseResult:
    """One case: its name, findings, and what did not match."""

    name: str
    line: int | None
    findings: tuple[Finding, ...]
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.problems


@dataclass(frozen=True)
class TestFileOutcome:
    """Every case of one test file, and the rules no case expects anything of."""

    path: Path
    policies: tuple[Policy, ...]
    cases: tuple[CaseResult, ...]
    untested: tuple[str, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """True when every case passed."""
        return all(case.passed for case in self.cases)


def _constant(measurement: Measurement) -> Callable[[], Measurement]:
    return lambda: measurement


def _now(day: Any) -> datetime:
    if day is None:
        return datetime.now(UTC)
    return datetime.combine(day, time(), tzinfo=UTC)


def _check_rule_ids(spec: PolicyTestSpec, known: set[str], document: Any, path: Path) -> None:
    for index, case in enumerate(spec.tests):
        for key in ("evidence", "expect"):
            for rule_id in getattr(case, key):
                if rule_id not in known:
                    raise error_at(
                        f"no rule {rule_id!r} in the policies tested",
                        document,
                        path,
                        "tests",
                        index,
                        key,
                        rule_id,
                    )


def _problems(case: CaseSpec, findings: dict[str, Finding], passed: bool) -> list[str]:
    problems = []
    for rule_id, wanted in case.expect.items():
        expected = wanted if isinstance(wanted, Expectation) else Expectation(outcome=wanted)
        finding = findings[rule_id]
        got = finding.outcome.value
        if got != expected.outcome:
            problems.append(
                f"{rule_id}: expected {expected.outcome}, got {got} ({finding.message})"
            )
        if expected.blocking is not None and finding.blocking != expected.blocking:
            state = "blocking" if finding.blocking else "not blocking"
            problems.append(
                f"{rule_id}: expected blocking {str(expected.blocking).lower()}, got {state}"
            )
        if expected.message is not None and expected.message not in finding.message:
            problems.append(
                f"{rule_id}: message {finding.message!r} does not contain {expected.message!r}"
            )
    if case.verdict is not None and case.verdict != ("passed" if passed else "failed"):
        problems.append(f"verdict: expected {case.verdict}, got {'passed' if passed else 'failed'}")
    return problems


def run_test_file(
    path: str | Path, registry: CheckRegistry, *, cel_seconds: float = DEFAULT_SECONDS
) -> TestFileOutcome:
    """Load a test file and its policies, and run every case.

    ``cel_seconds`` is the time budget of each CEL evaluation, as in a check.
    """
    path = Path(path)
    try:
        document, _ = read_document(path, "PolicyTest")
        spec = validate_document(PolicyTestSpec, document, path=path, error=PolicyError)
    except RecursionError:
        raise PolicyError("the test file nests too deeply", path=path, line=1) from None
    for index, name in enumerate(spec.policies):
        if is_pack_ref(name):
            if find_pack(name.removeprefix(PACK_PREFIX)) is None:
                raise error_at(
                    unknown_pack(name.removeprefix(PACK_PREFIX)),
                    document,
                    path,
                    "policies",
                    index,
                    hint=UNKNOWN_PACK_HINT,
                )
            continue
        if confined(name, path.parent) is None:
            raise error_at(
                OUTSIDE.format(what="policy", named=name), document, path, "policies", index
            )
        if not (path.parent / name).exists():
            raise error_at(
                f"policy {name!r} not found (paths are relative to the test file)",
                document,
                path,
                "policies",
                index,
            )
    policies = load_policies(
        [name if is_pack_ref(name) else path.parent / name for name in spec.policies], registry
    )
    rules = [rule for policy in policies for rule in policy.rules]
    _check_rule_ids(spec, {rule.id for rule in rules}, document, path)
    waivers = all_waivers(policies, located_waivers(spec.waivers, document, path))
    cases = []
    for index, case in enumerate(spec.tests):
        facts = Facts(model={**spec.model, **case.model}, data={**spec.data, **case.data})
        gate = GateSettings(
            fail_on=Severity.parse(case.fail_on or spec.fail_on),
            strict=spec.strict if case.strict is None else case.strict,
            cel_seconds=cel_seconds,
        )
        wanted = set(case.expect) | set(case.evidence)
        findings = []
        for rule in rules:
            if rule.id not in wanted:
                continue
            fixture = case.evidence.get(rule.id)
            measurement = (
                fixture.measurement() if fixture is not None else Measurement(error=NO_FIXTURE)
            )
            findings.append(evaluate_rule(rule, _constant(measurement), facts, gate))
        waived, _ = apply_waivers(
            findings,
            waivers,
            model=str(facts.model.get("name", "")),
            version=str(facts.model.get("version", "")),
            now=_now(case.now or spec.now),
        )
        by_rule = {finding.rule.id: finding for finding in waived}
        passed = not any(finding.blocking for finding in waived)
        line = getattr(document["tests"], "item_positions", [(None, None)] * (index + 1))[index][0]
        cases.append(
            CaseResult(
                name=case.name,
                line=line,
                findings=tuple(waived),
                problems=tuple(_problems(case, by_rule, passed)),
            )
        )
    tested = {rule_id for case in spec.tests for rule_id in case.expect}
    return TestFileOutcome(
        path=path,
        policies=tuple(policies),
        cases=tuple(cases),
        untested=tuple(rule.id for rule in rules if rule.id not in tested),
    )


def untested_rules(outcomes: Sequence[TestFileOutcome]) -> list[str]:
    """Rule ids no test file tests, each once, in order of first appearance.

    A rule that two test files load counts as tested when either of them tests it.
    """
    untested = dict.fromkeys(rule_id for outcome in outcomes for rule_id in outcome.untested)
    tested = {
        rule.id
        for outcome in outcomes
        for policy in outcome.policies
        for rule in policy.rules
        if rule.id not in outcome.untested
    }
    return [rule_id for rule_id in untested if rule_id not in tested]


def run_tests(
    paths: Sequence[Path], registry: CheckRegistry, *, cel_seconds: float = DEFAULT_SECONDS
) -> list[TestFileOutcome]:
    """Run every test file (``cel_seconds``: the time budget of each CEL evaluation)."""
    return [run_test_file(path, registry, cel_seconds=cel_seconds) for path in paths]
