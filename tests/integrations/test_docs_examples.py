"""docs/ci.md's copy-paste examples, each run as written in the repository they assume."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from governance.config import SETTINGS
from tests.conftest import REPO
from tests.integrations.conftest import BIN, Shims, run_shell
from tests.integrations.github_runner import run_steps
from tests.integrations.test_github_action import action, assert_current, run_action
from tests.integrations.test_gitlab_template import job, run_job
from tests.integrations.test_pre_commit import hooks
from tests.reporting.formats.test_junit import JENKINS_SCHEMA, schema_errors

DOC = REPO / "docs" / "ci.md"
BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)
JENKINS_COMMAND = re.compile(r"^sh '([^']*)'", re.MULTILINE)
ACTION_USES = "OWNER/governance/integrations/github@REF"


def _name(language: str, text: str) -> str:
    if language == "groovy":
        return "jenkins"
    example = yaml.safe_load(text) if language == "yaml" else None
    if isinstance(example, dict):
        for key, name in (
            ("jobs", "action-workflow"),
            ("include", "gitlab"),
            ("repos", "pre-commit"),
        ):
            if key in example:
                return name
    if isinstance(example, list) and "gh pr comment" in text:
        return "pr-comment"
    if isinstance(example, list) and "pip install" in text:
        return "plain-steps"
    raise AssertionError(f"docs/ci.md has a {language or 'plain'} example no test runs:\n{text}")


def examples() -> dict[str, Any]:
    """Every fenced example of docs/ci.md by name: parsed YAML, or the text of the others."""
    found: dict[str, Any] = {}
    for language, text in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        name = _name(language, text)
        assert name not in found, f"two {name} examples"
        found[name] = yaml.safe_load(text) if language == "yaml" else text
    return found


def test_every_example_on_the_page_is_run_by_a_test() -> None:
    assert set(examples()) == {
        "action-workflow",
        "pr-comment",
        "plain-steps",
        "gitlab",
        "pre-commit",
        "jenkins",
    }


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The repository secrets the workflow example reads: a key and certificate as PEM text."""
    folder = tmp_path_factory.mktemp("keys")
    subprocess.run(
        [str(BIN / "governance"), "keys", "init", "--dir", str(folder)],
        capture_output=True,
        check=True,
    )
    return {
        "GOVERNANCE_SIGNING_KEY": (folder / "governance-dev-key.pem").read_text(),
        "GOVERNANCE_SIGNING_CERT": (folder / "governance-dev-cert.pem").read_text(),
    }


def assert_valid_junit(path: Path) -> None:
    ET.parse(path)  # well-formed, whatever else is available
    if not JENKINS_SCHEMA.exists():
        pytest.skip(f"the Jenkins JUnit schema is not at {JENKINS_SCHEMA}")
    assert schema_errors(path.read_text(encoding="utf-8")) == []


def test_workflow_example_runs_the_action_with_signing_keys_from_secrets(
    docs_project: Path, shims: Shims, secrets: dict[str, str]
) -> None:
    workflow = examples()["action-workflow"]
    assert workflow["permissions"]["security-events"] == "write"
    (job_name, spec), *_ = workflow["jobs"].items()
    recorded = run_steps(
        spec["steps"],
        docs_project,
        {"secrets": secrets, "github": {"job": job_name}},
        {},
        first_on_path=[shims.bin],
    )
    for step in recorded.steps:
        assert step.uses, step.name
        assert_current(step.uses)
    (with_,) = [s.with_ for s in recorded.steps if s.uses == ACTION_USES]
    assert {"manifest", "policies"} <= set(with_) <= set(action()["inputs"])
    run = run_action(docs_project, shims, github={"job": job_name}, **with_)
    assert not run.failed, run.stderr
    assert run.outputs["check"]["verdict"] == "passed"
    kept = run.uses("actions/upload-artifact").with_["path"].splitlines()
    assert kept == [
        ".governance/audit.db",
        "governance-report.pdf",
        "governance-report.intoto.json",
    ]
    assert (docs_project / "governance.md").read_text().startswith("### governance check: PASSED")
    record = json.loads((docs_project / "governance.sarif").read_text())
    assert record["runs"][0]["automationDetails"]["id"] == "governance/synthetic/"
    assert_valid_junit(docs_project / "governance-junit.xml")


