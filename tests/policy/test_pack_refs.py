"""``pack:NAME``: a shipped pack, wherever a policy file may be named (--policy, extends, tests)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from governance.checks import default_registry
from governance.errors import PolicyError
from governance.policy.loader import load_policies, load_policy
from governance.policy.packs import pack_names
from governance.policy.testing import run_test_file
from governance.resources import packs_dir
from tests.conftest import REPO

POLICIES = REPO / "policies"
SHIPPED = sorted(p.stem for p in POLICIES.glob("*.yaml"))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_the_shipped_packs_are_the_policies_folder() -> None:
    assert pack_names() == SHIPPED
    assert sorted(p.stem for p in packs_dir().glob("*.yaml")) == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_pack_ref_loads_the_shipped_policy(name: str) -> None:
    [policy] = [p for p in load_policies([f"pack:{name}"], default_registry()) if p.name == name]
    assert policy.path.parent.samefile(packs_dir())
    assert policy.digest == load_policy(POLICIES / f"{name}.yaml", default_registry()).digest


def test_extends_a_pack_from_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the pack is the package's own data: no folder confinement, whatever the working directory
    policy = write(
        tmp_path / "team" / "lending.yaml",
        """
        apiVersion: governance/v1
        kind: Policy
        metadata: {name: lending, version: 1.0.0}
        extends: [pack:fair-lending]
        overrides:
          fair-lending.approval-rate-ratio:
            threshold: {min: 0.9}
        """,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    policies = load_policies([policy], default_registry())
    assert [p.name for p in policies] == ["fair-lending", "lending"]
    assert policies[1].bases == ("fair-lending",)
    rule = next(r for r in policies[0].rules if r.id == "fair-lending.approval-rate-ratio")
    assert rule.spec.threshold is not None and rule.spec.threshold.min == 0.9
    assert rule.override is not None and rule.override.policy == "lending"


def test_a_pack_and_its_path_are_one_policy(tmp_path: Path) -> None:
    policy = write(
        tmp_path / "mine.yaml",
        """
        apiVersion: governance/v1
        kind: Policy
        metadata: {name: mine, version: 1.0.0}
        extends: [pack:fairness-baseline]
        """,
    )
    # given twice (by name and through extends), loaded once
    names = [p.name for p in load_policies(["pack:fairness-baseline", policy], default_registry())]
    assert names == ["fairness-baseline", "mine"]


@pytest.mark.parametrize("ref", ["pack:nope", "pack:../policies/fair-lending", "pack:"])
def test_unknown_pack_lists_the_shipped_ones(ref: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_policies([ref], default_registry())
    assert info.value.exit_code == 2
    message = str(info.value)
    assert f"unknown policy pack {ref.removeprefix('pack:')!r}" in message
    assert "shipped packs: " + ", ".join(SHIPPED) in message
    assert "\n" not in message


def test_unknown_pack_in_extends_names_the_file_and_entry(tmp_path: Path) -> None:
    policy = write(
        tmp_path / "mine.yaml",
        """
        apiVersion: governance/v1
        kind: Policy
        metadata: {name: mine, version: 1.0.0}
        extends: [pack:fairness-baseline, pack:eu-ai-act]
        """,
    )
    with pytest.raises(PolicyError) as info:
        load_policies([policy], default_registry())
    assert str(info.value).startswith(
        f"{policy}:4:35: extends[1]: unknown policy pack 'eu-ai-act' (shipped packs: "
    )


def test_a_path_still_works_and_stays_confined(tmp_path: Path) -> None:
    policy = write(
        tmp_path / "a" / "mine.yaml",
        """
        apiVersion: governance/v1
        kind: Policy
        metadata: {name: mine, version: 1.0.0}
        extends: [../../../../../../../../etc/passwd]
        """,
    )
    with pytest.raises(PolicyError, match="outside the folders it may name"):
        load_policies([policy], default_registry())


def test_policy_tests_may_name_a_pack(tmp_path: Path) -> None:
    text = (POLICIES / "tests" / "fair-lending.test.yaml").read_text(encoding="utf-8")
    assert "policies: [../fair-lending.yaml]" in text
    test_file = tmp_path / "fair-lending.test.yaml"
    test_file.write_text(
        text.replace("policies: [../fair-lending.yaml]", "policies: [pack:fair-lending]"), "utf-8"
    )
    outcome = run_test_file(test_file, default_registry())
    assert outcome.cases and all(case.passed for case in outcome.cases)


def test_policy_test_naming_an_unknown_pack(tmp_path: Path) -> None:
    test_file = write(
        tmp_path / "x.test.yaml",
        """
        apiVersion: governance/v1
        kind: PolicyTest
        metadata: {name: x}
        policies: [pack:fair-lendin]
        tests:
          - name: anything
            expect: {fair-lending.sample-size: pass}
        """,
    )
    with pytest.raises(PolicyError, match=r"x.test.yaml:4:12: policies\[0\]: unknown policy pack"):
        run_test_file(test_file, default_registry())
