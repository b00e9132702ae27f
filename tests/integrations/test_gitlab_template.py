"""integrations/gitlab/governance.gitlab-ci.yml: a hidden job whose script works."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml

from tests.integrations.conftest import INTEGRATIONS, run_shell

TEMPLATE = INTEGRATIONS / "gitlab" / "governance.gitlab-ci.yml"
GITLAB_BASH = ("bash", "-eo", "pipefail")  # how GitLab's runner runs a job's script


def job() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    return loaded[".governance-check"]


def test_is_a_hidden_job_with_a_junit_report() -> None:
    spec = job()
    assert spec["artifacts"]["when"] == "always"  # reports survive a failed gate
    assert spec["artifacts"]["reports"]["junit"] == "governance-results/junit.xml"
    assert "governance-results/" in spec["artifacts"]["paths"]


def run_job(project: Path, **variables: str) -> Any:
    env = {**{k: str(v) for k, v in job()["variables"].items()}, **variables}
    env["GOVERNANCE_STORE_URL"] = f"sqlite:///{project / 'audit.db'}"
    script = "\n".join(job()["before_script"] + job()["script"])
    return run_shell(script, project, env, GITLAB_BASH)


def test_job_script_writes_the_junit_report(project: Path) -> None:
    result = run_job(project, GOVERNANCE_CI_MANIFEST="manifest.yaml")
    assert result.returncode == 0, result.stderr
    assert "Verdict: PASSED" in result.stdout
    results = project / "governance-results"
    assert ET.parse(results / "junit.xml").getroot().get("tests") == "2"
    assert json.loads((results / "governance.sarif").read_text())["version"] == "2.1.0"
    assert (results / "summary.md").read_text().startswith("### governance check: PASSED")
    assert json.loads((results / "record.json").read_text())["verdict"] == "passed"


def test_job_fails_on_a_failed_gate_and_keeps_the_report(project: Path) -> None:
    result = run_job(
        project,
        GOVERNANCE_CI_MANIFEST="manifest.yaml",
        GOVERNANCE_CI_POLICIES="strict/",
        GOVERNANCE_CI_ARGS="--fail-on high",
    )
    assert result.returncode == 1
    root = ET.parse(project / "governance-results" / "junit.xml").getroot()
    assert root.get("failures") == "1"


def test_job_without_a_manifest_says_what_to_set(project: Path) -> None:
    result = run_job(project)
    assert result.returncode == 2
    assert "Set GOVERNANCE_CI_MANIFEST" in result.stderr
