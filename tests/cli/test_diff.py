"""`governance diff`: two recorded evaluations rule by rule; exit 0; unknown id exit 2."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import Run
from tests.conftest import POLICY

Write = Callable[[str, str], Path]


def _check(run: Run, manifest: Path, policy: Path, store: str) -> str:
    result = run("check", manifest, "-p", policy, "--store", store, "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    evaluation_id: str = json.loads(result.stdout)["evaluation_id"]
    return evaluation_id


def test_diff_shows_outcome_measured_threshold_and_policy_changes(
    run: Run, manifest_path: Path, write: Write, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    first = _check(run, manifest_path, write("p1.yaml", POLICY), store)
    stricter = POLICY.replace("version: 1.0.0", "version: 1.1.0").replace("min: 0.8", "min: 0.999")
    extra = stricter + (
        "  - id: size\n    title: Groups\n    severity: low\n    check: fairness.min_group_size\n"
        "    threshold: {min: 1}\n"
    )
    second = _check(run, manifest_path, write("p2.yaml", extra), store)
    text = run("diff", first, second, "--store", store)
    assert text.exit_code == 0, text.stderr
    assert "policy test-policy: 1.0.0 -> 1.1.0" in text.stdout
    dp = next(line for line in text.stdout.splitlines() if "dp-ratio" in line)
    assert "pass -> fail" in dp and ">= 0.8 -> >= 0.999" in dp
    assert "absent -> pass" in next(line for line in text.stdout.splitlines() if "size" in line)
    result = run("diff", first, second, "--store", store, "--format", "json")
    assert result.exit_code == 0
    found = json.loads(result.stdout)
    rules = {rule["rule_id"]: rule for rule in found["rules"]}
    assert rules["dp-ratio"]["a"]["outcome"] == "pass"
    assert rules["dp-ratio"]["b"]["outcome"] == "fail"
    assert rules["dp-ratio"]["a"]["measured"] == rules["dp-ratio"]["b"]["measured"]
    assert rules["size"]["a"] is None and rules["size"]["changed"]
    assert found["a"]["evaluation_id"] == first


def test_same_evaluation_has_no_changes(
    run: Run, manifest_path: Path, write: Write, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    first = _check(run, manifest_path, write("p1.yaml", POLICY), store)
    result = run("diff", first, first, "--store", store)
    assert result.exit_code == 0
    assert "2 rules, 0 changed" in result.stdout


def test_unknown_evaluation_is_one_line_exit_2(
    run: Run, manifest_path: Path, write: Write, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    first = _check(run, manifest_path, write("p1.yaml", POLICY), store)
    missing = "01a24e82-e289-79ba-b8ab-0a914a6723b9"
    result = run("diff", first, missing, "--store", store)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert missing in result.stderr
    assert result.stdout == ""
