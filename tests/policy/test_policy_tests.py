"""Policy unit tests (kind: PolicyTest): results, coverage, and bad test files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from governance.checks import default_registry
from governance.errors import PolicyError
from governance.policy.testing import run_test_file
from tests.policy.helpers import policy_text

Write = Callable[[str, str], Path]

RULES = """
- id: ratio
  title: Four-fifths
  severity: high
  check: fairness.demographic_parity_ratio
  threshold: {min: 0.8}
- id: docs
  title: Model card
  severity: medium
  check: documentation.field_present
  params: {fields: [model_card.intended_use]}
  threshold: {max: 0}
  when: model.risk_tier == "high"
"""

HEAD = """
apiVersion: governance/v1
kind: PolicyTest
policies: [policy.yaml]
model: {name: m, version: 1.0.0, risk_tier: high}
tests:
"""


def run(write: Write, cases: str, head: str = HEAD) -> object:
    write("policy.yaml", policy_text(RULES))
    return run_test_file(write("p.test.yaml", head + cases), default_registry())


def test_passing_and_failing_cases_are_reported_with_what_differed(write: Write) -> None:
    result = run(
        write,
        """
  - name: passes
    evidence: {ratio: {measured: 0.9}}
    expect: {ratio: pass}
  - name: wrong expectation
    evidence: {ratio: {measured: 0.7}}
    expect: {ratio: {outcome: pass, blocking: false, message: "fine"}}
    verdict: passed
""",
    )
    first, second = result.cases  # type: ignore[attr-defined]
    assert first.passed and not second.passed
    assert second.problems == (
        "ratio: expected pass, got fail (selection-rate ratio: 0.7 is below the minimum 0.8)",
        "ratio: expected blocking false, got blocking",
        "ratio: message 'selection-rate ratio: 0.7 is below the minimum 0.8' does not contain "
        "'fine'",
        "verdict: expected passed, got failed",
    )
    assert result.untested == ("docs",)  # type: ignore[attr-defined]


def test_a_rule_expected_without_evidence_is_an_error_finding(write: Write) -> None:
    result = run(write, "  - name: no fixture\n    expect: {ratio: error}\n")
    (case,) = result.cases  # type: ignore[attr-defined]
    assert case.passed
    assert case.findings[0].message == "the test gives no evidence for this rule"


def test_when_reads_the_case_model_merged_over_the_defaults(write: Write) -> None:
    result = run(
        write,
        """
  - name: limited risk skips
    model: {risk_tier: limited}
    expect: {docs: skipped}
  - name: high risk evaluates
    evidence: {docs: {measured: 1}}
    expect: {docs: {outcome: fail, blocking: false}}
""",
    )
    assert all(case.passed for case in result.cases)  # type: ignore[attr-defined]
    assert result.untested == ("ratio",)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("cases", "expected"),
    [
        (
            "  - name: x\n    expect: {nope: pass}\n",
            "p.test.yaml:7:20: tests[0].expect.nope: no rule 'nope' in the policies tested",
        ),
        (
            "  - name: x\n    expect: {ratio: passed}\n",
            "p.test.yaml:7:21: tests[0].expect.ratio: Input should be 'pass', 'fail', 'error', "
            "'insufficient', 'waived' or 'skipped'",
        ),
        (
            "  - name: x\n    evidence: {ratio: {value: 1}}\n    expect: {ratio: pass}\n",
            "p.test.yaml:7:24: tests[0].evidence.ratio.value: unknown key 'value' in "
            "tests[0].evidence.ratio",
        ),
        (
            '  - name: x\n    strict: "yes"\n    expect: {ratio: pass}\n',
            "p.test.yaml:7:13: tests[0].strict: Input should be a valid boolean, found the "
            "string 'yes'",
        ),
        (
            "  - name: x\n    expect: {}\n",
            "p.test.yaml:7:13: tests[0].expect: Dictionary should have at least 1 item after "
            "validation, not 0",
        ),
    ],
)
def test_bad_test_files_name_file_line_and_field(write: Write, cases: str, expected: str) -> None:
    with pytest.raises(PolicyError) as caught:
        run(write, cases)
    assert str(caught.value).split("/")[-1] == expected


def test_a_missing_policy_is_named_at_its_entry(write: Write) -> None:
    cases = "  - name: x\n    expect: {ratio: pass}\n"
    path = write("p.test.yaml", HEAD.replace("[policy.yaml]", "[gone.yaml]") + cases)
    with pytest.raises(PolicyError, match=r"p\.test\.yaml:3:12: policies\[0\]: policy 'gone.yaml'"):
        run_test_file(path, default_registry())
