"""`governance check` with drift rules: a shift in one group blocks and is named; a bad
reference is one line, exit 2, and nothing recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.cli.conftest import Run
from tests.cli.test_check import store_entries
from tests.conftest import SAMPLE, synthetic_frame

Write = Callable[[str, str], Path]

DRIFT_POLICY = """
apiVersion: governance/v1
kind: Policy
metadata: {{name: drift, version: 1.0.0}}
rules:
  - id: no-drift
    title: No feature has drifted in any group
    severity: high
    check: drift.psi
    params: {{reference: {reference}, features: [age], sensitive_features: [group]}}
    threshold: {{max: 0.25}}
"""


def reference_frame(shift_c: float) -> pd.DataFrame:
    frame = synthetic_frame(seed=8)
    frame["age"] = frame["age"] + np.where(frame["group"] == "c", shift_c, 0)
    return frame


def test_a_shift_in_one_group_blocks_and_names_it(
    run: Run, manifest_path: Path, write: Write, tmp_path: Path
) -> None:
    reference_frame(-25).to_csv(tmp_path / "reference.csv", index=False)
    policy = write("drift.yaml", DRIFT_POLICY.format(reference="reference.csv"))
    db = tmp_path / "audit.db"
    result = run("check", manifest_path, "-p", policy, "--store", f"sqlite:///{db}")
    assert result.exit_code == 1, result.stderr
    assert "no-drift: PSI of age in c by group" in result.stdout
    assert store_entries(db) == 3


def test_no_shift_passes(run: Run, manifest_path: Path, write: Write, tmp_path: Path) -> None:
    reference_frame(0).to_csv(tmp_path / "reference.csv", index=False)
    policy = write("drift.yaml", DRIFT_POLICY.format(reference="reference.csv"))
    result = run("check", manifest_path, "-p", policy, "--dry-run")
    assert result.exit_code == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("missing.csv", "missing.csv"),
        ("/etc/hostname.csv", "reference data '/etc/hostname.csv' is outside the folders"),
        ("no-age.csv", "column 'age' is not in the reference data no-age.csv"),
    ],
)
def test_a_bad_reference_is_one_line_exit_2_and_nothing_recorded(
    run: Run, manifest_path: Path, write: Write, tmp_path: Path, reference: str, expected: str
) -> None:
    reference_frame(0).drop(columns="age").to_csv(tmp_path / "no-age.csv", index=False)
    policy = write("drift.yaml", DRIFT_POLICY.format(reference=reference))
    db = tmp_path / "audit.db"
    result = run("check", manifest_path, "-p", policy, "--store", f"sqlite:///{db}")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert expected in lines[0]
    assert store_entries(db) == 0


def test_scores_are_compared_when_both_samples_have_them(
    run: Run, manifest_path: Path, write: Write, tmp_path: Path
) -> None:
    reference_frame(0).to_csv(tmp_path / "reference.csv", index=False)
    policy = write("drift.yaml", DRIFT_POLICY.format(reference="reference.csv"))
    result = run("check", manifest_path, "-p", policy, "--dry-run", "--format", "json")
    evidence = json.loads(result.stdout)["findings"][0]["evidence"]
    assert [row["feature"] for row in evidence["features"]] == ["age", "score"]
    assert "scores_not_compared" not in evidence


def test_the_model_scores_the_reference_unless_it_lacks_an_input(
    run: Run, write: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERNANCE_ALLOWED_PATHS", str(tmp_path))
    train = pd.read_csv(SAMPLE / "data" / "adult-train.csv.gz").head(3000)
    train.to_csv(tmp_path / "full.csv", index=False)
    train[["age", "sex", "race"]].to_csv(tmp_path / "narrow.csv", index=False)
    features = {}
    for name in ("full", "narrow"):
        text = DRIFT_POLICY.format(reference=tmp_path / f"{name}.csv")
        policy = write(
            f"{name}.yaml", text.replace("sensitive_features: [group]", "per_group: false")
        )
        result = run(
            "check", SAMPLE / "baseline.yaml", "-p", policy, "--dry-run", "--format", "json"
        )
        evidence = json.loads(result.stdout)["findings"][0]["evidence"]
        features[name] = [row["feature"] for row in evidence["features"]]
        features[f"{name}-why"] = evidence.get("scores_not_compared")
    assert features["full"] == ["age", "score"] and features["full-why"] is None
    assert features["narrow"] == ["age"]
    assert features["narrow-why"] == "the reference data lacks the model's input column 'workclass'"
