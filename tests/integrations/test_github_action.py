"""integrations/github/action.yml: a valid composite action whose steps work, run in order."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from tests.integrations.conftest import BIN, INTEGRATIONS, Shims
from tests.integrations.github_runner import JobRun, run_steps

ACTION = INTEGRATIONS / "github" / "action.yml"

# The Node 24 majors: older ones run on the retired Node 20 (and print deprecation warnings).
CURRENT_MAJORS = {
    "actions/setup-python": 6,
    "actions/upload-artifact": 6,
    "actions/checkout": 5,
    "github/codeql-action/upload-sarif": 4,
}


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return loaded


def step(step_id: str) -> dict[str, Any]:
    return next(s for s in action()["runs"]["steps"] if s.get("id") == step_id)


def assert_current(uses: str) -> None:
    name, _, ref = uses.partition("@")
    if name in CURRENT_MAJORS:
        assert int(ref.removeprefix("v").split(".")[0]) >= CURRENT_MAJORS[name], uses


def test_is_a_composite_action_with_documented_inputs() -> None:
    spec = action()
    assert spec["runs"]["using"] == "composite"
    assert {"manifest", "policies"} <= {k for k, v in spec["inputs"].items() if v.get("required")}
    for name, item in spec["inputs"].items():
        assert item["description"], name
    for item in spec["runs"]["steps"]:
        assert "uses" in item or item.get("shell") == "bash", item
    uses = [s["uses"] for s in spec["runs"]["steps"] if "uses" in s]
    assert {u.partition("@")[0] for u in uses} == {
        "actions/setup-python",
        "github/codeql-action/upload-sarif",
        "actions/upload-artifact",
    }
    for item in uses:
        assert_current(item)


def test_inputs_reach_the_script_only_through_the_environment() -> None:
    """No ${{ inputs.* }} inside a script: an input cannot inject shell code."""
    for item in action()["runs"]["steps"]:
        assert "${{" not in item.get("run", ""), item.get("name")


def test_every_input_is_used() -> None:
    text = ACTION.read_text(encoding="utf-8")
    for name in action()["inputs"]:
        assert f"inputs.{name}" in text, name


def run_action(
    project: Path,
    shims: Shims,
    *,
    github: dict[str, Any] | None = None,
    strategy: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    **given: str,
) -> JobRun:
    """Every step of the action, as the runner runs them, in ``project`` (the workspace)."""
    defaults = {k: str(v.get("default", "")) for k, v in action()["inputs"].items()}
    unknown = set(given) - set(defaults)
    assert not unknown, f"not inputs of the action: {unknown}"
    github_context = {
        "action_path": str(ACTION.parent),
        "job": "gate",
        "run_attempt": "1",
        "workspace": str(project),
        **(github or {}),
    }
    contexts = {
        "inputs": {**defaults, "install": "false", **given},
        "github": github_context,
        "strategy": {"job-index": "0", "job-total": "1", **(strategy or {})},
        "runner": {"temp": str(project / "runner-temp")},
    }
    environ = {
        "GITHUB_ACTION_PATH": str(ACTION.parent),
        "GITHUB_JOB": github_context["job"],
        "GITHUB_RUN_ATTEMPT": github_context["run_attempt"],
        "GITHUB_WORKSPACE": str(project),
        "GITHUB_STEP_SUMMARY": str(project / "step_summary.md"),
        **(env or {}),
    }
    return run_steps(
        action()["runs"]["steps"], project, contexts, environ, first_on_path=[shims.bin]
    )


def audit_entries(database: Path) -> int:
    result = subprocess.run(
        [
            str(BIN / "governance"),
            "audit",
            "log",
            "--store",
            f"sqlite:///{database}",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return len(json.loads(result.stdout))


def test_a_passing_model_is_annotated_uploaded_and_its_audit_trail_kept(
    project: Path, shims: Shims
) -> None:
    run = run_action(
        project,
        shims,
        manifest="manifest.yaml",
        policies="policies/",
        install="true",
        **{"junit-file": "out/junit.xml", "json-file": "out/record.json"},
    )
    assert not run.failed, run.stderr
    # installed from the action's own checkout, not editable
    ((*options, requirement),) = shims.calls("pip")
    assert options == ["install", "--quiet", "--disable-pip-version-check"]
    assert requirement == f"{REPO}[full]"  # the gate, reports and SHAP, not the policy engine only
    outputs = run.outputs["check"]
    assert {k: outputs[k] for k in ("exit-code", "verdict", "sarif-file")} == {
        "exit-code": "0",
        "verdict": "passed",
        "sarif-file": "governance.sarif",
    }
    check = run.step("governance check")
    assert "Verdict: PASSED" in check.stdout  # the text table in the log
    assert "::notice title=governance check PASSED::" in check.stdout  # annotations
    sarif = json.loads((project / "governance.sarif").read_text())
    assert sarif["runs"][0]["automationDetails"]["id"] == "governance/synthetic/"
    assert (project / "out" / "junit.xml").exists()
    assert json.loads((project / "out" / "record.json").read_text())["verdict"] == "passed"
    assert run.uses("github/codeql-action/upload-sarif").with_["sarif_file"] == ("governance.sarif")
    # the audit trail: said in the log and on the run page, and uploaded
    where = (
        "the SQLite file .governance/audit.db, kept as the workflow artifact governance-audit-gate"
    )
    assert f"governance audit trail: {where}" in check.stdout
    summary = (project / "step_summary.md").read_text()
    assert summary.startswith("### governance check: PASSED")
    assert summary.endswith(f"\nAudit trail: {where}.\n")
    assert outputs["audit-store"] == "the SQLite file .governance/audit.db"
    assert outputs["audit-artifact"] == "governance-audit-gate"
    upload = run.uses("actions/upload-artifact")
    assert upload.with_["name"] == "governance-audit-gate"
    assert upload.with_["path"].splitlines() == [".governance/audit.db"]
    assert upload.with_["include-hidden-files"] == "true"  # .governance is a hidden folder
    assert upload.with_["overwrite"] == "true"
    assert audit_entries(project / ".governance" / "audit.db") > 0
    assert not run.step("Fail when the gate failed").ran


def test_a_failed_gate_fails_the_job_after_the_uploads(project: Path, shims: Shims) -> None:
    run = run_action(project, shims, manifest="manifest.yaml", policies="strict/")
    assert run.outputs["check"]["exit-code"] == "1"
    assert run.outputs["check"]["verdict"] == "failed"
    assert "::error file=strict/policy.yaml,line=" in run.step("governance check").stdout
    names = [s.name for s in run.steps if s.ran]
    assert names[-3:] == [
        "Upload SARIF to code scanning",
        "Keep the audit trail",
        "Fail when the gate failed",
    ]
    last = run.steps[-1]
    assert last.returncode == 1 and "governance check: failed (exit 1)" in last.stderr
    assert run.failed


def test_bad_input_has_nothing_to_upload_and_fails_with_exit_2(project: Path, shims: Shims) -> None:
    run = run_action(project, shims, manifest="missing.yaml", policies="policies/")
    outputs = run.outputs["check"]
    assert (outputs["exit-code"], outputs["verdict"], outputs["sarif-file"]) == ("2", "error", "")
    assert outputs["audit-artifact"] == "" and outputs["audit-paths"] == ""
    assert "Error: " in run.step("governance check").stderr
    assert not run.step("Upload SARIF to code scanning").ran
    assert not run.step("Keep the audit trail").ran
    assert run.steps[-1].returncode == 2


def test_sarif_category_is_written_into_the_log_that_code_scanning_reads(
    project: Path, shims: Shims
) -> None:
    """upload-sarif only fills in a category when the run has none; governance writes one."""
    run = run_action(
        project,
        shims,
        manifest="manifest.yaml",
        policies="policies/",
        **{"sarif-category": "credit/fairness", "audit-artifact": "credit-audit"},
        **{"audit-retention-days": "400"},
    )
    log = json.loads((project / "governance.sarif").read_text())
    assert log["runs"][0]["automationDetails"]["id"] == "credit/fairness/"
    assert log["version"] == "2.1.0" and log["runs"][0]["results"] == []
    assert run.uses("github/codeql-action/upload-sarif").with_["category"] == "credit/fairness"
    upload = run.uses("actions/upload-artifact")  # and the artifact's name, as given
    assert (upload.with_["name"], upload.with_["retention-days"]) == ("credit-audit", "400")


@pytest.fixture(scope="module")
def signing_pem(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A development key and certificate as PEM text, as secrets hold them."""
    folder = tmp_path_factory.mktemp("keys")
    subprocess.run(
        [str(BIN / "governance"), "keys", "init", "--dir", str(folder)],
        capture_output=True,
        check=True,
    )
    key = (folder / "governance-dev-key.pem").read_text()
    cert = (folder / "governance-dev-cert.pem").read_text()
    return key, cert


