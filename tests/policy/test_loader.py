from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from governance.checks import default_registry
from governance.errors import PolicyError
from governance.policy.loader import load_policies, load_policy
from tests.conftest import BASELINE_POLICY, POLICY

Write = Callable[[str, str], Path]


def test_shipped_policy_loads_with_a_stable_digest() -> None:
    registry = default_registry()
    first = load_policy(BASELINE_POLICY, registry)
    again = load_policy(BASELINE_POLICY, registry)
    assert first.name == "fairness-baseline"
    assert first.rules[0].id == "four-fifths-rule"
    assert first.digest == again.digest
    assert first.digest.startswith("sha256:")


def test_digest_ignores_formatting_but_not_content(write: Write) -> None:
    registry = default_registry()
    original = load_policy(write("a.yaml", POLICY), registry)
    reformatted = POLICY.replace("    threshold:\n      min: 0.8", "    threshold: {min: 0.8}")
    assert load_policy(write("b.yaml", reformatted), registry).digest == original.digest
    stricter = POLICY.replace("min: 0.8", "min: 0.85")
    assert load_policy(write("c.yaml", stricter), registry).digest != original.digest


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("check: fairness.demographic_parity_ratio", "check: fairness.parity_ratio"),
            "policy.yaml:10:12: rules[0].check: unknown check 'fairness.parity_ratio' "
            "(`governance checks` lists the known checks)",
        ),
        (
            ("sensitive_features: [sex]", "sensitive_features: [sex]\n      methd: to_overall"),
            "policy.yaml:13:7: rules[0].params.methd: unknown key 'methd'",
        ),
        (
            ("min: 0.8", "min: high"),
            "policy.yaml:14:12: rules[0].threshold.min: Input should be a valid number, "
            "found the string 'high'",
        ),
        (
            ("    threshold:\n      min: 0.8", "    threshold:\n      min: 0.9\n      max: 0.1"),
            "policy.yaml:14:7: rules[0].threshold: min 0.9 is greater than max 0.1",
        ),
        (
            ("  - id: accuracy", "  - id: dp-ratio"),
            "policy.yaml:17:9: rules[1].id: duplicate rule id 'dp-ratio'",
        ),
        (
            ("severity: high", "severity: urgent"),
            "policy.yaml:9:15: rules[0].severity: Input should be 'critical', 'high', 'medium', "
            "'low' or 'info'",
        ),
        (
            ("version: 1.0.0", "version: one"),
            "policy.yaml:5:12: metadata.version: 'one' is not a semantic version "
            "(MAJOR.MINOR.PATCH, e.g. 1.2.0)",
        ),
        (
            ("    threshold:\n      min: 0.8\n", ""),
            "policy.yaml:7:5: rules[0].threshold: check fairness.demographic_parity_ratio needs "
            "a threshold (min and/or max) or an assert expression",
        ),
        (
            ("metric: accuracy", "metric: happiness"),
            # the list of metrics grows; the position and field are what this test is about
            "policy.yaml:22:15: rules[1].params.metric: Input should be ",
        ),
    ],
)
def test_bad_policy_is_one_line_naming_file_line_and_field(
    write: Write, change: tuple[str, str], expected: str
) -> None:
    assert change[0] in POLICY
    path = write("policy.yaml", POLICY.replace(*change))
    with pytest.raises(PolicyError) as caught:
        load_policy(path, default_registry())
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path.parent}/{expected}")
    assert caught.value.exit_code == 2


def test_rule_ids_are_unique_across_policies(write: Write) -> None:
    first = write("one.yaml", POLICY)
    second = write("two.yaml", POLICY.replace("name: test-policy", "name: other"))
    with pytest.raises(
        PolicyError, match=r"two\.yaml:7:5: id: rule id 'dp-ratio' is already used in .*one\.yaml:7"
    ):
        load_policies([first, second], default_registry())


def test_a_directory_loads_every_policy_in_it(write: Write, tmp_path: Path) -> None:
    write("policies/one.yaml", POLICY)
    write(
        "policies/two.yml",
        POLICY.replace("name: test-policy", "name: other")
        .replace("id: dp-ratio", "id: dp2")
        .replace("id: accuracy", "id: acc2"),
    )
    write("policies/notes.txt", "not a policy")
    policies = load_policies([tmp_path / "policies"], default_registry())
    assert [p.name for p in policies] == ["test-policy", "other"]


