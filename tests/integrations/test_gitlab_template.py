"""integrations/gitlab/governance.gitlab-ci.yml: a hidden job whose scripts work on its image."""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integrations.conftest import BIN, INTEGRATIONS, Shims, run_shell

TEMPLATE = INTEGRATIONS / "gitlab" / "governance.gitlab-ci.yml"
GITLAB_BASH = ("bash", "-eo", "pipefail")  # how GitLab's runner runs a job's script with bash
GITLAB_SH = ("sh", "-e")  # ... and with sh, on an image without bash
ARCHIVE = "governance @ https://gitlab.example.org/ml/governance/-/archive/v1.2.0/governance-v1.2.0.tar.gz"
KEPT = "Audit trail: the SQLite file .governance/audit.db, kept with the job's artifacts"


def job() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    return loaded[".governance-check"]


def test_is_a_hidden_job_that_keeps_its_reports_and_the_audit_store() -> None:
    spec = job()
    assert spec["image"] == "python:3.11-slim"
    assert spec["artifacts"]["when"] == "always"  # reports survive a failed gate
    assert spec["artifacts"]["reports"]["junit"] == "governance-results/junit.xml"
    assert spec["artifacts"]["paths"] == ["governance-results/", ".governance/audit.db*"]
    assert spec["artifacts"]["expire_in"] == "90 days"


def path_without(folder: Path, *programs: str) -> str:
    """A PATH with every program of this one except ``programs`` (an image that lacks them)."""
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not Path(directory).is_dir():
            continue
        for entry in Path(directory).iterdir():
            if entry.name not in programs and not (folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry)
    return str(folder)


def run_job(
    project: Path,
    shims: Shims,
    *,
    shell: tuple[str, ...] = GITLAB_BASH,
    env: dict[str, str] | None = None,
    **variables: str,
) -> subprocess.CompletedProcess[str]:
    """before_script and script in one shell, as GitLab runs them, with the job's variables."""
    spec = job()
    environ = {k: str(v) for k, v in spec["variables"].items()}
    environ.update(variables)
    environ.update({"CI_PROJECT_DIR": str(project), **(env or {})})
    script = "\n".join(spec["before_script"] + spec["script"])
    return run_shell(script, project, environ, shell, first_on_path=[shims.bin])


@pytest.mark.parametrize("shell", [GITLAB_BASH, GITLAB_SH], ids=["bash", "sh"])
def test_job_writes_the_reports_and_keeps_the_audit_store(
    project: Path, shims: Shims, shell: tuple[str, ...]
) -> None:
    result = run_job(project, shims, shell=shell, GOVERNANCE_CI_MANIFEST="manifest.yaml")
    assert result.returncode == 0, result.stderr
    assert "Verdict: PASSED" in result.stdout
    results = project / "governance-results"
    assert ET.parse(results / "junit.xml").getroot().get("tests") == "2"
    assert json.loads((results / "governance.sarif").read_text())["version"] == "2.1.0"
    assert (results / "summary.md").read_text().startswith("### governance check: PASSED")
    assert json.loads((results / "record.json").read_text())["verdict"] == "passed"
    assert KEPT in result.stdout
    assert (project / ".governance" / "audit.db").stat().st_size > 0
    assert shims.calls("apt-get") == []


def test_installs_from_an_archive_url_without_git(project: Path, shims: Shims) -> None:
    """python:3.11-slim has no git: the documented requirement is the project's archive."""
    result = run_job(
        project,
        shims,
        env={"PATH": path_without(project / "no-git-bin", "git")},
        GOVERNANCE_CI_MANIFEST="manifest.yaml",
        GOVERNANCE_CI_INSTALL=ARCHIVE,
    )
    assert result.returncode == 0, result.stderr
    assert shims.calls("pip") == [["install", "--quiet", ARCHIVE]]
    assert shims.calls("apt-get") == []
    assert result.stdout.startswith("governance, version ")


