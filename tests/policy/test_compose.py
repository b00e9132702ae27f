"""extends and overrides: bases loaded once, overrides only tighten unless justified, no cycles."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.checks import default_registry
from governance.errors import PolicyError
from governance.policy.loader import load_policies
from tests.policy.helpers import policy_text

BASE_RULES = """
- id: dp-ratio
  title: Four-fifths
  severity: medium
  check: fairness.demographic_parity_ratio
  threshold: {min: 0.8, max: 1.25}
  controls: ["29 CFR 1607.4(D)"]
- id: accuracy
  title: Accuracy
  severity: high
  check: performance.metric
  params: {metric: accuracy}
  threshold: {min: 0.7}
  on_error: warn
- id: parity-assert
  title: Parity by assertion
  severity: high
  check: fairness.demographic_parity_ratio
  assert: measured >= 0.8
"""

CHILD_HEAD = "apiVersion: governance/v1\nkind: Policy\nmetadata: {name: child, version: 2.1.0}\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def child(tmp_path: Path, body: str, base: str = "base/base.yaml") -> Path:
    write(tmp_path, base, policy_text(BASE_RULES, name="base"))
    return write(tmp_path, "child.yaml", CHILD_HEAD + f"extends: [{base}]\n" + body)


def load_error(path: Path) -> str:
    with pytest.raises(PolicyError) as caught:
        load_policies([path], default_registry())
    assert "\n" not in str(caught.value)
    return str(caught.value).removeprefix(f"{path.parent}/")


def test_a_policy_extends_a_base_and_both_are_recorded(tmp_path: Path) -> None:
    path = child(
        tmp_path,
        "rules:\n  - {id: own, title: Own, severity: low, check: performance.metric,"
        " params: {metric: f1}, threshold: {min: 0.5}}\n",
    )
    policies = load_policies([path], default_registry())
    assert [p.name for p in policies] == ["base", "child"]
    assert [r.id for p in policies for r in p.rules] == [
        "dp-ratio",
        "accuracy",
        "parity-assert",
        "own",
    ]
    summaries = [p.summary() for p in policies]
    assert summaries[1]["extends"] == ["base"] and summaries[1]["version"] == "2.1.0"
    assert summaries[0]["version"] == "1.0.0"
    assert all(s["digest"].startswith("sha256:") for s in summaries)
    assert summaries[0]["digest"] != summaries[1]["digest"]


def test_a_base_given_directly_and_extended_is_loaded_once(tmp_path: Path) -> None:
    path = child(tmp_path, "overrides:\n  dp-ratio: {threshold: {min: 0.9}}\n")
    policies = load_policies([tmp_path / "base" / "base.yaml", path], default_registry())
    assert [p.name for p in policies] == ["base", "child"]
    dp = policies[0].rules[0]
    assert dp.spec.threshold is not None and dp.spec.threshold.min == 0.9


def test_stricter_overrides_apply_and_are_recorded(tmp_path: Path) -> None:
    path = child(
        tmp_path,
        "overrides:\n"
        "  dp-ratio: {threshold: {min: 0.85}, severity: critical, controls: [ECOA]}\n"
        "  accuracy: {threshold: {max: 0.99}, on_error: block}\n",
    )
    base = load_policies([path], default_registry())[0]
    dp, accuracy = base.rules[0], base.rules[1]
    assert dp.spec.threshold is not None
    assert (dp.spec.threshold.min, dp.spec.threshold.max) == (0.85, 1.25)  # max kept
    assert dp.spec.severity == "critical" and dp.spec.controls == ["ECOA"]
    assert accuracy.spec.threshold is not None and accuracy.spec.threshold.as_dict() == {
        "min": 0.7,
        "max": 0.99,
    }
    assert accuracy.spec.on_error == "block"
    assert dp.override is not None and dp.override.as_dict() == {
        "policy": "child",
        "relaxed": False,
        "justification": None,
    }


@pytest.mark.parametrize(
    ("override", "relaxes"),
    [
        ("dp-ratio: {threshold: {min: 0.7}}", "threshold min 0.8 -> 0.7"),
        ("dp-ratio: {threshold: {max: 1.5}}", "threshold max 1.25 -> 1.5"),
        ("dp-ratio: {severity: low}", "severity medium -> low"),
        ("accuracy: {on_insufficient: warn}", "on_insufficient block -> warn"),
    ],
)
def test_an_override_that_relaxes_is_refused(tmp_path: Path, override: str, relaxes: str) -> None:
    path = child(tmp_path, f"overrides:\n  {override}\n")
    rule = override.split(":")[0]
    assert load_error(path) == (
        f"child.yaml:6:13: overrides.{rule}: override of rule {rule!r} relaxes it ({relaxes}): "
        "overrides may only make a rule stricter (set allow_relax: true with a justification "
        "to relax it on purpose)"
    )


def test_a_justified_relaxation_is_allowed_and_recorded(tmp_path: Path) -> None:
    path = child(
        tmp_path,
        "overrides:\n  dp-ratio:\n    threshold: {min: 0.7}\n    allow_relax: true\n"
        "    justification: Small sample; validated manually (GOV-9).\n",
    )
    rule = load_policies([path], default_registry())[0].rules[0]
    assert rule.spec.threshold is not None and rule.spec.threshold.min == 0.7
    assert rule.override is not None and rule.override.relaxed
    assert rule.override.line == 6


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "overrides:\n  dp-ratio: {threshold: {min: 0.7}, allow_relax: true}\n",
            "child.yaml:6:13: overrides.dp-ratio: allow_relax needs a justification",
        ),
        (
            "overrides:\n  nope: {severity: high}\n",
            "child.yaml:6:9: overrides.nope: no rule 'nope' in the policies 'child' extends",
        ),
        (
            "overrides:\n  parity-assert: {threshold: {min: 0.9}}\n",
            "child.yaml:6:30: overrides.parity-assert.threshold: rule 'parity-assert' is judged "
            "by an assert expression: it has no threshold to override",
        ),
        (
            "overrides:\n  dp-ratio: {threshold: {min: 2}}\n",
            "child.yaml:6:25: overrides.dp-ratio.threshold: min 2 is greater than max 1.25",
        ),
        (
            "rules:\n  - {id: dp-ratio, title: t, severity: low, check: performance.metric,"
            " params: {metric: f1}, threshold: {min: 0.5}}\n",
            "child.yaml:6:5: id: rule id 'dp-ratio' is already used in ",
        ),
    ],
)
def test_bad_overrides_and_clashes_name_the_line(tmp_path: Path, body: str, expected: str) -> None:
    assert load_error(child(tmp_path, body)).startswith(expected)


def test_overrides_need_extends(tmp_path: Path) -> None:
    rules = "rules:\n  - {id: x, title: t, severity: low, check: performance.metric,"
    rules += " params: {metric: f1}, threshold: {min: 0.1}}\n"
    path = write(tmp_path, "p.yaml", CHILD_HEAD + rules + "overrides:\n  x: {severity: high}\n")
    assert load_error(path) == (
        "p.yaml:1:1: overrides change rules of extended policies: add extends"
    )


def test_an_extends_cycle_is_an_error_at_the_entry_closing_it(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", CHILD_HEAD.replace("child", "a") + "extends: [b.yaml]\n")
    write(tmp_path, "b.yaml", CHILD_HEAD.replace("child", "b") + "extends: [c.yaml]\n")
    write(tmp_path, "c.yaml", CHILD_HEAD.replace("child", "c") + "extends: [a.yaml]\n")
    assert load_error(tmp_path / "a.yaml") == (
        "c.yaml:4:11: extends[0]: extends cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml"
    )


def test_a_policy_extending_itself_is_a_cycle(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", CHILD_HEAD + "extends: [a.yaml]\n")
    assert load_error(path) == "a.yaml:4:11: extends[0]: extends cycle: a.yaml -> a.yaml"


def test_a_missing_base_is_an_error_at_the_extends_entry(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", CHILD_HEAD + "extends:\n  - base.yaml\n")
    assert load_error(path) == (
        "a.yaml:5:5: extends[0]: extended policy 'base.yaml' not found (paths are relative to "
        "the extending policy's file)"
    )


def test_two_policies_overriding_the_same_rule_is_an_error(tmp_path: Path) -> None:
    child(tmp_path, "overrides:\n  dp-ratio: {threshold: {min: 0.9}}\n")
    other = write(
        tmp_path,
        "other.yaml",
        CHILD_HEAD.replace("child", "other")
        + "extends: [base/base.yaml]\noverrides:\n  dp-ratio: {threshold: {min: 0.95}}\n",
    )
    with pytest.raises(PolicyError, match="rule 'dp-ratio' is already overridden by 'child'"):
        load_policies([tmp_path / "child.yaml", other], default_registry())


def test_two_policies_with_the_same_name_are_an_error(tmp_path: Path) -> None:
    first = write(tmp_path, "one.yaml", policy_text(BASE_RULES, name="same"))
    second = write(
        tmp_path,
        "two.yaml",
        policy_text(
            "- {id: x, title: t, severity: low, check: performance.metric, "
            "params: {metric: f1}, threshold: {min: 0.1}}\n",
            name="same",
        ),
    )
    with pytest.raises(PolicyError, match=r"two\.yaml:3:18: metadata\.name: policy name 'same'"):
        load_policies([first, second], default_registry())