def test_no_policy_is_an_error() -> None:
    with pytest.raises(PolicyError, match="no policy given"):
        load_policies([], default_registry())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("min: 0.8", "min: true"),
            "policy.yaml:14:12: rules[0].threshold.min: Input should be a valid number, "
            "found the boolean true",
        ),
        (
            ("min: 0.8", 'min: "0.5"'),
            "policy.yaml:14:12: rules[0].threshold.min: Input should be a valid number, "
            "found the string '0.5'",
        ),
        (
            ("sensitive_features: [sex]", 'sensitive_features: [sex]\n      min_group_size: "30"'),
            "policy.yaml:13:23: rules[0].params.min_group_size: Input should be a valid integer, "
            "found the string '30'",
        ),
        (
            ("sensitive_features: [sex]", "sensitive_features: [sex]\n      min_group_size: true"),
            "policy.yaml:13:23: rules[0].params.min_group_size: Input should be a valid integer, "
            "found the boolean true",
        ),
        (
            ("sensitive_features: [sex]", "sensitive_features: [sex]\n      n_boot: 10.0"),
            "policy.yaml:13:15: rules[0].params.n_boot: Input should be a valid integer, "
            "found the number 10.0",
        ),
        (
            ("title: Four-fifths", "title: 2026-02-30"),
            "policy.yaml:8:12: rules[0].title: not a valid date (2026-02-30: day is out of range "
            "for month)",
        ),
        (
            ("title: Four-fifths", "title: 2026-02-01"),
            "policy.yaml:8:12: rules[0].title: Input should be a valid string, found the date "
            "2026-02-01",
        ),
        (
            ("version: 1.0.0", "version: 1.0"),
            "policy.yaml:5:12: metadata.version: must be a semantic version string "
            'such as "1.0.0", found the number 1.0',
        ),
    ],
)
def test_wrongly_typed_values_are_refused_not_coerced(
    write: Write, change: tuple[str, str], expected: str
) -> None:
    assert change[0] in POLICY
    path = write("policy.yaml", POLICY.replace(*change))
    with pytest.raises(PolicyError) as caught:
        load_policy(path, default_registry())
    assert str(caught.value) == f"{path.parent}/{expected}"
    assert caught.value.exit_code == 2


def test_an_integer_is_a_fine_threshold_and_float_param(write: Write) -> None:
    changed = POLICY.replace("min: 0.8", "min: 1").replace(
        "sensitive_features: [sex]", "sensitive_features: [sex]\n      confidence: 0.95"
    )
    policy = load_policy(write("policy.yaml", changed), default_registry())
    assert policy.rules[0].spec.threshold is not None
    assert policy.rules[0].spec.threshold.min == 1.0
    assert policy.rules[0].params.model_dump()["confidence"] == 0.95


def test_a_directory_sets_waivers_files_and_tests_apart(write: Write, tmp_path: Path) -> None:
    from governance.policy.loader import expand_policy_paths, waiver_files_in

    policy = write("policies/one.yaml", POLICY)
    waivers = write("policies/sub/waivers.yml", "apiVersion: governance/v1\nkind: Waivers\n")
    test = write("policies/one.test.yaml", "kind: PolicyTest\n")
    # a broken file that mentions Waivers is still a policy, and fails as one
    broken = write("policies/zz.yaml", "kind: Waivers\n  bad: [\n")
    assert expand_policy_paths([tmp_path / "policies"]) == [policy, broken]
    assert expand_policy_paths([tmp_path / "policies"], tests=True) == [test]
    assert waiver_files_in([tmp_path / "policies", policy]) == [waivers]
    broken.unlink()
    assert [p.name for p in load_policies([tmp_path / "policies"], default_registry())] == [
        "test-policy"
    ]
    # named directly, a waivers file is not a policy
    with pytest.raises(PolicyError, match="kind must be 'Policy', found 'Waivers'"):
        load_policies([waivers], default_registry())
