"""`governance check` with explainability rules, end to end on the Adult sample."""

from __future__ import annotations

import json
import textwrap
import warnings
from pathlib import Path

import pytest

from governance.cli import main
from tests.explainability.helpers import SAMPLE

POLICY = Path(__file__).with_name("explainability-policy.yaml")


def _check(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as caught:
        main(["check", *(str(arg) for arg in args)])
    out, err = capsys.readouterr()
    code = caught.value.code
    return (code if isinstance(code, int) else 1), out, err


@pytest.fixture(autouse=True)
def _clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "GOVERNANCE_STORE_URL",
        "GOVERNANCE_EXPLAIN_ROWS",
        "GOVERNANCE_EXPLAIN_MAX_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def _findings(text: str) -> dict[str, dict]:  # type: ignore[type-arg]
    return {finding["rule_id"]: finding for finding in json.loads(text)["findings"]}


@pytest.mark.slow
def test_adult_models_are_explained_and_relationship_and_marital_status_stand_in_for_sex(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    shares = {}
    for name in ("baseline", "mitigated"):
        code, out, err = _check(
            capsys,
            SAMPLE / f"{name}.yaml",
            "--policy",
            POLICY,
            "--store",
            store,
            "--format",
            "json",
        )
        assert code == 1, err
        findings = _findings(out)
        available = findings["explainable"]
        assert available["outcome"] == "pass"
        summary = available["evidence"]["explanation"]
        assert (summary["explainer"], summary["output"]) == ("linear", "log_odds")
        assert summary["additivity"]["passed"] is True
        assert findings["additive-in-original-space"]["outcome"] == "pass"
        proxies = findings["no-proxies"]["evidence"]["proxies"]
        assert {"relationship", "marital-status"} <= set(proxies)
        assert all("charts" not in finding for finding in findings.values())  # drawn at render
        shares[name] = findings["sensitive-attribution"]["measured"]
    # the mitigation folds per-sex and per-race offsets into the model: more direct use
    assert shares["mitigated"] > shares["baseline"] > 0.05


def test_without_a_model_explainability_is_insufficient_and_blocks(
    capsys: pytest.CaptureFixture[str], manifest_path: Path, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    code, out, _ = _check(capsys, manifest_path, "--policy", POLICY, "--store", store)
    assert code == 1
    assert "insufficient evidence: there is no model to explain" in out


def test_a_top_features_rule_without_a_list_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "bad.yaml"
    policy.write_text(
        textwrap.dedent(
            """
            apiVersion: governance/v1
            kind: Policy
            metadata: {name: bad, version: 1.0.0}
            rules:
              - id: top
                title: Top features
                severity: high
                check: explainability.top_features
                params: {top_k: 3}
                threshold: {max: 0}
            """
        ).lstrip()
    )
    code, out, err = _check(
        capsys,
        SAMPLE / "baseline.yaml",
        "--policy",
        policy,
        "--store",
        f"sqlite:///{tmp_path}/a.db",
    )
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "give allow, deny or both" in err
    assert str(policy) in err
    assert not (tmp_path / "a.db").exists()


@pytest.mark.parametrize("value", ["nan", "inf", "1e400"])
def test_a_non_finite_time_budget_is_refused_before_the_evaluation(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    value: str,
) -> None:
    monkeypatch.setenv("GOVERNANCE_EXPLAIN_MAX_SECONDS", value)
    code, out, err = _check(
        capsys,
        SAMPLE / "baseline.yaml",
        "--policy",
        POLICY,
        "--store",
        f"sqlite:///{tmp_path}/a.db",
    )
    assert (code, out) == (2, "")
    assert err == (
        f"Error: explain_max_seconds must be a positive number of seconds, found {value!r} "
        "(from GOVERNANCE_EXPLAIN_MAX_SECONDS)\n"
    )


def test_a_non_finite_max_seconds_param_is_a_policy_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "bad.yaml"
    policy.write_text(
        textwrap.dedent(
            """
            apiVersion: governance/v1
            kind: Policy
            metadata: {name: bad, version: 1.0.0}
            rules:
              - id: explained
                title: Explained
                severity: high
                check: explainability.available
                params: {max_seconds: .inf}
                threshold: {min: 1}
            """
        ).lstrip()
    )
    code, out, err = _check(
        capsys,
        SAMPLE / "baseline.yaml",
        "--policy",
        policy,
        "--store",
        f"sqlite:///{tmp_path}/a.db",
    )
    assert (code, out) == (2, "")
    assert (
        err
        == f"Error: {policy}:9:27: rules[0].params.max_seconds: Input should be a finite number\n"
    )
    assert not (tmp_path / "a.db").exists()


def test_nothing_explained_shows_no_measured_value_and_no_warning(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERNANCE_EXPLAIN_MAX_SECONDS", "1e-9")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        code, out, _ = _check(
            capsys,
            SAMPLE / "baseline.yaml",
            "--policy",
            POLICY,
            "--store",
            f"sqlite:///{tmp_path}/a.db",
            "--format",
            "json",
        )
    assert code == 1
    findings = _findings(out)
    available = {"explainable", "additive-in-original-space"}  # explainability.available
    for rule_id, finding in findings.items():
        assert finding["outcome"] == "insufficient", rule_id
        if rule_id in available:
            assert finding["measured"] == 0, rule_id  # the share of rows explained
        else:
            assert finding["measured"] is None, rule_id
