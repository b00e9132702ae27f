"""The shipped packs: lint-clean, every rule tested and passing, every rule with controls."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.checks import default_registry
from governance.policy.catalogue import catalogue, is_documentary
from governance.policy.lint import lint
from governance.policy.loader import expand_policy_paths, load_policies
from governance.policy.testing import run_test_file
from tests.conftest import REPO

POLICIES = REPO / "policies"
TESTS = expand_policy_paths([POLICIES], tests=True)
PACKS = [
    "eu-ai-act-high-risk",
    "nist-ai-rmf",
    "iso-42001",
    "us-four-fifths",
    "fair-lending",
]


def test_every_shipped_policy_lints_clean_together() -> None:
    result = lint([POLICIES], default_registry())
    assert [str(w) for w in result.warnings] == []
    assert {p.name for p in result.policies} >= {*PACKS, "fairness-baseline"}


@pytest.mark.parametrize("pack", PACKS)
def test_each_pack_has_a_test_file_that_covers_every_rule_and_passes(pack: str) -> None:
    path = POLICIES / "tests" / f"{pack}.test.yaml"
    assert path in TESTS
    result = run_test_file(path, default_registry())
    assert [p.name for p in result.policies] == [pack]
    failures = [(case.name, case.problems) for case in result.cases if not case.passed]
    assert failures == []
    assert result.untested == ()


@pytest.mark.parametrize("pack", PACKS)
def test_each_pack_checks_automatically_and_from_documents(pack: str) -> None:
    (policy,) = load_policies([POLICIES / f"{pack}.yaml"], default_registry())
    kinds = {is_documentary(rule) for rule in policy.rules}
    assert kinds == {True, False}
    assert all(rule.spec.controls and rule.spec.remediation for rule in policy.rules)


def test_the_catalogue_lists_every_rule_and_control() -> None:
    policies = load_policies([POLICIES], default_registry())
    text = catalogue(policies)
    for policy in policies:
        assert f"## {policy.name} {policy.version}" in text
        for rule in policy.rules:
            assert f"`{rule.id}`" in text
            for control in rule.spec.controls:
                assert control.replace("|", "\\|") in text


def test_demo_policy_still_loads_alone() -> None:
    (policy,) = load_policies([POLICIES / "fairness-baseline.yaml"], default_registry())
    assert policy.rules[0].id == "four-fifths-rule"


def test_test_files_are_not_policies(tmp_path: Path) -> None:
    assert all(path.name.endswith(".test.yaml") for path in TESTS)
    assert not any(p.name.endswith(".test.yaml") for p in expand_policy_paths([POLICIES]))