def test_a_git_requirement_gets_git_installed_first_on_an_image_without_it(
    project: Path, shims: Shims
) -> None:
    requirement = "governance @ git+https://gitlab.example.org/ml/governance.git@v1.2.0"
    result = run_job(
        project,
        shims,
        env={"PATH": path_without(project / "no-git-bin", "git")},
        GOVERNANCE_CI_MANIFEST="manifest.yaml",
        GOVERNANCE_CI_INSTALL=requirement,
    )
    assert result.returncode == 0, result.stderr
    assert shims.calls("apt-get") == [
        ["update", "-qq"],
        ["install", "-y", "-qq", "--no-install-recommends", "git", "ca-certificates"],
    ]
    assert shims.calls("pip") == [["install", "--quiet", requirement]]


def test_job_fails_on_a_failed_gate_and_keeps_the_report(project: Path, shims: Shims) -> None:
    result = run_job(
        project,
        shims,
        GOVERNANCE_CI_MANIFEST="manifest.yaml",
        GOVERNANCE_CI_POLICIES="strict/",
        GOVERNANCE_CI_ARGS="--fail-on high",
    )
    assert result.returncode == 1
    root = ET.parse(project / "governance-results" / "junit.xml").getroot()
    assert root.get("failures") == "1"
    assert KEPT in result.stdout  # said even when the gate fails


def test_job_without_a_manifest_says_what_to_set(project: Path, shims: Shims) -> None:
    result = run_job(project, shims)
    assert result.returncode == 2
    assert "Set GOVERNANCE_CI_MANIFEST" in result.stderr


def test_a_postgresql_store_is_named_without_its_url(project: Path, shims: Shims) -> None:
    result = run_job(
        project,
        shims,
        GOVERNANCE_CI_MANIFEST="manifest.yaml",
        GOVERNANCE_STORE_URL="postgresql+psycopg://gate:s3cret-pw@127.0.0.1:9/audit",
    )
    assert result.returncode == 2  # nothing listens there
    assert "Audit trail: the postgresql+psycopg database of GOVERNANCE_STORE_URL" in result.stdout
    assert "s3cret-pw" not in result.stdout + result.stderr


def test_a_store_elsewhere_is_named_with_what_to_add_to_the_artifacts(
    project: Path, shims: Shims
) -> None:
    result = run_job(
        project,
        shims,
        GOVERNANCE_CI_MANIFEST="manifest.yaml",
        GOVERNANCE_STORE_URL="sqlite:///audit/trail.db",
    )
    assert result.returncode == 0, result.stderr
    assert (
        "Audit trail: the SQLite file audit/trail.db; add it to artifacts:paths to keep it"
        in result.stdout
    )


def test_a_signing_key_in_a_variable_signs_the_report_and_is_never_shown(
    project: Path, shims: Shims, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    subprocess.run(
        [str(BIN / "governance"), "keys", "init", "--dir", str(keys)],
        capture_output=True,
        check=True,
    )
    key = (keys / "governance-dev-key.pem").read_text()
    cert = (keys / "governance-dev-cert.pem").read_text()
    temp = tmp_path / "job-tmp"
    temp.mkdir()
    result = run_job(
        project,
        shims,
        env={"TMPDIR": str(temp)},
        GOVERNANCE_CI_MANIFEST="manifest.yaml",
        GOVERNANCE_CI_REPORT="governance-results/report.pdf",
        GOVERNANCE_SIGNING_KEY=key,
        GOVERNANCE_SIGNING_CERT=cert,
    )
    assert result.returncode == 0, result.stderr
    report = project / "governance-results" / "report.pdf"
    verified = subprocess.run(
        [
            str(BIN / "governance"),
            "verify",
            str(report),
            "--trust-root",
            str(keys / "governance-dev-cert.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert list(temp.iterdir()) == []  # the key's file is gone after the check
    assert key.strip().splitlines()[1] not in result.stdout + result.stderr
