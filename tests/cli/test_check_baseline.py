"""`governance check --baseline`: the champion predicts the same rows, comparison rules judge
the difference, the record names the champion; different rows stop the check (exit 2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.cli.conftest import Run
from tests.cli.test_check import store_entries
from tests.conftest import MANIFEST, synthetic_frame

Write = Callable[[str, str], Path]

POLICY = """
apiVersion: governance/v1
kind: Policy
metadata:
  name: champion
  version: 1.0.0
rules:
  - id: dp-increase
    title: Selection-rate gap no wider than the champion's
    severity: high
    check: comparison.disparity_increase
    params: {disparity: demographic_parity_difference, sensitive_features: [sex]}
    threshold: {max: 0.01}
  - id: accuracy-drop
    title: Accuracy within two points of the champion's
    severity: high
    check: comparison.performance_drop
    params: {metric: accuracy, gate_on: ci_upper}
    threshold: {max: 0.02}
"""


@pytest.fixture
def models(tmp_path: Path, write: Write) -> tuple[Path, Path, Path]:
    """Challenger and champion manifests over one data file, and the policy."""
    frame = synthetic_frame()
    rng = np.random.default_rng(3)
    # the champion: the challenger's predictions with one row in ten set to the true label
    fixed = rng.random(len(frame)) < 0.1
    frame["champion"] = np.where(fixed, frame["label"], frame["prediction"])
    frame.to_csv(tmp_path / "data.csv", index=False)
    challenger = write("challenger.yaml", MANIFEST)
    champion_text = (
        MANIFEST.replace("name: synthetic", "name: synthetic-champion")
        .replace("prediction: prediction", "prediction: champion")
        .replace("  score: score\n", "")
    )
    champion = write("champion.yaml", champion_text)
    return challenger, champion, write("policy.yaml", POLICY)


def test_baseline_judges_the_paired_difference_and_is_recorded(
    run: Run, models: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    challenger, champion, policy = models
    db = tmp_path / "audit.db"
    result = run(
        "check", challenger, "-p", policy, "--baseline", champion,
        "--store", f"sqlite:///{db}", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 1, result.stderr
    record = json.loads(result.stdout)
    baseline = record["baseline"]
    assert (baseline["name"], baseline["version"]) == ("synthetic-champion", "0.1.0")
    assert baseline["same_rows"]["data_digest"] == record["artifacts"]["data"]["digest"]
    assert baseline["same_rows"]["rows"] == 2000
    assert 1700 < baseline["same_rows"]["rows_agreeing"] < 2000
    findings = {f["rule_id"]: f for f in record["findings"]}
    drop = findings["accuracy-drop"]
    assert drop["outcome"] == "fail"  # the champion fixed a tenth of the rows
    frame = synthetic_frame()
    assert drop["evidence"]["challenger"] == pytest.approx(
        float(np.mean(frame["label"] == frame["prediction"]))
    )
    assert "challenger" in drop["message"] and "paired 95% interval" in drop["message"]
    assert drop["gated"]["bound"] == "ci_upper"
    assert store_entries(db) == 3


def test_without_baseline_comparison_rules_are_errors(
    run: Run, models: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    challenger, _, policy = models
    result = run(
        "check", challenger, "-p", policy, "--store", f"sqlite:///{tmp_path / 'a.db'}",
        "--format", "json",
    )  # fmt: skip
    record = json.loads(result.stdout)
    assert result.exit_code == 1
    assert {f["outcome"] for f in record["findings"]} == {"error"}
    assert "baseline" not in record
    assert all("--baseline" in f["message"] for f in record["findings"])


def test_champion_on_other_rows_stops_the_check(
    run: Run, models: tuple[Path, Path, Path], tmp_path: Path, write: Write
) -> None:
    challenger, champion, policy = models
    frame = synthetic_frame().head(1999)
    frame["champion"] = frame["prediction"]
    frame.to_csv(tmp_path / "other.csv", index=False)
    text = champion.read_text(encoding="utf-8").replace("path: data.csv", "path: other.csv")
    elsewhere = write("elsewhere.yaml", text)
    db = tmp_path / "audit.db"
    result = run(
        "check", challenger, "-p", policy, "--baseline", elsewhere, "--store", f"sqlite:///{db}"
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "challenger and champion were evaluated on different rows" in lines[0]
    assert "other.csv" in lines[0] and str(tmp_path) not in lines[0]
    assert not db.exists()


def test_data_counted_by_an_engine_it_names_is_refused_and_the_default_reads_rows(
    run: Run, models: tuple[Path, Path, Path], tmp_path: Path, write: Write
) -> None:
    """Prediction columns default to duckdb, which counts without rows: with --baseline the
    rows are read whole instead; a manifest that names an engine is refused, saying why."""
    challenger, champion, policy = models
    db = tmp_path / "audit.db"
    text = challenger.read_text(encoding="utf-8")
    text = text.replace("\ndata:\n", "\ndata:\n  engine: duckdb\n")
    assert "engine: duckdb" in text
    named = write("named.yaml", text)
    result = run("check", named, "-p", policy, "--baseline", champion, "--store", f"sqlite:///{db}")
    assert result.exit_code == 2
    assert "--baseline needs the evaluation data read whole" in result.stderr
    assert "counted by a SQL engine" in result.stderr
    assert not db.exists()