def test_pr_comment_example_posts_the_summary_on_pull_requests_only(
    docs_project: Path, shims: Shims
) -> None:
    steps = examples()["pr-comment"]
    github = {
        "event_name": "pull_request",
        "token": "ghs_token",
        "event": {"pull_request": {"number": 42}},
    }
    run_steps(steps, docs_project, {"github": github}, {}, first_on_path=[shims.bin])
    assert shims.calls("gh") == []  # no governance.md yet: the action did not get that far
    (docs_project / "governance.md").write_text("### governance check: FAILED\n")
    run = run_steps(steps, docs_project, {"github": github}, {}, first_on_path=[shims.bin])
    assert shims.calls("gh") == [["pr", "comment", "42", "--body-file", "governance.md"]]
    assert run.steps[0].env["GH_TOKEN"] == "ghs_token"
    push = run_steps(
        steps,
        docs_project,
        {"github": {**github, "event_name": "push"}},
        {},
        first_on_path=[shims.bin],
    )
    assert not push.steps[0].ran


def test_plain_steps_example_installs_without_git_gates_and_keeps_the_store(
    docs_project: Path, shims: Shims
) -> None:
    steps = examples()["plain-steps"]
    run = run_steps(steps, docs_project, {}, {}, first_on_path=[shims.bin])
    assert not run.failed, run.stderr
    ((*_, requirement),) = shims.calls("pip")
    assert (
        requirement == "governance[full] @ https://github.com/OWNER/governance/archive/REF.tar.gz"
    )
    assert run.outputs["gate"] == {"code": "0"}
    assert "::notice title=governance check PASSED::" in run.stdout
    sarif = run.uses("github/codeql-action/upload-sarif")
    assert sarif.ran and (docs_project / sarif.with_["sarif_file"]).is_file()
    keep = run.uses("actions/upload-artifact")
    assert keep.ran and (docs_project / keep.with_["path"]).is_file()
    assert not run.steps[-1].ran  # the gate passed
    for step in run.steps:
        if step.uses:
            assert_current(step.uses)


def test_gitlab_example_extends_the_template_and_runs_on_its_image(
    docs_project: Path, shims: Shims
) -> None:
    example = examples()["gitlab"]
    assert example["include"][0]["file"] == "integrations/gitlab/governance.gitlab-ci.yml"
    user_job = example["governance"]
    assert user_job["extends"] == ".governance-check"
    variables = {k: str(v) for k, v in user_job["variables"].items()}
    assert set(variables) <= set(job()["variables"]) | {setting.env for setting in SETTINGS}
    result = run_job(docs_project, shims, **variables)
    assert result.returncode == 0, result.stderr
    assert shims.calls("pip") == [["install", "--quiet", variables["GOVERNANCE_CI_INSTALL"]]]
    assert "git+" not in variables["GOVERNANCE_CI_INSTALL"]  # python:3.11-slim has no git
    assert "Audit trail: the SQLite file .governance/audit.db, kept with the job's artifacts" in (
        result.stdout
    )
    assert_valid_junit(docs_project / "governance-results" / "junit.xml")


def test_pre_commit_example_passes_on_a_policy_folder_with_its_waivers(
    docs_project: Path,
) -> None:
    """The layout the example names: policies/ holds the policies and policies/waivers.yaml."""
    by_id = {hook["id"]: hook for hook in hooks()}
    (repo,) = examples()["pre-commit"]["repos"]
    for hook in repo["hooks"]:
        defined = by_id[hook["id"]]
        command = shlex.join([*shlex.split(defined["entry"]), *hook.get("args", defined["args"])])
        result = run_shell(command, docs_project, {}, ("bash",))
        assert result.returncode == 0, result.stderr
        assert result.stdout == "2 policies, 3 rules, 1 waiver file: no problems\n"
        waivers = docs_project / "policies" / "waivers.yaml"
        waivers.write_text(waivers.read_text().replace("rule_id: accuracy", "rule_id: gone"))
        result = run_shell(command, docs_project, {}, ("bash",))
        assert result.returncode == 1  # --strict: a waiver of no rule fails the commit
        assert "policies/waivers.yaml:4:5: warning: waiver names rule gone" in result.stdout


def test_jenkins_example_writes_junit_that_the_xunit_schema_accepts(docs_project: Path) -> None:
    (command,) = JENKINS_COMMAND.findall(examples()["jenkins"])
    env = {"GOVERNANCE_STORE_URL": "sqlite:///.governance/audit.db"}
    result = run_shell(command, docs_project, env, ("bash", "-e"))
    assert result.returncode == 0, result.stderr
    assert "Verdict: PASSED" in result.stdout
    assert_valid_junit(docs_project / "governance-junit.xml")
