"""Required policy sets: configured in governance.yml, enforced by the gate, fail closed."""

from __future__ import annotations

from pathlib import Path

import pytest

import governance
from governance.config import RISK_TIERS, load_settings
from governance.errors import ConfigError
from governance.manifest import RiskTier
from tests.conftest import CliRun


def _settings_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "governance.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_required_policies_read_as_a_list_or_by_risk_tier(tmp_path: Path) -> None:
    path = _settings_file(
        tmp_path,
        "required_policies:\n  all: [test-policy]\n  high: [pack:fair-lending, test-policy]\n",
    )
    required = load_settings(env={}, config_file=path).required_policies
    assert required.for_tier("high") == ("test-policy", "pack:fair-lending")
    assert required.for_tier("minimal") == ("test-policy",)
    assert required.missing("high", ["test-policy"]) == ("pack:fair-lending",)
    assert required.missing("high", ["test-policy", "pack:fair-lending"]) == ()
    # a policy merely named like the pack does not stand in for it
    assert required.missing("high", ["test-policy", "fair-lending"]) == ("pack:fair-lending",)
    listed = _settings_file(tmp_path, "required_policies: [pack:fairness-baseline]\n")
    from_list = load_settings(env={}, config_file=listed).required_policies
    assert from_list.for_tier("limited") == ("pack:fairness-baseline",)
    from_env = load_settings(env={"GOVERNANCE_REQUIRED_POLICIES": "a, pack:fair-lending"})
    assert from_env.required_policies.for_tier(None) == ("a", "pack:fair-lending")
    assert not load_settings(env={}, cwd=tmp_path / "nowhere").required_policies


def test_an_unknown_pack_is_one_line_naming_the_setting_and_where(tmp_path: Path) -> None:
    path = _settings_file(
        tmp_path, "namespace: x\nrequired_policies:\n  high: [pack:fair-lendin]\n"
    )
    with pytest.raises(ConfigError) as raised:
        load_settings(env={}, config_file=path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("required_policies names pack:fair-lendin, which is not a shipped")
    assert f"(from {path}:2)" in message


@pytest.mark.parametrize("value", ['{"hgh": ["a"]}', '{"high": 3}', "[1]", "{oops"])
def test_a_badly_shaped_requirement_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match=r"required_policies must be a list of policy names"):
        load_settings(env={"GOVERNANCE_REQUIRED_POLICIES": value})


def test_the_tiers_are_the_manifests() -> None:
    assert set(RISK_TIERS) == set(RiskTier.__args__)  # type: ignore[attr-defined]


def _check(manifest: Path, policy: Path, tmp_path: Path, required: str) -> governance.Evaluation:
    settings = load_settings(env={"GOVERNANCE_REQUIRED_POLICIES": required})
    return governance.check(
        manifest,
        policy,
        fail_on="critical",
        store=f"sqlite:///{tmp_path / 'a.db'}",
        settings=settings,
    )


def test_a_check_without_a_required_policy_fails_closed_naming_it(
    manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    result = _check(manifest_path, policy_path, tmp_path, "test-policy,pack:fair-lending")
    assert (result.verdict, result.exit_code) == ("failed", 1)  # fail_on critical: only this blocks
    (finding,) = [f for f in result.findings if f.rule_id == "required-policies"]
    assert (finding.outcome, finding.blocking) == ("fail", True)
    assert finding.message.startswith("required policies not applied: pack:fair-lending ")
    assert "risk tier high" in finding.message
    record = result.to_dict()["findings"][-1]
    assert record["evidence"]["missing"] == ["pack:fair-lending"]
    assert record["evidence"]["required"] == ["test-policy", "pack:fair-lending"]


def test_a_check_with_the_required_set_records_that_it_applied_it(
    manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    result = _check(manifest_path, policy_path, tmp_path, '{"high": ["test-policy"]}')
    assert (result.verdict, result.exit_code) == ("passed", 0)
    assert result.findings[-1].rule_id == "required-policies"
    assert result.findings[-1].outcome == "pass"
    other_tier = _check(manifest_path, policy_path, tmp_path, '{"minimal": ["pack:fair-lending"]}')
    assert other_tier.passed
    assert "required-policies" not in {f.rule_id for f in other_tier.findings}


def test_nothing_changes_when_nothing_is_required(
    manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    result = _check(manifest_path, policy_path, tmp_path, "")
    assert [f.rule_id for f in result.findings] == ["dp-ratio", "accuracy"]


@pytest.mark.parametrize("output", ["text", "markdown", "sarif", "junit"])
def test_the_missing_policies_show_in_every_output_format(
    run_cli: CliRun,
    manifest_path: Path,
    policy_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    output: str,
) -> None:
    monkeypatch.setenv("GOVERNANCE_REQUIRED_POLICIES", "pack:fair-lending")
    store = f"sqlite:///{tmp_path / 'a.db'}"
    result = run_cli(
        "check", manifest_path, "-p", policy_path, "--store", store, "--format", output
    )
    assert result.exit_code == 1
    assert "required policies not applied: pack:fair-lending" in result.stdout
