"""integrations/github/action.yml: a valid composite action whose check step works."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from tests.integrations.conftest import INTEGRATIONS, run_shell

ACTION = INTEGRATIONS / "github" / "action.yml"
GITHUB_BASH = ("bash", "--noprofile", "--norc", "-eo", "pipefail")  # GitHub's `shell: bash`


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return loaded


def step(step_id: str) -> dict[str, Any]:
    return next(s for s in action()["runs"]["steps"] if s.get("id") == step_id)


def test_is_a_composite_action_with_documented_inputs() -> None:
    spec = action()
    assert spec["runs"]["using"] == "composite"
    assert {"manifest", "policies"} <= {k for k, v in spec["inputs"].items() if v.get("required")}
    for name, item in spec["inputs"].items():
        assert item["description"], name
    for item in spec["runs"]["steps"]:
        assert "uses" in item or item.get("shell") == "bash", item
    uses = [s["uses"] for s in spec["runs"]["steps"] if "uses" in s]
    assert "github/codeql-action/upload-sarif@v3" in uses


def test_inputs_reach_the_script_only_through_the_environment() -> None:
    """No ${{ inputs.* }} inside a script: an input cannot inject shell code."""
    for item in action()["runs"]["steps"]:
        assert "${{" not in item.get("run", ""), item.get("name")


def test_every_input_is_used() -> None:
    text = ACTION.read_text(encoding="utf-8")
    for name in action()["inputs"]:
        assert f"inputs.{name}" in text, name


def inputs_env(**given: str) -> dict[str, str]:
    """The check step's env with the action's defaults, as the runner would fill it."""
    defaults = {k: str(v.get("default", "")) for k, v in action()["inputs"].items()}
    values = {**defaults, **given}
    env = {}
    for key, expression in step("check")["env"].items():
        name = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", expression)
        assert name, expression
        env[key] = values[name.group(1)]
    return env


def run_check_step(project: Path, **given: str) -> tuple[Any, dict[str, str], Path]:
    output, summary = project / "github_output", project / "step_summary.md"
    runner = project / "runner-temp"
    runner.mkdir(exist_ok=True)
    env = {
        **inputs_env(**given),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(runner),
        "GOVERNANCE_STORE_URL": f"sqlite:///{project / 'audit.db'}",
    }
    result = run_shell(step("check")["run"], project, env, GITHUB_BASH)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return result, outputs, summary


def test_check_step_on_a_passing_model(project: Path) -> None:
    result, outputs, summary = run_check_step(
        project,
        manifest="manifest.yaml",
        policies="policies/",
        **{"junit-file": "out/junit.xml", "json-file": "out/record.json"},
    )
    assert result.returncode == 0, result.stderr
    assert outputs == {"exit-code": "0", "verdict": "passed", "sarif-file": "governance.sarif"}
    assert "Verdict: PASSED" in result.stdout  # the text table in the log
    assert "::notice title=governance check PASSED::" in result.stdout  # annotations
    assert json.loads((project / "governance.sarif").read_text())["version"] == "2.1.0"
    assert (project / "out" / "junit.xml").exists()
    assert json.loads((project / "out" / "record.json").read_text())["verdict"] == "passed"
    assert summary.read_text().startswith("### governance check: PASSED")


def test_check_step_records_a_failed_gate_without_failing_before_the_upload(
    project: Path,
) -> None:
    result, outputs, _ = run_check_step(project, manifest="manifest.yaml", policies="strict/")
    assert result.returncode == 0, result.stderr  # the last step fails the job, after upload
    assert outputs["exit-code"] == "1" and outputs["verdict"] == "failed"
    assert outputs["sarif-file"] == "governance.sarif"
    assert "::error file=strict/policy.yaml,line=" in result.stdout
    last = action()["runs"]["steps"][-1]
    assert last["if"] == "steps.check.outputs.exit-code != '0'"


def test_check_step_on_bad_input_has_no_sarif_to_upload(project: Path) -> None:
    result, outputs, _ = run_check_step(project, manifest="missing.yaml", policies="policies/")
    assert outputs == {"exit-code": "2", "verdict": "error", "sarif-file": ""}
    assert "Error: " in result.stderr
    upload = next(s for s in action()["runs"]["steps"] if "upload-sarif" in s.get("uses", ""))
    assert "steps.check.outputs.sarif-file != ''" in upload["if"]
