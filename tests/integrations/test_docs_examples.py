"""docs/ci.md's copy-paste examples use inputs, variables and hooks that exist."""

from __future__ import annotations

import re
from typing import Any

import yaml

from governance.config import SETTINGS
from tests.conftest import REPO
from tests.integrations.test_github_action import action
from tests.integrations.test_gitlab_template import job
from tests.integrations.test_pre_commit import hooks

DOC = REPO / "docs" / "ci.md"


def yaml_examples() -> list[Any]:
    text = DOC.read_text(encoding="utf-8")
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)]


def steps() -> list[dict[str, Any]]:
    found = []
    for example in yaml_examples():
        if isinstance(example, dict):
            for spec in (example.get("jobs") or {}).values():
                found += spec.get("steps", [])
        elif isinstance(example, list):
            found += [item for item in example if isinstance(item, dict)]
    return found


def test_workflow_example_uses_the_action_with_its_inputs() -> None:
    uses = [s for s in steps() if "integrations/github@" in s.get("uses", "")]
    assert uses, "no example uses the action"
    inputs = set(action()["inputs"])
    for step in uses:
        assert set(step["with"]) <= inputs
        assert {"manifest", "policies"} <= set(step["with"])
    workflow = next(e for e in yaml_examples() if isinstance(e, dict) and "jobs" in e)
    assert workflow["permissions"]["security-events"] == "write"


def test_gitlab_example_extends_the_template_with_its_variables() -> None:
    example = next(e for e in yaml_examples() if isinstance(e, dict) and "include" in e)
    assert example["include"][0]["file"] == "integrations/gitlab/governance.gitlab-ci.yml"
    user_job = example["governance"]
    assert user_job["extends"] == ".governance-check"
    known = set(job()["variables"]) | {setting.env for setting in SETTINGS}
    assert set(user_job["variables"]) <= known


def test_pre_commit_example_names_a_hook_that_exists() -> None:
    example = next(e for e in yaml_examples() if isinstance(e, dict) and "repos" in e)
    ids = {hook["id"] for hook in hooks()}
    for repo in example["repos"]:
        for hook in repo["hooks"]:
            assert hook["id"] in ids
