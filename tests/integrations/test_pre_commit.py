""".pre-commit-hooks.yaml (at the repository root, where pre-commit looks): the hooks run."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from tests.integrations.conftest import run_shell

HOOKS = REPO / ".pre-commit-hooks.yaml"
LANGUAGES = {"python", "system"}


def hooks() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    return loaded


def test_hooks_have_what_pre_commit_requires() -> None:
    assert [hook["id"] for hook in hooks()] == [
        "governance-policy-lint",
        "governance-policy-lint-system",
    ]
    for hook in hooks():
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] in LANGUAGES
        assert hook["entry"] == "governance policy lint"


def run_hook(hook: dict[str, Any], cwd: Path) -> Any:
    command = shlex.join([*shlex.split(hook["entry"]), *hook.get("args", [])])
    return run_shell(command, cwd, {}, ("bash",))


@pytest.mark.parametrize("hook", hooks(), ids=lambda hook: hook["id"])
def test_entry_lints_the_policies_folder(hook: dict[str, Any], project: Path) -> None:
    result = run_hook(hook, project)
    assert result.returncode == 0, result.stderr
    policy = project / "policies" / "policy.yaml"
    policy.write_text(policy.read_text().replace("min: 0.8", "min: 'high'"), encoding="utf-8")
    result = run_hook(hook, project)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: policies/policy.yaml:")