def test_a_report_is_signed_with_keys_from_secrets_that_no_output_shows(
    project: Path, shims: Shims, signing_pem: tuple[str, str]
) -> None:
    key, cert = signing_pem
    run = run_action(
        project,
        shims,
        manifest="manifest.yaml",
        policies="policies/",
        report="reports/model.pdf",
        **{"signing-key": key, "signing-cert": cert},
    )
    assert not run.failed, run.stderr
    report = project / "reports" / "model.pdf"
    (project / "cert.pem").write_text(cert)
    verified = subprocess.run(
        [
            str(BIN / "governance"),
            "verify",
            str(report),
            "--trust-root",
            str(project / "cert.pem"),
            "--attestation",
            str(project / "reports" / "model.intoto.json"),
            "--store",
            f"sqlite:///{project / '.governance' / 'audit.db'}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # the key was in a file of the runner's temp folder, removed after the check
    assert not list((project / "runner-temp").glob("governance-signing.*"))
    body = key.strip().splitlines()[1]
    seen = run.stdout + run.stderr + (project / "step_summary.md").read_text()
    seen += "".join(p.read_text() for p in (project / "runner-temp").glob("output-*"))
    assert body not in seen
    assert "PRIVATE KEY" not in seen
    # the report and its attestation are kept with the audit store
    upload = run.uses("actions/upload-artifact")
    assert upload.with_["path"].splitlines() == [
        ".governance/audit.db",
        "reports/model.pdf",
        "reports/model.intoto.json",
    ]


def test_a_key_without_its_certificate_is_bad_input(
    project: Path, shims: Shims, signing_pem: tuple[str, str]
) -> None:
    run = run_action(
        project,
        shims,
        manifest="manifest.yaml",
        policies="policies/",
        report="model.pdf",
        **{"signing-key": signing_pem[0]},
    )
    assert run.outputs["check"]["exit-code"] == "2"
    assert "signing-key and signing-cert go together" in run.step("governance check").stderr
    assert not (project / ".governance").exists()  # nothing evaluated or recorded


def test_a_postgresql_store_installs_the_driver_and_its_url_is_never_shown(
    project: Path, shims: Shims
) -> None:
    url = "postgresql+psycopg://gate:s3cret-pw@127.0.0.1:9/audit"
    run = run_action(
        project, shims, manifest="manifest.yaml", policies="policies/", install="true", store=url
    )
    ((*_, requirement),) = shims.calls("pip")
    assert requirement == f"{REPO}[full,postgres]"
    outputs = run.outputs["check"]
    assert outputs["audit-store"] == "the postgresql+psycopg database of the store setting"
    assert outputs["audit-artifact"] == ""
    assert not run.step("Keep the audit trail").ran
    assert "s3cret-pw" not in run.stdout + run.stderr + json.dumps(run.outputs)


def test_the_audit_artifact_has_a_name_per_matrix_leg_and_attempt(
    project: Path, shims: Shims
) -> None:
    run = run_action(
        project,
        shims,
        manifest="manifest.yaml",
        policies="policies/",
        github={"job": "models", "run_attempt": "2"},
        strategy={"job-index": "1", "job-total": "3"},
        env={"GITHUB_JOB": "models", "GITHUB_RUN_ATTEMPT": "2"},
    )
    assert run.outputs["check"]["audit-artifact"] == "governance-audit-models-2-attempt-2"


def test_without_keep_audit_store_the_log_says_the_trail_is_discarded(
    project: Path, shims: Shims
) -> None:
    run = run_action(
        project,
        shims,
        manifest="manifest.yaml",
        policies="policies/",
        **{"keep-audit-store": "false"},
    )
    assert not run.step("Keep the audit trail").ran
    assert re.search(
        r"governance audit trail: the SQLite file \.governance/audit\.db, left in the runner's "
        r"workspace, which is discarded",
        run.step("governance check").stdout,
    )
