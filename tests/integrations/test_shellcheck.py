"""Every shell snippet of the CI integrations and of docs/ci.md is shellcheck clean."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integrations.test_docs_examples import JENKINS_COMMAND, examples
from tests.integrations.test_github_action import action
from tests.integrations.test_gitlab_template import job

SHELLCHECK = shutil.which("shellcheck")


def _runs(steps: list[dict[str, Any]], where: str) -> list[tuple[str, str, str]]:
    return [
        (f"{where}: {step.get('name') or step.get('id') or index}", "bash", step["run"])
        for index, step in enumerate(steps)
        if "run" in step
    ]


def snippets() -> list[tuple[str, str, str]]:
    """(where, shell dialect, script) of every shell snippet."""
    found = _runs(action()["runs"]["steps"], "action.yml")
    spec = job()
    # GitLab runs the job with bash when the image has it, else sh: the script is POSIX sh
    found.append(
        (
            ".gitlab-ci.yml: .governance-check",
            "sh",
            "\n".join(spec["before_script"] + spec["script"]),
        )
    )
    for name, example in examples().items():
        if name == "jenkins":
            found.append(("docs/ci.md: jenkins", "bash", JENKINS_COMMAND.findall(example)[0]))
        elif name in ("action-workflow", "pr-comment", "plain-steps"):
            found += _runs(steps_of(example), f"docs/ci.md: {name}")
    return found


def steps_of(example: Any) -> list[dict[str, Any]]:
    if isinstance(example, dict):
        return [s for spec in example["jobs"].values() for s in spec["steps"]]
    return list(example)


@pytest.mark.skipif(SHELLCHECK is None, reason="shellcheck is not installed")
@pytest.mark.parametrize(
    ("where", "dialect", "script"), [pytest.param(*s, id=s[0]) for s in snippets()]
)
def test_is_shellcheck_clean(where: str, dialect: str, script: str, tmp_path: Path) -> None:
    assert "${{" not in script, f"{where}: an expression pasted into shell code"
    path = tmp_path / "snippet.sh"
    path.write_text(f"#!/bin/{dialect}\n{script}", encoding="utf-8")
    result = subprocess.run(
        [str(SHELLCHECK), "--shell", dialect, "--severity", "style", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{where}:\n{result.stdout}"
